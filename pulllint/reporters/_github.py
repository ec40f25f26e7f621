"""GitHub Actions workflow commands: annotations, most severe first, as many as GitHub shows.

    ::error file=k8s/web.yaml,line=12,col=16,endLine=12,endColumn=27,title=PL001 image-not-found::message

error -> `::error`, warning -> `::warning`, info -> `::notice`. Values are escaped as @actions/core does:
in the message `%`, CR and LF; in properties also `:` and `,`.

* Paths are relative to the repository root (`RenderOptions.root`; no `./`), which is what GitHub
  attaches to the pull request's files; a finding in `helm template` output is annotated on its
  template's line (see reporters._landing). An unmapped Helm finding's message ends with
  ` [template: PATH]`. Findings read from standard input ("-") become annotations without a file.
* GitHub shows 10 annotations of each kind per step and 50 per job, and drops the rest silently
  (`AnnotationLimits`). Annotations come most severe first, then by location, up to those limits
  (less what `RenderOptions.already_annotated` says earlier batches of the same step printed); when
  findings are left out, one `::notice` says how many and where to read them (the job summary, the
  SARIF file), and they follow as plain log lines.
* Last comes the text summary line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters._common import STDIN_PATH, plural, posix_path, summary_line
from pulllint.reporters._types import DEFAULT_OPTIONS, AnnotationLimits, RenderOptions, Report

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


def most_severe_first(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=lambda d: (-d.severity, *d.sort_key, d.message))


class Selection:
    """Which findings are annotated within GitHub's limits, and which are left to the log.

    Most severe first; when anything is left out, one notice about it must fit too, so the least severe
    annotation gives way to it when the limits are reached.
    """

    def __init__(
        self,
        diagnostics: Sequence[Diagnostic],
        limits: AnnotationLimits,
        already: Mapping[Severity, int] | None = None,
    ) -> None:
        used = {severity: (already or {}).get(severity, 0) for severity in COMMANDS}
        annotated: list[Diagnostic] = []
        left_out: list[Diagnostic] = []
        for diagnostic in most_severe_first(diagnostics):
            if used[diagnostic.severity] < limits.per_kind and sum(used.values()) < limits.per_job:
                annotated.append(diagnostic)
                used[diagnostic.severity] += 1
            else:
                left_out.append(diagnostic)

        def room() -> bool:
            return used[Severity.INFO] < limits.per_kind and sum(used.values()) < limits.per_job

        if left_out and not room() and annotated:
            # Full of notices: this batch's last info gives way; a full job: the least severe annotation.
            infos = [d for d in annotated if d.severity == Severity.INFO]
            notices_full = used[Severity.INFO] >= limits.per_kind
            given_way = (infos[-1] if infos else None) if notices_full else annotated[-1]
            if given_way is not None:
                annotated.remove(given_way)
                used[given_way.severity] -= 1
                left_out = most_severe_first([given_way, *left_out])
        self.notice = bool(left_out) and room()
        if self.notice:
            used[Severity.INFO] += 1
        self.annotated = annotated
        self.left_out = left_out
        # Annotations of each kind printed by now, this batch's included (the notice counts as info).
        self.used = used


def _notice(left_out: int, limits: AnnotationLimits, options: RenderOptions, summary: bool) -> str:
    places = (["the job summary"] if summary else []) + (
        [f"the SARIF report {options.sarif_file}"] if options.sarif_file else []
    )
    places.append("the lines below in this log")
    where = ", ".join(places[:-1]) + (" and " if len(places) > 1 else "") + places[-1]
    text = (
        f"{plural(left_out, 'more finding')} not annotated: GitHub shows {limits.per_kind} error, "
        f"{limits.per_kind} warning and {limits.per_kind} notice annotations per step "
        f"({limits.per_job} per job). Every finding is in {where}."
    )
    return f"::notice title=pulllint::{escape_data(text)}"


def render_selection(
    report: Report, options: RenderOptions, selection: Selection, *, summary: bool = False
) -> str:
    from pulllint.reporters._text import format_line

    lines = [format_command(diagnostic) for diagnostic in selection.annotated]
    if selection.left_out:
        if selection.notice:
            lines.append(_notice(len(selection.left_out), options.limits, options, summary))
        lines.append(f"Not annotated ({len(selection.left_out)}):")
        lines += [format_line(diagnostic) for diagnostic in selection.left_out]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def select(report: Report, options: RenderOptions) -> tuple[Report, Selection, list[Diagnostic]]:
    """The report where it lands (paths, templates), the annotations GitHub will show of it, and its
    findings for the job summary (those moved to their template keep the `# Source:` name)."""
    from pulllint.reporters._landing import land

    entries = land(report.diagnostics, options)
    landed_report = report._replace(diagnostics=[entry.diagnostic for entry in entries])
    for_summary = [
        entry.diagnostic._replace(template=entry.rendered.template) if entry.rendered else entry.diagnostic
        for entry in entries
    ]
    selection = Selection(landed_report.diagnostics, options.limits, options.already_annotated)
    return landed_report, selection, for_summary


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    landed_report, selection, _ = select(report, options)
    return render_selection(landed_report, options, selection)
