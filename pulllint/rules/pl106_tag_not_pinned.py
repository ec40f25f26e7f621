"""PL106 tag-not-pinned."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.images import valid_reference
from pulllint.rules import Rule, RuleContext, container_finding


class TagNotPinned(Rule):
    """## What it does
    Reports an image without a digest, even when it has a version tag. Off by default: select it
    (`--select PL106`) in teams that require every image to be pinned.

    ## Why it matters
    Tags can be moved or deleted (and were, when Bitnami moved its catalogue in 2025); a digest names
    exactly one image, so what was reviewed is what runs, and a deleted tag cannot break a rollout of a
    digest that is still stored. Agrees with checkov CKV_K8S_43 on its fixtures.

    ## Example
    ```yaml
    image: nginx:1.27.2
    ```

    ## Fix
    Add the digest: `image: nginx:1.27.2@sha256:<digest>` (from `crane digest nginx:1.27.2` or
    `docker buildx imagetools inspect nginx:1.27.2`).
    """

    code = "PL106"
    name = "tag-not-pinned"
    severity = Severity.WARNING
    summary = "No digest (off by default; for teams that require digests)."
    enabled_by_default = False

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container in ctx.manifests.containers():
            ref = valid_reference(container.image)
            if ref is not None and ref.digest is None:
                yield container_finding(
                    container,
                    f"image {container.image!r} is not pinned by digest",
                    fix=f"image: {ref.familiar()}@sha256:<digest>",
                )


RULE = TagNotPinned
