#!/usr/bin/env bash
# Offline validation of the deploy path (called by `make validate`, and by `make test`), on
# the template that is deployed: target/template.yaml, which `make template` renders from
# infra/template.yaml and the pipelines folder (one EventBridge Scheduler schedule per pipeline).
#
#   infra/validate.sh              install the tools if needed, then run every check
#   infra/validate.sh --install    only install the tools (make deploy uses .tools/sam-venv/bin/sam)
#
# Tools live in project-local virtualenvs under <repo>/.tools (git-ignored), pinned:
#   .tools/cfn-lint-venv  cfn-lint 1.53.x + aws-sam-translator (runs the SAM transform) + pytest
#   .tools/sam-venv       aws-sam-cli (separate: it pins its own cfn-lint for `sam validate --lint`)
#   .tools/checkov-venv   checkov (separate: it pins its own dependencies, e.g. boto3 and networkx)
# A stamp file per venv records the pinned requirements, so a second run installs nothing.
#
# Checks, all without AWS access (dummy credentials, fixed region, no telemetry):
#   1. cfn-lint target/template.yaml                (zero errors, warnings or notes)
#   2. sam validate / sam validate --lint           (SAM translator + SAM's cfn-lint)
#   3. infra/check_template.py                      (ASL substitutions, functions <-> [[bin]] crates,
#                                                    IAM, every checkov skip has a reason, the
#                                                    reaper's and the EMR events rules, async
#                                                    targets' DLQs, the token table and its IAM,
#                                                    the schedules and their role, S3's rule
#                                                    and reads for WaitFor)
#   4. pytest infra/tests                           (the checker catches bad templates, the
#                                                    renderer renders one schedule per pipeline)
#   5. checkov -f target/template.yaml              (security scan: zero failed checks, no parsing
#                                                    error; each skip is in the template with its
#                                                    one-line reason, printed here)
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd -- "${SCRIPT_DIR}/.." && pwd)"
TOOLS_DIR="${EMRFLOW_TOOLS_DIR:-${REPO_ROOT}/.tools}"
PYTHON="${PYTHON:-python3}"

CFN_LINT_VENV="${TOOLS_DIR}/cfn-lint-venv"
CFN_LINT_REQUIREMENTS=(
  "cfn-lint==1.53.3"
  "aws-sam-translator==1.115.0"
  "pytest==9.2.0"
)
SAM_VENV="${TOOLS_DIR}/sam-venv"
SAM_REQUIREMENTS=(
  "aws-sam-cli==1.170.0"
)
CHECKOV_VENV="${TOOLS_DIR}/checkov-venv"
CHECKOV_REQUIREMENTS=(
  "checkov==3.3.30"
)

TEMPLATE="${REPO_ROOT}/target/template.yaml"
STATE_MACHINE="${REPO_ROOT}/statemachine/emrflow.asl.json"

log() { printf '==> %s\n' "$*"; }
die() { printf 'validate.sh: %s\n' "$*" >&2; exit 1; }

# ensure_venv DIR REQUIREMENT...: (re)creates DIR with exactly these pins unless its stamp
# already lists them.
ensure_venv() {
  local venv="$1"; shift
  local stamp="${venv}/.emrflow-requirements"
  local wanted
  wanted="$(printf '%s\n' "$@")"
  if [[ -x "${venv}/bin/python" && -f "${stamp}" && "$(cat "${stamp}")" == "${wanted}" ]]; then
    return 0
  fi
  command -v "${PYTHON}" >/dev/null 2>&1 || die "${PYTHON} not found (set PYTHON=/path/to/python3.9+)"
  log "installing $* into ${venv#"${REPO_ROOT}/"}"
  rm -rf "${venv}"
  mkdir -p "$(dirname "${venv}")"
  "${PYTHON}" -m venv "${venv}" || die "cannot create a virtualenv with ${PYTHON} (Debian: apt-get install python3-venv)"
  "${venv}/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip \
    || die "pip upgrade failed in ${venv} (is PyPI reachable?)"
  "${venv}/bin/python" -m pip install --quiet --disable-pip-version-check "$@" \
    || die "pip install $* failed (is PyPI reachable?)"
  printf '%s\n' "${wanted}" > "${stamp}"
}

install_tools() {
  ensure_venv "${CFN_LINT_VENV}" "${CFN_LINT_REQUIREMENTS[@]}"
  ensure_venv "${SAM_VENV}" "${SAM_REQUIREMENTS[@]}"
  ensure_venv "${CHECKOV_VENV}" "${CHECKOV_REQUIREMENTS[@]}"
}

# No AWS account and no network to AWS here: every AWS-aware tool gets a region, dummy
# credentials, no instance metadata lookups and no telemetry.
offline_env() {
  export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-1}"
  export AWS_REGION="${AWS_DEFAULT_REGION}"
  export AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE"
  export AWS_SECRET_ACCESS_KEY="validate-offline-dummy-secret"
  unset AWS_SESSION_TOKEN AWS_PROFILE
  export AWS_EC2_METADATA_DISABLED=true
  export SAM_CLI_TELEMETRY=0
  export SAM_CLI_CONTAINER_CONNECTION_TIMEOUT=1
}

main() {
  case "${1:-}" in
    --install) install_tools; printf '%s\n' "${SAM_VENV}/bin/sam"; return 0 ;;
    "") ;;
    *) die "unknown argument: $1 (use --install, or nothing)" ;;
  esac

  [[ -f "${TEMPLATE}" ]] || die "missing ${TEMPLATE}: make template renders it (infra/template.yaml + a schedule per pipeline)"
  [[ -f "${STATE_MACHINE}" ]] || die "missing ${STATE_MACHINE} (the template's DefinitionUri)"
  install_tools
  offline_env
  cd "${REPO_ROOT}"

  log "cfn-lint $("${CFN_LINT_VENV}/bin/cfn-lint" --version | awk '{print $2}') target/template.yaml"
  "${CFN_LINT_VENV}/bin/cfn-lint" target/template.yaml
  log "cfn-lint: no findings"

  # `sam validate` without --lint runs the SAM translator locally; with only explicit roles
  # (no SAM policy templates or managed-policy names) it makes no IAM call.
  log "sam validate ($("${SAM_VENV}/bin/sam" --version))"
  (cd target && "${SAM_VENV}/bin/sam" validate --template-file template.yaml)
  log "sam validate --lint"
  (cd target && "${SAM_VENV}/bin/sam" validate --lint --template-file template.yaml)

  log "check_template.py (ASL substitutions, functions <-> crates, IAM, checkov skips, event rules, token table, schedules)"
  "${CFN_LINT_VENV}/bin/python" infra/check_template.py \
    --template target/template.yaml --functions functions

  log "checker tests (pytest infra/tests)"
  "${CFN_LINT_VENV}/bin/python" -m pytest -q -p no:cacheprovider infra/tests

  # checkov exits non-zero on any failed check; its JSON report is judged by the checker
  # instead, which also refuses a report with parsing errors or nothing scanned (a template
  # checkov cannot read would otherwise "pass" with zero checks). --skip-download: offline,
  # no Prisma Cloud look-ups.
  log "checkov $("${CHECKOV_VENV}/bin/checkov" --version) target/template.yaml"
  local report
  report="$(mktemp "${TMPDIR:-/tmp}/emrflow-checkov.XXXXXX")"
  "${CHECKOV_VENV}/bin/checkov" --file target/template.yaml --framework cloudformation \
    --skip-download --output json > "${report}" || true
  if ! "${CFN_LINT_VENV}/bin/python" infra/check_template.py --checkov-report "${report}"; then
    rm -f "${report}"
    die "checkov found problems (above)"
  fi
  rm -f "${report}"

  log "infra validation passed"
}

main "$@"
