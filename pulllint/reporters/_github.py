"""GitHub Actions workflow commands: one annotation per diagnostic, then the text summary line.

    ::error file=k8s/web.yaml,line=12,col=16,endLine=12,endColumn=27,title=PL001 image-not-found::message

error -> `::error`, warning -> `::warning`, info -> `::notice`. GitHub shows only the first few annotations
of each kind per step, so the most severe come first, then by location. Values are escaped as
@actions/core does: in the message `%`, CR and LF; in properties also `:` and `,`. When the document was
rendered from a Helm template, the message ends with ` [template: PATH]`. Diagnostics read from standard
input ("-") have no file, so they become annotations without a location.
"""

from __future__ import annotations

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import Report
from pulllint.reporters._common import STDIN_PATH, posix_path, summary_line

COMMANDS: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _properties(diagnostic: Diagnostic) -> list[tuple[str, str]]:
    properties: list[tuple[str, str]] = []
    if diagnostic.path != STDIN_PATH:
        properties.append(("file", posix_path(diagnostic.path)))
        if diagnostic.line >= 1:
            properties.append(("line", str(diagnostic.line)))
            if diagnostic.column >= 1:
                properties.append(("col", str(diagnostic.column)))
            properties.append(("endLine", str(max(diagnostic.end_line, diagnostic.line))))
            if diagnostic.end_column >= 1:
                properties.append(("endColumn", str(diagnostic.end_column)))
    properties.append(("title", f"{diagnostic.code} {diagnostic.rule_name}"))
    return properties


def format_command(diagnostic: Diagnostic) -> str:
    properties = ",".join(f"{key}={escape_property(value)}" for key, value in _properties(diagnostic))
    message = diagnostic.message
    if diagnostic.template:
        message += f" [template: {diagnostic.template}]"
    return f"::{COMMANDS[diagnostic.severity]} {properties}::{escape_data(message)}"


def render(report: Report) -> str:
    ordered = sorted(report.diagnostics, key=lambda d: (-d.severity, *d.sort_key, d.message))
    lines = [format_command(diagnostic) for diagnostic in ordered]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
