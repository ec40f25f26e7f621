"""PL102 missing-tag."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.images import valid_reference
from pulllint.rules import Rule, RuleContext, container_finding


class MissingTag(Rule):
    """## What it does
    Reports an image with neither a tag nor a digest (`image: nginx`).

    ## Why it matters
    The kubelet pulls `:latest`, whatever that is on the day a node pulls it: two replicas can run
    different code, a rollback does not roll anything back, and the default pull policy becomes
    `Always`, so every pod start depends on the registry being up (and counts against Docker Hub's
    anonymous limit). Agrees with checkov CKV_K8S_14 and Polaris tagNotSpecified on their fixtures.

    ## Example
    ```yaml
    image: nginx
    ```

    ## Fix
    Name a version tag, or better a digest: `image: nginx:1.27.2` or
    `image: nginx:1.27.2@sha256:<digest>`.
    """

    code = "PL102"
    name = "missing-tag"
    severity = Severity.WARNING
    summary = "No tag and no digest, so `:latest` is implied."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container in ctx.manifests.containers():
            ref = valid_reference(container.image)
            if ref is not None and ref.tag is None and ref.digest is None:
                yield container_finding(
                    container,
                    f"image {container.image!r} has no tag or digest: the kubelet pulls "
                    f"{ref.familiar_name}:latest, whatever that is on the day",
                    fix=f"pin a version: image: {ref.familiar_name}:<version>",
                )


RULE = MissingTag
