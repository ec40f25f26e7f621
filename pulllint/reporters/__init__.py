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

from collections.abc import Mapping
from typing import Any

from pulllint.reporters._types import (
    DEFAULT_OPTIONS,
    FORMATS,
    LANDING_FORMATS,
    AnnotationLimits,
    RenderOptions,
    Report,
    RuleInfo,
)

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
