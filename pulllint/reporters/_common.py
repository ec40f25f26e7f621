"""Helpers shared by the format modules: ordering, counting, the summary line, paths and fingerprints."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence

from pulllint.config import git_root
from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters._types import Report

# The path the loader gives to documents read from standard input.
STDIN_PATH = "-"

SEVERITIES_DESC: tuple[Severity, ...] = (Severity.ERROR, Severity.WARNING, Severity.INFO)


def by_location(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by path, line, column, code (then message, so equal locations are still deterministic)."""
    return sorted(diagnostics, key=lambda d: (*d.sort_key, d.message))


def count_by_severity(diagnostics: Iterable[Diagnostic]) -> dict[Severity, int]:
    counts = dict.fromkeys(SEVERITIES_DESC, 0)
    for diagnostic in diagnostics:
        counts[diagnostic.severity] += 1
    return counts


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(report: Report) -> str:
    """`Found 3 problems (1 error, 2 warnings) in 2 files; 5 images checked.` (files = files checked)."""
    where = f"in {plural(report.files_checked, 'file')}; {plural(report.images_checked, 'image')} checked."
    total = len(report.diagnostics)
    if total == 0:
        return f"No problems found {where}"
    counts = count_by_severity(report.diagnostics)
    parts = [plural(counts[severity], severity.label) for severity in SEVERITIES_DESC if counts[severity]]
    return f"Found {plural(total, 'problem')} ({', '.join(parts)}) {where}"


def posix_path(path: str) -> str:
    """The path with forward slashes (Windows separators converted), as CI systems expect; the escape
    of a file name's byte that is not UTF-8 (`\\xff`, always 0x80 or above) is kept."""
    return _SEPARATOR.sub("/", path) if "\\" in path else path


_SEPARATOR = re.compile(r"\\(?!x[89a-fA-F][0-9a-fA-F])")


# References to positions inside messages ("line 12", "values.yaml:12:3"): left out of fingerprints so
# that a finding keeps its identity when the manifest gains or loses lines above it.
_LINE_WORDS = re.compile(r"\b(lines?|columns?|col|ln)(\s*)\d+(\s*[-\u2013]\s*\d+)?", re.IGNORECASE)
_FILE_POSITIONS = re.compile(r"(\.(?:ya?ml|json|tpl|txt)):\d+(?::\d+)?\b", re.IGNORECASE)


def message_without_positions(message: str) -> str:
    return _FILE_POSITIONS.sub(r"\1:N", _LINE_WORDS.sub(r"\1\2N", message))


def stable_hash(*parts: str | None) -> str:
    """sha256 (hex) of the parts, NUL-separated, with None as the empty string."""
    data = "\0".join(part or "" for part in parts)
    import hashlib  # only the formats with fingerprints need it

    return hashlib.sha256(data.encode("utf-8", "surrogateescape")).hexdigest()


def disambiguate(base_fingerprints: Sequence[str]) -> list[str]:
    """Make fingerprints unique in order: the n-th (n >= 2) repeat of a value becomes hash(value, n).

    Call with diagnostics in a deterministic order (by location) so repeats get the same suffix each run.
    """
    seen: dict[str, int] = {}
    used = set(base_fingerprints)
    result: list[str] = []
    for base in base_fingerprints:
        occurrence = seen.get(base, 0) + 1
        seen[base] = occurrence
        if occurrence == 1:
            result.append(base)
            continue
        candidate = stable_hash(base, str(occurrence))
        while candidate in used:  # pragma: no cover - sha256 collision with another finding
            candidate = stable_hash(candidate)
        used.add(candidate)
        result.append(candidate)
    return result


# -- text that is always valid UTF-8 ---------------------------------------------------------------------

# A lone surrogate: what Python's file-system decoding (surrogateescape) makes of a byte that is not UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    point = ord(match.group())
    if 0xDC80 <= point <= 0xDCFF:  # an undecodable byte 0x80..0xFF, kept by surrogateescape
        return f"\\x{point - 0xDC00:02x}"
    return f"\\u{point:04x}"


def clean_text(text: str) -> str:
    """`text` with every lone surrogate written as an escape (`\\xe9` for the byte 0xE9 of a file name that
    is not UTF-8), so that the output can always be encoded as UTF-8."""
    return _SURROGATE.sub(_escape_surrogate, text) if _SURROGATE.search(text) else text


def _clean_optional(text: str | None) -> str | None:
    return None if text is None else clean_text(text)


def clean_diagnostic(diagnostic: Diagnostic) -> Diagnostic:
    return diagnostic._replace(
        code=clean_text(diagnostic.code),
        rule_name=clean_text(diagnostic.rule_name),
        message=clean_text(diagnostic.message),
        path=clean_text(diagnostic.path),
        template=_clean_optional(diagnostic.template),
        image=_clean_optional(diagnostic.image),
        object_id=_clean_optional(diagnostic.object_id),
        fix=_clean_optional(diagnostic.fix),
    )


# -- paths that land in the repository -------------------------------------------------------------------


def repository_root(cwd: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The folder CI systems resolve report paths against (absolute).

    `GITHUB_WORKSPACE` on GitHub Actions, `CI_PROJECT_DIR` on GitLab CI, else the nearest folder above
    `cwd` (default: the working directory) that holds a `.git` entry (a folder, or the file of a worktree
    or submodule), else `cwd` itself.
    """
    env = os.environ if environ is None else environ
    start = os.path.abspath(cwd or os.getcwd())
    for name in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR"):
        value = env.get(name, "")
        if value and os.path.isdir(value):
            return os.path.abspath(value)
    return git_root(start) or start


def _relative(path: str, root: str) -> str | None:
    try:
        relative = os.path.relpath(path, root)
    except ValueError:  # another drive (Windows)
        return None
    if relative == os.curdir or relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return relative


def landing_path(path: str, root: str | None) -> str:
    """The path a CI system attaches to the repository's file: relative to `root`, forward slashes, no
    `./` (`k8s/web.yaml`, also for `./k8s/web.yaml` or, run from `k8s/`, `../k8s/web.yaml`).

    A path outside `root` stays absolute; standard input ("-") stays "-". Without `root`, the path as
    given with `./` prefixes and `.` segments removed.
    """
    if path == STDIN_PATH:
        return path
    if root is None:
        cleaned = posix_path(path)
        parts = [part for part in cleaned.split("/") if part not in ("", ".")]
        if not parts:
            return cleaned
        prefix = "//" if cleaned.startswith("//") else "/" if cleaned.startswith("/") else ""
        return prefix + "/".join(parts)
    absolute = os.path.abspath(path)
    relative = _relative(absolute, root)
    if relative is None:  # symbolic links (macOS /tmp -> /private/tmp, a workspace behind a link)
        relative = _relative(os.path.realpath(absolute), os.path.realpath(root))
    return posix_path(relative if relative is not None else absolute)


def _needs_cleaning(values: Iterable[object]) -> bool:
    return any(isinstance(value, str) and _SURROGATE.search(value) for value in values)


def clean_report(report: Report) -> Report:
    """`report` with every text valid for UTF-8 (see `clean_text`); the same object when nothing needs it."""
    dirty_diagnostics = any(_needs_cleaning(d) for d in report.diagnostics)
    dirty_rules = any(
        _needs_cleaning((code, info.name, info.summary, info.help_text, info.help_uri))
        for code, info in report.rules.items()
    )
    if not dirty_diagnostics and not dirty_rules and not _needs_cleaning((report.tool_version,)):
        return report
    rules = {
        clean_text(code): info._replace(
            code=clean_text(info.code),
            name=clean_text(info.name),
            summary=clean_text(info.summary),
            help_text=clean_text(info.help_text),
            help_uri=_clean_optional(info.help_uri),
        )
        for code, info in report.rules.items()
    }
    return report._replace(
        diagnostics=[clean_diagnostic(d) for d in report.diagnostics],
        rules=rules,
        tool_version=clean_text(report.tool_version),
    )
