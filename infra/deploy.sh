#!/usr/bin/env bash
# make deploy -> infra/deploy.sh STACK_NAME
# Deploys infra/template.yaml with the prebuilt target/lambda/<fn>/ folders (make build).
# No `sam build`: CodeUri already points at the cross-compiled bootstrap files.
# First time (no parameter_overrides in infra/samconfig.toml yet): `sam deploy --guided`,
# which asks for region and parameters and saves them; afterwards a plain `sam deploy`.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd -- "${SCRIPT_DIR}/.." && pwd)"
STACK_NAME="${1:-emrflow}"

die() { printf 'deploy.sh: %s\n' "$*" >&2; exit 1; }

# The functions are whatever the template deploys (CodeUri: ../target/lambda/<fn>/), so a
# function added to the template cannot be deployed without its bootstrap.
mapfile -t FUNCTIONS < <(sed -nE 's#^[[:space:]]*CodeUri:[[:space:]]*\.\./target/lambda/([^/[:space:]]+)/?[[:space:]]*$#\1#p' \
  "${SCRIPT_DIR}/template.yaml")
[[ ${#FUNCTIONS[@]} -gt 0 ]] || die "found no CodeUri: ../target/lambda/<fn>/ in infra/template.yaml"

for function in "${FUNCTIONS[@]}"; do
  [[ -f "${REPO_ROOT}/target/lambda/${function}/bootstrap" ]] \
    || die "target/lambda/${function}/bootstrap is missing: run make build first (the Makefile's FUNCTIONS must list ${function})"
done
for function in validate-input ensure-cluster add-steps check-steps; do
  [[ -f "${REPO_ROOT}/target/lambda/${function}/pipeline.json" ]] \
    || die "target/lambda/${function}/pipeline.json is missing: make build copies the pipeline spec there"
done

# The pinned SAM CLI that infra/validate.sh installs (override with SAM=/path/to/sam).
SAM="${SAM:-$(bash "${SCRIPT_DIR}/validate.sh" --install | tail -n 1)}"
[[ -x "${SAM}" ]] || die "SAM CLI not found at ${SAM}"

cd "${SCRIPT_DIR}"
if grep -Eq '^[[:space:]]*parameter_overrides[[:space:]]*=' samconfig.toml; then
  "${SAM}" deploy --stack-name "${STACK_NAME}"
else
  echo "First deployment: sam deploy --guided (answers are saved to infra/samconfig.toml)."
  "${SAM}" deploy --guided --stack-name "${STACK_NAME}"
fi

"${SAM}" list stack-outputs --stack-name "${STACK_NAME}" --output table
