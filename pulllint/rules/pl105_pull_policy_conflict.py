"""PL105 pull-policy-conflict."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.hosts import is_docker_hub, is_loopback
from pulllint.images import valid_reference
from pulllint.rules import Rule, RuleContext, container_finding


class PullPolicyConflict(Rule):
    """## What it does
    Reports an `imagePullPolicy` that contradicts the image:

    - `Never` for an image that names a remote registry: the kubelet never pulls it, so every node
      that does not already hold it fails the pod with `ErrImageNeverPull`.
    - `IfNotPresent` with `latest` or no tag: a node that pulled `latest` once keeps that image for
      ever, so nodes drift apart and a new `latest` is never picked up.

    ## Why it matters
    Both are pull failures or stale images that look fine in review. Unlike checkov CKV_K8S_15,
    kube-score and Polaris pullPolicyNotAlways, pulllint does not require `Always`: `IfNotPresent` with a
    version tag or a digest is correct and spares the registry. `Never` with an image that names no
    registry (loaded into kind or minikube) and with a loopback registry (`localhost`, `127.0.0.0/8`,
    `[::1]`, any port) is left alone.

    ## Example
    ```yaml
    image: registry.example.com/app:1.4
    imagePullPolicy: Never
    ---
    image: app:latest
    imagePullPolicy: IfNotPresent
    ```

    ## Fix
    Drop `imagePullPolicy` (the default fits the tag), or pin a version or digest.
    """

    code = "PL105"
    name = "pull-policy-conflict"
    severity = Severity.WARNING
    summary = "`Never` for a remote image, or `IfNotPresent` with a mutable `latest`."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container in ctx.manifests.containers():
            policy = container.pull_policy
            if policy is None or policy.value not in ("Never", "IfNotPresent"):
                continue
            image = container.image
            ref = valid_reference(image)
            if ref is None:
                continue
            if policy.value == "Never":
                first, slash, _ = (image or "").partition("/")
                names_registry = not ref.is_docker_hub or (bool(slash) and is_docker_hub(first))
                if names_registry and not is_loopback(ref.domain):
                    yield container_finding(
                        container,
                        f"imagePullPolicy Never for {image!r}: the kubelet never pulls it, so the pod fails "
                        "with ErrImageNeverPull on any node that does not already hold it",
                        fix="imagePullPolicy: IfNotPresent",
                        position=policy.position,
                    )
            elif ref.digest is None and ref.tag in (None, "latest"):
                yield container_finding(
                    container,
                    f"imagePullPolicy IfNotPresent with the mutable {image!r}: nodes keep whichever "
                    "'latest' they pulled first and never see a new one",
                    fix="pin a version tag or digest, or drop imagePullPolicy",
                    position=policy.position,
                )


RULE = PullPolicyConflict
