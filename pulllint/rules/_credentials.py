"""The walk the credential rules share: each image with its host class and the pod's pull secrets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from pulllint.images import ImageRef, valid_reference
from pulllint.model.hosts import HostInfo, HostKind
from pulllint.model.objects import Container
from pulllint.model.pullsecrets import CredentialVerdict, PodPullSecrets
from pulllint.rules import RuleContext

# The kubelet finds no credential for the image, as far as pulllint knows: it pulls anonymously, or with
# the node's identity (an unknown ServiceAccount most often has no pull secret either).
NO_MATCHING_SECRET = (
    CredentialVerdict.NO_SECRETS,
    CredentialVerdict.ACCOUNT_UNKNOWN,
    CredentialVerdict.MISMATCH,
)


class ImageCredentials(NamedTuple):
    container: Container
    ref: ImageRef
    host: HostInfo
    secrets: PodPullSecrets
    verdict: CredentialVerdict


def images_on(ctx: RuleContext, kind: HostKind) -> Iterator[ImageCredentials]:
    """Every valid image on a host of `kind`, with what the kubelet would find for it."""
    index, policy = ctx.secrets, ctx.policy
    for container in ctx.manifests.containers():
        ref = valid_reference(container.image)
        if ref is None:
            continue
        host = policy.classify(ref)
        if host.kind is not kind:
            continue
        secrets = index.pod(container.pod)
        yield ImageCredentials(container, ref, host, secrets, secrets.verdict(ref.name))
