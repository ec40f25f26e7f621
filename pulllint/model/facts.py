"""What a registry said about one image, as plain data: the only input network rules judge.

The resolver (pulllint.registry) produces `ImageFacts`; rules (pulllint.rules) read them. Neither wing
imports the other: both stand on this module.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
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
    UNAUTHORIZED = "unauthorized"  # 401/403 with the credentials the pod would have
    UNREACHABLE = "unreachable"  # timeout, DNS, refused, TLS, plain HTTP: could not verify
    RATE_LIMITED = "rate-limited"  # 429 after the retry budget: could not verify
    UNVERIFIED = "unverified"  # deliberately not asked (node identity of cloud registries, ...)


class Platform(NamedTuple):
    os: str
    architecture: str
    variant: str | None = None

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base

    @classmethod
    def parse(cls, text: str) -> Platform:
        parts = text.split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"platform must be os/arch[/variant], got {text!r}")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


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


class ImageQuery(NamedTuple):
    """One question for the resolver: does this image exist, for these credentials, on this platform?

    The engine builds one per unique (reference, credential set, platform); the resolver answers each
    with `ImageFacts`. `credentials` are exactly those the pod would have (empty: anonymous).
    """

    image: ImageRef
    credentials: tuple[RegistryCredential, ...] = ()
    platform: Platform | None = None  # when set, the index must contain it (GET the index)
