"""The github format for a run inside a GitHub Actions step: annotations within what GitHub still shows,
and one job summary for the step, however many times pulllint runs in it.

pre-commit runs a hook in batches of files (in parallel processes); each batch is one pulllint run, and
each would print its own 10 errors and 10 warnings (GitHub shows 10 of each kind per step) and append its
own job-summary section with partial counts. `publish` keeps a small state file per step and parent
process (`$RUNNER_TEMP/pulllint-step-<key>.json`, or next to the summary file when RUNNER_TEMP is not
set; it holds the findings so far, never credentials) under an exclusive lock, so that:

* the annotations of all batches together stay within `AnnotationLimits` (most severe first within each
  batch; what is left out is said by one notice and printed as plain log lines, see reporters._github);
* the step's summary file holds one pulllint section, between `<!-- pulllint:<key> -->` markers,
  rewritten by every batch with the findings of all batches so far (the last batch leaves the complete
  one); what other steps or tools wrote to the file is kept.

When the state file cannot be opened or locked within `LOCK_TIMEOUT` seconds (or the platform has no
file locks), the batch appends a section of its own that says it covers one run only. Without
`GITHUB_STEP_SUMMARY` nothing is written: the result is `render(report, "github")`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import _github, _markdown
from pulllint.reporters._common import clean_report
from pulllint.reporters._types import DEFAULT_OPTIONS, RenderOptions, Report

# GitHub refuses a job summary over 1 MiB (per step): the summary leaves rows out to stay under it.
SUMMARY_LIMIT = 1_000_000
LOCK_TIMEOUT = 30.0
STATE_VERSION = 1
# Bounds on what is read back: a state or summary file larger than this is not ours to merge.
MAX_STATE_BYTES = 64 * 1024 * 1024
MAX_SUMMARY_BYTES = 16 * 1024 * 1024
_SEVERITIES = {severity.label: severity for severity in Severity}


class NoLock(Exception):
    """The state file could not be locked in time (or file locks are not available)."""


def run_key(summary_path: str, parent: int | None = None) -> str:
    """Batches of one run share the summary file and the parent process (pre-commit, a shell script)."""
    parent = os.getppid() if parent is None else parent
    data = f"{os.path.abspath(summary_path)}\0{parent}".encode("utf-8", "surrogateescape")
    return hashlib.sha256(data).hexdigest()[:16]


def _markers(key: str) -> tuple[str, str]:
    return f"<!-- pulllint:{key} -->", f"<!-- /pulllint:{key} -->"


@contextmanager
def _locked(path: str, timeout: float) -> Iterator[IO[bytes]]:
    """The state file, created if needed (never through a symbolic link), locked exclusively."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags, 0o600)
    except OSError as error:
        raise NoLock(f"cannot open {path}: {error}") from None
    handle = os.fdopen(descriptor, "r+b")
    try:
        _lock(handle, timeout)
        yield handle
    finally:
        handle.close()  # closing releases the lock


def _lock(handle: IO[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    try:
        import fcntl
    except ImportError:  # Windows
        try:
            import msvcrt
        except ImportError:  # pragma: no cover - neither POSIX nor Windows
            raise NoLock("no file locks on this platform") from None
        while True:
            try:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
                return
            except OSError:
                if time.monotonic() >= deadline:
                    raise NoLock("the summary of this step is locked by another run") from None
                time.sleep(0.05)
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError:
            if time.monotonic() >= deadline:
                raise NoLock("the summary of this step is locked by another run") from None
            time.sleep(0.05)


def _read_bounded(path: str, limit: int) -> str | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        return ""
    if len(data) > limit:
        return None
    return data.decode("utf-8", errors="replace")


class _State:
    """The findings of the earlier runs of this step, and how many annotations they printed."""

    def __init__(self) -> None:
        self.runs = 0
        self.files = 0
        self.images = 0
        self.annotated: dict[Severity, int] = dict.fromkeys(Severity, 0)
        self.left_out = 0
        self.rules: dict[str, str] = {}
        self.diagnostics: list[Diagnostic] = []

    @classmethod
    def load(cls, handle: IO[bytes]) -> _State:
        state = cls()
        handle.seek(0)
        data = handle.read(MAX_STATE_BYTES + 1)
        if not data or len(data) > MAX_STATE_BYTES:
            return state
        try:
            document = json.loads(data.decode("utf-8"))
            if document.get("version") != STATE_VERSION:
                return state
            state.runs = int(document["runs"])
            state.files = int(document["files"])
            state.images = int(document["images"])
            state.left_out = int(document["left_out"])
            state.annotated = {s: int(document["annotated"].get(s.label, 0)) for s in Severity}
            state.rules = {str(code): str(name) for code, name in document["rules"].items()}
            state.diagnostics = [_diagnostic(entry) for entry in document["diagnostics"]]
        except (ValueError, KeyError, TypeError, AttributeError):
            return cls()  # not a state this version wrote: start over
        return state

    def add(self, report: Report, selection: _github.Selection) -> None:
        self.runs += 1
        self.files += report.files_checked
        self.images += report.images_checked
        self.annotated = dict(selection.used)
        self.left_out += len(selection.left_out)
        for code, info in report.rules.items():
            self.rules.setdefault(code, info.name)
        seen = set(self.diagnostics)
        for diagnostic in report.diagnostics:
            if diagnostic not in seen:  # the same file named by two runs counts once
                seen.add(diagnostic)
                self.diagnostics.append(diagnostic)

    def save(self, handle: IO[bytes]) -> None:
        document = {
            "version": STATE_VERSION,
            "runs": self.runs,
            "files": self.files,
            "images": self.images,
            "left_out": self.left_out,
            "annotated": {severity.label: count for severity, count in self.annotated.items()},
            "rules": self.rules,
            "diagnostics": [_entry(d) for d in self.diagnostics],
        }
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(document, ensure_ascii=False).encode("utf-8"))
        handle.flush()

    def report(self, template: Report) -> Report:
        from pulllint.reporters._types import RuleInfo

        rules = {
            code: template.rules.get(code) or RuleInfo(code, name, Severity.INFO, name, "")
            for code, name in self.rules.items()
        }
        return template._replace(
            diagnostics=self.diagnostics, rules=rules, files_checked=self.files, images_checked=self.images
        )


def _entry(diagnostic: Diagnostic) -> list[Any]:
    return [
        diagnostic.severity.label if f == "severity" else getattr(diagnostic, f) for f in Diagnostic._fields
    ]


def _diagnostic(entry: Any) -> Diagnostic:
    if not isinstance(entry, list) or len(entry) != len(Diagnostic._fields):
        raise ValueError("not a diagnostic")
    values = dict(zip(Diagnostic._fields, entry, strict=True))
    values["severity"] = _SEVERITIES[values["severity"]]
    return Diagnostic(**values)


def _note(state: _State) -> str | None:
    notes = []
    if state.runs > 1:
        notes.append(f"Combined from {state.runs} pulllint runs of this step (pre-commit batches).")
    if state.left_out:
        notes.append(
            f"{state.left_out} of the findings are not annotated in the code (GitHub's limit per step); "
            "all of them are listed below."
        )
    return " ".join(notes) or None


def _replace_section(summary_path: str, key: str, section_for: Any) -> None:
    """Put our section (between the run's markers) into the summary file, keeping everything else."""
    begin, end = _markers(key)
    text = _read_bounded(summary_path, MAX_SUMMARY_BYTES)
    if text is None:
        raise OSError(f"{summary_path} is larger than {MAX_SUMMARY_BYTES} bytes")
    start = text.find(begin)
    stop = text.find(end, start) if start >= 0 else -1
    if start >= 0 and stop >= 0:
        before, after = text[:start], text[stop + len(end) :].lstrip("\n")
    else:
        before, after = text, ""
    if before and not before.endswith("\n"):
        before += "\n"
    room = SUMMARY_LIMIT - len((before + after).encode("utf-8")) - len(begin) - len(end) - 4
    section = f"{begin}\n{section_for(max(room, 2000))}{end}\n"
    with open(summary_path, "w", encoding="utf-8") as handle:
        handle.write(before + section + after)


def _merged(report: Report, options: RenderOptions, summary_path: str, state_dir: str | None) -> str:
    key = run_key(summary_path)
    # RUNNER_TEMP on a runner; elsewhere the summary file's own folder (not a shared temp folder).
    directory = state_dir or os.path.dirname(os.path.abspath(summary_path))
    state_path = os.path.join(directory, f"pulllint-step-{key}.json")
    with _locked(state_path, LOCK_TIMEOUT) as handle:
        summary = _read_bounded(summary_path, MAX_SUMMARY_BYTES) or ""
        # A state whose section is no longer in the summary file belongs to a run that is over.
        state = _State.load(handle) if _markers(key)[0] in summary else _State()
        landed, selection, for_summary = _github.select(
            report, options._replace(already_annotated=state.annotated)
        )
        output = _github.render_selection(landed, options, selection, summary=True)
        state.add(landed._replace(diagnostics=for_summary), selection)
        combined = state.report(landed)
        plain = options._replace(root=None)  # already landed
        _replace_section(
            summary_path,
            key,
            lambda room: _markdown.render(combined, plain, max_bytes=room, note=_note(state)),
        )
        state.save(handle)
    return output


def _partial(report: Report, options: RenderOptions, summary_path: str) -> str:
    landed, selection, for_summary = _github.select(report, options)
    output = _github.render_selection(landed, options, selection, summary=True)
    landed = landed._replace(diagnostics=for_summary)
    note = (
        "This section covers one pulllint run only: other runs of this step (pre-commit batches) wrote "
        "sections of their own."
    )
    section = _markdown.render(landed, options._replace(root=None), max_bytes=SUMMARY_LIMIT, note=note)
    with open(summary_path, "a", encoding="utf-8") as handle:
        handle.write(section + "\n")
    return output


def publish(
    report: Report,
    environ: Mapping[str, str] | None = None,
    *,
    options: RenderOptions | None = None,
    state_dir: str | None = None,
    **changes: Any,
) -> str:
    """The github format of `report` for this step (see the module docstring); writes the job summary.

    `options`/`changes` as for `render`. A summary that cannot be written becomes a `::warning`.
    """
    env = os.environ if environ is None else environ
    opts = (options or DEFAULT_OPTIONS)._replace(**changes)
    report = clean_report(report)
    summary_path = env.get("GITHUB_STEP_SUMMARY", "")
    if not summary_path:
        return _github.render(report, opts)
    directory = state_dir or env.get("RUNNER_TEMP") or None
    try:
        try:
            return _merged(report, opts, summary_path, directory)
        except NoLock:
            return _partial(report, opts, summary_path)
    except OSError as error:
        warning = _github.escape_data(f"cannot write the job summary to {summary_path}: {error}")
        return _github.render(report, opts) + f"::warning title=pulllint::{warning}\n"
