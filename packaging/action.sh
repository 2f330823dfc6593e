#!/usr/bin/env bash
# The steps of action.yml (the composite GitHub Action), one sub-command each, so that they run,
# and are tested (Tests/packaging/test_action.py), outside GitHub as plain bash. Inputs come as
# INPUT_* variables set by action.yml; GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and GITHUB_PATH are
# files, as on a runner. docs/ci.md.
#
#   action.sh validate   reject bad inputs before anything is installed (exit 64)
#   action.sh install    pip-install the brine-cli wheel into its own venv, put it on PATH
#   action.sh check      brine check: SARIF to INPUT_SARIF_FILE, markdown to the job summary
#   action.sh budget     brine budget --limit INPUT_LIMIT: markdown to the job summary
#   action.sh finish     exit 1 when check or budget found something (after the SARIF upload)
set -euo pipefail

fail() { echo "::error title=brine action::$*" >&2; exit 64; }
need_file() { [ -n "${!1:-}" ] || fail "$1 is not set (run inside GitHub Actions or set it to a file)"; }

# Paths: whitespace- or newline-separated; none means brine.toml's own (brine check with no PATH).
read_paths() {
  paths=()
  local word
  for word in ${INPUT_PATHS:-}; do paths+=("$word"); done
}

brine_bin() { command -v brine || fail "brine is not on PATH (the install step did not run)"; }

validate() {
  case "${INPUT_FAIL_ON:-error}" in
    info|warning|error|never) ;;
    *) fail "fail-on: '${INPUT_FAIL_ON}' is not one of info, warning, error, never" ;;
  esac
  if [ -n "${INPUT_LIMIT:-}" ] && ! [[ "$INPUT_LIMIT" =~ ^([0-9]+(\.[0-9]+)?[[:space:]]*([kKMGT]i?B|B)?|[a-z][a-z0-9-]*)$ ]]; then
    fail "limit: '${INPUT_LIMIT}' is neither a size (300MB, 1.5GiB) nor a preset name (heroku-slug)"
  fi
  [ -n "${INPUT_SARIF_FILE:-}" ] || fail "sarif-file: empty (give a file name such as brine.sarif)"
  case "${INPUT_SARIF_FILE}" in */) fail "sarif-file: '${INPUT_SARIF_FILE}' is a directory" ;; esac
  case "${INPUT_UPLOAD_SARIF:-true}" in true|false) ;; *) fail "upload-sarif: '${INPUT_UPLOAD_SARIF}' is not true or false" ;; esac
  local wheel="${INPUT_WHEEL:-}"
  if [ -n "$wheel" ] && [[ "$wheel" != *://* ]] && [[ "$wheel" != brine-cli* ]] && [ ! -e "$wheel" ]; then
    fail "wheel: '$wheel' is no file or directory, URL, or brine-cli requirement (brine-cli==0.1.0)"
  fi
  read_paths
  local path
  for path in ${paths[@]+"${paths[@]}"}; do
    [[ "$path" == *[*?[]* ]] || [ -e "$path" ] || fail "paths: '$path' does not exist"
  done
  if [ ${#paths[@]} -eq 0 ] && [ ! -f brine.toml ]; then
    fail "paths: empty and no brine.toml in $(pwd) to say what to check"
  fi
}

install() {
  need_file GITHUB_PATH
  local venv="${BRINE_ACTION_VENV:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/brine-action-venv}"
  python3 -m venv "$venv"
  local wheel="${INPUT_WHEEL:-}" spec
  if [ -d "$wheel" ]; then
    # A directory of wheels (for example an artifact of the build job): no index needed.
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --find-links "$wheel" brine-cli
  else
    spec="${wheel:-brine-cli}"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$spec"
  fi
  echo "$venv/bin" >> "$GITHUB_PATH"
  "$venv/bin/brine" --version
}

check() {
  need_file GITHUB_OUTPUT; need_file GITHUB_STEP_SUMMARY
  local brine; brine=$(brine_bin)
  read_paths
  local fail_on="${INPUT_FAIL_ON:-error}" flags=()
  [ "$fail_on" = never ] || flags=(--fail-on "$fail_on")
  local status=0
  mkdir -p "$(dirname "$INPUT_SARIF_FILE")"
  "$brine" check ${flags[@]+"${flags[@]}"} --format sarif -o "$INPUT_SARIF_FILE" ${paths[@]+"${paths[@]}"} || status=$?
  if [ "$status" -ge 2 ]; then echo "check-exit-code=$status" >> "$GITHUB_OUTPUT"; exit "$status"; fi
  { echo "## brine check"; echo; "$brine" check ${flags[@]+"${flags[@]}"} --format markdown ${paths[@]+"${paths[@]}"} || true; echo; } >> "$GITHUB_STEP_SUMMARY"
  [ "$fail_on" != never ] || status=0
  echo "check-exit-code=$status" >> "$GITHUB_OUTPUT"
}

budget() {
  need_file GITHUB_OUTPUT; need_file GITHUB_STEP_SUMMARY
  local brine; brine=$(brine_bin)
  read_paths
  local status=0 report
  report=$(mktemp)
  "$brine" budget --limit "$INPUT_LIMIT" --format markdown -o "$report" ${paths[@]+"${paths[@]}"} || status=$?
  { echo "## brine budget"; echo; cat "$report"; echo; } >> "$GITHUB_STEP_SUMMARY"
  rm -f "$report"
  echo "budget-exit-code=$status" >> "$GITHUB_OUTPUT"
  [ "$status" -lt 2 ] || exit "$status"
}

finish() {
  local check="${CHECK_EXIT_CODE:-0}" budget="${BUDGET_EXIT_CODE:-0}"
  if [ "${check:-0}" != 0 ]; then echo "::error title=brine check::findings at or above ${INPUT_FAIL_ON:-error} (see the job summary and code scanning)"; fi
  if [ "${budget:-0}" != 0 ]; then echo "::error title=brine budget::over the limit ${INPUT_LIMIT} (see the job summary)"; fi
  [ "${check:-0}" = 0 ] && [ "${budget:-0}" = 0 ]
}

case "${1:-}" in
  validate|install|check|budget|finish) "$1" ;;
  *) echo "usage: action.sh validate|install|check|budget|finish" >&2; exit 64 ;;
esac
