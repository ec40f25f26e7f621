"""pulllint action: the manifests a pull request (or a push) changed, under the paths given.

    python changed_files.py -- PATH...

Prints the changed files (added, copied, modified, renamed or retyped; not deleted) with a manifest
suffix (.yaml, .yml, .json) that are one of PATHs or inside one of them, relative to the working
directory, each followed by a NUL byte (so any file name survives). Exit 0 with the list (possibly
empty), 3 when the changes cannot be told (not a pull request or push event, a new branch, no git, the
base commit cannot be fetched): the caller then checks every path.

The base is the event's: `pull_request.base.sha` (pull_request, pull_request_target), else `before`
(push). The checkout of a pull request is usually shallow; the base commit is fetched (depth 1) when it is
missing. Every git command has a time limit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence

SUFFIXES = (".yaml", ".yml", ".json")
GIT_TIMEOUT = 120.0
NO_BASE = 3
_ZERO = "0" * 40


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], capture_output=True, timeout=GIT_TIMEOUT, check=False)


def _say(message: str) -> None:
    print(f"pulllint: {message}", file=sys.stderr)


def base_commit(environ: dict[str, str]) -> str | None:
    path = environ.get("GITHUB_EVENT_PATH", "")
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError) as error:
        _say(f"cannot read the event ({path or 'GITHUB_EVENT_PATH is not set'}): {error}")
        return None
    if not isinstance(event, dict):
        return None
    pull_request = event.get("pull_request")
    if isinstance(pull_request, dict):
        base = pull_request.get("base", {}).get("sha") if isinstance(pull_request.get("base"), dict) else None
    else:
        base = event.get("before")
    if not isinstance(base, str) or len(base) < 7 or base == _ZERO:
        _say(f"no base commit in the {environ.get('GITHUB_EVENT_NAME', '')} event")
        return None
    return base


def _present(commit: str) -> bool:
    return _git("cat-file", "-e", f"{commit}^{{commit}}").returncode == 0


def changed_files(base: str) -> list[str] | None:
    """Changed files between `base` and HEAD, relative to the working directory (None: git failed)."""
    try:
        if not _present(base):
            fetched = _git("fetch", "--no-tags", "--quiet", "--depth=1", "origin", base)
            if fetched.returncode != 0 or not _present(base):
                reason = fetched.stderr.decode(errors="replace").strip()
                _say(f"cannot fetch the base commit {base}: {reason}")
                return None
        diff = _git("diff", "--name-only", "-z", "--relative", "--diff-filter=ACMRT", base, "HEAD", "--")
    except (OSError, subprocess.TimeoutExpired) as error:
        _say(f"git failed: {error}")
        return None
    if diff.returncode != 0:
        _say(f"git diff failed: {diff.stderr.decode(errors='replace').strip()}")
        return None
    return [os.fsdecode(name) for name in diff.stdout.split(b"\0") if name]


def _inside(file: str, path: str) -> bool:
    if path in ("", ".", "./"):
        return True
    normal = os.path.normpath(path)
    return file == normal or file.startswith(normal.rstrip(os.sep) + os.sep)


def select(files: Sequence[str], paths: Sequence[str]) -> list[str]:
    """The manifests among `files` that are one of `paths` or below one."""
    chosen = []
    for file in files:
        normal = os.path.normpath(file)
        wanted = normal.lower().endswith(SUFFIXES) and any(_inside(normal, path) for path in paths)
        if wanted and os.path.isfile(normal):
            chosen.append(normal)
    return chosen


def main(argv: Sequence[str]) -> int:
    args = list(argv)
    if args[:1] == ["--"]:
        args = args[1:]
    base = base_commit(dict(os.environ))
    files = changed_files(base) if base is not None else None
    if files is None:
        return NO_BASE
    out = sys.stdout.buffer
    for file in select(files, args or ["."]):
        out.write(os.fsencode(file) + b"\0")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
