"""PL101 invalid-image-reference."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.images import ImageRef, InvalidReference, capitalised_host, parsed_or_error, unrendered_reason
from pulllint.rules import Rule, RuleContext, container_finding


class InvalidImageReference(Rule):
    """## What it does
    Parses every `image:` exactly as the kubelet does (distribution/reference v0.6.0, the parser behind
    `InvalidImageName`) and reports the references it rejects, with the parser's own reason: uppercase
    letters in the repository, a path over 255 characters, a malformed or truncated digest, an
    unsupported digest algorithm, stray characters, leading or trailing whitespace. The message names
    the real cause and, where lowercasing is all it takes, the fix.

    A capital letter in the first component makes the parser read it as a registry host: `Shop/Report`
    is refused for `Report`, and `Shop/report` would even parse, to be pulled from a host called
    `Shop`. Both are reported as that cause ("parsed as a registry host; lowercase the repository
    path"), and no other rule judges a registry called `Shop`.

    ## Why it matters
    The pod never starts: the kubelet reports `InvalidImageName` ("Failed to apply default image tag
    ...: couldn't parse image reference ...: invalid reference format") and does not retry with another
    name. Peer linters that check only the tag pass such images: checkov's `imageWithDigest` fixture
    (`...kubernetes-kafka@sha256:123456`) has a truncated digest the kubelet refuses.

    ## Example
    ```yaml
    image: MyRegistry.example.com/Team/App:1.0   # repository must be lowercase
    image: nginx@sha256:123456                   # invalid checksum digest length
    ```

    ## Fix
    Lowercase the repository (the tag may keep its case), use a full 64-hex sha256 digest, or copy the
    reference from `docker buildx imagetools inspect` / your registry's UI.
    """

    code = "PL101"
    name = "invalid-image-reference"
    severity = Severity.ERROR
    summary = "The kubelet cannot parse the image reference (InvalidImageName)."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container in ctx.manifests.containers():
            image = container.image
            if image is None or unrendered_reason(image) is not None:
                continue  # absent (PL002) or unrendered (PL104)
            if image != image.strip():
                yield container_finding(
                    container,
                    f"image {image!r} has leading or trailing whitespace; the API server rejects it",
                    fix=f"image: {image.strip()}",
                )
                continue
            result = parsed_or_error(image)
            host = capitalised_host(image)
            if not isinstance(result, InvalidReference) and host is None:
                continue
            fixed = _lowercased(image)
            if host is not None:
                tail = (
                    " (kubelet: InvalidImageName)"
                    if isinstance(result, InvalidReference)
                    else f": the kubelet would pull it from a host called {host!r}"
                )
                message = (
                    f"invalid image reference {image!r}: its first component {host!r} has a capital letter, "
                    f"so it is parsed as a registry host, not as part of the repository path{tail}; "
                    "lowercase the repository path"
                )
            else:
                assert isinstance(result, InvalidReference)
                message = f"invalid image reference {image!r}: {result.message} (kubelet: InvalidImageName)"
            yield container_finding(container, message, fix=f"image: {fixed}" if fixed else None)


def _split(image: str) -> tuple[str, str]:
    """(name, the `:tag` and `@digest` that follow it)."""
    name, at, digest = image.partition("@")
    slash, colon = name.rfind("/"), name.rfind(":")
    suffix = at + digest
    if colon > slash:
        name, suffix = name[:colon], name[colon:] + suffix
    return name, suffix


def _lowercased(image: str) -> str | None:
    """The reference with its repository path lowercased (a real host and the tag keep their case),
    when that is all that is wrong with it."""
    name, suffix = _split(image)
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        fixed = f"{first}/{rest.lower()}{suffix}"
    else:
        fixed = name.lower() + suffix
    if fixed == image or not isinstance(parsed_or_error(fixed), ImageRef) or capitalised_host(fixed):
        return None
    return fixed


RULE = InvalidImageReference
