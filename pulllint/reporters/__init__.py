"""Output formats: turn a `Report` (diagnostics plus plain rule metadata) into text for a file or a terminal.

Reporters know nothing about rules: they receive `Diagnostic`s and, for formats that describe the rules
(SARIF), a `RuleInfo` per rule code. Each format lives in its own private module, imported only when
`render` is asked for it, so importing this package stays cheap (no json/xml/hashlib at import time).

Every format returns the complete document as a `str` ending with a newline, always encodable as UTF-8.
`RenderOptions` say where the report lands: the repository root that the github, gitlab, junit, markdown
and sarif formats make paths relative to (and in which Helm findings are moved to their template, see
`helm_templates`), the `--fail-on` severity for junit, the width and fixes of the text format, GitHub's
annotation limits. `github_step.publish` is the github format inside a GitHub Actions step: it also
writes one job summary per step, however many batches pre-commit runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from pulllint.diagnostics import Diagnostic, Severity

__all__ = [
    "DEFAULT_OPTIONS",
    "FORMATS",
    "LANDING_FORMATS",
    "AnnotationLimits",
    "RenderOptions",
    "Report",
    "RuleInfo",
    "render",
    "repository_root",
]


class RuleInfo(NamedTuple):
    """What a reporter may know about a rule: identity, default severity and documentation."""

    code: str
    name: str
    severity: Severity
    summary: str
    # Markdown documentation of the rule (why it matters, how to fix it).
    help_text: str
    help_uri: str | None = None
    # SARIF rule properties; empty/None: derived from the code's group (see reporters._sarif).
    tags: tuple[str, ...] = ()
    precision: str | None = None  # "very-high" | "high" | "medium" | "low"
    security_severity: float | None = None  # 0.0-10.0, GitHub's security severity


class Report(NamedTuple):
    """Everything a reporter formats: the diagnostics of one run and what that run covered."""

    diagnostics: Sequence[Diagnostic]
    # Every rule that ran, by code (not only those that reported something).
    rules: Mapping[str, RuleInfo]
    files_checked: int
    images_checked: int
    tool_version: str


FORMATS: tuple[str, ...] = ("text", "json", "sarif", "github", "gitlab", "junit", "markdown")
# The formats whose paths a CI system resolves against the repository (see `RenderOptions.root`).
LANDING_FORMATS = frozenset({"github", "gitlab", "junit", "markdown", "sarif"})


class AnnotationLimits(NamedTuple):
    """How many workflow-command annotations GitHub shows: per kind and step, and per job.

    Documented in actions/toolkit (docs/problem-matchers.md): 10 error, 10 warning and 10 notice
    annotations per step, 50 per job; the rest are dropped without a word.
    """

    per_kind: int = 10
    per_job: int = 50


class RenderOptions(NamedTuple):
    """How a report is rendered, beyond its format. Every field has a default that is right on a desk."""

    # The repository root (absolute), see `repository_root()`. The github, gitlab, junit, markdown and
    # sarif formats give paths relative to it and move Helm findings to their template in it; None: paths
    # as given (without `./`) and no template lookup.
    root: str | None = None
    # junit: findings at or above it are failures, the others are listed as output of passing cases.
    fail_on: Severity = Severity.ERROR
    # text: the suggested fix on an indented line under the finding.
    show_fixes: bool = True
    # text: the width a line should fit (a terminal's columns).
    width: int = 100
    # Helm chart folders where templates are looked for first (`--chart-dir`).
    chart_dirs: tuple[str, ...] = ()
    # The text read from standard input, when kept: finds template lines of `helm template ... | pulllint`.
    stdin_text: str | None = None
    # The name standard input ("-") is reported under (e.g. the rendered file's path); None: "-".
    stdin_name: str | None = None
    # github: where the complete report is also written (named in the notice about dropped annotations).
    sarif_file: str | None = None
    # github: what GitHub shows, and how many annotations of each kind earlier batches already printed.
    limits: AnnotationLimits = AnnotationLimits()
    already_annotated: Mapping[Severity, int] | None = None


# The defaults (immutable): what `render` uses when no options are given.
DEFAULT_OPTIONS = RenderOptions()


def repository_root(cwd: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """`GITHUB_WORKSPACE`, else `CI_PROJECT_DIR`, else the git root above `cwd`, else `cwd` (absolute)."""
    from pulllint.reporters._common import repository_root as find

    return find(cwd, environ)


def render(
    report: Report,
    fmt: str,
    *,
    color: bool = False,
    options: RenderOptions | None = None,
    **changes: Any,
) -> str:
    """Format `report` as `fmt` (one of `FORMATS`); `color` only affects the text format.

    `options` (or keyword arguments naming its fields: `render(report, "junit", fail_on=...)`) say where
    the report lands. The result is always encodable as UTF-8: file names that are not UTF-8 (lone
    surrogates from the file system) are written as escapes.

    Raises ValueError for an unknown format or option.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    unknown = set(changes) - set(RenderOptions._fields)
    if unknown:
        raise ValueError(f"unknown render option(s): {', '.join(sorted(unknown))}")
    opts = (options or DEFAULT_OPTIONS)._replace(**changes)
    from pulllint.reporters._common import clean_report

    report = clean_report(report)
    if fmt == "text":
        from pulllint.reporters import _text

        return _text.render(report, opts, color=color)
    if fmt == "json":
        from pulllint.reporters import _json

        return _json.render(report, opts)
    if fmt == "sarif":
        from pulllint.reporters import _sarif

        return _sarif.render(report, opts)
    if fmt == "github":
        from pulllint.reporters import _github

        return _github.render(report, opts)
    if fmt == "gitlab":
        from pulllint.reporters import _gitlab

        return _gitlab.render(report, opts)
    if fmt == "junit":
        from pulllint.reporters import _junit

        return _junit.render(report, opts)
    from pulllint.reporters import _markdown

    return _markdown.render(report, opts)
