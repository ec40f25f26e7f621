"""Markdown summary (GitHub job summary, merge request comments): counts, then every finding.

    ### pulllint
    Found 3 problems (2 errors, 1 warning) in 2 files; 4 images checked.

    | rule | name | error | warning | info | total |
    ...
    | severity | file | line | rule | image | message | fix |
    ...

The counts table has one row per rule that reported something (by code) and a total row. The findings
table holds every diagnostic, most severe first, then by location (the order of the `github`
annotations, which GitHub truncates: the summary is where all of them can be read). Paths are relative to
the repository root (`RenderOptions.root`), and a finding in `helm template` output is shown at its
template's line (see reporters._landing); the file cell also names the template as `# Source:` does.

Cells are escaped so that a message can never break the table or inject markup: `|` and Markdown
punctuation are backslash-escaped, `&` becomes `&amp;`, line breaks become `<br>`; paths and images are
code spans (with `|` escaped, which GitHub's tables require even inside code spans).

`render(report, max_bytes=N)` keeps the document under N bytes of UTF-8 by leaving out the last rows of the
findings table and saying how many were left out (GitHub refuses a job summary over 1 MiB). `note` is a
line of plain text printed under the summary line (e.g. that the summary covers one batch only).
"""

from __future__ import annotations

import re

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters._common import SEVERITIES_DESC, STDIN_PATH, posix_path, summary_line
from pulllint.reporters._types import DEFAULT_OPTIONS, RenderOptions, Report

_ICONS: dict[Severity, str] = {Severity.ERROR: "🔴", Severity.WARNING: "🟡", Severity.INFO: "🔵"}
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<>|~])")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_BACKTICKS = re.compile(r"`+")


def text_cell(text: str | None) -> str:
    """Plain text for a table cell: markup escaped, line breaks as `<br>`."""
    if not text:
        return ""
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text.replace("&", "&amp;"))
    return "<br>".join(_LINE_BREAKS.split(escaped))


def code_cell(text: str | None) -> str:
    """A code span for a table cell: a fence longer than any run of backticks inside, `|` escaped."""
    if not text:
        return ""
    text = _LINE_BREAKS.sub(" ", text)
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`"):
        text = f" {text} "
    text = text.replace("|", "\\|")
    return f"{fence}{text}{fence}"


def _file_cell(diagnostic: Diagnostic) -> str:
    where = "standard input" if diagnostic.path == STDIN_PATH else code_cell(diagnostic.path)
    if diagnostic.template:
        where += f"<br>template: {code_cell(posix_path(diagnostic.template))}"
    return where


def _finding_row(diagnostic: Diagnostic) -> str:
    cells = [
        f"{_ICONS[diagnostic.severity]} {diagnostic.severity.label}",
        _file_cell(diagnostic),
        str(diagnostic.line) if diagnostic.line >= 1 else "",
        diagnostic.code,
        code_cell(diagnostic.image),
        text_cell(diagnostic.message),
        text_cell(diagnostic.fix),
    ]
    return "| " + " | ".join(cells) + " |"


def _counts(report: Report) -> list[str]:
    per_rule: dict[str, dict[Severity, int]] = {}
    names: dict[str, str] = {}
    for diagnostic in report.diagnostics:
        counts = per_rule.setdefault(diagnostic.code, dict.fromkeys(SEVERITIES_DESC, 0))
        counts[diagnostic.severity] += 1
        names.setdefault(diagnostic.code, diagnostic.rule_name)
    lines = [
        "| rule | name | " + " | ".join(s.label for s in SEVERITIES_DESC) + " | total |",
        "|---|---|" + "--:|" * (len(SEVERITIES_DESC) + 1),
    ]
    totals = dict.fromkeys(SEVERITIES_DESC, 0)
    for code in sorted(per_rule):
        counts = per_rule[code]
        info = report.rules.get(code)
        name = info.name if info is not None else names[code]
        cells = [str(counts[severity]) for severity in SEVERITIES_DESC]
        lines.append(f"| {code} | {text_cell(name)} | {' | '.join(cells)} | {sum(counts.values())} |")
        for severity in SEVERITIES_DESC:
            totals[severity] += counts[severity]
    total_cells = " | ".join(f"**{totals[severity]}**" for severity in SEVERITIES_DESC)
    lines.append(f"| **total** | | {total_cells} | **{sum(totals.values())}** |")
    return lines


def _size(line: str) -> int:
    return len(line.encode("utf-8")) + 1


def most_severe_first(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> list[Diagnostic]:
    return sorted(diagnostics, key=lambda d: (-d.severity, *d.sort_key, d.message))


def render(
    report: Report,
    options: RenderOptions = DEFAULT_OPTIONS,
    *,
    max_bytes: int | None = None,
    note: str | None = None,
) -> str:
    from pulllint.reporters._landing import land

    # A finding moved to its template keeps the `# Source:` name in its file cell.
    report = report._replace(
        diagnostics=[
            entry.diagnostic._replace(template=entry.rendered.template)
            if entry.rendered
            else entry.diagnostic
            for entry in land(report.diagnostics, options)
        ]
    )
    lines = ["### pulllint", "", summary_line(report)]
    if note:
        lines += ["", text_cell(note)]
    if not report.diagnostics:
        return "\n".join(lines) + "\n"
    lines += ["", *_counts(report), "", "#### Findings", ""]
    lines += [
        "| severity | file | line | rule | image | message | fix |",
        "|---|---|--:|---|---|---|---|",
    ]
    rows = [_finding_row(d) for d in most_severe_first(list(report.diagnostics))]
    if max_bytes is None:
        return "\n".join([*lines, *rows]) + "\n"
    used = sum(_size(line) for line in lines)
    reserve = 200  # the note about rows left out
    kept: list[str] = []
    for row in rows:
        if used + _size(row) + reserve > max_bytes:
            break
        kept.append(row)
        used += _size(row)
    left_out = len(rows) - len(kept)
    if left_out:
        kept += [
            "",
            f"{left_out} more findings are not shown here (size limit): see the job log or the report.",
        ]
    return "\n".join([*lines, *kept]) + "\n"
