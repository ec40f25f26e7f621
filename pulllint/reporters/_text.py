"""Human-readable output: one line per finding that fits a terminal, its fix under it, a summary line.

    k8s/web.yaml:14:18: PL301 warning image 'redis:7' is pulled from Docker Hub anonymously
        why: the limit is 100 pulls per 6 hours per IPv4 address ... (wrapped to the width)
        fix: add a pull secret for https://index.docker.io/v1/ to the pod or its ServiceAccount
    k8s/web.yaml:30:18: PL301 warning image 'nginx:1.27' is pulled from Docker Hub anonymously
        fix: add a pull secret for https://index.docker.io/v1/ to the pod or its ServiceAccount
    Found 2 problems (2 warnings) in 1 file; 2 images checked.

* A message is printed whole when its line fits `RenderOptions.width` (default 100 columns). Otherwise
  the line ends after the message's headline (the text before its first `: ` or `; ` outside quotes
  and brackets, or at an earlier `, ` or ` (` when that headline is still too long) and the rest, the
  explanation, is printed once, wrapped, on `why:` lines under the first finding of that rule with that
  explanation (the same first clause, quoted values and numbers aside): the same explanation is not
  repeated for every Docker Hub image. The whole message is always in `--format json` and SARIF, and
  the rule's documentation in `pulllint rule CODE`.
* The suggested fix, when there is one, is on an indented `fix:` line (`show_fixes=False` leaves it out).
* A document rendered from a Helm template ends its line with ` [template: PATH]`, or, when that does not
  fit, has it on an indented line of its own.
* Findings are sorted by path, line, column and code. With `color=True` the code is bold, the severity
  coloured and the indented lines dim (ANSI escapes); otherwise the output is plain text.
"""

from __future__ import annotations

import re

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters._common import by_location, summary_line
from pulllint.reporters._types import DEFAULT_OPTIONS, RenderOptions, Report

_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_RESET = "\x1b[0m"
_SEVERITY_COLORS: dict[Severity, str] = {
    Severity.ERROR: "\x1b[1;31m",  # bold red
    Severity.WARNING: "\x1b[33m",  # yellow
    Severity.INFO: "\x1b[36m",  # cyan
}
_INDENT = "    "
_CLOSING = {"(": ")", "[": "]", "{": "}"}
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\d+")
# A headline shorter than this is no summary of the message (e.g. "image 'x': ...").
_MIN_HEADLINE = 12


def _boundaries(message: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Where a message may be cut, as (end of the headline, start of the rest): after `: ` or `; ` (first
    list), after `, ` or before ` (` (second), outside quotes and brackets, not before `_MIN_HEADLINE`."""
    primary: list[tuple[int, int]] = []
    secondary: list[tuple[int, int]] = []
    quote: str | None = None
    closers: list[str] = []
    for index, char in enumerate(message):
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"" and (index == 0 or not message[index - 1].isalnum()):
            quote = char  # an apostrophe inside a word ("don't") opens nothing
        elif char in _CLOSING:
            if not closers and char == "(" and index > _MIN_HEADLINE and message[index - 1] == " ":
                secondary.append((index - 1, index))
            closers.append(_CLOSING[char])
        elif closers and char == closers[-1]:
            closers.pop()
        elif not closers and index >= _MIN_HEADLINE and message[index + 1 : index + 2] == " ":
            if char in ":;":
                primary.append((index, index + 2))
            elif char == ",":
                secondary.append((index, index + 2))
    return primary, secondary


def split_message(message: str, room: int | None = None) -> tuple[str, str]:
    """(headline, explanation): cut at the first `: ` or `; ` outside quotes and brackets, or, when that
    headline would not fit in `room` characters, at the last earlier `, ` or ` (` that fits (when none
    fits, the first of them if it halves the headline); the explanation is empty when there is no place
    to cut."""
    primary, secondary = _boundaries(message)
    cut = primary[0] if primary else None
    if room is not None and (cut is None or cut[0] > room):
        earlier = [bound for bound in secondary if cut is None or bound[0] < cut[0]]
        fitting = [bound for bound in earlier if bound[0] <= room]
        if fitting:
            cut = fitting[-1]
        elif earlier and (cut is None or earlier[0][0] <= cut[0] // 2):
            cut = earlier[0]  # nothing fits: the first part, when that at least halves the line
    if cut is None:
        return message, ""
    return message[: cut[0]], message[cut[1] :].strip()


def _explanation_key(code: str, explanation: str) -> tuple[str, str]:
    """Explanations of one rule that share their first clause (quoted values and numbers aside) are the
    same explanation: the rest is detail of one workload (its kind, its replicas)."""
    first = split_message(explanation)[0]
    return code, _NUMBER.sub("0", _QUOTED.sub("''", first))


def _location(diagnostic: Diagnostic) -> str:
    return f"{diagnostic.path}:{diagnostic.line}:{diagnostic.column}:"


def format_line(
    diagnostic: Diagnostic, *, color: bool = False, message: str | None = None, template: bool = True
) -> str:
    """`path:line:col: CODE severity message [template: T]` (the whole message unless one is given)."""
    code = diagnostic.code
    severity = diagnostic.severity.label
    if color:
        code = f"{_BOLD}{code}{_RESET}"
        severity = f"{_SEVERITY_COLORS[diagnostic.severity]}{severity}{_RESET}"
    text = diagnostic.message if message is None else message
    line = f"{_location(diagnostic)} {code} {severity} {text}"
    if template and diagnostic.template:
        line += f" [template: {diagnostic.template}]"
    return line


def _wrapped(label: str, text: str, width: int) -> list[str]:
    import textwrap

    first = f"{_INDENT}{label}: "
    return textwrap.wrap(
        text,
        width=max(width, len(first) + 20),
        initial_indent=first,
        subsequent_indent=" " * len(first),
        break_long_words=False,
        break_on_hyphens=False,
    )


def _dim(lines: list[str], color: bool) -> list[str]:
    return [f"{_DIM}{line}{_RESET}" for line in lines] if color else lines


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS, *, color: bool = False) -> str:
    width = options.width
    explained: set[tuple[str, str]] = set()
    shortened = False
    lines: list[str] = []
    for diagnostic in by_location(report.diagnostics):
        whole = format_line(diagnostic)
        if len(whole) <= width:
            lines.append(format_line(diagnostic, color=color))
        else:
            # Without the template suffix (it moves to a line of its own), then without the explanation.
            bare = diagnostic._replace(template=None)
            room = width - len(format_line(bare, message=""))
            headline, explanation = split_message(diagnostic.message, room)
            lines.append(format_line(diagnostic, color=color, message=headline, template=False))
            if explanation:
                shortened = True
                key = _explanation_key(diagnostic.code, explanation)
                if key not in explained:
                    explained.add(key)
                    lines += _dim(_wrapped("why", explanation, width), color)
            if diagnostic.template:
                lines += _dim([f"{_INDENT}[template: {diagnostic.template}]"], color)
        if options.show_fixes and diagnostic.fix:
            lines += _dim(_wrapped("fix", diagnostic.fix, width), color)
    if options.show_summary:
        if shortened:
            lines.append(
                "Explanations are shown once per rule; full messages: --format json; "
                "rule docs: pulllint rule CODE."
            )
        lines.append(summary_line(report))
    return "".join(f"{line}\n" for line in lines)
