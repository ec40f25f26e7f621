#!/usr/bin/env bash
# pulllint action, step "install": a private virtual environment in the runner's temp folder, with
# pulllint from this action's checkout and its dependencies at the versions of action/constraints.txt.
#
# Inputs (env): FOUND_PYTHON (from prepare) or SETUP_PYTHON (from actions/setup-python), PIP_CACHE_DIR.
# Output: pulllint (the executable), python (the environment's interpreter).

set -eo pipefail

python="${FOUND_PYTHON:-${SETUP_PYTHON:-}}"
if [ -z "$python" ]; then
  echo "::error title=pulllint::no Python 3.10 or newer, and actions/setup-python did not provide one"
  exit 2
fi
temp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
venv="${temp%/}/pulllint-venv"
"$python" -m venv --clear "$venv"
bin="$venv/bin"
[ -d "$bin" ] || bin="$venv/Scripts" # Windows runners
if [ -n "${PIP_CACHE_DIR:-}" ]; then
  mkdir -p "$PIP_CACHE_DIR"
  export PIP_CACHE_DIR
fi
"$bin/python" -m pip install --quiet --disable-pip-version-check \
  --constraint "$GITHUB_ACTION_PATH/action/constraints.txt" "$GITHUB_ACTION_PATH"
"$bin/pulllint" --version
{
  echo "pulllint=$bin/pulllint"
  echo "python=$bin/python"
} >>"$GITHUB_OUTPUT"
