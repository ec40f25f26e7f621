"""PL103 latest-tag."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from pulllint.diagnostics import Finding, Severity
from pulllint.images import valid_reference
from pulllint.rules import Rule, RuleContext, RuleOption, container_finding


class LatestTag(Rule):
    """## What it does
    Reports an image whose tag is `latest` (or another tag listed in the `mutable-tags` option) and
    that carries no digest.

    ## Why it matters
    A mutable tag names different images over time. Nodes that pulled it at different moments run
    different code, and with the default pull policy `Always` each pod start needs the registry. An
    image with a digest (`nginx:latest@sha256:...`) is pinned: the kubelet pulls by digest, so it is not
    reported. Agrees with kube-linter latest-tag, kube-score "Container Image Tag", checkov CKV_K8S_14
    and Polaris tagNotSpecified on their fixtures. An image with no tag at all is PL102.

    ## Example
    ```yaml
    image: redis:latest
    ```

    ## Fix
    Use a version tag or a digest: `image: redis:7.4.1`.
    """

    code = "PL103"
    name = "latest-tag"
    severity = Severity.WARNING
    summary = "The image uses the mutable `latest` tag."
    options: ClassVar[Mapping[str, RuleOption]] = {
        "mutable-tags": RuleOption(["latest"], list, "tags treated as mutable, compared exactly", items=str),
    }

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        mutable = frozenset(ctx.options["mutable-tags"])
        for container in ctx.manifests.containers():
            ref = valid_reference(container.image)
            if ref is not None and ref.digest is None and ref.tag in mutable:
                yield container_finding(
                    container,
                    f"image {container.image!r} uses the mutable tag {ref.tag!r}: nodes may run different "
                    "images and a rollback changes nothing",
                    fix=f"pin a version: image: {ref.familiar_name}:<version>",
                )


RULE = LatestTag
