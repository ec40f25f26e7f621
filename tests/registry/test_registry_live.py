"""resolve() against real registries (Debian's docker-registry on loopback)."""

from __future__ import annotations

import os
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pulllint.model.facts import Platform, Status
from pulllint.registry import RegistrySettings, resolve
from pulllint.registry import _resolver as resolver_module

from .conftest import PASSWORD, REFRESH_TOKEN, USER, Registry, query, secret

MISSING_DIGEST = "sha256:" + "0" * 64


class CountingTransport(httpx.AsyncBaseTransport):
    """The real network, counted."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


# -- open registry -----------------------------------------------------------------------------------------


def test_tag_found_with_digest(open_registry: Registry, settings: RegistrySettings) -> None:
    q = query(open_registry.ref("app:1.25.1"))
    facts = resolve([q], settings)[q]
    assert facts.status is Status.FOUND
    assert facts.digest == open_registry.images["app:1.25.1"].digest
    assert facts.reference == f"{open_registry.host}/app:1.25.1"
    assert facts.credential_label is None
    assert facts.platforms is None  # no platform asked: HEAD only
    assert facts.extra["media_type"] == "application/vnd.oci.image.manifest.v1+json"
    assert not facts.from_cache


def test_digest_found_and_missing(open_registry: Registry, settings: RegistrySettings) -> None:
    digest = open_registry.images["app:1.26.0"].digest
    found = query(open_registry.ref(f"app@{digest}"))
    missing = query(open_registry.ref(f"app@{MISSING_DIGEST}"))
    result = resolve([found, missing], settings)
    assert result[found].status is Status.FOUND
    assert result[found].digest == digest
    assert result[missing].status is Status.TAG_NOT_FOUND
    assert result[missing].nearest_tags == ()
    assert "MANIFEST_UNKNOWN" in result[missing].detail


def test_tag_not_found_suggests_nearest_tags(open_registry: Registry, settings: RegistrySettings) -> None:
    q = query(open_registry.ref("app:1.25.2"))
    facts = resolve([q], settings)[q]
    assert facts.status is Status.TAG_NOT_FOUND
    assert facts.nearest_tags[:3] == ("1.25.1", "1.25.0", "1.26.0")
    assert "latest" not in facts.nearest_tags
    assert len(facts.nearest_tags) <= 5


def test_repository_not_found(open_registry: Registry, settings: RegistrySettings) -> None:
    # distribution answers MANIFEST_UNKNOWN for a missing repository too; tags/list says NAME_UNKNOWN.
    q = query(open_registry.ref("no/such-repo:1.0"))
    facts = resolve([q], settings)[q]
    assert facts.status is Status.REPOSITORY_NOT_FOUND
    assert "NAME_UNKNOWN" in facts.detail


def test_oci_index_platforms(open_registry: Registry, settings: RegistrySettings) -> None:
    arm = query(open_registry.ref("multi:1.0"), platform="linux/arm64")
    s390 = query(open_registry.ref("multi:1.0"), platform="linux/s390x")
    result = resolve([arm, s390], settings)
    expected = (Platform("linux", "amd64"), Platform("linux", "arm64", "v8"))
    for q in (arm, s390):  # the resolver reports what is there; the rule compares
        assert result[q].status is Status.FOUND
        assert result[q].platforms == expected  # the unknown/unknown attestation entry is left out
        assert result[q].digest == open_registry.images["multi:1.0"].digest
        assert result[q].extra["media_type"] == "application/vnd.oci.image.index.v1+json"


def test_docker_manifest_list_platforms(open_registry: Registry, settings: RegistrySettings) -> None:
    q = query(open_registry.ref("dockerlist:2.0"), platform="linux/amd64")
    facts = resolve([q], settings)[q]
    assert facts.status is Status.FOUND
    assert facts.platforms == (Platform("linux", "amd64"), Platform("linux", "arm", "v7"))
    assert facts.extra["media_type"] == "application/vnd.docker.distribution.manifest.list.v2+json"


@pytest.mark.parametrize(
    ("ref", "platform"),
    [("app:1.25.0", Platform("linux", "amd64")), ("dockerv2:1.0", Platform("linux", "arm64"))],
)
def test_single_manifest_platform_from_config_blob(
    open_registry: Registry, settings: RegistrySettings, ref: str, platform: Platform
) -> None:
    q = query(open_registry.ref(ref), platform="linux/arm64")
    facts = resolve([q], settings)[q]
    assert facts.status is Status.FOUND
    assert facts.platforms == (platform,)


def test_dedup_and_request_count(open_registry: Registry, settings: RegistrySettings) -> None:
    transport = CountingTransport()
    q = query(open_registry.ref("app:1.25.0"))
    same = query(open_registry.ref("app:1.25.0"))
    other = query(open_registry.ref("app:1.26.0"))
    result = resolve([q, same, other, q], settings, transport=transport)
    assert len(result) == 2 and result[q] is result[same]
    paths = [(r.method, r.url.path) for r in transport.requests]
    # one ping per host (https attempt against a plain registry, then http), one HEAD per unique image
    assert paths.count(("HEAD", "/v2/app/manifests/1.25.0")) == 1
    assert paths.count(("HEAD", "/v2/app/manifests/1.26.0")) == 1
    assert len(paths) == 4


def test_loopback_falls_back_to_plain_http_also_as_localhost(
    open_registry: Registry, settings: RegistrySettings
) -> None:
    port = open_registry.host.rsplit(":", 1)[1]
    q = query(f"localhost:{port}/app:1.25.0")
    assert resolve([q], settings)[q].status is Status.FOUND


def test_non_loopback_plain_http_needs_insecure_registries(
    open_registry: Registry, settings: RegistrySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pretend 127.0.0.1 is a remote host: HTTPS only, and its plain-HTTP answer is named.
    monkeypatch.setattr(resolver_module, "is_loopback", lambda hostport: False)
    q = query(open_registry.ref("app:1.25.0"))
    facts = resolve([q], settings)[q]
    assert facts.status is Status.UNREACHABLE
    assert facts.error_class == "http-on-https"
    allowed = settings._replace(insecure_registries=(open_registry.host,))
    assert resolve([q], allowed)[q].status is Status.FOUND


def test_connection_refused(settings: RegistrySettings) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    q = query(f"127.0.0.1:{port}/app:1.0")
    facts = resolve([q], settings)[q]
    assert facts.status is Status.UNREACHABLE
    assert facts.error_class == "refused"
    assert str(port) in facts.detail


def test_timeout_on_silent_server(settings: RegistrySettings) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # accepts connections (kernel backlog) and never answers
        port = listener.getsockname()[1]
        q = query(f"127.0.0.1:{port}/app:1.0")
        facts = resolve([q], settings._replace(timeout_seconds=0.3))[q]
    assert facts.status is Status.UNREACHABLE
    assert facts.error_class == "timeout"
    assert "0.3s" in facts.detail


def test_progress_reported_through_the_callback(
    open_registry: Registry, settings: RegistrySettings, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = [query(open_registry.ref(f"app:{t}")) for t in ("1.25.0", "1.25.1", "1.26.0")]
    seen: list[tuple[int, int]] = []
    resolve(queries, settings, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 3) and seen[-1] == (3, 3)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert capsys.readouterr().err == ""  # the registry wing writes nothing itself
    seen.clear()
    resolve(queries, settings._replace(progress=lambda done, total: seen.append((done, total))))
    assert seen == [(3, 3)]  # all from the cache: one report


def test_resolve_inside_running_event_loop(open_registry: Registry, settings: RegistrySettings) -> None:
    import asyncio

    q = query(open_registry.ref("app:1.25.0"))

    async def main() -> Status:
        return resolve([q], settings)[q].status

    assert asyncio.run(main()) is Status.FOUND


# -- cache -------------------------------------------------------------------------------------------------


def _cache_files(settings: RegistrySettings) -> list[Path]:
    assert settings.cache_dir
    return sorted((Path(settings.cache_dir) / "registry-v1").glob("*.json"))


def test_second_run_sends_no_request(open_registry: Registry, settings: RegistrySettings) -> None:
    digest = open_registry.images["app:1.25.0"].digest
    queries = [
        query(open_registry.ref("app:1.25.0")),
        query(open_registry.ref(f"app@{digest}")),
        query(open_registry.ref("app:1.25.2")),
        query(open_registry.ref("gone:1")),
        query(open_registry.ref("multi:1.0"), platform="linux/arm64"),
    ]
    first = resolve(queries, settings, transport=CountingTransport())
    transport = CountingTransport()
    second = resolve(queries, settings, transport=transport)
    assert transport.requests == []
    for q in queries:
        assert second[q].from_cache
        assert second[q]._replace(from_cache=False) == first[q]


def test_cache_permissions_and_garbage(open_registry: Registry, settings: RegistrySettings) -> None:
    q = query(open_registry.ref("app:1.26.0"))
    resolve([q], settings)
    files = _cache_files(settings)
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(files[0].parent.stat().st_mode) == 0o700
    for garbage in (b"", b"{not json", b"[]", b'{"format": 1, "facts": {"status": "nope"}}'):
        files[0].write_bytes(garbage)
        transport = CountingTransport()
        facts = resolve([q], settings, transport=transport)[q]
        assert facts.status is Status.FOUND and not facts.from_cache
        assert transport.requests


def test_cache_ttls(open_registry: Registry, settings: RegistrySettings) -> None:
    digest = open_registry.images["app:1.25.0"].digest
    by_tag = query(open_registry.ref("app:1.25.0"))
    by_digest = query(open_registry.ref(f"app@{digest}"))
    missing = query(open_registry.ref("app:9.9.9"))
    expired = settings._replace(tag_ttl_seconds=0.0, negative_ttl_seconds=0.0)
    resolve([by_tag, by_digest, missing], expired)
    transport = CountingTransport()
    result = resolve([by_tag, by_digest, missing], expired, transport=transport)
    assert result[by_digest].from_cache  # an existing digest is cached for ever
    assert not result[by_tag].from_cache and not result[missing].from_cache
    assert {r.url.path for r in transport.requests} >= {"/v2/app/manifests/1.25.0", "/v2/app/manifests/9.9.9"}


def test_unreachable_is_never_cached(settings: RegistrySettings) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    resolve([query(f"127.0.0.1:{port}/app:1.0")], settings)
    assert _cache_files(settings) == []


def test_use_cache_false_and_env_cache_dir(
    open_registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULLLINT_CACHE_DIR", str(tmp_path / "envcache"))
    q = query(open_registry.ref("app:1.25.0"))
    resolve([q], RegistrySettings(use_docker_config=False, use_cache=False))
    assert not (tmp_path / "envcache").exists()
    resolve([q], RegistrySettings(use_docker_config=False))
    assert len(list((tmp_path / "envcache" / "registry-v1").glob("*.json"))) == 1


def test_concurrent_writers_never_corrupt(open_registry: Registry, settings: RegistrySettings) -> None:
    from pulllint.registry._cache import DiskCache

    q = query(open_registry.ref("app:1.25.0"))
    facts = resolve([q], settings)[q]
    cache = DiskCache(settings)
    errors: list[str] = []

    def writer() -> None:
        for _ in range(200):
            cache.put(q, facts)

    def reader() -> None:
        for _ in range(400):
            got = cache.get(q)
            if got is None or got.digest != facts.digest:
                errors.append("bad read")

    threads = [threading.Thread(target=writer) for _ in range(3)] + [
        threading.Thread(target=reader) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [p.name for p in Path(cache.directory).iterdir() if p.name.startswith(".tmp-")] == []


# -- htpasswd (Basic) registry ----------------------------------------------------------------------------


def test_basic_auth_found_with_pod_credentials(basic_registry: Registry, settings: RegistrySettings) -> None:
    q = query(basic_registry.ref("app:1.25.0"), secret("prod/regcred"))
    facts = resolve([q], settings)[q]
    assert facts.status is Status.FOUND
    assert facts.credential_label == f"secret prod/regcred for {basic_registry.host}"


def test_basic_auth_wrong_password_is_unauthorized(
    basic_registry: Registry, settings: RegistrySettings
) -> None:
    q = query(basic_registry.ref("app:1.25.0"), secret("prod/old", password="wrong"))
    facts = resolve([q], settings)[q]
    assert facts.status is Status.UNAUTHORIZED
    assert facts.error_class == "credentials-refused"
    assert facts.credential_label == f"secret prod/old for {basic_registry.host}"
    assert "wrong" not in facts.detail


def test_basic_auth_credentials_tried_in_order(basic_registry: Registry, settings: RegistrySettings) -> None:
    q = query(basic_registry.ref("app:1.25.2"), secret("prod/old", password="wrong"), secret("prod/new"))
    facts = resolve([q], settings)[q]
    assert facts.status is Status.TAG_NOT_FOUND
    assert facts.nearest_tags[0] == "1.25.1"
    assert facts.credential_label == f"secret prod/new for {basic_registry.host}"


def test_basic_auth_anonymous_is_credentials_required(
    basic_registry: Registry, settings: RegistrySettings
) -> None:
    """Not Docker Hub: a 401 with a Basic challenge to the anonymous request says "credentials
    required" (PL201 confirmed by the registry), not "missing or private"."""
    q = query(basic_registry.ref("app:1.25.0"))
    facts = resolve([q], settings)[q]
    assert facts.status is Status.CREDENTIALS_REQUIRED
    assert facts.error_class == "credentials-required"
    assert "authentication required" in facts.detail


def test_no_credential_in_cache_files(basic_registry: Registry, settings: RegistrySettings) -> None:
    queries = [
        query(basic_registry.ref("app:1.25.0"), secret("prod/regcred")),
        query(basic_registry.ref("app:1.25.7"), secret("prod/regcred")),
        query(basic_registry.ref("nope:1"), secret("prod/regcred")),
    ]
    result = resolve(queries, settings)
    assert [result[q].status for q in queries] == [
        Status.FOUND,
        Status.TAG_NOT_FOUND,
        Status.REPOSITORY_NOT_FOUND,
    ]
    assert settings.cache_dir
    files = [p for p in Path(settings.cache_dir).rglob("*") if p.is_file()]
    assert len(files) >= 3
    for path in files:
        data = path.read_bytes()
        assert PASSWORD.encode() not in data
        assert USER.encode() not in data
    # A rotated password is a different cache key: asked again, and refused.
    rotated = query(basic_registry.ref("app:1.25.0"), secret("prod/regcred", password="rotated"))
    facts = resolve([rotated], settings)[rotated]
    assert facts.status is Status.UNAUTHORIZED and not facts.from_cache
    assert "rotated" not in repr(rotated)


# -- token registry ----------------------------------------------------------------------------------------


def test_token_anonymous_public_and_private(token_registry: Registry, settings: RegistrySettings) -> None:
    public = query(token_registry.ref("public/app:1.25.0"))
    private = query(token_registry.ref("private/app:1.25.0"))
    result = resolve([public, private], settings)
    assert result[public].status is Status.FOUND
    # Not Docker Hub: the registry's insufficient_scope to an anonymous token means "credentials required".
    assert result[private].status is Status.CREDENTIALS_REQUIRED
    assert result[private].error_class == "credentials-required"
    assert "no pull access for anonymous requests" in result[private].detail


def test_token_one_token_per_repository(token_registry: Registry, settings: RegistrySettings) -> None:
    assert token_registry.token_server is not None
    server = token_registry.token_server
    before = server.count("repository:private/app:pull")
    queries = [
        query(token_registry.ref(f"private/app:{t}"), secret("prod/regcred"))
        for t in ("1.25.0", "1.25.1", "1.26.0", "latest")
    ]
    result = resolve(queries, settings)
    assert all(result[q].status is Status.FOUND for q in queries)
    assert server.count("repository:private/app:pull") - before == 1
    assert server.requests[-1].user == USER and server.requests[-1].had_authorization


def test_token_wrong_password(token_registry: Registry, settings: RegistrySettings) -> None:
    q = query(token_registry.ref("private/app:1.25.0"), secret("prod/regcred", password="nope"))
    facts = resolve([q], settings)[q]
    assert facts.status is Status.UNAUTHORIZED
    assert facts.error_class == "credentials-refused"
    assert facts.credential_label == f"secret prod/regcred for {token_registry.host}"


def test_token_credentials_without_access(token_registry: Registry, settings: RegistrySettings) -> None:
    q = query(token_registry.ref("other/app:1.0"), secret("prod/regcred"))
    facts = resolve([q], settings)[q]
    assert facts.status is Status.UNAUTHORIZED
    assert facts.error_class == "insufficient-scope"


def test_token_tag_not_found_with_suggestions(token_registry: Registry, settings: RegistrySettings) -> None:
    q = query(token_registry.ref("private/app:1.26"), secret("prod/regcred"))
    facts = resolve([q], settings)[q]
    assert facts.status is Status.TAG_NOT_FOUND
    assert facts.nearest_tags[0] == "1.26.0"


def test_token_identity_token_oauth2(token_registry: Registry, settings: RegistrySettings) -> None:
    assert token_registry.token_server is not None
    cred = secret("prod/oauth", username="", password="", identity_token=REFRESH_TOKEN)
    q = query(token_registry.ref("private/multi:1.0"), cred, platform="linux/arm64")
    facts = resolve([q], settings)[q]
    assert facts.status is Status.FOUND
    assert facts.platforms is not None and Platform("linux", "arm64", "v8") in facts.platforms
    assert token_registry.token_server.requests[-1].method == "POST"
    bad = query(
        token_registry.ref("private/app:1.0"),
        secret("prod/oauth", username="", password="", identity_token="x"),
    )
    assert resolve([bad], settings)[bad].status is Status.UNAUTHORIZED


def test_token_registry_token_sent_as_is(token_registry: Registry, settings: RegistrySettings) -> None:
    assert token_registry.token_server is not None
    token = token_registry.token_server.make_token(
        USER, [{"type": "repository", "name": "private/app", "actions": ["pull"]}]
    )
    before = len(token_registry.token_server.requests)
    cred = secret("prod/rt", username="", password="", registry_token=token)
    q = query(token_registry.ref("private/app:1.25.0"), cred)
    assert resolve([q], settings)[q].status is Status.FOUND
    assert len(token_registry.token_server.requests) == before


# -- TLS registry ------------------------------------------------------------------------------------------


@pytest.fixture
def http_versions(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    seen: list[str] = []
    original = httpx.AsyncHTTPTransport.handle_async_request

    async def spy(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        response = await original(self, request)
        seen.append(response.extensions.get("http_version", b"").decode())
        return response

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", spy)
    yield seen


def test_tls_with_ca_file_uses_http2(
    tls_registry: Registry, settings: RegistrySettings, http_versions: list[str]
) -> None:
    q = query(tls_registry.ref("app:1.0"), platform="linux/amd64")
    facts = resolve([q], settings._replace(ca_file=tls_registry.ca_file))[q]
    assert facts.status is Status.FOUND
    assert facts.platforms == (Platform("linux", "amd64"),)
    assert http_versions and set(http_versions) == {"HTTP/2"}


def test_tls_without_ca_file_names_the_x509_problem(
    tls_registry: Registry, settings: RegistrySettings
) -> None:
    q = query(tls_registry.ref("app:1.0"))
    facts = resolve([q], settings)[q]
    assert facts.status is Status.UNREACHABLE
    assert facts.error_class == "tls"
    assert "certificate verify failed: self-signed certificate in certificate chain" in facts.detail


def test_tls_hostname_mismatch_does_not_fall_back_to_http(
    tls_registry: Registry, settings: RegistrySettings
) -> None:
    port = tls_registry.host.rsplit(":", 1)[1]
    q = query(f"localhost:{port}/app:1.0")  # the certificate is for 127.0.0.1 only
    facts = resolve([q], settings._replace(ca_file=tls_registry.ca_file))[q]
    assert facts.status is Status.UNREACHABLE
    assert facts.error_class == "tls"
    assert "localhost" in facts.detail


def test_bad_ca_file_is_a_settings_error(settings: RegistrySettings, tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ValueError, match="CA bundle"):
        resolve([query("127.0.0.1:1/app:1")], settings._replace(ca_file=str(bad)))


def test_insecure_registry_skips_verification(tls_registry: Registry, settings: RegistrySettings) -> None:
    q = query(tls_registry.ref("app:1.0"))
    facts = resolve([q], settings._replace(insecure_registries=(tls_registry.host,)))[q]
    assert facts.status is Status.FOUND


def test_cache_dir_created_private(open_registry: Registry, tmp_path: Path) -> None:
    root = tmp_path / "fresh" / "cache"
    resolve(
        [query(open_registry.ref("app:1.25.0"))],
        RegistrySettings(cache_dir=str(root), use_docker_config=False),
    )
    assert stat.S_IMODE(os.stat(root).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(root / "registry-v1").st_mode) == 0o700
