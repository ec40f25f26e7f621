#!/usr/bin/env bash
# pulllint action, step "check": run pulllint on the inputs.
#
# Every input arrives through env: (INPUT_*), never through ${{ }} in the script. Lists (paths,
# chart-dirs, extra-args) are split on whitespace without expanding globs. With only-changed, the paths
# are narrowed to the manifests the pull request (or push) changed (action/changed_files.py).

set -eo pipefail

args=(check --format "${INPUT_FORMAT:-github}" --fail-on "${INPUT_FAIL_ON:-error}")
case "${INPUT_OFFLINE:-false}" in
  true | True | TRUE) args+=(--offline) ;;
  false | False | FALSE | "") ;;
  *)
    echo "::error title=pulllint::the offline input must be true or false, not '${INPUT_OFFLINE//[$'\r\n%']/ }'"
    exit 2
    ;;
esac
case "${INPUT_ONLY_CHANGED:-false}" in
  true | True | TRUE) only_changed=true ;;
  false | False | FALSE | "") only_changed=false ;;
  *)
    echo "::error title=pulllint::the only-changed input must be true or false, not '${INPUT_ONLY_CHANGED//[$'\r\n%']/ }'"
    exit 2
    ;;
esac
if [ -n "${INPUT_CONFIG:-}" ]; then args+=(--config "$INPUT_CONFIG"); fi
if [ -n "${INPUT_SARIF_FILE:-}" ]; then args+=(--sarif "$INPUT_SARIF_FILE"); fi
if [ -n "${REGISTRY_CACHE_DIR:-}" ]; then
  mkdir -p "$REGISTRY_CACHE_DIR"
  args+=(--cache-dir "$REGISTRY_CACHE_DIR")
fi
set -f # split the lists on whitespace, without expanding globs
for dir in ${INPUT_CHART_DIRS:-}; do args+=(--chart-dir "$dir"); done
for extra in ${INPUT_EXTRA_ARGS:-}; do args+=("$extra"); done
paths=()
for path in ${INPUT_PATHS:-}; do paths+=("$path"); done
set +f
if [ ${#paths[@]} -eq 0 ]; then paths=(.); fi

finish() {
  echo "exit-code=$1" >>"$GITHUB_OUTPUT"
  echo "sarif-file=${INPUT_SARIF_FILE:-}" >>"$GITHUB_OUTPUT"
  exit "$1"
}

if [ "$only_changed" = true ]; then
  list="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
  list="${list%/}/pulllint-changed-files"
  found=0
  "$PULLLINT_PYTHON" "$GITHUB_ACTION_PATH/action/changed_files.py" -- "${paths[@]}" >"$list" || found=$?
  if [ "$found" -eq 0 ]; then
    changed=()
    while IFS= read -r -d '' file; do changed+=("$file"); done <"$list"
    if [ ${#changed[@]} -eq 0 ]; then
      echo "::notice title=pulllint::no manifest under the paths changed: nothing to check"
      if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        printf '### pulllint\n\nNo manifest under the paths changed: nothing to check.\n\n' >>"$GITHUB_STEP_SUMMARY"
      fi
      finish 0
    fi
    paths=("${changed[@]}")
  elif [ "$found" -eq 3 ]; then
    echo "::notice title=pulllint::cannot tell which files changed (see the log): checking every path"
  else
    echo "::error title=pulllint::listing the changed files failed"
    finish 2
  fi
fi

status=0
"$PULLLINT" "${args[@]}" -- "${paths[@]}" || status=$?
finish "$status"
