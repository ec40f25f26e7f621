"""Diagnoses as text (the terminal), JSON (version 1, for tools) or Markdown (for an incident ticket)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pulllint.diagnose._model import Diagnosis

__all__ = ["JSON_FIELDS", "render"]

JSON_VERSION = 1
JSON_FIELDS = (
    "line",
    "pod",
    "namespace",
    "container",
    "image",
    "runtime",
    "cause",
    "rule",
    "class",
    "explanation",
    "fix",
    "triage",
)


def render(diagnoses: Sequence[Diagnosis], fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return _json(diagnoses)
    if fmt == "markdown":
        return _markdown(diagnoses)
    if fmt == "text":
        return _text(diagnoses, color=color)
    raise ValueError(f"unknown format {fmt!r}")


def _explanation(d: Diagnosis) -> str:
    return " ".join([d.explanation, *(note[:1].upper() + note[1:] for note in d.notes)])


def _json(diagnoses: Sequence[Diagnosis]) -> str:
    items = [
        dict(
            zip(
                JSON_FIELDS,
                (
                    d.line,
                    d.pod,
                    d.namespace,
                    d.container,
                    d.image,
                    d.runtime,
                    d.cause,
                    d.rule,
                    d.klass,
                    _explanation(d),
                    d.fix,
                    d.triage,
                ),
                strict=True,
            )
        )
        for d in diagnoses
    ]
    return json.dumps({"version": JSON_VERSION, "diagnoses": items}, indent=2, ensure_ascii=False) + "\n"


def _where(d: Diagnosis) -> str:
    parts = []
    if d.pod:
        parts.append(f"pod {d.namespace}/{d.pod}" if d.namespace else f"pod {d.pod}")
    if d.container:
        parts.append(f"container {d.container}")
    return " ".join(parts)


def _location(d: Diagnosis) -> str:
    if d.line is None:
        return d.source or "-"
    return f"{d.source or '-'}:{d.line}"


def summary(diagnoses: Sequence[Diagnosis]) -> str:
    if not diagnoses:
        return "no image pull failure found"
    counts = Counter(d.cause for d in diagnoses)
    listed = ", ".join(f"{n} {cause}" for cause, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    noun = "failure" if len(diagnoses) == 1 else "failures"
    return f"{len(diagnoses)} image pull {noun}: {listed}"


def _text(diagnoses: Sequence[Diagnosis], *, color: bool) -> str:
    bold, red, dim, reset = ("\033[1m", "\033[31m", "\033[2m", "\033[0m") if color else ("", "", "", "")
    out: list[str] = []
    for d in diagnoses:
        rule = f" ({d.rule})" if d.rule else ""
        klass = f" [{d.klass}]" if d.klass else ""
        where = _where(d)
        cause_color = red if d.cause == "unknown" else bold
        out.append(
            f"{_location(d)}: {cause_color}{d.cause}{reset}{rule}{klass}"
            + (f" {where}" if where else "")
            + (f" image {d.image}" if d.image else "")
        )
        out.append(f"  {dim}runtime:{reset} {d.runtime}")
        out.append(f"  {dim}why:{reset}     {d.explanation}")
        for note in d.notes:
            label, _, rest = note.partition(": ")
            out.append(f"  {dim}{label}:{reset} {rest}" if rest else f"  {note}")
        out.append(f"  {dim}fix:{reset}     {d.fix}")
        out.append(f"  {dim}triage:{reset}  {d.triage}")
        out.append("")
    out.append(summary(diagnoses))
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(diagnoses: Sequence[Diagnosis]) -> str:
    out = ["# Image pull failures", "", summary(diagnoses) + ".", ""]
    for number, d in enumerate(diagnoses, start=1):
        rule = f" ({d.rule})" if d.rule else ""
        title = f"`{d.image}`" if d.image else f"message at {_location(d)}"
        out += [f"## {number}. {title}: {d.cause}{rule}", ""]
        out += ["| | |", "|---|---|"]
        rows = [
            ("Pod", f"{d.namespace}/{d.pod}" if d.pod and d.namespace else d.pod),
            ("Container", d.container),
            ("Node", d.node),
            ("Runtime", d.runtime),
            ("Cause", f"{d.cause}{rule}"),
            ("Class", d.klass),
            ("Input", _location(d)),
        ]
        out += [f"| {name} | {_md(value)} |" for name, value in rows if value]
        out += ["", _explanation(d), "", f"**Fix:** {d.fix}", "", "**Triage:**", "", "```sh", d.triage, "```"]
        fence = "````" if "```" in d.message else "```"
        out += ["", "<details><summary>Message</summary>", "", fence, d.message, fence, "", "</details>", ""]
    return "\n".join(out)
