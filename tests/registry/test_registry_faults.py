"""Hostile servers on loopback: verdicts keep to what was said, and every wait has an end."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulllint.model.facts import Status
from pulllint.registry import RegistrySettings, resolve

from ._faults import REGISTRY_HEADERS, Connection, FaultServer, Request, elapsed, registry_ping
from .conftest import query, secret

TIMEOUT = 0.5  # registry-timeout of these tests; the request deadline is twice that


@pytest.fixture
def fast(tmp_path: Path) -> RegistrySettings:
    return RegistrySettings(
        cache_dir=str(tmp_path / "cache"), timeout_seconds=TIMEOUT, use_docker_config=False, retry_budget=0
    )


@pytest.fixture
def servers() -> Iterator[list[FaultServer]]:
    started: list[FaultServer] = []
    yield started
    for server in started:
        server.stop()


def serve(servers: list[FaultServer], behaviour: object, **kw: bool) -> FaultServer:
    server = FaultServer(behaviour, **kw)  # type: ignore[arg-type]
    servers.append(server)
    return server


# -- bounded waits ------------------------------------------------------------------------------------------


def test_trickled_headers_end_at_the_request_deadline(
    servers: list[FaultServer], fast: RegistrySettings
) -> None:
    def slowloris(request: Request, conn: Connection) -> None:
        if not registry_ping(request, conn):
            conn.trickle(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 10_000, interval=0.05)

    server = serve(servers, slowloris)
    q = query(f"{server.host}/app:1.0")
    started = time.monotonic()
    facts = resolve([q], fast)[q]
    assert elapsed(started) < 4 * TIMEOUT  # not "for ever": httpx's per-read timeout never fires here
    assert facts.status is Status.UNREACHABLE and facts.error_class == "timeout"
    assert "no complete answer" in facts.detail


def test_a_huge_content_length_is_refused_before_reading(
    servers: list[FaultServer], fast: RegistrySettings
) -> None:
    def huge(request: Request, conn: Connection) -> None:
        if not registry_ping(request, conn):
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            conn.send(b"Content-Length: 5000000000\r\n\r\n")
            conn.trickle(b"{" * 1000, interval=1.0)

    server = serve(servers, huge)
    q = query(f"{server.host}/app:1.0", platform="linux/amd64")  # a GET: the body is read
    started = time.monotonic()
    facts = resolve([q], fast)[q]
    assert elapsed(started) < 2 * TIMEOUT
    assert facts.status is Status.UNREACHABLE and facts.error_class == "oversized"


def test_a_trickled_body_ends_at_the_request_deadline(
    servers: list[FaultServer], fast: RegistrySettings
) -> None:
    def slow_body(request: Request, conn: Connection) -> None:
        if not registry_ping(request, conn):
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
            conn.trickle(b" " * 100_000, interval=0.05)

    server = serve(servers, slow_body)
    q = query(f"{server.host}/app:1.0", platform="linux/amd64")
    started = time.monotonic()
    facts = resolve([q], fast)[q]
    assert elapsed(started) < 4 * TIMEOUT
    assert facts.status is Status.UNREACHABLE and facts.error_class == "timeout"


def test_a_trickled_ping_fails_every_image_of_the_host_once(
    servers: list[FaultServer], fast: RegistrySettings
) -> None:
    def slow_ping(request: Request, conn: Connection) -> None:
        conn.trickle(b"HTTP/1.1 200 OK\r\n" + b"X: " + b"a" * 10_000, interval=0.05)

    server = serve(servers, slow_ping)
    queries = [query(f"{server.host}/app{i}:1.0") for i in range(20)]
    started = time.monotonic()
    result = resolve(queries, fast)
    assert elapsed(started) < 4 * TIMEOUT
    assert {f.status for f in result.values()} == {Status.UNREACHABLE}
    assert len(server.paths("/v2/app")) == 0  # no image was asked once /v2/ failed


@pytest.mark.parametrize("hang_ping", [True, False], ids=["host hangs", "manifests hang"])
def test_64_images_on_a_hanging_host_cost_about_one_timeout(
    servers: list[FaultServer], fast: RegistrySettings, hang_ping: bool
) -> None:
    """The per-host circuit breaker: after the first timeout the other images are not tried."""

    def hang(request: Request, conn: Connection) -> None:
        if hang_ping or not registry_ping(request, conn):
            conn.hang()

    server = serve(servers, hang, hang_tls=hang_ping)
    queries = [query(f"{server.host}/app{i}:1.0") for i in range(64)]
    started = time.monotonic()
    result = resolve(queries, fast)
    took = elapsed(started)
    assert took < 2 * TIMEOUT + 0.5, took  # ceil(64/16) x timeout before the breaker
    assert {f.status for f in result.values()} == {Status.UNREACHABLE}
    assert {f.error_class for f in result.values()} == {"timeout"}
    not_tried = [f for f in result.values() if "not tried" in f.detail]
    if not hang_ping:
        assert len(not_tried) >= 64 - fast.per_host_concurrency
        assert "timed out earlier in this run" in not_tried[0].detail


def test_a_hanging_token_realm_costs_about_one_timeout(
    servers: list[FaultServer], fast: RegistrySettings
) -> None:
    realm = serve(servers, lambda request, conn: conn.hang())

    def bearer(request: Request, conn: Connection) -> None:
        challenge = f'Bearer realm="http://{realm.host}/token",service="faults"'
        conn.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {"WWW-Authenticate": challenge})

    registry = serve(servers, bearer)
    queries = [query(f"{registry.host}/repo{i}:1.0") for i in range(64)]  # one scope each
    started = time.monotonic()
    result = resolve(queries, fast)
    assert elapsed(started) < 2 * TIMEOUT + 0.5
    assert {f.status for f in result.values()} == {Status.UNREACHABLE}
    assert {f.error_class for f in result.values()} == {"timeout"}


def test_the_run_budget_bounds_everything(servers: list[FaultServer], tmp_path: Path) -> None:
    def slow_ok(request: Request, conn: Connection) -> None:
        if not registry_ping(request, conn):
            time.sleep(0.3)
            conn.reply(200, b"", {"Docker-Content-Digest": "sha256:" + "a" * 64})

    server = serve(servers, slow_ok)
    settings = RegistrySettings(
        cache_dir=str(tmp_path / "c"),
        use_docker_config=False,
        timeout_seconds=5.0,
        run_budget_seconds=0.5,
        per_host_concurrency=2,
    )
    queries = [query(f"{server.host}/app{i}:1.0") for i in range(20)]
    started = time.monotonic()
    result = resolve(queries, settings)
    assert elapsed(started) < 2.0
    statuses = [f.status for f in result.values()]
    assert Status.FOUND in statuses and Status.UNREACHABLE in statuses
    assert all(f.error_class == "budget" for f in result.values() if f.status is Status.UNREACHABLE)


# -- "not found" only when the registry said so ----------------------------------------------------------


HTML = b"<html><body><h1>404 Not Found</h1></body></html>"


def test_html_404_everywhere_is_not_a_registry(servers: list[FaultServer], fast: RegistrySettings) -> None:
    server = serve(servers, lambda request, conn: conn.reply(404, HTML, {"Content-Type": "text/html"}))
    q = query(f"{server.host}/app:1.0")
    facts = resolve([q], fast)[q]
    assert facts.status is Status.UNREACHABLE and facts.error_class == "not-a-registry"
    assert "HTTP 404 with an HTML body" in facts.detail and "not a registry API" in facts.detail


def test_html_404_behind_a_registry_like_ping_is_not_not_found(
    servers: list[FaultServer], fast: RegistrySettings
) -> None:
    def proxy(request: Request, conn: Connection) -> None:
        if not registry_ping(request, conn):
            conn.reply(404, HTML, {"Content-Type": "text/html"})

    server = serve(servers, proxy)
    q = query(f"{server.host}/app:1.0")
    facts = resolve([q], fast)[q]
    assert facts.status is Status.UNREACHABLE and facts.error_class == "not-a-registry"


def test_bodiless_404_from_a_registry_is_believed(servers: list[FaultServer], fast: RegistrySettings) -> None:
    """Registries that answer 404 without a body: with /v2/ answering like a registry, the tags list
    tells an unknown tag from an unknown repository."""

    def bare(request: Request, conn: Connection) -> None:
        if registry_ping(request, conn):
            return
        if request.path == "/v2/known/tags/list":
            conn.reply(200, json.dumps({"name": "known", "tags": ["1.0", "1.1"]}).encode(), REGISTRY_HEADERS)
        else:
            conn.reply(404)

    server = serve(servers, bare)
    tag, repo = query(f"{server.host}/known:1.2"), query(f"{server.host}/unknown:1.0")
    result = resolve([tag, repo], fast)
    assert result[tag].status is Status.TAG_NOT_FOUND and result[tag].nearest_tags[:1] == ("1.1",)
    assert result[repo].status is Status.REPOSITORY_NOT_FOUND


def test_404_json_without_a_code_from_a_non_registry_is_unreachable(
    servers: list[FaultServer], fast: RegistrySettings
) -> None:
    def api(request: Request, conn: Connection) -> None:
        if request.path.rstrip("/") == "/v2":
            conn.reply(200, b"<html>welcome</html>", {"Content-Type": "text/html"})
        else:
            conn.reply(404, b'{"message":"no route"}', {"Content-Type": "application/json"})

    server = serve(servers, api)
    q = query(f"{server.host}/app:1.0")
    facts = resolve([q], fast)[q]
    assert facts.status is Status.UNREACHABLE and facts.error_class == "not-a-registry"


# -- 401 without a challenge pulllint can answer ---------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seen"),
    [
        (None, "no WWW-Authenticate challenge"),
        ("Negotiate", "the Negotiate scheme"),
        ("@@@ ???", "an unreadable WWW-Authenticate header"),
    ],
)
@pytest.mark.parametrize("with_credentials", [False, True], ids=["anonymous", "with credentials"])
def test_401_without_a_usable_challenge_is_could_not_verify(
    servers: list[FaultServer], fast: RegistrySettings, header: str | None, seen: str, with_credentials: bool
) -> None:
    def refuse(request: Request, conn: Connection) -> None:
        conn.reply(401, b"", {"WWW-Authenticate": header} if header else {})

    server = serve(servers, refuse)
    credentials = (secret("prod/regcred"),) if with_credentials else ()
    q = query(f"{server.host}/app:1.0", *credentials)
    facts = resolve([q], fast)[q]
    assert facts.status is Status.UNREACHABLE  # never PL403 "refused": nothing was sent
    assert facts.error_class == "auth-unsupported"
    assert seen in facts.detail
    assert all("authorization" not in r.headers for r in server.requests)


def test_messages_name_no_python_exception(servers: list[FaultServer], fast: RegistrySettings) -> None:
    def reset(request: Request, conn: Connection) -> None:
        if not registry_ping(request, conn):
            conn.sock.close()

    server = serve(servers, reset)
    q = query(f"{server.host}/app:1.0")
    facts = resolve([q], fast)[q]
    assert facts.status is Status.UNREACHABLE and facts.error_class == "connection-reset"
    for name in ("Error", "Exception", "RemoteProtocol", "ReadError"):
        assert name not in facts.detail, facts.detail


@pytest.mark.parametrize(
    ("answer", "error_class"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!", "bad-encoding"),
        (b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n", "connection-reset"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: \xc2\xb2\r\n\r\n", "connection-reset"),
    ],
    ids=["bad gzip", "bad redirect", "odd Content-Length"],
)
def test_malformed_answers_are_could_not_verify(
    servers: list[FaultServer], fast: RegistrySettings, answer: bytes, error_class: str
) -> None:
    def broken(request: Request, conn: Connection) -> None:
        if not registry_ping(request, conn):
            conn.send(answer)

    server = serve(servers, broken)
    q = query(f"{server.host}/app:1.0", platform="linux/amd64")
    facts = resolve([q], fast)[q]  # never an exception: a verdict
    assert facts.status is Status.UNREACHABLE and facts.error_class == error_class, facts


def test_garbage_http_is_described_without_python_reprs(
    servers: list[FaultServer], fast: RegistrySettings
) -> None:
    def garbage(request: Request, conn: Connection) -> None:
        if not registry_ping(request, conn):
            conn.send(b"HTTP/1.1 200 OK\r\nthis is not a header\r\n\r\n")

    server = serve(servers, garbage)
    q = query(f"{server.host}/app:1.0")
    facts = resolve([q], fast)[q]
    assert facts.status is Status.UNREACHABLE and facts.error_class == "connection-reset"
    assert "bytearray" not in facts.detail and "b'" not in facts.detail
    assert "not well-formed HTTP" in facts.detail
