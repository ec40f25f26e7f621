"""PL101 invalid-image-reference."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.images import InvalidReference, parsed_or_error, unrendered_reason
from pulllint.rules import Rule, RuleContext, container_finding


class InvalidImageReference(Rule):
    """## What it does
    Parses every `image:` exactly as the kubelet does (distribution/reference v0.6.0, the parser behind
    `InvalidImageName`) and reports the references it rejects, with the parser's own reason: uppercase
    letters in the repository, a path over 255 characters, a malformed or truncated digest, an
    unsupported digest algorithm, stray characters, leading or trailing whitespace.

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
            if isinstance(result, InvalidReference):
                yield container_finding(
                    container,
                    f"invalid image reference {image!r}: {result.message} (kubelet: InvalidImageName)",
                )


RULE = InvalidImageReference
