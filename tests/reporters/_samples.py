"""Sample diagnostics and reports shared by the reporter tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import Report, RuleInfo

# An error at one span of one file, with no image, object, template or fix.
BASE = Diagnostic(
    code="PL001",
    rule_name="image-not-found",
    severity=Severity.ERROR,
    message="image 'nginx:lates' not found",
    path="k8s/web.yaml",
    line=12,
    column=16,
    end_line=12,
    end_column=27,
)
# The same error, about an image of an object.
WITH_IMAGE = BASE._replace(image="nginx:lates", object_id="Deployment/default/web")


def diag(**changes: Any) -> Diagnostic:
    """`BASE` with `changes`."""
    return BASE._replace(**changes)


def diag_with_image(**changes: Any) -> Diagnostic:
    """`WITH_IMAGE` with `changes`."""
    return WITH_IMAGE._replace(**changes)


def make_report(
    diagnostics: Sequence[Diagnostic],
    rules: Mapping[str, RuleInfo] | None = None,
    *,
    files: int,
    images: int,
    tool_version: str = "0.1.0",
) -> Report:
    """A report of `diagnostics` (no rules unless given) over `files` files and `images` images."""
    return Report(
        diagnostics,
        {} if rules is None else rules,
        files_checked=files,
        images_checked=images,
        tool_version=tool_version,
    )
