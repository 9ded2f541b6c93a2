#!/usr/bin/env bash
# make start PIPELINE=daily-etl INPUT='{"CreateCluster":false,"ClusterId":"j-…"}'
#   -> infra/start.sh STACK_NAME INPUT PIPELINE
# Starts one execution of the deployed state machine. INPUT is a JSON object or a file
# holding one (the Makefile's default is examples/input.json); PIPELINE, when given, becomes
# its PipelineName. The execution is named manual-<UTC time> unless EXECUTION_NAME is set
# (names are unique per state machine for 90 days; scheduled runs use <pipeline>-<date>, so
# manual names never collide with them).
set -euo pipefail

STACK_NAME="${1:-emrflow}"
INPUT="${2:-}"
PIPELINE="${3:-}"
[[ -n "${INPUT}" ]] || INPUT='{}'

die() { printf 'start.sh: %s\n' "$*" >&2; exit 1; }
command -v aws >/dev/null 2>&1 || die "the AWS CLI (aws) is needed to start an execution"

if [[ -f "${INPUT}" ]]; then
  INPUT="$(cat -- "${INPUT}")"
fi
# Refuse malformed JSON here rather than as a failed execution.
INPUT="$(printf '%s' "${INPUT}" | python3 -c '
import json, sys
pipeline = sys.argv[1]
try:
    value = json.load(sys.stdin)
except json.JSONDecodeError as error:
    sys.exit(f"start.sh: INPUT is not JSON: {error}")
if not isinstance(value, dict):
    sys.exit("start.sh: INPUT must be a JSON object")
if pipeline:
    given = value.get("PipelineName", pipeline)
    if given != pipeline:
        sys.exit(f"start.sh: INPUT names pipeline {given} but PIPELINE is {pipeline}: give one")
    value["PipelineName"] = pipeline
print(json.dumps(value))
' "${PIPELINE}")"

STATE_MACHINE_ARN="$(aws cloudformation describe-stacks --stack-name "${STACK_NAME}" \
  --query "Stacks[0].Outputs[?OutputKey=='StateMachineArn'].OutputValue" --output text)"
[[ "${STATE_MACHINE_ARN}" == arn:* ]] || die "stack ${STACK_NAME} has no StateMachineArn output (deployed?)"

EXECUTION_NAME="${EXECUTION_NAME:-manual-$(date -u +%Y%m%dT%H%M%SZ)}"
EXECUTION_ARN="$(aws stepfunctions start-execution \
  --state-machine-arn "${STATE_MACHINE_ARN}" \
  --name "${EXECUTION_NAME}" \
  --input "${INPUT}" \
  --query executionArn --output text)"

REGION="$(cut -d: -f4 <<<"${EXECUTION_ARN}")"
echo "started ${EXECUTION_NAME} with input ${INPUT}"
echo "  execution: ${EXECUTION_ARN}"
echo "  console:   https://${REGION}.console.aws.amazon.com/states/home?region=${REGION}#/v2/executions/details/${EXECUTION_ARN}"
echo "  status:    aws stepfunctions describe-execution --execution-arn ${EXECUTION_ARN} --query status"
