"""Where each finding lands for a CI system: repository-relative paths, Helm findings on their template.

A CI system attaches a finding to a file of the repository only when its path is relative to the
repository root, without `./` (GitHub drops annotations on `./k8s/web.yaml` or `../x.yaml`, GitLab's Code
Quality widget does not match them). With `RenderOptions.root` set, every path is made relative to it
(see `landing_path`), and a finding in `helm template` output is moved to the line of the chart
template it came from (`helm_templates.TemplateLocator`), keeping where it was rendered in the message.
Standard input becomes `RenderOptions.stdin_name` when the caller gives one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from pulllint.diagnostics import Diagnostic
from pulllint.reporters._common import STDIN_PATH, landing_path
from pulllint.reporters._types import RenderOptions


class Landed(NamedTuple):
    """A finding where it lands, and, when it was moved to its template, the finding as rendered."""

    diagnostic: Diagnostic
    rendered: Diagnostic | None = None


def _rename_stdin(diagnostic: Diagnostic, options: RenderOptions) -> Diagnostic:
    if diagnostic.path == STDIN_PATH and options.stdin_name:
        return diagnostic._replace(path=options.stdin_name)
    return diagnostic


def land(diagnostics: Iterable[Diagnostic], options: RenderOptions) -> list[Landed]:
    """Every diagnostic where it lands (same order)."""
    root = options.root
    locator = None
    result: list[Landed] = []
    for original in diagnostics:
        found = None
        if root is not None and original.template and original.image is not None:
            if locator is None:
                from pulllint.reporters.helm_templates import TemplateLocator

                locator = TemplateLocator(options.chart_dirs, root, options.stdin_text)
            found = locator.find(original)
        named = _rename_stdin(original, options)
        rendered = named._replace(path=landing_path(named.path, root))
        if found is None:
            result.append(Landed(rendered))
            continue
        from pulllint.reporters.helm_templates import moved

        path, line = found
        where = "standard input" if rendered.path == STDIN_PATH else rendered.path
        result.append(Landed(moved(rendered, landing_path(str(path), root), line, where), rendered))
    return result


def landed(diagnostics: Iterable[Diagnostic], options: RenderOptions) -> list[Diagnostic]:
    return [entry.diagnostic for entry in land(diagnostics, options)]
