"""Shared helpers of the registry rules: which containers have facts, and how to name a registry."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.images import valid_reference
from pulllint.model.facts import ImageFacts, Status
from pulllint.model.hosts import cloud_registry
from pulllint.model.objects import Container
from pulllint.rules import RuleContext

_REFUSED = frozenset({Status.MISSING_OR_PRIVATE, Status.UNAUTHORIZED})


def containers_with(ctx: RuleContext, *statuses: Status) -> Iterator[tuple[Container, ImageFacts]]:
    """Containers whose registry answer has one of `statuses`, in input order.

    An anonymous refusal from a cloud registry is not a verdict: the node's cloud identity pulls it
    (PL205 names the permission), and pulllint cannot ask with that identity.
    """
    wanted = frozenset(statuses)
    for container in ctx.manifests.containers():
        facts = ctx.facts.get(container)
        if facts is None or facts.status not in wanted:
            continue
        if facts.status in _REFUSED and _pulled_with_node_identity(ctx, container):
            continue
        yield container, facts


def _pulled_with_node_identity(ctx: RuleContext, container: Container) -> bool:
    """A cloud registry's image for which the pod has no pull secret: the node's identity pulls it."""
    ref = valid_reference(container.image)
    if ref is None or cloud_registry(ref.domain, ref.path) is None:
        return False
    return not ctx.secrets.pod(container.pod).credentials(ref.name)


def cached_note(facts: ImageFacts) -> str:
    return " (cached answer)" if facts.from_cache else ""


def pulls_anonymously(ctx: RuleContext, container: Container) -> bool:
    """Whether the registry, when asked (online), served this image with no credentials at all.

    Online, this replaces the offline presumption that an unknown host is private.
    """
    facts = ctx.facts.get(container)
    return facts is not None and facts.status is Status.FOUND and facts.credential_label is None
