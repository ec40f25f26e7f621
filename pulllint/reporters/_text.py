"""Human-readable output: one line per diagnostic, then a summary line.

    k8s/web.yaml:12:16: PL001 error image 'nginx:lates' not found [template: web/templates/deploy.yaml]
    Found 1 problem (1 error) in 1 file; 3 images checked.

Diagnostics are sorted by path, line, column and code. With `color=True` the code is bold and the
severity coloured (ANSI escapes); otherwise the output is plain text.
"""

from __future__ import annotations

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import Report
from pulllint.reporters._common import by_location, summary_line

_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"
_SEVERITY_COLORS: dict[Severity, str] = {
    Severity.ERROR: "\x1b[1;31m",  # bold red
    Severity.WARNING: "\x1b[33m",  # yellow
    Severity.INFO: "\x1b[36m",  # cyan
}


def format_line(diagnostic: Diagnostic, *, color: bool = False) -> str:
    code = diagnostic.code
    severity = diagnostic.severity.label
    if color:
        code = f"{_BOLD}{code}{_RESET}"
        severity = f"{_SEVERITY_COLORS[diagnostic.severity]}{severity}{_RESET}"
    line = f"{diagnostic.path}:{diagnostic.line}:{diagnostic.column}: {code} {severity} {diagnostic.message}"
    if diagnostic.template:
        line += f" [template: {diagnostic.template}]"
    return line


def render(report: Report, *, color: bool = False) -> str:
    lines = [format_line(diagnostic, color=color) for diagnostic in by_location(report.diagnostics)]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
