"""Registry authentication: WWW-Authenticate challenges, Basic, Bearer tokens (anonymous, Basic to the
realm, OAuth2 refresh-token POST), a per-run token cache, and where credentials may be sent.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from dataclasses import dataclass, field

import httpx

from pulllint.model.credentials import RegistryCredential
from pulllint.registry._client import Auth, Failure, HttpSession, Origin, RateLimitedError, WaitBudget
from pulllint.registry._refs import is_loopback, matches_host_list, split_host_port

DEFAULT_TOKEN_SECONDS = 60.0
CLIENT_ID = "pulllint"

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_CHALLENGE_RE = re.compile(
    rf"\s*(?P<scheme>{_TOKEN})(?P<rest>(?:\s+{_TOKEN}\s*=\s*(?:\"(?:[^\"\\]|\\.)*\"|[^,\s]*)"
    rf"(?:\s*,\s*{_TOKEN}\s*=\s*(?:\"(?:[^\"\\]|\\.)*\"|[^,\s]*))*)?)\s*(?:,|$)"
)
_PARAM_RE = re.compile(
    rf"\s*,?\s*(?P<key>{_TOKEN})\s*=\s*(?:\"(?P<quoted>(?:[^\"\\]|\\.)*)\"|(?P<plain>[^,\s]*))"
)


class Denied(Exception):
    """The registry or its token service refused access (401/403, or a token without the scope)."""

    def __init__(self, error_class: str, detail: str, *, sent: bool = True) -> None:
        super().__init__(detail)
        self.error_class = error_class  # "credentials-refused" | "insufficient-scope" | "auth-required"
        self.detail = detail
        # Whether credentials were presented (to the registry or its token service): only then is this a
        # refusal of credentials.
        self.sent = sent


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower case: "bearer", "basic", ...
    params: tuple[tuple[str, str], ...] = ()

    def get(self, key: str) -> str | None:
        for k, v in self.params:
            if k == key:
                return v
        return None

    @property
    def realm(self) -> str | None:
        return self.get("realm")

    @property
    def service(self) -> str | None:
        return self.get("service")

    @property
    def error(self) -> str | None:
        return self.get("error")


def parse_www_authenticate(value: str | None) -> list[Challenge]:
    """Parse ``Bearer realm="...",service="...",scope="..."`` (several challenges allowed)."""
    if not value:
        return []
    challenges: list[Challenge] = []
    pos = 0
    while pos < len(value):
        match = _CHALLENGE_RE.match(value, pos)
        if match is None or match.end() == pos:
            break
        params: list[tuple[str, str]] = []
        for p in _PARAM_RE.finditer(match.group("rest") or ""):
            raw = p.group("quoted")
            text = re.sub(r"\\(.)", r"\1", raw) if raw is not None else (p.group("plain") or "")
            params.append((p.group("key").lower(), text))
        challenges.append(Challenge(match.group("scheme").lower(), tuple(params)))
        pos = match.end()
    return challenges


def pick_challenge(challenges: list[Challenge]) -> Challenge | None:
    """Prefer Bearer, then Basic; other schemes are not supported (treated as no usable challenge)."""
    for scheme in ("bearer", "basic"):
        for c in challenges:
            if c.scheme == scheme:
                return c
    return None


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def may_send_credentials(realm: httpx.URL, registry: Origin, insecure: tuple[str, ...]) -> bool:
    """Credentials go to a token realm over HTTPS; over plain HTTP only on the registry's own host when
    that host may be spoken to in plain HTTP anyway (loopback or an insecure registry)."""
    if realm.scheme == "https":
        return True
    realm_host = realm.host.lower()
    registry_host, _ = split_host_port(registry.hostport)
    if realm_host != registry_host:
        return False
    return is_loopback(registry.hostport) or matches_host_list(registry.hostport, insecure)


@dataclass
class _Token:
    value: str = field(repr=False)
    expires_at: float


class TokenCache:
    """Bearer tokens per (realm, service, scope, credential), shared by all queries of one run.

    Concurrent requests for the same key share one token request (single flight). A token is reused
    until it expires (``expires_in``, default 60 s, measured from ``issued_at`` or receipt).
    """

    def __init__(self, session: HttpSession, insecure: tuple[str, ...]) -> None:
        self._session = session
        self._insecure = insecure
        self._tokens: dict[tuple[str, str, str, RegistryCredential | None], _Token] = {}
        self._inflight: dict[tuple[str, str, str, RegistryCredential | None], asyncio.Future[_Token]] = {}
        # Refusals and failures are remembered for the run: one refused credential is asked once.
        self._failed: dict[tuple[str, str, str, RegistryCredential | None], Exception] = {}

    async def token(
        self,
        challenge: Challenge,
        scope: str,
        credential: RegistryCredential | None,
        registry: Origin,
        budget: WaitBudget,
    ) -> str:
        realm = challenge.realm
        if not realm:
            raise Failure("auth-config", f"{registry.hostport} sent a Bearer challenge without a realm")
        key = (realm, challenge.service or "", scope, credential)
        cached = self._tokens.get(key)
        if cached is not None and cached.expires_at > time.monotonic():
            return cached.value
        failed = self._failed.get(key)
        if failed is not None:
            raise failed
        pending = self._inflight.get(key)
        if pending is None:
            loop = asyncio.get_running_loop()
            pending = self._inflight[key] = loop.create_future()
            try:
                result = await self._fetch(realm, challenge.service, scope, credential, registry, budget)
            except Exception as exc:
                self._failed[key] = exc
                pending.set_exception(exc)
                pending.exception()  # mark retrieved: waiters re-raise it themselves
                del self._inflight[key]
                raise
            except BaseException:  # cancelled: waiters are cancelled with it
                pending.cancel()
                del self._inflight[key]
                raise
            self._tokens[key] = result
            pending.set_result(result)
            del self._inflight[key]
            return result.value
        return (await asyncio.shield(pending)).value

    async def _fetch(
        self,
        realm: str,
        service: str | None,
        scope: str,
        credential: RegistryCredential | None,
        registry: Origin,
        budget: WaitBudget,
    ) -> _Token:
        try:
            realm_url = httpx.URL(realm)
        except httpx.InvalidURL:
            raise Failure("auth-config", f"{registry.hostport} advertises an invalid token realm") from None
        if realm_url.scheme not in ("http", "https"):
            raise Failure("auth-config", f"{registry.hostport} advertises a token realm that is not HTTP(S)")
        realm_origin = Origin.of(realm_url)
        params = {"scope": scope}
        if service:
            params["service"] = service
        auth: Auth | None = None
        data: dict[str, str] | None = None
        method = "GET"
        if credential is not None and not credential.is_empty:
            if not may_send_credentials(realm_url, registry, self._insecure):
                # Not sent, so not verified: "could not verify", never "refused".
                raise Failure(
                    "insecure-token-realm",
                    f"credentials not sent: the token service {realm_origin} of {registry.hostport} is plain "
                    "HTTP on another host",
                )
            if credential.identity_token:
                method = "POST"
                data = {
                    "grant_type": "refresh_token",
                    "refresh_token": credential.identity_token,
                    "client_id": CLIENT_ID,
                    "scope": scope,
                }
                if service:
                    data["service"] = service
            elif credential.username or credential.password:
                auth = Auth(realm_origin, basic_header(credential.username, credential.password))
                params["account"] = credential.username
        url = realm_url.copy_merge_params(params) if method == "GET" else realm_url
        reply = await self._session.send(method, url, auth=auth, data=data, budget=budget)
        if reply.status in (401, 403):
            if credential is None or credential.is_empty:
                raise Denied(
                    "auth-required",
                    f"token service {realm_origin} refused anonymous access ({reply.status})",
                    sent=False,
                )
            raise Denied(
                "credentials-refused",
                f"token service {realm_origin} refused the credentials ({reply.status})",
            )
        if reply.status == 429:
            raise RateLimitedError.from_reply(reply, f"token service {realm_origin}")
        if reply.status != 200:
            raise Failure(f"status-{reply.status}", f"token service {realm_origin} answered {reply.status}")
        try:
            doc = json.loads(reply.body)
            value = doc.get("token") or doc.get("access_token")
            if not isinstance(value, str) or not value:
                raise ValueError("no token")
            expires_in = float(doc.get("expires_in") or DEFAULT_TOKEN_SECONDS)
        except (ValueError, TypeError, AttributeError):
            raise Failure("auth-protocol", f"token service {realm_origin} sent no usable token") from None
        if expires_in <= 0:
            expires_in = DEFAULT_TOKEN_SECONDS
        # Measured from receipt (never later than issued_at), with a small safety margin.
        return _Token(value, time.monotonic() + max(1.0, expires_in - 5.0))
