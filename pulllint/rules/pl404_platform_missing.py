"""PL404 platform-missing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from pulllint.diagnostics import Finding, Severity
from pulllint.model.facts import (
    ImageFacts,
    Platform,
    PlatformMatch,
    Runtime,
    Status,
    fill_platforms,
    match_platform,
)
from pulllint.model.objects import Container
from pulllint.rules import RegistryNeed, Rule, RuleContext, RuleOption, container_finding
from pulllint.rules._facts import cached_note, containers_with


def _pulls(facts: ImageFacts, wanted: Platform) -> PlatformMatch | None:
    """Which entry a node of platform ``wanted`` pulls, with the runtime the answer was matched for."""
    if facts.platforms is None or not wanted.is_complete:
        return None
    for match in facts.platform_matches:
        if match.wanted == wanted:
            return match
    runtime = Runtime.parse(facts.extra.get("runtime", Runtime.CONTAINERD.value))
    single = facts.extra.get("manifest_kind") == "manifest"
    return match_platform(facts.platforms, wanted, runtime, single_manifest=single)


def _bits(architecture: str) -> str:
    return "32-bit x86" if architecture == "386" else "32-bit arm (AArch32)"


class PlatformMissing(Rule):
    """## What it does
    Reads the image index (or, for a single-platform image, its config) and reports when a node the
    pod may be scheduled on would not get a runnable entry, listing the platforms the image has.

    The pod's platforms: what its `nodeSelector` or required node affinity pins (`kubernetes.io/os`,
    `kubernetes.io/arch`), each on its own; what it leaves open comes from the cluster's platforms
    (`cluster.platforms`), else from `default-platform` (option, default `linux/amd64`). A pod pinning
    only `kubernetes.io/os: linux` on an arm64 cluster is checked for linux/arm64.

    The entry a node takes is the one its runtime picks (`cluster.runtime`, default `containerd`):
    - **containerd** matches the os and architecture, the best variant first (`arm/v7` also takes
      `arm/v6` and `arm/v5`; `arm64` and `arm64/v8` are one), then falls back across architectures:
      an arm64 node takes a `linux/arm/v8`..`v5` entry and an amd64 node a `linux/386` entry when the
      index has no entry of their own. That is reported as a **warning**: the container runs only where
      the node's CPU and kernel run 32-bit binaries (many arm64 servers cannot).
    - **CRI-O** (containers/image) matches the architecture exactly (variants best first, an entry
      without a variant accepted): no fallback, so those images are an error there.

    A single-platform image (a manifest, not an index) is pulled by both runtimes whatever its
    platform; on a node of another architecture it then fails to start (`exec format error`).

    What it costs: a cold run asks for the manifest with `GET` instead of `HEAD`, plus the small config
    blob of single-platform images. On Docker Hub, which counts each manifest `GET` as a pull, pulllint
    sends a `HEAD` (not counted) and reads the platform list from its cache by digest: at most one
    counted pull per image digest ever (a cold cache: one per image; a tag that moved: one). Ignore
    PL404 to keep every check a `HEAD`.

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
            if facts.platforms is None:
                continue
            present = ", ".join(str(p) for p in facts.platforms) or "none"
            missing: list[PlatformMatch] = []
            fallbacks: list[PlatformMatch] = []
            for wanted in fill_platforms(container.pod.platforms, defaults):
                match = _pulls(facts, wanted)
                if match is None:
                    continue
                if match.chosen is None:
                    missing.append(match)
                elif match.cross_architecture:
                    fallbacks.append(match)
            if missing:
                yield self._missing(container, facts, missing, present)
            if fallbacks:
                yield self._fallback(container, facts, fallbacks)

    def _missing(
        self, container: Container, facts: ImageFacts, missing: list[PlatformMatch], present: str
    ) -> Finding:
        wanted = ", ".join(str(m.wanted) for m in missing)
        runtime = missing[0].runtime
        if missing[0].single_manifest:
            message = (
                f"{facts.reference} is a single-platform image for {present}: on a {wanted} node, where "
                "the pod may run, the pull succeeds and the container fails with 'exec format error'"
            )
        else:
            message = (
                f"{facts.reference} has no {wanted} entry, where the pod may run: {runtime.value} finds no "
                f"matching manifest; the image has: {present}"
            )
            if runtime is Runtime.CRIO and facts.platforms is not None:
                lenient = [match_platform(facts.platforms, m.wanted, Runtime.CONTAINERD) for m in missing]
                taken = [f"{m.chosen} for {m.wanted}" for m in lenient if m.chosen is not None]
                if taken:
                    message += (
                        f" (CRI-O matches the architecture exactly; containerd would take {', '.join(taken)})"
                    )
        return container_finding(container, message + cached_note(facts))

    def _fallback(self, container: Container, facts: ImageFacts, fallbacks: list[PlatformMatch]) -> Finding:
        taken = ", ".join(f"its {m.chosen} entry on {m.wanted} nodes" for m in fallbacks)
        bits = sorted({_bits(m.chosen.architecture) for m in fallbacks if m.chosen is not None})
        message = (
            f"{facts.reference} has no {', '.join(str(m.wanted) for m in fallbacks)} entry: containerd pulls "
            f"{taken}, which runs only where the node's CPU and kernel run {' and '.join(bits)} binaries"
        )
        finding = container_finding(
            container,
            message + cached_note(facts),
            fix="publish an entry for the nodes' own architecture (docker buildx build --platform ...)",
        )
        return finding._replace(severity=Severity.WARNING)


RULE = PlatformMissing
