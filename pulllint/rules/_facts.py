"""Shared helpers of the registry rules: which containers have facts, and how to name a registry."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.images import valid_reference
from pulllint.model.facts import ImageFacts, Status
from pulllint.model.hosts import HostKind, cloud_registry
from pulllint.model.objects import Container
from pulllint.rules import RuleContext

_REFUSED = frozenset({Status.MISSING_OR_PRIVATE, Status.UNAUTHORIZED})


def containers_with(ctx: RuleContext, *statuses: Status) -> Iterator[tuple[Container, ImageFacts]]:
    """Containers whose registry answer has one of `statuses`, in input order.

    The cluster's own registry, unreachable from outside, is not reported either. A refusal of a
    request sent without the pod's real credentials is not a verdict: from a cloud
    registry the node's cloud identity pulls it (PL205 names the permission); for a Secret declared in
    the configuration, or a registry the nodes hold credentials for, pulllint has no values to send.
    """
    wanted = frozenset(statuses)
    for container in ctx.manifests.containers():
        facts = ctx.facts.get(container)
        if facts is None or facts.status not in wanted:
            continue
        if facts.status in _REFUSED and _credentials_beyond_reach(ctx, container):
            continue
        if facts.status is Status.UNREACHABLE and _inside_the_cluster(ctx, container):
            continue
        yield container, facts


def _inside_the_cluster(ctx: RuleContext, container: Container) -> bool:
    """The cluster's own registry (OpenShift's `*.svc`) answers only from inside the cluster."""
    ref = valid_reference(container.image)
    return ref is not None and ctx.policy.classify(ref).kind is HostKind.CLUSTER


def _credentials_beyond_reach(ctx: RuleContext, container: Container) -> bool:
    """The kubelet would pull with credentials pulllint cannot send: the node's cloud identity (no pull
    secret for a cloud registry), a declared Secret's, or the nodes' own (`cluster.node-credentials`)."""
    ref = valid_reference(container.image)
    if ref is None:
        return False
    secrets = ctx.secrets.pod(container.pod)
    if secrets.declared_only(ref.name):
        return True
    return cloud_registry(ref.domain, ref.path) is not None and not secrets.credentials(ref.name)


def cached_note(facts: ImageFacts) -> str:
    return " (cached answer)" if facts.from_cache else ""


def pulls_anonymously(ctx: RuleContext, container: Container) -> bool:
    """Whether the registry, when asked (online), served this image with no credentials at all.

    Online, this replaces the offline presumption that an unknown host is private.
    """
    facts = ctx.facts.get(container)
    return facts is not None and facts.status is Status.FOUND and facts.credential_label is None
