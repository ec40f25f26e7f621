"""What a real registry will not do on demand, with httpx.MockTransport (no network at all)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from pulllint.model.facts import Platform, Status
from pulllint.registry import RegistrySettings, resolve

from .conftest import query, secret

MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + "c" * 64,
            "size": 2,
        },
        "layers": [],
    }
).encode()
DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
OK_HEADERS = {"Docker-Content-Digest": DIGEST, "Content-Type": "application/vnd.oci.image.manifest.v1+json"}
BASIC_GOOD = "Basic " + base64.b64encode(b"alice:s3cret-Pa55word-for-tests").decode()

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class Recorder:
    def __init__(self, handler: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self._handler = handler
        self.transport = httpx.MockTransport(self._handle)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self._handler(request)
        if not isinstance(response, httpx.Response):
            response = await response
        return response

    def paths(self, method: str | None = None) -> list[str]:
        return [r.url.path for r in self.requests if method is None or r.method == method]


def manifest_ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers=OK_HEADERS, content=b"" if request.method == "HEAD" else MANIFEST)


def error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"errors": [{"code": code, "message": code.lower()}]})


@pytest.fixture
def settings() -> RegistrySettings:
    return RegistrySettings(use_cache=False, use_docker_config=False, timeout_seconds=2.0)


REG = "registry.example.com"


def run(handler: Handler, settings: RegistrySettings, *queries_text: str) -> tuple[list[Status], Recorder]:
    recorder = Recorder(handler)
    queries = [query(q) for q in queries_text]
    result = resolve(queries, settings, transport=recorder.transport)
    return [result[q].status for q in queries], recorder


# -- retries and rate limits -------------------------------------------------------------------------------


def test_429_with_retry_after_then_success(settings: RegistrySettings) -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "0"}), None])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200)
        return next(answers) or manifest_ok(request)

    statuses, rec = run(handler, settings, f"{REG}/app:1.0")
    assert statuses == [Status.FOUND]
    assert rec.paths("HEAD") == ["/v2/app/manifests/1.0"] * 2


def test_429_exhausted_is_rate_limited_with_quota(settings: RegistrySettings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200)
        return httpx.Response(
            429,
            headers={
                "Retry-After": "0",
                "ratelimit-limit": "100;w=21600",
                "ratelimit-remaining": "0;w=21600",
            },
            json={"errors": [{"code": "TOOMANYREQUESTS"}]},
        )

    rec = Recorder(handler)
    q = query(f"{REG}/app:1.0")
    facts = resolve([q], settings, transport=rec.transport)[q]
    assert facts.status is Status.RATE_LIMITED
    assert facts.ratelimit_remaining == "0;w=21600"
    assert facts.ratelimit_limit == "100;w=21600"
    assert "429" in facts.detail
    assert len(rec.paths("HEAD")) == 1 + settings.retry_budget


def test_long_retry_after_is_not_waited_for(settings: RegistrySettings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200)
        return httpx.Response(429, headers={"Retry-After": "3600"})

    started = time.monotonic()
    statuses, rec = run(handler, settings, f"{REG}/app:1.0")
    assert statuses == [Status.RATE_LIMITED]
    assert time.monotonic() - started < 2
    assert len(rec.paths("HEAD")) == 1


def test_503_then_success(settings: RegistrySettings) -> None:
    answers = iter([httpx.Response(503), httpx.Response(502), None])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200)
        return next(answers) or manifest_ok(request)

    statuses, rec = run(handler, settings, f"{REG}/app:1.0")
    assert statuses == [Status.FOUND]
    assert len(rec.paths("HEAD")) == 3


def test_503_exhausted_is_unreachable(settings: RegistrySettings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200) if request.url.path == "/v2/" else httpx.Response(503)

    rec = Recorder(handler)
    q = query(f"{REG}/app:1.0")
    facts = resolve([q], settings._replace(retry_budget=2), transport=rec.transport)[q]
    assert facts.status is Status.UNREACHABLE
    assert facts.error_class == "status-503"
    assert "503 Service Unavailable" in facts.detail
    assert len(rec.paths("HEAD")) == 3


def test_ping_failure_marks_every_image_of_the_host(settings: RegistrySettings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500)

    statuses, rec = run(handler, settings, f"{REG}/a:1", f"{REG}/b:1", f"{REG}/c:1")
    assert statuses == [Status.UNREACHABLE] * 3
    assert rec.paths() == ["/v2/"] * (1 + settings.retry_budget)  # one ping, shared


@pytest.mark.parametrize("exc", [httpx.ReadError, httpx.RemoteProtocolError])
def test_connection_reset_then_success(settings: RegistrySettings, exc: type[httpx.TransportError]) -> None:
    failures = [True]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200)
        if failures:
            failures.pop()
            raise exc("Server disconnected without sending a response.", request=request)
        return manifest_ok(request)

    statuses, _ = run(handler, settings, f"{REG}/app:1.0")
    assert statuses == [Status.FOUND]


def test_connection_reset_always(settings: RegistrySettings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    rec = Recorder(handler)
    q = query(f"{REG}/app:1.0")
    facts = resolve([q], settings, transport=rec.transport)[q]
    assert facts.status is Status.UNREACHABLE
    assert facts.error_class == "connection-reset"


# -- transport failures ------------------------------------------------------------------------------------


def _raise(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def test_read_timeout(settings: RegistrySettings) -> None:
    q = query(f"{REG}/app:1.0")
    transport = httpx.MockTransport(_raise(httpx.ReadTimeout("timed out")))
    facts = resolve([q], settings, transport=transport)[q]
    assert facts.status is Status.UNREACHABLE
    assert facts.error_class == "timeout"
    assert REG in facts.detail and "network path" in facts.detail


def test_slow_answer_times_out(settings: RegistrySettings) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        timeout = request.extensions["timeout"]["read"]
        await asyncio.sleep(timeout)
        raise httpx.ReadTimeout("timed out", request=request)

    q = query(f"{REG}/app:1.0")
    fast = settings._replace(timeout_seconds=0.05)
    facts = resolve([q], fast, transport=httpx.MockTransport(slow))[q]
    assert (facts.status, facts.error_class) == (Status.UNREACHABLE, "timeout")


def test_dns_failure(settings: RegistrySettings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as cause:
            raise httpx.ConnectError("[Errno -2] Name or service not known", request=request) from cause

    q = query("registry.does-not-exist.example/app:1.0")
    facts = resolve([q], settings, transport=httpx.MockTransport(handler))[q]
    assert (facts.status, facts.error_class) == (Status.UNREACHABLE, "dns")
    assert "cannot resolve registry.does-not-exist.example" in facts.detail


def _plain_http_registry(request: httpx.Request) -> httpx.Response:
    if request.url.scheme == "https":
        try:
            raise ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)")
        except ssl.SSLError as cause:
            raise httpx.ConnectError(
                "[SSL: WRONG_VERSION_NUMBER] wrong version number", request=request
            ) from cause
    return httpx.Response(200) if request.url.path == "/v2/" else manifest_ok(request)


def test_plain_http_registry_needs_insecure_registries(settings: RegistrySettings) -> None:
    q = query(f"{REG}:5000/app:1.0")
    rec = Recorder(_plain_http_registry)
    facts = resolve([q], settings, transport=rec.transport)[q]
    assert (facts.status, facts.error_class) == (Status.UNREACHABLE, "http-on-https")
    assert "insecure" in facts.detail
    assert {r.url.scheme for r in rec.requests} == {"https"}
    for listed in (f"{REG}:5000", REG, "https://registry.example.com:5000/"):
        rec = Recorder(_plain_http_registry)
        allowed = settings._replace(insecure_registries=(listed,))
        assert resolve([q], allowed, transport=rec.transport)[q].status is Status.FOUND
        assert [r.url.scheme for r in rec.requests] == ["https", "http", "http"]
    rec = Recorder(_plain_http_registry)
    other_port = settings._replace(insecure_registries=(f"{REG}:6000",))
    assert resolve([q], other_port, transport=rec.transport)[q].status is Status.UNREACHABLE


# -- redirects and where credentials go --------------------------------------------------------------------


def test_redirect_to_other_host_drops_authorization(settings: RegistrySettings) -> None:
    config = json.dumps({"os": "linux", "architecture": "arm64"}).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        host, path = request.url.host, request.url.path
        if host == "storage.example.net":
            if path == "/manifest":
                return manifest_ok(request)
            return httpx.Response(200, content=config)
        if path == "/v2/":
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        if request.headers.get("authorization") != BASIC_GOOD:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        if path == "/v2/app/manifests/1.0":
            return httpx.Response(307, headers={"Location": "/v2/app/manifests/moved"})  # same host
        if path == "/v2/app/manifests/moved":
            return httpx.Response(302, headers={"Location": "https://storage.example.net/manifest"})
        if path.startswith("/v2/app/blobs/"):
            return httpx.Response(307, headers={"Location": "https://storage.example.net/blob?sig=1"})
        return httpx.Response(404)

    rec = Recorder(handler)
    q = query(f"{REG}/app:1.0", secret("prod/regcred"), platform="linux/arm64")
    facts = resolve([q], settings, transport=rec.transport)[q]
    assert facts.status is Status.FOUND
    assert facts.platforms == (Platform("linux", "arm64"),)
    storage = [r for r in rec.requests if r.url.host == "storage.example.net"]
    assert len(storage) == 2
    assert all("authorization" not in r.headers for r in storage)
    moved = [r for r in rec.requests if r.url.path == "/v2/app/manifests/moved"]
    assert moved and moved[0].headers["authorization"] == BASIC_GOOD


def _bearer_registry(realm: str) -> Callable[[httpx.Request], httpx.Response]:
    challenge = f'Bearer realm="{realm}",service="reg"'

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == httpx.URL(realm).host:
            if request.headers.get("authorization") == BASIC_GOOD:
                return httpx.Response(200, json={"token": "user-token", "expires_in": 300})
            if "authorization" in request.headers:
                return httpx.Response(401)
            return httpx.Response(200, json={"token": "anonymous-token"})
        if request.url.path == "/v2/":
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        if request.headers.get("authorization") == "Bearer user-token":
            return manifest_ok(request)
        return httpx.Response(401, headers={"WWW-Authenticate": challenge + ',error="insufficient_scope"'})

    return handler


def test_token_realm_on_other_host_over_http_gets_no_credentials(settings: RegistrySettings) -> None:
    rec = Recorder(_bearer_registry("http://auth.other.example/token"))
    with_creds = query(f"{REG}/app:1.0", secret("prod/regcred"))
    anonymous = query(f"{REG}/app:2.0")
    result = resolve([with_creds, anonymous], settings, transport=rec.transport)
    assert result[with_creds].status is Status.UNREACHABLE  # could not verify, not "refused"
    assert result[with_creds].error_class == "insecure-token-realm"
    assert result[anonymous].status is Status.CREDENTIALS_REQUIRED
    realm_requests = [r for r in rec.requests if r.url.host == "auth.other.example"]
    assert realm_requests and all("authorization" not in r.headers for r in realm_requests)
    assert all(r.headers.get("authorization") != BASIC_GOOD for r in rec.requests)


def test_token_realm_on_other_host_over_https_gets_credentials(settings: RegistrySettings) -> None:
    rec = Recorder(_bearer_registry("https://auth.other.example/token"))
    q = query(f"{REG}/app:1.0", secret("prod/regcred"))
    facts = resolve([q], settings, transport=rec.transport)[q]
    assert facts.status is Status.FOUND
    assert facts.credential_label == f"secret prod/regcred for {REG}"
    realm = [r for r in rec.requests if r.url.host == "auth.other.example"]
    assert [r.headers.get("authorization") for r in realm] == [BASIC_GOOD]
    assert realm[0].url.params["scope"] == "repository:app:pull"
    assert realm[0].url.params["service"] == "reg"
    registry = [r for r in rec.requests if r.url.host == REG]
    assert all(r.headers.get("authorization") != BASIC_GOOD for r in registry)


def test_credentials_only_for_their_host_in_redirect_chain(settings: RegistrySettings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        if request.url.host == REG:
            return httpx.Response(301, headers={"Location": f"http://{REG}/v2/elsewhere"})  # https -> http
        return httpx.Response(404)

    rec = Recorder(handler)
    q = query(f"{REG}/app:1.0", secret("prod/regcred"))
    resolve([q], settings, transport=rec.transport)
    downgraded = [r for r in rec.requests if r.url.scheme == "http"]
    assert downgraded and all("authorization" not in r.headers for r in downgraded)


# -- Docker Hub --------------------------------------------------------------------------------------------


def _docker_hub(user_token: bool = False) -> Callable[[httpx.Request], httpx.Response]:
    challenge = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"'
    limits = {"ratelimit-limit": "100;w=21600", "ratelimit-remaining": "76;w=21600"}

    def handler(request: httpx.Request) -> httpx.Response:
        host, path = request.url.host, request.url.path
        if host == "auth.docker.io":
            if "authorization" in request.headers and request.headers["authorization"] != BASIC_GOOD:
                return httpx.Response(401, json={"details": "incorrect username or password"})
            scope = request.url.params["scope"]
            return httpx.Response(200, json={"token": f"token for {scope}", "expires_in": 300})
        assert host == "registry-1.docker.io", host
        if path == "/v2/":
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        if path == "/v2/library/nginx/manifests/1.25" and request.headers.get("authorization") == (
            "Bearer token for repository:library/nginx:pull"
        ):
            return httpx.Response(200, headers={**OK_HEADERS, **limits})
        scope = f"repository:{path.split('/manifests/')[0].removeprefix('/v2/')}:pull"
        return httpx.Response(
            401,
            headers={"WWW-Authenticate": f'{challenge},scope="{scope}",error="insufficient_scope"'},
            json={"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
        )

    return handler


def test_docker_hub_flow(settings: RegistrySettings) -> None:
    rec = Recorder(_docker_hub())
    nginx = query("nginx:1.25")
    missing = query("doesnotexist/really-not:1")
    result = resolve([nginx, missing], settings, transport=rec.transport)
    assert result[nginx].status is Status.FOUND
    assert result[nginx].digest == DIGEST
    assert result[nginx].ratelimit_remaining == "76;w=21600"
    assert result[missing].status is Status.MISSING_OR_PRIVATE  # Hub answers "missing" and "private" alike
    assert result[missing].error_class == "insufficient-scope"
    assert {r.url.host for r in rec.requests} == {"registry-1.docker.io", "auth.docker.io"}
    tokens = [r for r in rec.requests if r.url.host == "auth.docker.io"]
    assert sorted(r.url.params["scope"] for r in tokens) == [
        "repository:doesnotexist/really-not:pull",
        "repository:library/nginx:pull",
    ]
    assert all(r.url.params["service"] == "registry.docker.io" for r in tokens)
    assert rec.paths().count("/v2/") == 1


def test_docker_hub_refused_credentials(settings: RegistrySettings) -> None:
    rec = Recorder(_docker_hub())
    q = query("nginx:1.25", secret("prod/hub", password="wrong"))
    facts = resolve([q], settings, transport=rec.transport)[q]
    assert facts.status is Status.UNAUTHORIZED
    assert facts.credential_label == "secret prod/hub for docker.io"
    assert facts.error_class == "credentials-refused"


# -- protocol details --------------------------------------------------------------------------------------


def test_head_404_then_get_reads_name_unknown(settings: RegistrySettings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200)
        if request.method == "HEAD":
            return httpx.Response(404)
        return error(404, "NAME_UNKNOWN")

    statuses, rec = run(handler, settings, f"{REG}/app:1.0")
    assert statuses == [Status.REPOSITORY_NOT_FOUND]
    assert [(r.method, r.url.path) for r in rec.requests][1:] == [
        ("HEAD", "/v2/app/manifests/1.0"),
        ("GET", "/v2/app/manifests/1.0"),
    ]


def test_accept_header_has_the_four_media_types(settings: RegistrySettings) -> None:
    _, rec = run(
        lambda r: httpx.Response(200) if r.url.path == "/v2/" else manifest_ok(r), settings, f"{REG}/a:1"
    )
    accept = rec.requests[-1].headers["accept"]
    for media_type in (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ):
        assert media_type in accept


def test_tags_pagination_with_link_header(settings: RegistrySettings) -> None:
    pages = {
        None: (["0.1", "0.2"], '</v2/app/tags/list?last=0.2&n=2>; rel="next"'),
        "0.2": (["1.0.0", "1.0.1"], '</v2/app/tags/list?last=1.0.1&n=2>; rel="next"'),
        "1.0.1": (["1.0.3", "2.0.0"], None),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200)
        if request.url.path == "/v2/app/tags/list":
            tags, link = pages[request.url.params.get("last")]
            return httpx.Response(
                200, json={"name": "app", "tags": tags}, headers={"Link": link} if link else {}
            )
        return error(404, "MANIFEST_UNKNOWN")

    rec = Recorder(handler)
    q = query(f"{REG}/app:1.0.2")
    facts = resolve([q], settings, transport=rec.transport)[q]
    assert facts.status is Status.TAG_NOT_FOUND
    assert facts.nearest_tags[:3] == ("1.0.1", "1.0.3", "1.0.0")
    assert rec.paths().count("/v2/app/tags/list") == 3


def test_registry_that_challenges_per_repository(settings: RegistrySettings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200)  # open /v2/, but the repository wants credentials
        if request.headers.get("authorization") == BASIC_GOOD:
            return manifest_ok(request)
        return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="repo"'})

    rec = Recorder(handler)
    q = query(f"{REG}/team/app:1.0", secret("prod/regcred"))
    facts = resolve([q], settings, transport=rec.transport)[q]
    assert facts.status is Status.FOUND
    assert facts.credential_label == f"secret prod/regcred for {REG}"


def test_concurrency_limits(settings: RegistrySettings) -> None:
    in_flight: dict[str, int] = {}
    peak: dict[str, int] = {}
    total = [0, 0]

    async def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        in_flight[host] = in_flight.get(host, 0) + 1
        total[0] += 1
        peak[host] = max(peak.get(host, 0), in_flight[host])
        total[1] = max(total[1], total[0])
        await asyncio.sleep(0.01)
        in_flight[host] -= 1
        total[0] -= 1
        return httpx.Response(200) if request.url.path == "/v2/" else manifest_ok(request)

    limited = settings._replace(max_concurrency=3, per_host_concurrency=2)
    queries = [query(f"{host}/app:{i}") for host in ("a.example", "b.example") for i in range(10)]
    result = resolve(queries, limited, transport=httpx.MockTransport(handler))
    assert all(f.status is Status.FOUND for f in result.values())
    assert max(peak.values()) == 2
    assert total[1] == 3


def test_unexpected_status_is_unreachable_not_missing(settings: RegistrySettings) -> None:
    statuses, _ = run(
        lambda r: httpx.Response(200) if r.url.path == "/v2/" else httpx.Response(400), settings, f"{REG}/a:1"
    )
    assert statuses == [Status.UNREACHABLE]


def test_refresh_token_form_never_follows_a_redirect_elsewhere(settings: RegistrySettings) -> None:
    challenge = 'Bearer realm="https://auth.example.com/token",service="reg"'

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.example.com":
            return httpx.Response(307, headers={"Location": "https://collector.example.net/token"})
        if request.url.host == REG:
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        return httpx.Response(200, json={"access_token": "stolen"})

    rec = Recorder(handler)
    cred = secret("prod/oauth", username="", password="", identity_token="refresh-secret")
    q = query(f"{REG}/app:1.0", cred)
    facts = resolve([q], settings, transport=rec.transport)[q]
    assert facts.status is Status.UNREACHABLE and facts.error_class == "status-307"
    assert [r.url.host for r in rec.requests] == [REG, "auth.example.com"]
    assert b"refresh-secret" in rec.requests[1].content  # sent to its realm over HTTPS, nowhere else


def test_refused_token_asked_once_per_run(settings: RegistrySettings) -> None:
    rec = Recorder(_docker_hub())
    cred = secret("prod/hub", password="wrong")
    queries = [query(f"nginx:1.{i}", cred) for i in range(5)]
    result = resolve(queries, settings, transport=rec.transport)
    assert {f.status for f in result.values()} == {Status.UNAUTHORIZED}
    assert len([r for r in rec.requests if r.url.host == "auth.docker.io"]) == 1


def test_empty_query_list(settings: RegistrySettings) -> None:
    assert resolve([], settings) == {}


def test_unusable_cache_dir_is_ignored(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    settings = RegistrySettings(cache_dir=str(blocker / "cache"), use_docker_config=False)
    statuses, _ = run(
        lambda r: httpx.Response(200) if r.url.path == "/v2/" else manifest_ok(r), settings, f"{REG}/a:1"
    )
    assert statuses == [Status.FOUND]
