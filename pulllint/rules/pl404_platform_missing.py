"""PL404 platform-missing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from pulllint.diagnostics import Finding, Severity
from pulllint.model.facts import Platform, Status, fill_platforms
from pulllint.rules import RegistryNeed, Rule, RuleContext, RuleOption, container_finding
from pulllint.rules._facts import containers_with


def _provides(present: tuple[Platform, ...], wanted: Platform) -> bool:
    return any(
        p.os == wanted.os
        and p.architecture == wanted.architecture
        and (wanted.variant is None or p.variant in (None, wanted.variant))
        for p in present
    )


class PlatformMissing(Rule):
    """## What it does
    Fetches the image index (or, for a single-platform image, its config) and reports when it has no
    entry for a platform the pod may be scheduled on, listing the platforms it does have. The pod's
    platforms come from `nodeSelector` or required node affinity (`kubernetes.io/arch`,
    `kubernetes.io/os`); a pod that names none is checked for `default-platform` (option, default
    `linux/amd64`; set it to your nodes' platform). Ignoring PL404 keeps the registry checks to `HEAD`
    requests, which Docker Hub does not count as pulls.

    ## Why it matters
    On a node of another architecture the runtime answers "no matching manifest for linux/arm64 in
    the manifest list entries" (`ErrImagePull`), or worse, a single-architecture image starts and
    crashes with `exec format error`. Mixed clusters (Graviton, Ampere, Apple silicon dev clusters)
    meet this on the first arm64 node.

    ## Example
    ```yaml
    nodeSelector: {kubernetes.io/arch: arm64}
    containers:
      - image: example/amd64-only:1.0
    ```

    ## Fix
    Build and push a multi-platform image (`docker buildx build --platform linux/amd64,linux/arm64`),
    or constrain the pod to the architectures the image has.
    """

    code = "PL404"
    name = "platform-missing"
    severity = Severity.ERROR
    summary = "The image index has no entry for the os/arch the pod requires."
    needs_network = True
    options: ClassVar[Mapping[str, RuleOption]] = {
        "default-platform": RuleOption("linux/amd64", str, "platform assumed when the pod names none"),
    }

    @classmethod
    def registry_need(cls, options: Mapping[str, Any]) -> RegistryNeed:
        try:
            default = Platform.parse(str(options["default-platform"]))
        except ValueError as error:
            raise ValueError(f"default-platform: {error}") from None
        return RegistryNeed(platforms=(default,))

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        defaults = ctx.platforms or self.registry_need(ctx.options).platforms
        for container, facts in containers_with(ctx, Status.FOUND):
            required = fill_platforms(container.pod.platforms, defaults)
            if facts.platforms is None:
                continue
            missing = [p for p in required if not _provides(facts.platforms, p)]
            if missing:
                present = ", ".join(str(p) for p in facts.platforms) or "none"
                yield container_finding(
                    container,
                    f"{facts.reference} has no {', '.join(map(str, missing))} image, where the pod may run; "
                    f"the image has: {present}",
                )


RULE = PlatformMissing
