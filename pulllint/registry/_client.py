"""HTTP plumbing: one httpx client per run, concurrency limits, retries, redirects, error triage.

Everything here is credential-agnostic except one rule: an ``Authorization`` header is attached only to
requests whose origin (scheme, host, port) is the origin it was issued for, so redirects to another
host (blob storage, CDNs) never receive it.
"""

from __future__ import annotations

import asyncio
import email.utils
import importlib.util
import random
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from pulllint.registry._refs import matches_host_list
from pulllint.registry._settings import RegistrySettings

if TYPE_CHECKING:
    from collections.abc import Mapping

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_REDIRECTS = 5
MAX_BODY_BYTES = 8 * 1024 * 1024
BACKOFF_BASE_SECONDS = 0.05
RETRY_AFTER_CAP_SECONDS = 5.0  # total time one query may spend waiting for Retry-After / backoff

_HTTP_ON_HTTPS_REASONS = (
    "WRONG_VERSION_NUMBER",
    "RECORD_LAYER_FAILURE",
    "PACKET_LENGTH_TOO_LONG",
    "UNKNOWN_PROTOCOL",
    "HTTP_REQUEST",
)


class Failure(Exception):
    """Could not verify. ``error_class`` is the triage class, ``detail`` the human explanation."""

    def __init__(self, error_class: str, detail: str, *, no_tls_server: bool = False) -> None:
        super().__init__(detail)
        self.error_class = error_class
        self.detail = detail
        # True when the HTTPS attempt showed there is no (working) TLS server: plain HTTP answer, refused,
        # handshake aborted. A loopback or insecure host may then be tried over plain HTTP.
        self.no_tls_server = no_tls_server


@dataclass(frozen=True)
class Origin:
    scheme: str
    hostport: str  # lower-case host[:port] exactly as in the URL authority

    @classmethod
    def of(cls, url: httpx.URL) -> Origin:
        return cls(url.scheme, url.netloc.decode("ascii").lower())

    def __str__(self) -> str:
        return f"{self.scheme}://{self.hostport}"


@dataclass(frozen=True)
class Auth:
    """An Authorization header value bound to the one origin it may be sent to. Never printed."""

    origin: Origin
    header: str = field(repr=False)


@dataclass
class Reply:
    status: int
    headers: httpx.Headers
    body: bytes
    url: httpx.URL
    http_version: str

    def header(self, name: str) -> str | None:
        value: str | None = self.headers.get(name)
        return value


@dataclass
class WaitBudget:
    """Seconds one query may still spend sleeping before retries (Retry-After and backoff)."""

    seconds: float = RETRY_AFTER_CAP_SECONDS


def _ssl_context(settings: RegistrySettings) -> ssl.SSLContext:
    """The system trust store (honours SSL_CERT_FILE / SSL_CERT_DIR), as the container runtimes use;
    certifi's bundle only where the system has none loaded (loading both costs tens of milliseconds on
    every cold run for the same roots)."""
    ctx = ssl.create_default_context()
    if not ctx.cert_store_stats().get("x509_ca"):
        import certifi

        ctx.load_verify_locations(certifi.where())
    if settings.ca_file:
        try:
            ctx.load_verify_locations(settings.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"cannot load CA bundle {settings.ca_file!r}: {exc}") from exc
    return ctx


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def classify_exception(exc: BaseException, hostport: str, timeout: float) -> Failure:
    """Name a transport failure the way an engineer triages it."""
    chain = _chain(exc)
    if any(isinstance(e, httpx.TimeoutException | TimeoutError | asyncio.TimeoutError) for e in chain):
        phase = (
            "connecting to" if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout) else "waiting for"
        )
        return Failure(
            "timeout",
            f"timeout after {timeout:g}s {phase} {hostport} (network path: firewall, proxy, routing)",
        )
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError):
            reason = getattr(e, "verify_message", None) or getattr(e, "reason", None) or str(e)
            return Failure("tls", f"TLS to {hostport}: certificate verify failed: {reason}")
    for e in chain:
        if isinstance(e, ssl.SSLError):
            reason_text = getattr(e, "reason", None) or ""
            reason = reason_text.upper()
            text = str(e)
            if any(r in reason or r in text.upper() for r in _HTTP_ON_HTTPS_REASONS):
                return Failure(
                    "http-on-https",
                    f"{hostport} answered the TLS handshake with plain HTTP "
                    "(a plain-HTTP registry: list it in insecure registries to allow it)",
                    no_tls_server=True,
                )
            return Failure("tls", f"TLS to {hostport}: {reason_text or text}", no_tls_server=True)
    for e in chain:
        if isinstance(e, socket.gaierror):
            return Failure("dns", f"cannot resolve {hostport}: {e.strerror or e}")
        if isinstance(e, ConnectionRefusedError):
            return Failure(
                "refused",
                f"connection refused by {hostport} (nothing listening on that port)",
                no_tls_server=True,
            )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        why = _plain(exc)
        return Failure(
            "connection-reset",
            f"connection to {hostport} was reset" + (f": {why}" if why else " (closed without an answer)"),
            no_tls_server=True,
        )
    if isinstance(exc, httpx.ConnectError):
        text = str(exc)
        low = text.lower()
        if "name or service not known" in low or "nodename nor servname" in low or "name resolution" in low:
            return Failure("dns", f"cannot resolve {hostport}: {text}")
        if "refused" in low:
            return Failure(
                "refused",
                f"connection refused by {hostport} (nothing listening on that port)",
                no_tls_server=True,
            )
        return Failure(
            "connect", f"cannot connect to {hostport}" + (f": {_plain(exc)}" if _plain(exc) else "")
        )
    why = _plain(exc)
    return Failure("network", f"network error talking to {hostport}" + (f": {why}" if why else ""))


def _plain(exc: BaseException) -> str:
    """An exception's own text for a person: never its Python class name, empty brackets or a Python
    repr of the bytes received (h11 quotes a bad header line as ``bytearray(b'...')``)."""
    text = str(exc).strip()
    if not text or text.startswith("<"):
        return ""
    if "bytearray(" in text or "b'" in text or 'b"' in text:
        return "the answer is not well-formed HTTP"
    return text


class HttpSession:
    """The per-run HTTP layer: shared clients, limits, retries, manual redirects, triage."""

    def __init__(self, settings: RegistrySettings, transport: httpx.AsyncBaseTransport | None) -> None:
        self._settings = settings
        self._transport = transport
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self._global = asyncio.Semaphore(max(1, settings.max_concurrency))
        self._per_host: dict[str, asyncio.Semaphore] = {}
        self._ssl: ssl.SSLContext | None = None if transport is not None else _ssl_context(settings)
        # The circuit breaker: hosts that timed out once in this run are not asked again.
        self._timed_out: set[str] = set()
        self._run_deadline = time.monotonic() + max(0.0, settings.run_budget_seconds)

    def _client(self, verify: bool) -> httpx.AsyncClient:
        client = self._clients.get(verify)
        if client is None:
            s = self._settings
            limits = httpx.Limits(
                max_connections=max(1, s.max_concurrency), max_keepalive_connections=max(1, s.max_concurrency)
            )
            timeout = httpx.Timeout(s.timeout_seconds)
            if self._transport is not None:
                client = httpx.AsyncClient(
                    transport=self._transport, timeout=timeout, follow_redirects=False, trust_env=False
                )
            else:
                http2 = importlib.util.find_spec("h2") is not None
                client = httpx.AsyncClient(
                    verify=self._ssl if verify and self._ssl is not None else False,
                    http2=http2,
                    limits=limits,
                    timeout=timeout,
                    follow_redirects=False,
                )
            self._clients[verify] = client
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    def _host_semaphore(self, hostport: str) -> asyncio.Semaphore:
        sem = self._per_host.get(hostport)
        if sem is None:
            sem = self._per_host[hostport] = asyncio.Semaphore(max(1, self._settings.per_host_concurrency))
        return sem

    async def send(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        headers: Mapping[str, str] | None = None,
        auth: Auth | None = None,
        data: Mapping[str, str] | None = None,
        budget: WaitBudget | None = None,
    ) -> Reply:
        """Send with retries on 408/429/5xx and resets; follow redirects; raise `Failure` on transport errors.

        The final answer is returned whatever its status (429 and 5xx included, once the retry budget or
        the wait budget is spent); the caller interprets it.
        """
        budget = budget if budget is not None else WaitBudget()
        target = httpx.URL(url)
        for _hop in range(MAX_REDIRECTS + 1):
            reply = await self._send_with_retries(method, target, headers, auth, data, budget)
            if reply.status in (301, 302, 303, 307, 308):
                location = reply.header("location")
                if not location:
                    return reply
                try:
                    next_target = target.join(location)
                except (httpx.InvalidURL, ValueError, UnicodeError):
                    raise Failure(
                        "bad-redirect", f"{Origin.of(target)} redirected to an unusable location"
                    ) from None
                if data is not None and Origin.of(next_target) != Origin.of(target):
                    return reply  # a form (it may hold a refresh token) never follows a redirect elsewhere
                target = next_target
                if reply.status == 303 and method != "HEAD":
                    method, data = "GET", None
                continue
            return reply
        raise Failure(
            "redirect-loop", f"more than {MAX_REDIRECTS} redirects from {Origin.of(httpx.URL(url))}"
        )

    async def _send_with_retries(
        self,
        method: str,
        url: httpx.URL,
        headers: Mapping[str, str] | None,
        auth: Auth | None,
        data: Mapping[str, str] | None,
        budget: WaitBudget,
    ) -> Reply:
        origin = Origin.of(url)
        request_headers = dict(headers or {})
        if auth is not None and auth.origin == origin:
            request_headers["Authorization"] = auth.header
        retries = max(0, self._settings.retry_budget)
        attempt = 0
        while True:
            attempt += 1
            try:
                reply = await self._send_once(method, url, request_headers, data, origin.hostport)
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
                if attempt <= retries and await self._backoff(attempt, None, budget):
                    continue
                raise classify_exception(exc, origin.hostport, self._settings.timeout_seconds) from None
            except httpx.DecodingError:
                raise Failure(
                    "bad-encoding", f"{origin.hostport} sent a body that cannot be decoded (Content-Encoding)"
                ) from None
            except httpx.TransportError as exc:
                failure = classify_exception(exc, origin.hostport, self._settings.timeout_seconds)
                if failure.error_class == "timeout":
                    self._timed_out.add(origin.hostport)
                raise failure from None
            if reply.status in RETRY_STATUSES and attempt <= retries:
                wait_hint = _retry_after(reply.header("retry-after"))
                if await self._backoff(attempt, wait_hint, budget):
                    continue
            return reply

    async def _backoff(self, attempt: int, retry_after: float | None, budget: WaitBudget) -> bool:
        """Sleep before the next attempt; False when that would exceed the query's wait budget."""
        delay = retry_after if retry_after is not None else BACKOFF_BASE_SECONDS * (2 ** (attempt - 1))
        delay += random.uniform(0, BACKOFF_BASE_SECONDS / 2) if retry_after is None else 0.0
        if delay > budget.seconds or time.monotonic() + delay >= self._run_deadline:
            return False
        budget.seconds -= delay
        if delay > 0:
            await asyncio.sleep(delay)
        return True

    async def _send_once(
        self,
        method: str,
        url: httpx.URL,
        headers: dict[str, str],
        data: Mapping[str, str] | None,
        hostport: str,
    ) -> Reply:
        # Docker semantics: a host listed in insecure registries is spoken to without certificate checks.
        verify = not (
            url.scheme == "https" and matches_host_list(hostport, self._settings.insecure_registries)
        )
        client = self._client(verify)
        # Host slot first: a request waiting for its busy host must not hold one of the global slots.
        async with self._host_semaphore(hostport), self._global:
            if hostport in self._timed_out:
                raise Failure(
                    "timeout",
                    f"not tried: {hostport} timed out earlier in this run (network path: firewall, proxy)",
                )
            remaining = self._run_deadline - time.monotonic()
            if remaining <= 0:
                raise Failure(
                    "budget",
                    "not tried: the run's registry time budget "
                    f"({self._settings.run_budget_seconds:g}s) was spent",
                )
            deadline = min(self._settings.deadline_seconds, remaining)
            try:
                status, response_headers, body, http_version = await asyncio.wait_for(
                    self._exchange(client, method, url, headers, data, hostport), deadline
                )
            except asyncio.TimeoutError:
                if deadline < self._settings.deadline_seconds:
                    raise Failure(
                        "budget",
                        f"stopped: the run's registry time budget ({self._settings.run_budget_seconds:g}s) "
                        f"ran out while waiting for {hostport}",
                    ) from None
                self._timed_out.add(hostport)
                raise Failure(
                    "timeout",
                    f"no complete answer from {hostport} within {deadline:g}s "
                    "(it answers too slowly or not at all)",
                ) from None
        return Reply(status, response_headers, body, url, http_version)

    async def _exchange(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: httpx.URL,
        headers: dict[str, str],
        data: Mapping[str, str] | None,
        hostport: str,
    ) -> tuple[int, httpx.Headers, bytes, str]:
        """One request and its whole (bounded) body."""
        request = client.build_request(method, url, headers=headers, data=data)
        response = await client.send(request, stream=True)
        try:
            body = b""
            if method != "HEAD":
                declared = response.headers.get("content-length", "")
                declared = declared.strip()
                if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                    raise Failure(
                        "oversized",
                        f"{hostport} announced {int(declared)} bytes"
                        f" (pulllint reads at most {MAX_BODY_BYTES})",
                    )
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_BODY_BYTES:
                        raise Failure("oversized", f"{hostport} sent more than {MAX_BODY_BYTES} bytes")
                    chunks.append(chunk)
                body = b"".join(chunks)
        finally:
            await response.aclose()
        return response.status_code, response.headers, body, response.http_version


class RateLimitedError(Exception):
    """429 after the retry budget: could not verify; the quota headers are kept."""

    def __init__(self, detail: str, limit: str | None, remaining: str | None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.limit = limit
        self.remaining = remaining

    @classmethod
    def from_reply(cls, reply: Reply, who: str) -> RateLimitedError:
        limit = reply.header("ratelimit-limit")
        remaining = reply.header("ratelimit-remaining")
        detail = f"{who} answered 429 Too Many Requests"
        if remaining is not None:
            detail += f" (ratelimit-remaining: {remaining}"
            detail += f", ratelimit-limit: {limit})" if limit is not None else ")"
        retry_after = reply.header("retry-after")
        if retry_after:
            detail += f"; retry after {retry_after}"
        return cls(detail, limit, remaining)
