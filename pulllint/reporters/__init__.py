"""Output formats: turn a `Report` (diagnostics plus plain rule metadata) into text for a file or a terminal.

Reporters know nothing about rules: they receive `Diagnostic`s and, for formats that describe the rules
(SARIF), a `RuleInfo` per rule code. Each format lives in its own private module, imported only when
`render` is asked for it, so importing this package stays cheap (no json/xml/hashlib at import time).

Every format returns the complete document as a `str` ending with a newline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from pulllint.diagnostics import Diagnostic, Severity

__all__ = ["FORMATS", "Report", "RuleInfo", "render"]


class RuleInfo(NamedTuple):
    """What a reporter may know about a rule: identity, default severity and documentation."""

    code: str
    name: str
    severity: Severity
    summary: str
    # Markdown documentation of the rule (why it matters, how to fix it).
    help_text: str
    help_uri: str | None = None


class Report(NamedTuple):
    """Everything a reporter formats: the diagnostics of one run and what that run covered."""

    diagnostics: Sequence[Diagnostic]
    # Every rule that ran, by code (not only those that reported something).
    rules: Mapping[str, RuleInfo]
    files_checked: int
    images_checked: int
    tool_version: str


FORMATS: tuple[str, ...] = ("text", "json", "sarif", "github", "gitlab", "junit", "markdown")


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """Format `report` as `fmt` (one of `FORMATS`); `color` only affects the text format.

    Raises ValueError for an unknown format.
    """
    if fmt == "text":
        from pulllint.reporters import _text

        return _text.render(report, color=color)
    if fmt == "json":
        from pulllint.reporters import _json

        return _json.render(report)
    if fmt == "sarif":
        from pulllint.reporters import _sarif

        return _sarif.render(report)
    if fmt == "github":
        from pulllint.reporters import _github

        return _github.render(report)
    if fmt == "gitlab":
        from pulllint.reporters import _gitlab

        return _gitlab.render(report)
    if fmt == "junit":
        from pulllint.reporters import _junit

        return _junit.render(report)
    if fmt == "markdown":
        from pulllint.reporters import _markdown

        return _markdown.render(report)
    raise ValueError(f"unknown output format {fmt!r} (expected one of: {', '.join(FORMATS)})")
