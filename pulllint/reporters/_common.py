"""Helpers shared by the format modules: ordering, counting, the summary line, paths and fingerprints."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import Report

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
    """The path with forward slashes (Windows separators converted), as CI systems expect."""
    return path.replace("\\", "/")


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

    return hashlib.sha256(data.encode("utf-8")).hexdigest()


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
