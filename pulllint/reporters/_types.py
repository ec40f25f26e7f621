"""The data of the reporters package: what a report holds and how it is rendered (re-exported by it).

Kept apart from the package's `__init__` so that the format modules, which the package imports lazily,
never import the package back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from pulllint.diagnostics import Diagnostic, Severity


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
    # text: the closing summary lines (`--quiet` prints the findings only).
    show_summary: bool = True
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
