"""Shared judgements about an `image:` string, so the reference rules never report one cause twice."""

from __future__ import annotations

import re
from functools import lru_cache

from pulllint.images import ImageRef, InvalidReference, parse_image

# What template engines leave behind when a value is missing or a template was not rendered.
_PLACEHOLDERS = re.compile(r"\{\{|\}\}|\$\{[^}]*\}?|<no value>|<nil>|%!|\$\([A-Za-z_][A-Za-z0-9_]*\)")


@lru_cache(maxsize=8192)
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


@lru_cache(maxsize=8192)
def parsed(image: str) -> ImageRef | InvalidReference:
    """The kubelet's reading of `image`: an ImageRef, or the error it would report."""
    try:
        return parse_image(image)
    except InvalidReference as error:
        return error


def valid_reference(image: str | None) -> ImageRef | None:
    """The parsed reference when the image is present, rendered and valid; None otherwise."""
    if image is None or unrendered_reason(image) is not None:
        return None
    result = parsed(image)
    return result if isinstance(result, ImageRef) else None
