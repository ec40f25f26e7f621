"""Platforms as the runtime sees them: defaults per part, and containerd's and CRI-O's matching."""

from __future__ import annotations

import pytest

from pulllint.model.facts import ImageQuery, Platform, Runtime, fill_platforms, match_platform

P = Platform.parse
AMD64, ARM64 = P("linux/amd64"), P("linux/arm64")
CONTAINERD, CRIO = Runtime.CONTAINERD, Runtime.CRIO


@pytest.mark.parametrize(
    ("pinned", "defaults", "expected"),
    [
        ((), (AMD64,), (AMD64,)),
        # os only: the arch comes from the cluster, never an implied amd64
        ((Platform("linux", ""),), (ARM64,), (ARM64,)),
        ((Platform("linux", ""),), (AMD64, ARM64), (AMD64, ARM64)),
        # arch only: the os comes from the cluster, the variant too
        ((Platform("", "arm64"),), (P("linux/arm64/v8"),), (P("linux/arm64/v8"),)),
        ((Platform("", "arm64"),), (AMD64,), (ARM64,)),
        # a pinned os the cluster does not declare keeps the cluster's architectures
        ((Platform("windows", ""),), (AMD64, ARM64), (P("windows/amd64"), P("windows/arm64"))),
        ((AMD64, ARM64), (P("linux/arm64/v8"),), (AMD64, P("linux/arm64/v8"))),
    ],
)
def test_fill_platforms_defaults_os_and_arch_each_on_their_own(
    pinned: tuple[Platform, ...], defaults: tuple[Platform, ...], expected: tuple[Platform, ...]
) -> None:
    assert fill_platforms(pinned, defaults) == expected


def test_platform_text_and_completeness() -> None:
    assert str(Platform("linux", "")) == "linux/*" and not Platform("linux", "").is_complete
    assert str(P("linux/arm/v7")) == "linux/arm/v7" and P("linux/arm/v7").is_complete
    with pytest.raises(ValueError, match="os/arch"):
        P("linux")


@pytest.mark.parametrize(
    ("entries", "wanted", "containerd", "crio"),
    [
        # exact matches, variants normalised (arm64 == arm64/v8)
        (["linux/amd64", "linux/arm64/v8"], "linux/arm64", "linux/arm64/v8", "linux/arm64/v8"),
        (["linux/arm64"], "linux/arm64/v8", "linux/arm64", "linux/arm64"),
        # an arm64 node without an arm64 entry: containerd falls back to 32-bit arm, CRI-O refuses
        (["linux/amd64", "linux/arm/v7"], "linux/arm64", "linux/arm/v7", None),
        (["linux/arm/v6", "linux/arm/v7"], "linux/arm64", "linux/arm/v7", None),
        # an amd64 node takes 386 with containerd only
        (["linux/386", "linux/arm/v7"], "linux/amd64", "linux/386", None),
        # the native entry wins over a fallback
        (["linux/386", "linux/amd64"], "linux/amd64", "linux/amd64", "linux/amd64"),
        # arm/v7 nodes: v6 and v5 are compatible, v8 is not
        (["linux/arm/v6"], "linux/arm/v7", "linux/arm/v6", "linux/arm/v6"),
        (["linux/arm/v8"], "linux/arm/v7", None, None),
        # CRI-O compares variants exactly: an arm64 node (v8) takes arm64/v8 or arm64, not arm64/v9
        (["linux/arm64/v9"], "linux/arm64", None, None),
        (["linux/amd64/v1"], "linux/amd64", "linux/amd64/v1", "linux/amd64/v1"),
        # a node of plain "arm" is arm/v7 for both
        (["linux/arm/v8", "linux/arm/v7"], "linux/arm", "linux/arm/v7", "linux/arm/v7"),
        # an arm entry without a variant is arm/v7 for containerd
        (["linux/arm"], "linux/arm/v7", "linux/arm", "linux/arm"),
        # the os must match
        (["windows/amd64"], "linux/amd64", None, None),
        ([], "linux/amd64", None, None),
    ],
)
def test_match_platform_per_runtime(
    entries: list[str], wanted: str, containerd: str | None, crio: str | None
) -> None:
    present = tuple(P(e) for e in entries)
    by_containerd = match_platform(present, P(wanted), CONTAINERD).chosen
    by_crio = match_platform(present, P(wanted), CRIO).chosen
    assert (str(by_containerd) if by_containerd else None) == containerd
    assert (str(by_crio) if by_crio else None) == crio


def test_cross_architecture_fallback_is_flagged() -> None:
    taken = match_platform((P("linux/arm/v7"),), ARM64, CONTAINERD)
    assert taken.chosen == P("linux/arm/v7") and taken.cross_architecture
    native = match_platform((P("linux/arm64/v8"),), ARM64, CONTAINERD)
    assert native.chosen is not None and not native.cross_architecture
    assert not match_platform((), ARM64, CONTAINERD).cross_architecture


def test_runtime_parse() -> None:
    assert Runtime.parse("containerd") is CONTAINERD
    assert Runtime.parse("CRI-O") is CRIO and Runtime.parse("crio") is CRIO
    with pytest.raises(ValueError, match="containerd or cri-o"):
        Runtime.parse("docker")


def test_wanted_platforms_of_a_query() -> None:
    from pulllint.images import parse_image

    image = parse_image("nginx:1.27")
    assert ImageQuery(image).wanted_platforms == ()
    assert ImageQuery(image, (), AMD64, (AMD64, ARM64)).wanted_platforms == (AMD64, ARM64)
