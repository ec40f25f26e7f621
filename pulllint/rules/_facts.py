"""Shared helpers of the registry rules: which containers have facts, and how to name a registry."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.model.facts import ImageFacts, Status
from pulllint.model.objects import Container
from pulllint.rules import RuleContext


def containers_with(ctx: RuleContext, *statuses: Status) -> Iterator[tuple[Container, ImageFacts]]:
    """Containers whose registry answer has one of `statuses`, in input order."""
    wanted = frozenset(statuses)
    for container in ctx.manifests.containers():
        facts = ctx.facts.get(container)
        if facts is not None and facts.status in wanted:
            yield container, facts


def cached_note(facts: ImageFacts) -> str:
    return " (cached answer)" if facts.from_cache else ""


def pulls_anonymously(ctx: RuleContext, container: Container) -> bool:
    """Whether the registry, when asked (online), served this image with no credentials at all.

    Online, this replaces the offline presumption that an unknown host is private.
    """
    facts = ctx.facts.get(container)
    return facts is not None and facts.status is Status.FOUND and facts.credential_label is None
