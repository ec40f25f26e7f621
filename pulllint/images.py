"""Image references, parsed and normalised exactly as distribution/reference v0.6.0 does.

The kubelet turns a container's ``image`` into a reference with ``reference.ParseNormalizedNamed``;
whatever fails there is reported as ``InvalidImageName`` and never pulled. This module reimplements
that parser (grammar, Docker Hub normalisation, error classes and messages) together with the digest
checks of go-digest v1.0.0, so a manifest can be judged without running Go.

Grammar (from distribution/reference)::

    reference   := name [ ":" tag ] [ "@" digest ]
    name        := [domain "/"] remote-name
    domain      := host [":" port-number]
    host        := domain-name | IPv4address | "[" IPv6address "]"
    remote-name := path-component ["/" path-component]*     (lowercase; at most 255 characters)
    tag         := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
    digest      := algorithm ":" hex                         (hex: at least 32 characters)

Entry points: ``parse_image`` (what the kubelet does, cached), ``parse`` (Go ``Parse``: no
normalisation), ``parse_normalized_named``, ``parse_docker_ref`` (what containerd pulls) and
``with_name``; for a container's ``image`` string as written: ``unrendered_reason`` (a template left
unrendered or an empty value), ``parsed_or_error`` and ``valid_reference``. The caches are memos of pure
functions of one string: they never change an answer.
"""

from __future__ import annotations

import functools
import re
from typing import Final, NamedTuple

__all__ = [
    "ImageRef",
    "InvalidReference",
    "capitalised_host",
    "parse",
    "parse_docker_ref",
    "parse_image",
    "parse_normalized_named",
    "parsed_or_error",
    "reference_or_none",
    "unrendered_reason",
    "valid_reference",
    "with_name",
]

_DOCKER_HUB: Final = "docker.io"
_LEGACY_DOCKER_HUB: Final = "index.docker.io"
_OFFICIAL_PREFIX: Final = "library/"
_DEFAULT_TAG: Final = "latest"
_NAME_MAX: Final = 255  # applies to the remote name (path) only, never to the domain

# --- grammar ---------------------------------------------------------------------------------------
# Always used with fullmatch(): Go anchors with ^...$, and Python's "$" would also accept a trailing
# newline. Classes are spelled out because Python's \w is Unicode while Go's is ASCII-only.
_ALNUM = "[a-z0-9]+"
_SEPARATOR = "(?:[._]|__|-+)"
_PATH_COMPONENT = f"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_REMOTE_NAME = f"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6 = r"\[[a-fA-F0-9:]+\]"  # no zone identifiers, no IPv4-mapped forms
_DOMAIN_AND_PORT = f"(?:{_DOMAIN_NAME}|{_IPV6})(?::[0-9]+)?"
_TAG = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

_DOMAIN_RE: Final = re.compile(_DOMAIN_AND_PORT)
_NAME_RE: Final = re.compile(f"(?:({_DOMAIN_AND_PORT})/)?({_REMOTE_NAME})")  # groups: domain, path
_REFERENCE_RE: Final = re.compile(  # groups: name, tag, digest
    f"((?:{_DOMAIN_AND_PORT}/)?{_REMOTE_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?"
)
_TAG_RE: Final = re.compile(_TAG)
_DIGEST_RE: Final = re.compile(_DIGEST)
_IDENTIFIER_RE: Final = re.compile("[a-f0-9]{64}")  # a bare sha256 image ID

# go-digest: the hex length of each registered algorithm (the kubelet links all three), and the
# looser syntax it uses to tell "unknown algorithm" from "garbage".
_DIGEST_HEX_LENGTH: Final = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX_RE: Final = re.compile("[a-f0-9]+")
_GO_DIGEST_RE: Final = re.compile("[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")

# --- errors: kind (the Go error's name) -> Go message ----------------------------------------------
_MESSAGES: Final = {
    "ErrReferenceInvalidFormat": "invalid reference format",
    "ErrTagInvalidFormat": "invalid tag format",
    "ErrDigestInvalidFormat": "invalid digest format",
    "ErrNameContainsUppercase": "repository name must be lowercase",
    "ErrNameEmpty": "repository name must have at least one component",
    "ErrNameTooLong": f"repository name must not be more than {_NAME_MAX} characters",
    "ErrNameNotCanonical": "repository name must be canonical",
    "digest.ErrDigestInvalidFormat": "invalid checksum digest format",
    "digest.ErrDigestInvalidLength": "invalid checksum digest length",
    "digest.ErrDigestUnsupported": "unsupported digest algorithm",
}


class InvalidReference(ValueError):
    """The kubelet would reject this reference with InvalidImageName."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _fail(kind: str) -> InvalidReference:
    return InvalidReference(kind, _MESSAGES[kind])


class ImageRef(NamedTuple):
    """A parsed reference. ``domain`` is "" only for references parsed without normalisation."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """The repository name: ``docker.io/library/nginx``."""
        return f"{self.domain}/{self.path}" if self.domain else self.path

    @property
    def familiar_name(self) -> str:
        """The name as Docker's UI shows it: ``nginx``, ``bitnami/redis``, ``quay.io/x/y``."""
        if self.domain != _DOCKER_HUB:
            return self.name
        rest = self.path.removeprefix(_OFFICIAL_PREFIX)
        # Only a single component drops "library/": "library/a/b" stays as it is.
        return rest if rest != self.path and "/" not in rest else self.path

    @property
    def is_docker_hub(self) -> bool:
        return self.domain == _DOCKER_HUB

    @property
    def reference(self) -> str:
        """What the runtime asks the registry for: the digest wins over the tag; no tag means latest."""
        return self.digest or self.tag or _DEFAULT_TAG

    @property
    def host(self) -> str:
        """The domain without its port; an IPv6 address comes without its brackets (``::1``)."""
        return _split_domain(self.domain)[0]

    @property
    def port(self) -> int | None:
        return _split_domain(self.domain)[1]

    def __str__(self) -> str:
        return self._render(self.name)

    def familiar(self) -> str:
        """Like Go's ``FamiliarString``: ``nginx:1.25``, ``bitnami/redis@sha256:...``."""
        return self._render(self.familiar_name)

    def with_tag(self, tag: str) -> ImageRef:
        """Go's ``WithTag``: replace the tag, keep any digest."""
        if not _TAG_RE.fullmatch(tag):
            raise _fail("ErrTagInvalidFormat")
        return self._replace(tag=tag)

    def with_digest(self, digest: str) -> ImageRef:
        """Go's ``WithDigest``: replace the digest, keep any tag. Checks syntax only, like Go."""
        if not _DIGEST_RE.fullmatch(digest):
            raise _fail("ErrDigestInvalidFormat")
        return self._replace(digest=digest)

    def _render(self, name: str) -> str:
        tag = f":{self.tag}" if self.tag is not None else ""
        digest = f"@{self.digest}" if self.digest is not None else ""
        return f"{name}{tag}{digest}"


def parse(text: str) -> ImageRef:
    """Go's ``Parse``: check the syntax, split the name, validate any digest; no normalisation."""
    if not text:
        raise _fail("ErrNameEmpty")
    match = _REFERENCE_RE.fullmatch(text)
    if match is None:
        lowered = _go_lower(text)
        if lowered != text and _REFERENCE_RE.fullmatch(lowered):
            raise _fail("ErrNameContainsUppercase")
        raise _fail("ErrReferenceInvalidFormat")
    name, tag, digest = match.groups()
    ref = with_name(name)
    if digest is not None:
        _validate_digest(digest)
    return ImageRef(ref.domain, ref.path, tag, digest)


def parse_normalized_named(text: str) -> ImageRef:
    """Go's ``ParseNormalizedNamed``: a familiar name ("nginx:1.25") made fully qualified."""
    if _IDENTIFIER_RE.fullmatch(text):
        # Go returns an ad-hoc error here; ErrNameNotCanonical is the closest class it has.
        raise InvalidReference(
            "ErrNameNotCanonical",
            f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings",
        )
    domain, remainder = _split_docker_domain(text)
    remote = remainder.partition(":")[0]
    if _go_lower(remote) != remote:
        # Go's own wording for this case; Parse() would call the same problem ErrNameContainsUppercase.
        raise InvalidReference(
            "ErrNameContainsUppercase",
            f"invalid reference format: repository name ({remote}) must be lowercase",
        )
    return parse(f"{domain}/{remainder}")


@functools.lru_cache(maxsize=4096)
def parse_image(text: str) -> ImageRef:
    """Parse a container's ``image`` as the kubelet does; raises InvalidReference if it would refuse it.

    Tag and digest are kept as written (no default tag is filled in; ``ImageRef.reference`` gives what
    is pulled). Results are cached: the same images recur across a whole cluster's manifests.
    """
    return parse_normalized_named(text)


def parse_docker_ref(text: str) -> ImageRef:
    """Go's ``ParseDockerRef`` (what containerd pulls): the digest drops the tag; no tag becomes latest."""
    ref = parse_normalized_named(text)
    if ref.digest is not None:
        return ref._replace(tag=None)
    if ref.tag is None:
        return ref._replace(tag=_DEFAULT_TAG)
    return ref


def with_name(name: str) -> ImageRef:
    """Go's ``WithName``: a bare repository name (no tag, no digest), split into domain and path."""
    match = _NAME_RE.fullmatch(name)
    if match is None:
        raise _fail("ErrReferenceInvalidFormat")
    domain, path = match.groups()
    if len(path) > _NAME_MAX:
        raise _fail("ErrNameTooLong")
    return ImageRef(domain or "", path)


def _split_docker_domain(name: str) -> tuple[str, str]:
    """Split a familiar name into (domain, remainder), applying Docker Hub's defaults."""
    first, slash, rest = name.partition("/")
    if not slash:
        # A single component is always a Docker Hub official image, even "localhost" or "example.com".
        return _DOCKER_HUB, _OFFICIAL_PREFIX + name
    if first == _LEGACY_DOCKER_HUB:
        domain, remote = _DOCKER_HUB, rest
    elif first == "localhost" or "." in first or ":" in first or _go_lower(first) != first:
        # Uppercase is not allowed in a namespace, so an uppercase first component must be a host.
        domain, remote = first, rest
    else:
        domain, remote = _DOCKER_HUB, name
    if domain == _DOCKER_HUB and "/" not in remote:
        remote = _OFFICIAL_PREFIX + remote
    return domain, remote


def _validate_digest(digest: str) -> None:
    """go-digest v1.0.0 ``Digest.Validate`` with sha256, sha384 and sha512 registered."""
    algorithm, _, encoded = digest.partition(":")
    if not algorithm or not encoded:
        raise _fail("digest.ErrDigestInvalidFormat")
    expected = _DIGEST_HEX_LENGTH.get(algorithm)
    if expected is None:
        well_formed = _GO_DIGEST_RE.fullmatch(digest) is not None
        raise _fail("digest.ErrDigestUnsupported" if well_formed else "digest.ErrDigestInvalidFormat")
    length = len(encoded) if encoded.isascii() else len(encoded.encode())  # Go counts bytes
    if length != expected:
        raise _fail("digest.ErrDigestInvalidLength")
    if not _LOWER_HEX_RE.fullmatch(encoded):
        raise _fail("digest.ErrDigestInvalidFormat")


def _go_lower(text: str) -> str:
    """Go's ``strings.ToLower``: simple case mapping, so "İ" becomes "i" (Python gives "i" + U+0307)."""
    if text.isascii():
        return text.lower()
    return text.replace("\u0130", "i").lower()


def _split_domain(domain: str) -> tuple[str, int | None]:
    if domain.startswith("["):
        end = domain.index("]")
        host, rest = domain[1:end], domain[end + 1 :]
    else:
        host, colon, port = domain.partition(":")
        rest = colon + port
    return host, int(rest[1:]) if rest else None


# --- an `image:` value as written ------------------------------------------------------------------

# What template engines leave behind when a value is missing or a template was not rendered.
_PLACEHOLDERS = re.compile(r"\{\{|\}\}|\$\{[^}]*\}?|<no value>|<nil>|%!|\$\([A-Za-z_][A-Za-z0-9_]*\)")


@functools.lru_cache(maxsize=8192)
def unrendered_reason(image: str) -> str | None:
    """Why `image` looks like an unrendered template or an empty value, or None."""
    if not image.strip():
        return "the image is empty"
    match = _PLACEHOLDERS.search(image)
    if match:
        return f"the image contains the template placeholder {match.group(0)!r}"
    if image.endswith(":") and "/" not in image.rsplit(":", 1)[-1]:
        return "the tag is empty (a missing tag value rendered as nothing)"
    if image.endswith("@"):
        return "the digest is empty"
    if image.startswith((":", "@", "/")):
        return "the repository is empty (a missing repository value rendered as nothing)"
    return None


@functools.lru_cache(maxsize=8192)
def parsed_or_error(image: str) -> ImageRef | InvalidReference:
    """The kubelet's reading of `image`: an ImageRef, or the error it would report."""
    try:
        return parse_image(image)
    except InvalidReference as error:
        return error


def valid_reference(image: str | None) -> ImageRef | None:
    """The parsed reference when the image is present, rendered and valid; None otherwise.

    A reference whose host is only a host because of a capital letter (`Shop/report:1.0` names the
    host `Shop`) counts as invalid: PL101 reports it, and no rule judges a registry called `Shop`.
    """
    if image is None or unrendered_reason(image) is not None:
        return None
    ref = reference_or_none(image)
    return None if ref is None or capitalised_host(image) is not None else ref


def reference_or_none(image: str | None) -> ImageRef | None:
    """The kubelet's reading of `image`, or None when it is absent or refused (no other judgement)."""
    if not image:
        return None
    result = parsed_or_error(image)
    return result if isinstance(result, ImageRef) else None


def capitalised_host(image: str) -> str | None:
    """The first component of `image` when distribution/reference reads it as a registry host only
    because it holds a capital letter (no dot, no port, not localhost): almost always a typo."""
    name = image.partition("@")[0]
    first, slash, _ = name.partition("/")
    if slash and first != first.lower() and "." not in first and ":" not in first:
        return first
    return None
