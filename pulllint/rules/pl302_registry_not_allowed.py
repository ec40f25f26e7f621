"""PL302 registry-not-allowed."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.images import valid_reference
from pulllint.rules import Rule, RuleContext, container_finding


class RegistryNotAllowed(Rule):
    """## What it does
    Needs `allowed-registries` in the configuration; without it the rule reports nothing. Reports an image
    whose repository is not covered by any entry of the list:

    ```yaml
    # .pulllint.yaml
    allowed-registries:
      - registry.acme.example          # a whole registry
      - ghcr.io/acme                   # a path prefix: ghcr.io/acme/app, not ghcr.io/acme-labs/app
      - "*.dkr.ecr.*.amazonaws.com"    # globs: * matches anything but '/'
      - docker.io/library              # Docker Hub's official images (nginx, redis ...)
    ```

    Images are compared by their full name as the kubelet resolves it: `nginx` is
    `docker.io/library/nginx`, `bitnami/redis` is `docker.io/bitnami/redis`; `index.docker.io` in the
    list means `docker.io`.

    ## Why it matters
    Admission policies (Kyverno, Gatekeeper, OpenShift's image policy) and egress firewalls reject or
    cannot reach registries outside the allowlist; the pod is refused at admission or sits in
    ImagePullBackOff. Finding it before merge is cheaper.

    ## Example
    ```yaml
    image: quay.io/someone/tool:1.0   # quay.io is not allowed
    ```

    ## Fix
    Mirror the image into an allowed registry and reference it there, or extend `allowed-registries`.
    """

    code = "PL302"
    name = "registry-not-allowed"
    severity = Severity.ERROR
    summary = "The image's registry is outside `allowed-registries` (needs that configuration key)."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        policy = ctx.policy
        allowed = policy.allowed
        if allowed is None:
            return
        shown = ", ".join(p.text for p in allowed) or "nothing"
        for container in ctx.manifests.containers():
            ref = valid_reference(container.image)
            if ref is None or policy.is_allowed(ref):
                continue
            yield container_finding(
                container,
                f"image {container.image!r} ({ref.name}) is not in allowed-registries ({shown})",
                fix="mirror the image into an allowed registry, or extend allowed-registries",
            )


RULE = RegistryNotAllowed
