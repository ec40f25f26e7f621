"""Pure pieces of the registry wing: tag suggestions, challenge parsing, host rules, cache keys, imports."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from pulllint.images import parse_image
from pulllint.model.credentials import RegistryCredential
from pulllint.model.facts import ImageFacts, ImageQuery, Platform, Status
from pulllint.registry import RegistrySettings
from pulllint.registry._auth import Challenge, may_send_credentials, parse_www_authenticate, pick_challenge
from pulllint.registry._cache import DiskCache
from pulllint.registry._client import Origin
from pulllint.registry._refs import api_host, is_loopback, matches_host_list, split_host_port
from pulllint.registry._tags import edit_distance, nearest_tags


@pytest.mark.parametrize(
    ("wanted", "existing", "expected"),
    [
        ("1.25.2", ["1.25.0", "1.25.1", "1.26.0", "2.0.0", "latest"], ("1.25.1", "1.25.0", "1.26.0")),
        (
            "1.25.2-alpine",
            ["1.25.1", "1.25.1-alpine", "1.26.0-alpine"],
            ("1.25.1-alpine", "1.26.0-alpine", "1.25.1"),
        ),
        ("v1.2", ["v1.2.0", "v1.3.0", "v2.0.0"], ("v1.2.0", "v1.3.0")),
        ("lastest", ["latest", "stable", "main"], ("latest",)),
        ("prod", ["production", "staging"], ("production",)),
        ("1.0", ["sha256-" + "a" * 64 + ".sig", "1.1"], ("1.1",)),
        ("2.0", ["10.0", "main"], ()),
    ],
)
def test_nearest_tags(wanted: str, existing: list[str], expected: tuple[str, ...]) -> None:
    assert nearest_tags(wanted, existing)[: len(expected) or None] == expected


def test_nearest_tags_at_most_five_and_fast() -> None:
    tags = [f"{a}.{b}.{c}" for a in range(3) for b in range(40) for c in range(30)]
    result = nearest_tags("1.20.15", tags)
    assert result[0] in ("1.20.14", "1.20.16") and len(result) == 5


def test_edit_distance() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("a", "abcdef", bound=2) == 3


def test_parse_www_authenticate() -> None:
    header = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push",error="insufficient_scope"'
    [challenge] = parse_www_authenticate(header)
    assert challenge.scheme == "bearer"
    assert challenge.realm == "https://auth.docker.io/token"
    assert challenge.service == "registry.docker.io"
    assert challenge.get("scope") == "repository:library/nginx:pull,push"
    assert challenge.error == "insufficient_scope"
    both = parse_www_authenticate(
        'Basic realm="a \\"quoted\\" realm", Bearer realm="https://x/t",service=svc'
    )
    assert [c.scheme for c in both] == ["basic", "bearer"]
    assert both[0].realm == 'a "quoted" realm'
    assert both[1].service == "svc"
    assert pick_challenge(both) == both[1]
    assert pick_challenge(parse_www_authenticate("Negotiate")) is None
    assert parse_www_authenticate(None) == []


@pytest.mark.parametrize(
    ("realm", "registry", "insecure", "allowed"),
    [
        ("https://auth.example.com/token", "https://reg.example.com", (), True),
        ("http://auth.example.com/token", "https://reg.example.com", (), False),
        ("http://127.0.0.1:9000/token", "http://127.0.0.1:5000", (), True),
        ("http://localhost:9000/token", "http://127.0.0.1:5000", (), False),
        ("http://reg.internal:9000/token", "http://reg.internal:5000", ("reg.internal:5000",), True),
        ("http://reg.internal:9000/token", "https://reg.internal", (), False),
    ],
)
def test_may_send_credentials(realm: str, registry: str, insecure: tuple[str, ...], allowed: bool) -> None:
    assert may_send_credentials(httpx.URL(realm), Origin.of(httpx.URL(registry)), insecure) is allowed


def test_host_rules() -> None:
    assert split_host_port("[::1]:5000") == ("::1", 5000)
    assert split_host_port("Example.com") == ("example.com", None)
    assert all(
        is_loopback(h) for h in ("localhost", "localhost:5000", "127.0.0.1:5000", "127.9.9.9", "[::1]:5000")
    )
    assert not any(is_loopback(h) for h in ("example.com", "10.0.0.1:5000", "localhost.example.com"))
    assert matches_host_list("10.1.2.3:5000", ("10.0.0.0/8",))
    assert matches_host_list("reg.internal:5000", ("reg.internal",))
    assert not matches_host_list("reg.internal:5000", ("reg.internal:6000", "other"))
    assert api_host("docker.io") == "registry-1.docker.io"
    assert api_host("quay.io") == "quay.io"


def test_cache_key_depends_on_credentials_not_stored(tmp_path: object) -> None:
    settings = RegistrySettings(cache_dir=str(tmp_path))
    cache = DiskCache(settings)
    image = parse_image("registry.example.com/app:1.0")

    def cred(password: str) -> RegistryCredential:
        return RegistryCredential("secret ns/regcred", "registry.example.com", "bob", password)

    q1 = ImageQuery(image, (cred("one"),))
    q2 = ImageQuery(image, (cred("two"),))
    q3 = ImageQuery(image, (), Platform("linux", "arm64"))
    facts = ImageFacts(
        str(image), Status.FOUND, digest="sha256:" + "1" * 64, credential_label="secret ns/regcred"
    )
    cache.put(q1, facts)
    assert cache.get(q1) is not None and cache.get(q1).from_cache  # type: ignore[union-attr]
    assert cache.get(q2) is None
    assert cache.get(q3) is None
    for path in cache.directory.iterdir():
        data = path.read_bytes()
        assert b"one" not in data and b"bob" not in data
    # never cached: could-not-verify and auth verdicts
    for status in (Status.UNREACHABLE, Status.RATE_LIMITED, Status.UNAUTHORIZED, Status.MISSING_OR_PRIVATE):
        q = ImageQuery(parse_image(f"registry.example.com/{status.value}:1"))
        cache.put(q, ImageFacts(str(q.image), status))
        assert cache.get(q) is None


def test_importing_the_package_does_not_import_httpx() -> None:
    code = "import sys, pulllint.registry; assert 'httpx' not in sys.modules, 'httpx imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_settings_and_credentials_repr_hide_secrets() -> None:
    cred = RegistryCredential("secret a/b", "x", "user", "hunter2", "idtok", "regtok")
    text = repr(cred) + str(cred)
    assert "hunter2" not in text and "idtok" not in text and "regtok" not in text
    assert Challenge("basic").realm is None
