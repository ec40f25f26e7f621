"""pulllint.images against distribution/reference's own test vectors, plus kubelet-relevant cases.

tests/data/refvectors.tsv is a verbatim copy of the shared corpus of upstream test tables (335 rows).
Every row runs here. Go APIs that pulllint.images does not expose are rebuilt in a few lines below
from its parts (ParseNamed, ParseAnyReference, FamiliarMatch); the regexp rows run against the
module's compiled patterns.

One row is deliberately *not* reproduced and runs as a strict xfail (see ``_DEVIATIONS``):

* 15 — ``validname@sha512:<128 f>`` expecting ``digest.ErrDigestUnsupported``. Upstream has no such
  case: its reference_test.go imports crypto/sha512 and expects that very digest to be *valid* (the
  ``xn--7o8h.com`` case, which the corpus' row 26 changed to sha256). go-digest only reports a
  registered algorithm as unsupported when its hash is not linked in, and the kubelet links sha512,
  so the kubelet accepts this reference. The extra cases below pin the upstream behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from pulllint import images
from pulllint.images import (
    ImageRef,
    InvalidReference,
    parse,
    parse_docker_ref,
    parse_image,
    parse_normalized_named,
    with_name,
)

VECTORS = Path(__file__).parent / "data" / "refvectors.tsv"
SHA256 = "sha256:" + "e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"

_DEVIATIONS = {
    "15": "corpus-only row; upstream and the kubelet link crypto/sha512, so a 128-hex sha512 is valid",
}


class Vector(NamedTuple):
    id: str
    source_file: str
    test: str
    api: str
    input: str
    expect: str
    error_name: str
    error_message: str
    name: str
    domain: str
    path: str
    tag: str
    digest: str
    familiar: str
    full: str
    other: str


def _load_vectors() -> list[Vector]:
    lines = [line for line in VECTORS.read_text(encoding="utf-8").split("\n") if line]
    assert lines[0].startswith("# source: github.com/distribution/reference @ ")
    header, *rows = (line.split("\t") for line in lines if not line.startswith("#"))
    assert tuple(header) == Vector._fields
    return [Vector(*row) for row in rows]


VECTOR_ROWS = _load_vectors()


# --- Go APIs rebuilt from the module's parts ----------------------------------------------------------


def _parse_named(text: str) -> ImageRef:
    """Go's ParseNamed: ParseNormalizedNamed, and the input must already be the canonical string."""
    ref = parse_normalized_named(text)
    if str(ref) != text:
        raise InvalidReference("ErrNameNotCanonical", "repository name must be canonical")
    return ref


def _parse_any_reference(text: str) -> ImageRef | str:
    """Go's ParseAnyReference; a digest-only reference comes back as the digest string."""
    if images._IDENTIFIER_RE.fullmatch(text):
        return f"sha256:{text}"
    try:
        images._validate_digest(text)
    except InvalidReference:
        return parse_normalized_named(text)
    return text


def _go_path_match(pattern: str, name: str) -> bool:
    """Go's path.Match for the patterns used here: * and ? never cross "/", [...] is a class."""
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            parts.append("[^/]*")
        elif char == "?":
            parts.append("[^/]")
        elif char == "[":
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end]
            negate = body.startswith("^")
            parts.append("[" + ("^" if negate else "") + re.escape(body[negate:]).replace(r"\-", "-") + "]")
            i = end
        else:
            parts.append(re.escape(char))
        i += 1
    return re.fullmatch("".join(parts), name) is not None


def _familiar_match(pattern: str, ref: ImageRef | str) -> bool:
    """Go's FamiliarMatch: the familiar string, or failing that the familiar name."""
    if isinstance(ref, str):
        return _go_path_match(pattern, ref)
    return _go_path_match(pattern, ref.familiar()) or _go_path_match(pattern, ref.familiar_name)


_PARSERS: dict[str, Callable[[str], ImageRef | str]] = {
    "Parse": parse,
    "Field.UnmarshalText(Parse)": parse,  # UnmarshalText is Parse on the JSON string
    "ParseNormalizedNamed": parse_normalized_named,
    "ParseNamed": _parse_named,
    "ParseDockerRef": parse_docker_ref,
    "ParseAnyReference": _parse_any_reference,
    "FamiliarMatch(ParseAnyReference)": _parse_any_reference,
    "WithName": with_name,
}

_REGEXPS: dict[str, re.Pattern[str]] = {
    "anchoredDomainRegexp": images._DOMAIN_RE,
    "anchoredNameRegexp": images._NAME_RE,
    "ReferenceRegexp": images._REFERENCE_RE,
    "anchoredIdentifierRegexp": images._IDENTIFIER_RE,
}

# Columns the upstream test compares even when they are empty ("" domain, no tag, ...).
_ALWAYS_COMPARED = {
    "Parse": ("name", "domain", "tag", "digest"),
    "Field.UnmarshalText(Parse)": ("name", "tag", "digest"),
    "WithName": ("domain", "path"),
}


def _evaluate(row: Vector) -> ImageRef | str:
    if row.api in ("WithTag", "WithDigest"):
        invalid_components = row.test == "TestInvalidReferenceComponents"
        ref = parse_normalized_named(row.input) if invalid_components else with_name(row.input)
        # TestWithTag adds the digest first, TestWithDigest the tag first.
        if row.api == "WithTag":
            return (ref.with_digest(row.digest) if row.digest else ref).with_tag(row.tag)
        return (ref.with_tag(row.tag) if row.tag else ref).with_digest(row.digest)
    return _PARSERS[row.api](row.input)


def _observed(result: ImageRef | str) -> dict[str, str]:
    if isinstance(result, str):
        return {"digest": result, "full": result}
    return {
        "name": result.name,
        "domain": result.domain,
        "path": result.path,
        "tag": result.tag or "",
        "digest": result.digest or "",
        "familiar": result.familiar(),  # FamiliarString; equals FamiliarName when there is no tag/digest
        "full": str(result),
    }


def _notes(other: str) -> dict[str, str]:
    """The key=value notes of the `other` column (free-text notes are checked verbatim)."""
    pairs = (part.split("=", 1) for part in other.split("; ") if re.fullmatch(r"\w+=.*", part))
    return {key: value for key, value in pairs}


def _check_regexp(row: Vector) -> None:
    match = _REGEXPS[row.api].fullmatch(row.input)
    assert (match is not None) == (row.expect == "match")
    subs = _notes(row.other).get("subs")
    if match is not None and subs is not None:
        assert [group or "" for group in match.groups()] == subs.split("|")


def _param(row: Vector) -> object:
    reason = _DEVIATIONS.get(row.id)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(row, id=row.id, marks=marks)


@pytest.mark.parametrize("row", [_param(row) for row in VECTOR_ROWS])
def test_upstream_vector(row: Vector) -> None:
    if row.api in _REGEXPS:
        _check_regexp(row)
        return

    if row.expect == "invalid":
        with pytest.raises(InvalidReference) as caught:
            _evaluate(row)
        if row.error_name:
            assert caught.value.kind == row.error_name
        if row.error_message:
            assert caught.value.message == row.error_message
        return

    assert row.expect == "valid"
    result = _evaluate(row)
    observed = _observed(result)
    for column in ("name", "domain", "path", "tag", "digest", "familiar", "full"):
        expected = getattr(row, column)
        if expected or column in _ALWAYS_COMPARED.get(row.api, ()):
            assert observed[column] == expected, column

    notes = _notes(row.other)
    if row.other == "String() must round-trip to input":
        assert str(result) == row.input
    if "combined" in notes:
        assert str(result) == notes["combined"]
    if "equivalent" in notes:
        equivalent = notes["equivalent"]
        assert str(result) == equivalent
        assert result == (equivalent if isinstance(result, str) else parse(equivalent))
    if "FamiliarString()==input" in row.other:
        assert isinstance(result, ImageRef)
        assert result.familiar() == row.input
        assert result.tag is not None and result.digest is not None
    if "pattern" in notes:
        assert _familiar_match(notes["pattern"], result) == (notes["match"] == "true")
    if row.api == "ParseDockerRef":
        assert parse(str(result)) == result  # upstream also re-parses the output


def test_vector_file_is_complete() -> None:
    assert len(VECTOR_ROWS) == 335
    assert [row.id for row in VECTOR_ROWS] == [str(i) for i in range(1, 336)]


# --- kubelet-relevant cases of our own -----------------------------------------------------------------

LONG_DOMAIN = ".".join(["a" * 63] * 5) + ".com"  # 324 characters: the 255 limit is for the path only


@pytest.mark.parametrize(
    ("text", "full", "familiar", "reference"),
    [
        ("nginx", "docker.io/library/nginx", "nginx", "latest"),
        ("nginx:1.25", "docker.io/library/nginx:1.25", "nginx:1.25", "1.25"),
        (f"nginx:1.25@{SHA256}", f"docker.io/library/nginx:1.25@{SHA256}", f"nginx:1.25@{SHA256}", SHA256),
        ("docker.io/nginx", "docker.io/library/nginx", "nginx", "latest"),
        ("index.docker.io/library/nginx:1", "docker.io/library/nginx:1", "nginx:1", "1"),
        ("bitnami/redis", "docker.io/bitnami/redis", "bitnami/redis", "latest"),
        ("library/a/b", "docker.io/library/a/b", "library/a/b", "latest"),
        ("quay.io/x/y:v1", "quay.io/x/y:v1", "quay.io/x/y:v1", "v1"),
        ("Quay.io/x/y", "Quay.io/x/y", "Quay.io/x/y", "latest"),  # uppercase is fine in a host
        ("localhost/foo", "localhost/foo", "localhost/foo", "latest"),
        ("localhost:5000/foo", "localhost:5000/foo", "localhost:5000/foo", "latest"),
        # A single component is always Docker Hub: this is library/localhost with tag 5000.
        ("localhost:5000", "docker.io/library/localhost:5000", "localhost:5000", "5000"),
        ("[::1]:5000/foo:bar", "[::1]:5000/foo:bar", "[::1]:5000/foo:bar", "bar"),
        ("a" * 247, f"docker.io/library/{'a' * 247}", "a" * 247, "latest"),  # path is exactly 255
        (f"{LONG_DOMAIN}/app", f"{LONG_DOMAIN}/app", f"{LONG_DOMAIN}/app", "latest"),
        ("nginx:" + "v" * 128, "docker.io/library/nginx:" + "v" * 128, "nginx:" + "v" * 128, "v" * 128),
        # Upstream's own sha512 case (row 26 of the corpus has it rewritten to sha256).
        (
            "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + "f" * 128,
            "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + "f" * 128,
            "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + "f" * 128,
            "sha512:" + "f" * 128,
        ),
        (
            "app@sha384:" + "0" * 96,
            "docker.io/library/app@sha384:" + "0" * 96,
            "app@sha384:" + "0" * 96,
            "sha384:" + "0" * 96,
        ),
        # The first component has a dot, so it is taken as a domain, but "_" is not allowed in one:
        # Go then keeps the whole name as a path with an empty domain.
        ("foo_bar.com/x", "foo_bar.com/x", "foo_bar.com/x", "latest"),
    ],
)
def test_parse_image_valid(text: str, full: str, familiar: str, reference: str) -> None:
    ref = parse_image(text)
    assert str(ref) == full
    assert ref.familiar() == familiar
    assert ref.reference == reference
    assert ref.is_docker_hub == full.startswith("docker.io/")


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        (
            "Nginx",
            "ErrNameContainsUppercase",
            "invalid reference format: repository name (library/Nginx) must be lowercase",
        ),
        (
            "quay.io/Org/app",
            "ErrNameContainsUppercase",
            "invalid reference format: repository name (Org/app) must be lowercase",
        ),
        (
            "docker.io/Library/nginx:1",
            "ErrNameContainsUppercase",
            "invalid reference format: repository name (Library/nginx) must be lowercase",
        ),
        ("nginx:", "ErrReferenceInvalidFormat", "invalid reference format"),
        ("nginx:" + "v" * 129, "ErrReferenceInvalidFormat", "invalid reference format"),
        ("nginx:-1", "ErrReferenceInvalidFormat", "invalid reference format"),
        ("nginx\n", "ErrReferenceInvalidFormat", "invalid reference format"),
        (" nginx", "ErrReferenceInvalidFormat", "invalid reference format"),
        ("", "ErrReferenceInvalidFormat", "invalid reference format"),
        ("https://registry.example.com/app", "ErrReferenceInvalidFormat", "invalid reference format"),
        ("[fe80::1%eth0]:5000/app", "ErrReferenceInvalidFormat", "invalid reference format"),
        ("a" * 248, "ErrNameTooLong", "repository name must not be more than 255 characters"),
        ("nginx@sha256:" + "f" * 63, "digest.ErrDigestInvalidLength", "invalid checksum digest length"),
        ("nginx@sha512:" + "f" * 127, "digest.ErrDigestInvalidLength", "invalid checksum digest length"),
        ("nginx@sha256:" + "F" * 64, "digest.ErrDigestInvalidFormat", "invalid checksum digest format"),
        ("nginx:1@SHA256:" + "f" * 64, "digest.ErrDigestInvalidFormat", "invalid checksum digest format"),
        # Without a tag, everything up to the first ":" counts as the repository name.
        (
            "nginx@SHA256:" + "f" * 64,
            "ErrNameContainsUppercase",
            "invalid reference format: repository name (library/nginx@SHA256) must be lowercase",
        ),
        ("nginx@md5:" + "f" * 32, "digest.ErrDigestUnsupported", "unsupported digest algorithm"),
        (
            "f" * 64,
            "ErrNameNotCanonical",
            f"invalid repository name ({'f' * 64}), cannot specify 64-byte hexadecimal strings",
        ),
    ],
)
def test_parse_image_invalid(text: str, kind: str, message: str) -> None:
    with pytest.raises(InvalidReference) as caught:
        parse_image(text)
    assert (caught.value.kind, caught.value.message, str(caught.value)) == (kind, message, message)


@pytest.mark.parametrize(
    ("text", "domain", "host", "port"),
    [
        ("nginx", "docker.io", "docker.io", None),
        ("localhost:5000/foo", "localhost:5000", "localhost", 5000),
        ("registry.example.com:443/team/app", "registry.example.com:443", "registry.example.com", 443),
        ("[::1]:5000/foo:bar", "[::1]:5000", "::1", 5000),
        ("[2001:db8::1]/repo", "[2001:db8::1]", "2001:db8::1", None),
        ("foo_bar.com/x", "", "", None),
    ],
)
def test_host_and_port(text: str, domain: str, host: str, port: int | None) -> None:
    ref = parse_image(text)
    assert (ref.domain, ref.host, ref.port) == (domain, host, port)


def test_parse_image_keeps_tag_and_digest_as_written() -> None:
    assert parse_image("nginx") == ImageRef("docker.io", "library/nginx")
    assert parse_image(f"bitnami/redis:7@{SHA256}") == ImageRef("docker.io", "bitnami/redis", "7", SHA256)
    assert parse_image("nginx").name == "docker.io/library/nginx"
    assert parse_image("nginx").familiar_name == "nginx"


def test_parse_image_is_cached() -> None:
    assert parse_image("registry.k8s.io/pause:3.9") is parse_image("registry.k8s.io/pause:3.9")


def test_parse_docker_ref_prefers_the_digest() -> None:
    assert str(parse_docker_ref(f"nginx:1.25@{SHA256}")) == f"docker.io/library/nginx@{SHA256}"
    assert str(parse_docker_ref("nginx")) == "docker.io/library/nginx:latest"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # Go lowercases with simple case mapping: U+0130 becomes "i" and KELVIN SIGN becomes "k", so
        # these read as uppercase names rather than as garbage.
        ("\u0130mage:tag", "ErrNameContainsUppercase"),
        ("\u212aube:tag", "ErrNameContainsUppercase"),
        ("imag\u00e9:tag", "ErrReferenceInvalidFormat"),
        ("Uppercase/lowercase:tag", None),  # valid: Parse() reads "Uppercase" as a domain
    ],
)
def test_parse_uppercase_detection(text: str, kind: str | None) -> None:
    if kind is None:
        assert parse(text) == ImageRef("Uppercase", "lowercase", "tag")
        return
    with pytest.raises(InvalidReference) as caught:
        parse(text)
    assert caught.value.kind == kind


def test_with_tag_and_with_digest_validate_their_argument() -> None:
    ref = with_name("example.com/app")
    with pytest.raises(InvalidReference) as caught:
        ref.with_tag("-bad")
    assert (caught.value.kind, caught.value.message) == ("ErrTagInvalidFormat", "invalid tag format")
    with pytest.raises(InvalidReference) as caught:
        ref.with_digest("sha256:abc")
    assert (caught.value.kind, caught.value.message) == ("ErrDigestInvalidFormat", "invalid digest format")
    assert str(ref.with_tag("v1").with_digest(SHA256).with_tag("v2")) == f"example.com/app:v2@{SHA256}"
