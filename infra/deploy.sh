#!/usr/bin/env bash
# make deploy -> infra/deploy.sh STACK_NAME [sam deploy options…]
# Deploys target/template.yaml (make template: infra/template.yaml with one EventBridge
# Scheduler schedule per pipeline) with the prebuilt target/lambda/<fn>/ folders (make build).
# No `sam build`: CodeUri already points at the cross-compiled bootstrap files.
# First time (no parameter_overrides in infra/samconfig.toml yet): `sam deploy --guided`,
# which asks for region and parameters and saves them; afterwards a plain `sam deploy`.
# Options after the stack name go to sam deploy, e.g. --parameter-overrides
# SchedulesState=DISABLED (every parameter not named keeps its deployed value).
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd -- "${SCRIPT_DIR}/.." && pwd)"
STACK_NAME="${1:-emrflow}"
shift || true
TEMPLATE="${REPO_ROOT}/target/template.yaml"

die() { printf 'deploy.sh: %s\n' "$*" >&2; exit 1; }

# The functions are whatever the template deploys (CodeUri: ../target/lambda/<fn>/), so a
# function added to the template cannot be deployed without its bootstrap.
[[ -f "${TEMPLATE}" ]] || die "target/template.yaml is missing: make template renders it (a schedule per pipeline)"
mapfile -t FUNCTIONS < <(sed -nE 's#^[[:space:]]*CodeUri:[[:space:]]*\.\./target/lambda/([^/[:space:]]+)/?[[:space:]]*$#\1#p' \
  "${TEMPLATE}")
[[ ${#FUNCTIONS[@]} -gt 0 ]] || die "found no CodeUri: ../target/lambda/<fn>/ in target/template.yaml"

for function in "${FUNCTIONS[@]}"; do
  [[ -f "${REPO_ROOT}/target/lambda/${function}/bootstrap" ]] \
    || die "target/lambda/${function}/bootstrap is missing: run make build first (the Makefile's FUNCTIONS must list ${function})"
done
for function in validate-input ensure-cluster add-steps check-steps start-daily; do
  compgen -G "${REPO_ROOT}/target/lambda/${function}/pipelines/*.json" >/dev/null \
    || die "target/lambda/${function}/pipelines/ has no pipeline: make build copies the pipelines folder there"
done

# The pinned SAM CLI that infra/validate.sh installs (override with SAM=/path/to/sam).
SAM="${SAM:-$(bash "${SCRIPT_DIR}/validate.sh" --install | tail -n 1)}"
[[ -x "${SAM}" ]] || die "SAM CLI not found at ${SAM}"

# The rendered template lives in target/; the SAM configuration stays in infra/.
cd "${SCRIPT_DIR}"
DEPLOY=("${SAM}" deploy --template-file "${TEMPLATE}" --config-file "${SCRIPT_DIR}/samconfig.toml"
        --stack-name "${STACK_NAME}")
if grep -Eq '^[[:space:]]*parameter_overrides[[:space:]]*=' samconfig.toml; then
  "${DEPLOY[@]}" "$@"
else
  echo "First deployment: sam deploy --guided (answers are saved to infra/samconfig.toml)."
  "${DEPLOY[@]}" --guided "$@"
fi

"${SAM}" list stack-outputs --stack-name "${STACK_NAME}" --output table
