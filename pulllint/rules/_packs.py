"""The rule template of the rule packs: one rule per code, matching pack entries against images.

The entries come from `pulllint.rulepacks` (read once per run by the engine) through
`RuleContext.pack_entries`; the first entry that matches an image reports it, at the entry's severity.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from pulllint.diagnostics import Finding
from pulllint.images import ImageRef, valid_reference
from pulllint.rulepacks import PackEntry
from pulllint.rules import Rule, RuleContext, container_finding


class PackRule(Rule):
    """A rule whose findings come from pack entries: the first entry that matches an image reports it."""

    # For the documentation only: what `check` matches arrives with the context.
    entries: ClassVar[tuple[PackEntry, ...]] = ()

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        entries = ctx.pack_entries
        if not entries:
            return
        decided: dict[str, tuple[PackEntry, str] | None] = {}
        for container in ctx.manifests.containers():
            image = container.image
            ref = valid_reference(image)
            if ref is None or image is None:
                continue
            if image in decided:
                hit = decided[image]
            else:
                hit = decided[image] = _first_match(entries, ref)
            if hit is None:
                continue
            entry, rest = hit
            message, fix = entry.message(image, ref, rest)
            yield container_finding(container, message, fix=fix)._replace(severity=entry.severity)

    @classmethod
    def documented_entries(cls) -> tuple[PackEntry, ...]:
        return cls.entries

    @classmethod
    def entries_documentation(cls) -> str:
        lines = ["## Entries", ""]
        for entry in cls.documented_entries():
            patterns = ", ".join(f"`{p.text}`" for p in entry.images)
            tags = f" (tags {', '.join(f'`{t}`' for t in entry.tags)})" if entry.tags else ""
            lines.append(
                f"- **{entry.label}** ({entry.severity.label}, {entry.status} {entry.date}): "
                f"{patterns}{tags}. {entry.summary} Source: {entry.source}"
            )
        return "\n".join(lines)

    @classmethod
    def documentation(cls) -> str:
        return super().documentation().rstrip("\n") + "\n\n" + cls.entries_documentation() + "\n"


def _first_match(entries: Sequence[PackEntry], ref: ImageRef) -> tuple[PackEntry, str] | None:
    for entry in entries:
        rest = entry.match(ref)
        if rest is not None:
            return entry, rest
    return None


def pack_rule(code: str, entries: Sequence[PackEntry]) -> type[PackRule]:
    """The rule of one code of the user's packs (its name, severity and page come from its entries)."""
    first = entries[0]
    severity = max(entry.severity for entry in entries)
    packs = ", ".join(dict.fromkeys(f"{e.pack} ({e.origin})" for e in entries))
    doc = (
        f"## What it does\nReports images that the rule pack {packs} lists as gone, frozen, moved or "
        "deprecated; the first matching entry speaks.\n\n"
        "## Why it matters\nA registry or repository that stops serving fails every pod start that needs "
        "to pull (ImagePullBackOff), often long after the manifest was written.\n\n"
        f"## Example\n```yaml\nimage: {first.images[0].text.replace('*', 'app')}:1.0\n```\n\n"
        "## Fix\nUse the replacement the entry names, or mirror the image into a registry you control."
    )
    attributes: dict[str, Any] = {
        "__doc__": doc,
        "__module__": __name__,
        "code": code,
        "name": first.rule_name,
        "severity": severity,
        "summary": f"Image listed by the rule pack {first.pack} as gone, frozen or moved.",
        "entries": tuple(entries),
    }
    return type(f"PackRule{code}", (PackRule,), attributes)
