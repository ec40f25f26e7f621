"""PL301 dockerhub-anonymous."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.model.hosts import HostKind
from pulllint.model.keyring import normalize_key
from pulllint.model.objects import Workload
from pulllint.model.pullsecrets import PodPullSecrets
from pulllint.rules import Rule, RuleContext, container_finding
from pulllint.rules._credentials import NO_MATCHING_SECRET, images_on

# Docker Hub's current limits (https://docs.docker.com/docker-hub/usage/pulls/).
ANONYMOUS_LIMIT = "100 pulls per 6 hours per IPv4 address or IPv6 /64 subnet"
PERSONAL_LIMIT = "200 per 6 hours for an authenticated Personal account"
_REPLICATED = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Rollout"})


class DockerHubAnonymous(Rule):
    """## What it does
    Reports an image pulled from Docker Hub (`nginx`, `bitnami/redis`, `docker.io/...`,
    `index.docker.io/...`) when no pull secret of the pod (its own or its ServiceAccount's) covers
    Docker Hub, so the pull is anonymous. The message gives the current limit, what one rollout of the
    workload costs (its replicas; a DaemonSet pulls once per node), and the fix. With `dockerhub-mirror`
    in the configuration, the fix names that mirror.

    A pod whose pull secrets are not all in the input is not judged (one of them may be for Docker Hub).
    Docker Hub repositories listed in `private-registries` are PL201/PL204 instead; `public-registries:
    [docker.io]` turns this rule off for Docker Hub as a whole.

    ## Why it matters
    Anonymous pulls are limited to 100 per 6 hours per IPv4 address or IPv6 /64 (200 for an
    authenticated Personal account; HEAD requests, which a runtime sends to check an image it already
    holds, do not count). Nodes behind one NAT gateway share one address: a rollout, a node pool
    scale-up or a restarted DaemonSet can exhaust it, and pulls fail with `429 Too Many Requests`
    (`toomanyrequests`) until the window passes.

    ## Example
    ```yaml
    kind: DaemonSet
    spec:
      template:
        spec:
          containers:
            - image: fluent/fluent-bit:3.2
    ```

    ## Fix
    Add a pull secret for `https://index.docker.io/v1/` (an access token of a Docker account) to the pod
    or its ServiceAccount, pull through a registry mirror or pull-through cache, or copy the image into
    your own registry.
    """

    code = "PL301"
    name = "dockerhub-anonymous"
    severity = Severity.WARNING
    summary = "An anonymous Docker Hub pull, rate-limited per node IP address."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        policy = ctx.policy
        if policy.runtime_mirror("docker.io") is not None:
            return  # the nodes pull Docker Hub through a mirror (cluster.registry-mirrors)
        mirror = policy.dockerhub_mirror
        for image in images_on(ctx, HostKind.DOCKER_HUB):
            container, ref, secrets = image.container, image.ref, image.secrets
            if image.verdict not in NO_MATCHING_SECRET:
                continue
            mirrored = f"{mirror.rstrip('/')}/{ref.path}{_suffix(container.image or '')}" if mirror else None
            fix = (
                f"pull through the mirror: image: {mirrored}"
                if mirrored
                else "add a pull secret for https://index.docker.io/v1/ to the pod or its ServiceAccount"
            )
            instead = (
                f"use the configured mirror ({mirrored}) or add a Docker Hub pull secret"
                if mirrored
                else "add a Docker Hub pull secret (an access token) or pull through a mirror"
            )
            yield container_finding(
                container,
                f"image {container.image!r} is pulled from Docker Hub anonymously: the limit is "
                f"{ANONYMOUS_LIMIT} ({PERSONAL_LIMIT}; HEAD requests do not count), shared by the nodes "
                f"behind one address; {_cost(container.workload)}; {instead}{_near_miss(secrets)}",
                fix=fix,
            )


def _near_miss(secrets: PodPullSecrets) -> str:
    """A key meant for Docker Hub that the kubelet does not match to it (registry-1.docker.io ...)."""
    for ref in secrets.refs:
        for key in ref.secret.registry_keys if ref.secret is not None else ():
            host = (normalize_key(key) or "").split("/", 1)[0].lower()
            if host.endswith(("docker.io", "docker.com")):
                return (
                    f" (secret {ref.name!r} has the key {key!r}, which the kubelet does not match to Docker "
                    "Hub images: use https://index.docker.io/v1/)"
                )
    return ""


def _suffix(image: str) -> str:
    """The tag and digest exactly as written."""
    at = image.find("@")
    name, digest = (image[:at], image[at:]) if at >= 0 else (image, "")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = name[colon:] if colon > slash else ""
    return tag + digest


def _cost(workload: Workload) -> str:
    kind = workload.meta.kind
    if workload.is_daemonset:
        return "one rollout of this DaemonSet pulls it once per node"
    if kind in _REPLICATED:
        replicas = workload.replicas if workload.replicas is not None else 1
        default = "" if workload.replicas is not None else ", the default"
        plural = "s" if replicas != 1 else ""
        return (
            f"one rollout of this {kind} costs up to {replicas} pull{plural} (replicas: {replicas}{default}; "
            "one per node that lacks the image)"
        )
    if kind == "CronJob":
        return "every run of this CronJob may pull it again on a node that lacks it"
    return f"every start of this {kind} on a node that lacks the image costs a pull"


RULE = DockerHubAnonymous
