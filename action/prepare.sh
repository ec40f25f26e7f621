#!/usr/bin/env bash
# pulllint action, step "prepare": find a Python >= 3.10 and name the caches.
#
# Outputs: python (empty when none is suitable: the action then runs actions/setup-python),
# registry-cache-dir / registry-key / registry-restore-key (pulllint's registry-answer cache, restored
# and saved with actions/cache; empty when the cache input is false), pip-cache-dir / pip-key (pip's
# downloads for the pinned install). Portable to the bash 3.2 and BSD tools of macOS runners.

set -eo pipefail

found=""
for candidate in python3 python; do
  if command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' >/dev/null 2>&1; then
    found="$(command -v "$candidate")"
    break
  fi
done

temp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
temp="${temp%/}"
os="${RUNNER_OS:-$(uname -s)}"
arch="${RUNNER_ARCH:-$(uname -m)}"
if [ -n "$found" ]; then
  version="$("$found" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
else
  version="setup-python"
fi
# cksum is POSIX (sha256sum is not on macOS): a change of the pins or of pulllint's metadata is a new key.
pins="$(cat "$GITHUB_ACTION_PATH/action/constraints.txt" "$GITHUB_ACTION_PATH/pyproject.toml" | cksum | cut -d ' ' -f 1)"

{
  echo "python=$found"
  echo "pip-cache-dir=$temp/pulllint-pip-cache"
  echo "pip-key=pulllint-pip-v1-$os-$arch-$version-$pins"
} >>"$GITHUB_OUTPUT"

case "${INPUT_CACHE:-true}" in
  true | True | TRUE)
    prefix="pulllint-registry-v1-$os-$arch-${GITHUB_JOB:-job}-"
    {
      echo "registry-cache-dir=$temp/pulllint-registry-cache"
      # Cache entries cannot be overwritten: each run saves under a key of its own and the next one
      # restores the newest entry with the prefix.
      echo "registry-key=$prefix${GITHUB_RUN_ID:-0}-${GITHUB_RUN_ATTEMPT:-1}"
      echo "registry-restore-key=$prefix"
    } >>"$GITHUB_OUTPUT"
    ;;
  false | False | FALSE)
    {
      echo "registry-cache-dir="
      echo "registry-key="
      echo "registry-restore-key="
    } >>"$GITHUB_OUTPUT"
    ;;
  *)
    echo "::error title=pulllint::the cache input must be true or false, not '${INPUT_CACHE//[$'\r\n%']/ }'"
    exit 2
    ;;
esac
