#!/usr/bin/env bash
# make teardown -> infra/teardown.sh STACK_NAME
# Deletes the stack (functions, state machine, schedule, event rules, alarms, queues, the
# task-token table, log groups) and its uploaded artifacts with `sam delete`. The token
# table holds only short-lived task tokens and is deleted with the stack (DeletionPolicy
# Delete). The alarm topic's KMS key is scheduled for deletion (7-day waiting period,
# cancellable; AWS KMS deletes it then). EMR clusters are not CloudFormation resources and
# are NOT touched: the script lists the active emrflow clusters so none keeps running.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
STACK_NAME="${1:-emrflow}"

if command -v aws >/dev/null 2>&1; then
  STATE_MACHINE_ARN="$(aws cloudformation describe-stacks --stack-name "${STACK_NAME}" \
    --query "Stacks[0].Outputs[?OutputKey=='StateMachineArn'].OutputValue" --output text 2>/dev/null || true)"
  if [[ "${STATE_MACHINE_ARN}" == arn:* ]]; then
    RUNNING="$(aws stepfunctions list-executions --state-machine-arn "${STATE_MACHINE_ARN}" \
      --status-filter RUNNING --query 'executions[].name' --output text || true)"
    if [[ -n "${RUNNING}" && "${RUNNING}" != "None" ]]; then
      echo "warning: executions still running: ${RUNNING}" >&2
      echo "  deleting the stack deletes the state machine AND the reaper, so nothing would clean their" >&2
      echo "  clusters up. Stop them first and give reap-execution a minute to cancel their steps and" >&2
      echo "  terminate what they created:" >&2
      echo "    aws stepfunctions stop-execution --execution-arn <arn>   (arn: ${STATE_MACHINE_ARN/:stateMachine:/:execution:}:<name>)" >&2
    fi
  fi
  CLUSTERS="$(aws emr list-clusters --active \
    --query "Clusters[?starts_with(Name, 'emrflow-')].[Id,Name,Status.State]" --output text || true)"
  if [[ -n "${CLUSTERS}" ]]; then
    echo "warning: active emrflow clusters (not deleted by teardown; they keep costing money):" >&2
    echo "${CLUSTERS}" >&2
    echo "  stop one with: aws emr modify-cluster-attributes --cluster-id j-… --no-termination-protected && aws emr terminate-clusters --cluster-ids j-…" >&2
  fi
fi

SAM="${SAM:-$(bash "${SCRIPT_DIR}/validate.sh" --install | tail -n 1)}"
cd "${SCRIPT_DIR}"
"${SAM}" delete --stack-name "${STACK_NAME}"
