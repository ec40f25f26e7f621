"""What a registry said about one image, as plain data: the only input network rules judge.

The resolver (pulllint.registry) produces `ImageFacts`; rules (pulllint.rules) read them. Neither wing
imports the other: both stand on this module.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # annotations only: the offline path never builds queries
    from pulllint.images import ImageRef
    from pulllint.model.credentials import RegistryCredential


_EMPTY: Mapping[str, str] = MappingProxyType({})


class Status(enum.Enum):
    """The registry's answer, classified the way an engineer triages a failed pull."""

    FOUND = "found"  # the manifest exists and the credentials (if any) were accepted
    TAG_NOT_FOUND = "tag-not-found"  # 404 MANIFEST_UNKNOWN
    REPOSITORY_NOT_FOUND = "repository-not-found"  # 404 NAME_UNKNOWN
    MISSING_OR_PRIVATE = (
        "missing-or-private"  # anonymous 401/insufficient_scope (Docker Hub answers both alike)
    )
    UNAUTHORIZED = "unauthorized"  # 401/403 to the credentials the pod would have (they were sent)
    # 401/403 to the anonymous request of a pod without credentials for the host, from a registry other
    # than Docker Hub: the registry said "credentials required" (PL201, confirmed by the registry).
    CREDENTIALS_REQUIRED = "credentials-required"
    # Could not verify: timeout, DNS, refused, TLS, plain HTTP, not a registry API, an auth scheme
    # pulllint cannot answer, a host that timed out earlier in the run.
    UNREACHABLE = "unreachable"
    RATE_LIMITED = "rate-limited"  # 429 after the retry budget: could not verify
    UNVERIFIED = "unverified"  # deliberately not asked (node identity of cloud registries, ...)


class Platform(NamedTuple):
    """An os/architecture[/variant]. In what a pod pins (`PodSpec.platforms`) an empty ``os`` or
    ``architecture`` means "not pinned": `fill_platforms` completes it from the cluster's defaults."""

    os: str
    architecture: str
    variant: str | None = None

    def __str__(self) -> str:
        base = f"{self.os or '*'}/{self.architecture or '*'}"
        return f"{base}/{self.variant}" if self.variant else base

    @property
    def is_complete(self) -> bool:
        return bool(self.os and self.architecture)

    @classmethod
    def parse(cls, text: str) -> Platform:
        parts = text.split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"platform must be os/arch[/variant], got {text!r}")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


def fill_platforms(pinned: Sequence[Platform], defaults: Sequence[Platform]) -> tuple[Platform, ...]:
    """The platforms a pod may run on: the os and the architecture each default on their own.

    ``pinned`` is what the pod's nodeSelector / required node affinity pins (`PodSpec.platforms`: an
    empty part is not pinned); ``defaults`` are the cluster's platforms (``cluster.platforms``), else
    PL404's ``default-platform``. A pod pinning only ``kubernetes.io/os: linux`` on an arm64 cluster
    runs on linux/arm64, never on an implied amd64.
    """
    if not pinned:
        return tuple(dict.fromkeys(defaults))
    out: list[Platform] = []
    for want in pinned:
        if want.is_complete:
            variant = want.variant or next(
                (d.variant for d in defaults if (d.os, d.architecture) == (want.os, want.architecture)), None
            )
            out.append(Platform(want.os, want.architecture, variant))
        elif want.os:
            same = [d for d in defaults if d.os == want.os]
            out += same or [Platform(want.os, d.architecture, d.variant) for d in defaults]
        elif want.architecture:
            same = [d for d in defaults if d.architecture == want.architecture]
            out += same or [Platform(d.os, want.architecture, want.variant) for d in defaults]
        else:
            out += defaults
    return tuple(dict.fromkeys(out))


class Runtime(enum.Enum):
    """The node's container runtime: it decides which entry of an image index a node pulls."""

    CONTAINERD = "containerd"  # falls back across architectures: arm64 -> arm/v8..v5, amd64 -> 386
    CRIO = "cri-o"  # containers/image: the architecture must match exactly, variants too

    @classmethod
    def parse(cls, text: str) -> Runtime:
        try:
            return cls(text.strip().lower().replace("crio", "cri-o"))
        except ValueError:
            raise ValueError(f"unknown container runtime {text!r} (expected containerd or cri-o)") from None


def _containerd_normal(p: Platform) -> Platform:
    """containerd's `platforms.Normalize`: architecture aliases and default variants."""
    arch, variant = p.architecture.lower(), (p.variant or "").lower()
    if arch == "i386":
        arch, variant = "386", ""
    elif arch in ("x86_64", "x86-64", "amd64"):
        arch, variant = "amd64", "" if variant == "v1" else variant
    elif arch in ("aarch64", "arm64"):
        arch = "arm64"
        variant = {"8": "", "v8": "", "v8.0": "", "9": "v9", "9.0": "v9", "v9.0": "v9"}.get(variant, variant)
    elif arch == "armhf":
        arch, variant = "arm", "v7"
    elif arch == "armel":
        arch, variant = "arm", "v6"
    elif arch == "arm" and variant in ("", "7", "5", "6", "8"):
        variant = "v7" if variant in ("", "7") else "v" + variant
    return Platform(p.os.lower(), arch, variant or None)


def _containerd_vector(want: Platform) -> list[Platform]:
    """What a containerd node of platform ``want`` accepts, best first (`platforms.Only`)."""
    want = _containerd_normal(want)
    vector = [want]
    if want.architecture == "amd64":
        vector.append(Platform(want.os, "386"))
    elif want.architecture == "arm":
        level = _arm_level(want.variant)
        vector += [Platform(want.os, "arm", f"v{v}") for v in range(level - 1, 4, -1)]
    elif want.architecture == "arm64":
        level = 8 if want.variant in (None, "v8") else _arm_level(want.variant)
        vector += [Platform(want.os, "arm", f"v{v}") for v in range(level, 4, -1)]
    return vector


def _arm_level(variant: str | None) -> int:
    text = (variant or "v7").lstrip("v").split(".")[0]
    return int(text) if text.isdigit() else 7


_CRIO_VARIANTS = {"arm": ("v8", "v7", "v6", "v5"), "arm64": ("v8",)}
# The variant a CRI-O node detects from its CPU when the wanted platform names none.
_CRIO_NODE_VARIANT = {"arm": "v7", "arm64": "v8"}


def _crio_variant(architecture: str, variant: str | None) -> str:
    """containers/image compares variants exactly; for amd64, ``v1`` is the baseline, i.e. none."""
    return "" if architecture == "amd64" and variant == "v1" else variant or ""


def _crio_candidates(want: Platform) -> list[Platform]:
    """containers/image `WantedPlatforms`: the same os and architecture, the node's variant and the
    less capable ones after it, then an entry without a variant (variants compared exactly)."""
    order = _CRIO_VARIANTS.get(want.architecture, ())
    variant = want.variant or _CRIO_NODE_VARIANT.get(want.architecture)
    variants: list[str | None]
    if variant:
        variants = list(order[order.index(variant) :]) if variant in order else [variant]
        variants.append(None)
    else:
        variants = [None, *order]
    return [Platform(want.os, want.architecture, v) for v in variants]


class PlatformMatch(NamedTuple):
    """Which entry a node of platform ``wanted`` pulls, as its runtime chooses."""

    wanted: Platform
    chosen: Platform | None  # None: the runtime finds no entry ("no matching manifest")
    runtime: Runtime
    # The image is a single manifest, not an index: both runtimes pull it whatever its platform, and a
    # wrong one fails at start ("exec format error").
    single_manifest: bool = False

    @property
    def cross_architecture(self) -> bool:
        """containerd took another architecture's entry (arm64 -> arm, amd64 -> 386): it runs only where
        the node supports 32-bit binaries."""
        if self.chosen is None:
            return False
        return _containerd_normal(self.chosen).architecture != _containerd_normal(self.wanted).architecture


def match_platform(
    entries: Sequence[Platform], wanted: Platform, runtime: Runtime, *, single_manifest: bool = False
) -> PlatformMatch:
    """The entry of ``entries`` a ``wanted`` node pulls with ``runtime`` (containerd's ordered platform
    vector with its fallbacks, or CRI-O's exact architecture), or none."""
    if runtime is Runtime.CONTAINERD:
        normal = [_containerd_normal(e) for e in entries]
        for candidate in _containerd_vector(wanted):
            for entry, norm in zip(entries, normal, strict=True):
                if norm == candidate:
                    return PlatformMatch(wanted, entry, runtime, single_manifest)
        return PlatformMatch(wanted, None, runtime, single_manifest)
    for candidate in _crio_candidates(wanted):
        for entry in entries:
            if (
                entry.os == candidate.os
                and entry.architecture == candidate.architecture
                and _crio_variant(entry.architecture, entry.variant)
                == _crio_variant(candidate.architecture, candidate.variant)
            ):
                return PlatformMatch(wanted, entry, runtime, single_manifest)
    return PlatformMatch(wanted, None, runtime, single_manifest)


class ImageFacts(NamedTuple):
    """Everything the registry told us about one (image reference, credential set) pair."""

    reference: str  # the normalised reference that was asked about
    status: Status
    digest: str | None = None
    # Platforms of an index or manifest list; None when unknown (single manifest, or index not fetched).
    platforms: tuple[Platform, ...] | None = None
    # For TAG_NOT_FOUND: existing tags nearest to the one asked for, best first.
    nearest_tags: tuple[str, ...] = ()
    # A short human explanation: "timeout connecting to ...", "x509: certificate signed by unknown authority".
    detail: str = ""
    # The triage class of a failure: "timeout", "dns", "refused", "tls", "http-on-https", "status-500", ...
    error_class: str | None = None
    ratelimit_limit: str | None = None
    ratelimit_remaining: str | None = None
    # Which credential was used, by name only: "secret prod/regcred", "docker config", None (anonymous).
    credential_label: str | None = None
    from_cache: bool = False
    extra: Mapping[str, str] = _EMPTY
    # For each platform the query asked about: the entry the node's runtime would pull (FOUND only,
    # when the platforms are known).
    platform_matches: tuple[PlatformMatch, ...] = ()


class ImageQuery(NamedTuple):
    """One question for the resolver: does this image exist, for these credentials, on this platform?

    The engine builds one per unique (reference, credential set, platform); the resolver answers each
    with `ImageFacts`. `credentials` are exactly those the pod would have (empty: anonymous).
    """

    image: ImageRef
    credentials: tuple[RegistryCredential, ...] = ()
    # When set, the image's platforms are read and matched (a single platform; see `platforms`).
    platform: Platform | None = None
    # Every platform the pod may run on (`fill_platforms`); with `platform`, the platforms asked about.
    platforms: tuple[Platform, ...] = ()

    @property
    def wanted_platforms(self) -> tuple[Platform, ...]:
        """The platforms to match, in order, without repeats (empty: the platforms are not asked)."""
        first = (self.platform,) if self.platform is not None else ()
        return tuple(dict.fromkeys((*first, *self.platforms)))
