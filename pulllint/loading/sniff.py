"""Cheap, linear-time looks at a document's text before (or instead of) parsing it.

* `helm_source`: the `# Source: <template>` comment `helm template` puts before each document.
* `template_line`: the first line where a Go/Helm template action (`{{ ... }}`) is part of the YAML
  structure (a line or a value that starts with it), outside comments, quoted scalars and block
  scalars: such a document is a template, not a manifest. A `{{ }}` inside a quoted value, a block
  scalar or after other text in a plain scalar (an Alertmanager or Prometheus rule text, an
  unrendered image such as `app:{{tag}}` that PL104 reports) leaves the document a manifest, and so
  does a GitHub Actions expression `${{ }}`.
* `looks_like_manifest`: whether a document that cannot be parsed still says it is a Kubernetes object
  (a top-level `apiVersion` and `kind`): only then is a syntax error worth an error.
* `chart_of_template`: the chart directory of a file under `<chart>/templates/` (a `Chart.yaml` beside
  `templates/`).

Every function looks at each character a bounded number of times: no regular expression here can
backtrack over a long line.
"""

from __future__ import annotations

import os
import re

_SOURCE_PREFIX = "# Source:"
# Patterns compiled on first use (by `re`'s cache): they serve broken documents and templates only,
# and a run without either should not pay for them at start-up.
# A key `apiVersion` / `kind` at the start of a line (block style), quoted or not.
_TOP_KEY = r"""(?m)(?:^|(?<=\r))["']?(apiVersion|kind)["']?[ \t]*:"""
# The same keys anywhere, for JSON and flow-style documents.
_ANY_KEY = r"""["']?\b(apiVersion|kind)["']?[ \t]*:"""
_BLOCK_INDICATOR = r"[|>][0-9+-]{0,2}"


def helm_source(text: str) -> str | None:
    """The template path of the first `# Source:` comment that starts a line, if any."""
    at = text.find(_SOURCE_PREFIX)
    while at >= 0:
        if at == 0 or text[at - 1] == "\n":
            end = text.find("\n", at)
            value = text[at + len(_SOURCE_PREFIX) : end if end >= 0 else len(text)].strip(" \t\r")
            if value:
                return value
        at = text.find(_SOURCE_PREFIX, at + 1)
    return None


def looks_like_manifest(text: str) -> bool:
    """Whether a document (possibly broken) has top-level `apiVersion` and `kind` keys."""
    found = {match.group(1) for match in re.finditer(_TOP_KEY, text)}
    if len(found) == 2:
        return True
    start = text.lstrip(" \t\r\n\ufeff")[:1]
    if start in ("{", "["):
        found |= {match.group(1) for match in re.finditer(_ANY_KEY, text)}
    return len(found) == 2


def template_line(text: str) -> int | None:
    """0-based line of the first `{{` that is YAML structure (see the module docstring), or None."""
    if "{{" not in text:
        return None
    quote = ""  # the open quote character carried over from the previous line
    block_indent = -1  # inside a block scalar: the indentation of the line that opened it
    for number, line in enumerate(text.split("\n")):
        content = line.lstrip(" ")
        indent = len(line) - len(content)
        if block_indent >= 0:
            if not content.strip() or indent > block_indent:
                continue
            block_indent = -1
        code, quote = _code_of(line, quote)
        if _has_action(code):
            return number
        if not quote and _opens_block_scalar(code):
            block_indent = indent
    return None


def _has_action(code: str) -> bool:
    """A `{{` where YAML structure would be (see `_structural`); `${{ }}` (a GitHub Actions expression)
    and a `{{` after other text in a plain scalar (`description: Pod {{ $labels.pod }} is down`, as
    Prometheus rules are written, or `name: tablet-{{uid}}`) are text YAML reads as it is."""
    at = code.find("{{")
    while at >= 0:
        if _structural(code[:at]):
            return True
        at = code.find("{{", at + 2)
    return False


def _structural(head: str) -> bool:
    """Whether a `{{` that follows `head` on its line stands where YAML structure is: the start of the
    line's content, of a value (`key: {{`), of a sequence entry (`- {{`), or a flow collection that
    is itself one (`args: [{{`)."""
    stripped = head.rstrip(" \t")
    if not stripped:
        return True
    gap = len(stripped) < len(head)
    last = stripped[-1]
    if last == ":":
        return gap
    if last in "-?":
        return gap and (len(stripped) == 1 or stripped[-2] in " \t")
    if last in "[{":
        return _structural(stripped[:-1])
    return False


def _code_of(line: str, quote: str) -> tuple[str, str]:
    """The characters of `line` outside comments and quoted scalars, and the quote left open."""
    kept: list[str] = []
    previous = " "  # the last character outside quotes, to tell a quote's start from an apostrophe
    i = 0
    length = len(line)
    while i < length:
        char = line[i]
        if quote:
            if quote == '"' and char == "\\":
                i += 2
                continue
            if char == quote:
                if quote == "'" and i + 1 < length and line[i + 1] == "'":
                    i += 2
                    continue
                quote = ""
                previous = char
            i += 1
            continue
        if char == "#" and previous in " \t":
            break
        if char in "\"'" and previous in " \t:-[{,?":
            quote = char
            kept.append(" ")
        else:
            kept.append(char)
            previous = char
        i += 1
    return "".join(kept), quote


def _opens_block_scalar(code: str) -> bool:
    stripped = code.rstrip(" \t\r")
    if not stripped:
        return False
    # The last token of the line is `|` or `>` (with indentation/chomping indicators), after a key or `-`.
    start = max(stripped.rfind(" "), stripped.rfind("\t")) + 1
    token = stripped[start:]
    if re.fullmatch(_BLOCK_INDICATOR, token) is None:
        return False
    before = stripped[:start].rstrip(" \t")
    return before == "" or before.endswith((":", "-"))


def chart_of_template(path: str) -> str | None:
    """The chart directory (in the form `path` was given) when `path` lies under a chart's `templates/`
    folder: a Go template, not a manifest."""
    parts = os.path.normpath(path).split(os.sep)
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] == "templates":
            chart = os.sep.join(parts[:index]) or (os.sep if path.startswith(os.sep) else ".")
            if os.path.isfile(os.path.join(chart, "Chart.yaml")):
                return chart
    return None
