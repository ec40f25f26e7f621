"""Answers `ImageQuery`s with `ImageFacts`: the OCI distribution API as the kubelet's runtime uses it.

Per registry host, once per run: ``GET /v2/`` (the "ping") learns the scheme and the auth challenge.
Scheme policy: HTTPS always first. Loopback hosts (localhost, 127.0.0.0/8, ::1) and hosts listed in
``insecure_registries`` fall back to plain HTTP when the HTTPS attempt shows no TLS server (plain HTTP
answer, refused, handshake error). A certificate verification failure never falls back (a TLS server is
there and is not trusted: that is reported). Any other host is HTTPS only ("http-on-https" otherwise).

Per query: ``HEAD /v2/<name>/manifests/<ref>`` with the four manifest media types; when a platform must
be checked, ``GET`` instead (the body is needed anyway, so one request, not two). 404 on HEAD is
followed by a GET to read the error code; MANIFEST_UNKNOWN by ``tags/list`` (Link-paginated) to tell an
unknown repository (NAME_UNKNOWN) from an unknown tag and to suggest the nearest tags.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from pulllint.model.credentials import RegistryCredential
from pulllint.model.facts import ImageFacts, ImageQuery, Platform, Status
from pulllint.registry._auth import (
    Challenge,
    Denied,
    TokenCache,
    basic_header,
    parse_www_authenticate,
    pick_challenge,
)
from pulllint.registry._cache import DiskCache
from pulllint.registry._client import Auth, Failure, HttpSession, Origin, RateLimitedError, Reply, WaitBudget
from pulllint.registry._dockerconfig import DockerCredentials
from pulllint.registry._refs import api_host, image_string, is_loopback, manifest_reference, matches_host_list
from pulllint.registry._settings import RegistrySettings
from pulllint.registry._tags import nearest_tags

if TYPE_CHECKING:
    from collections.abc import Sequence

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))
MAX_TAG_PAGES = 20
_LINK_NEXT_RE = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


@dataclass(frozen=True)
class Endpoint:
    domain: str  # as in the image reference ("docker.io")
    hostport: str  # the API host ("registry-1.docker.io")
    base: str  # "https://registry-1.docker.io"
    origin: Origin
    challenge: Challenge | None  # from GET /v2/; None: no authentication asked


@dataclass(frozen=True)
class Answer:
    facts: ImageFacts
    used_auth: bool


def _error_codes(body: bytes) -> list[str]:
    try:
        doc = json.loads(body)
    except ValueError:
        return []
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if not isinstance(errors, list):
        return []
    return [str(e.get("code", "")).upper() for e in errors if isinstance(e, dict)]


def _media_type(reply: Reply) -> str:
    return (reply.header("content-type") or "").split(";")[0].strip().lower()


def _platforms_of_index(doc: dict[str, object]) -> tuple[Platform, ...]:
    found: list[Platform] = []
    manifests = doc.get("manifests")
    for entry in manifests if isinstance(manifests, list) else []:
        platform = entry.get("platform") if isinstance(entry, dict) else None
        if not isinstance(platform, dict):
            continue
        os_name, arch, variant = platform.get("os"), platform.get("architecture"), platform.get("variant")
        if (
            not isinstance(os_name, str)
            or not isinstance(arch, str)
            or os_name == "unknown"
            or arch == "unknown"
        ):
            continue  # attestation manifests (unknown/unknown) are not runnable platforms
        p = Platform(os_name, arch, variant if isinstance(variant, str) and variant else None)
        if p not in found:
            found.append(p)
    return tuple(found)


class Resolver:
    def __init__(self, settings: RegistrySettings, session: HttpSession) -> None:
        self._settings = settings
        self._session = session
        self._tokens = TokenCache(session, settings.insecure_registries)
        self._docker = DockerCredentials(settings.timeout_seconds) if settings.use_docker_config else None
        self._endpoints: dict[str, asyncio.Task[Endpoint]] = {}

    # -- entry -----------------------------------------------------------------------------------------

    async def resolve(self, query: ImageQuery) -> ImageFacts:
        reference = image_string(query.image)
        budget = WaitBudget()
        try:
            endpoint = await self._endpoint(query.image.domain)
            return await self._resolve(endpoint, query, reference, budget)
        except Failure as f:
            return ImageFacts(reference, Status.UNREACHABLE, detail=f.detail, error_class=f.error_class)
        except RateLimitedError as r:
            return ImageFacts(
                reference,
                Status.RATE_LIMITED,
                detail=r.detail,
                error_class="rate-limited",
                ratelimit_limit=r.limit,
                ratelimit_remaining=r.remaining,
            )
        except Exception as exc:  # a bug must not cost the user the whole run
            return ImageFacts(
                reference,
                Status.UNREACHABLE,
                detail=f"internal error: {type(exc).__name__}: {exc}",
                error_class="internal",
            )

    # -- hosts -----------------------------------------------------------------------------------------

    def _plain_http_allowed(self, domain: str, hostport: str) -> bool:
        insecure = self._settings.insecure_registries
        return (
            is_loopback(hostport)
            or matches_host_list(hostport, insecure)
            or matches_host_list(domain, insecure)
        )

    async def _endpoint(self, domain: str) -> Endpoint:
        task = self._endpoints.get(domain)
        if task is None:
            task = self._endpoints[domain] = asyncio.ensure_future(self._probe(domain))
        return await asyncio.shield(task)

    async def _probe(self, domain: str) -> Endpoint:
        hostport = api_host(domain)
        budget = WaitBudget()
        base = f"https://{hostport}"
        try:
            reply = await self._session.send("GET", f"{base}/v2/", budget=budget)
        except Failure as https_failure:
            if not (https_failure.no_tls_server and self._plain_http_allowed(domain, hostport)):
                raise
            base = f"http://{hostport}"
            reply = await self._session.send("GET", f"{base}/v2/", budget=budget)
        origin = Origin.of(httpx.URL(base))
        if reply.status == 429:
            raise RateLimitedError.from_reply(reply, hostport)
        if reply.status == 408 or reply.status >= 500:
            raise Failure(
                f"status-{reply.status}", f"{hostport} answered {reply.status} to GET /v2/ (registry down?)"
            )
        challenge = None
        if reply.status == 401:
            challenge = pick_challenge(parse_www_authenticate(reply.header("www-authenticate")))
        return Endpoint(domain, hostport, base, origin, challenge)

    # -- one query -------------------------------------------------------------------------------------

    async def _resolve(
        self, ep: Endpoint, query: ImageQuery, reference: str, budget: WaitBudget
    ) -> ImageFacts:
        domain = query.image.domain
        if query.credentials:
            refusals: list[tuple[RegistryCredential, Denied]] = []
            for credential in query.credentials:
                try:
                    answer = await self._attempt(ep, query, reference, credential, budget)
                except Denied as denied:
                    refusals.append((credential, denied))
                    continue
                label = f"{credential.origin} for {domain}" if answer.used_auth else None
                return answer.facts._replace(credential_label=label)
            origins = list(dict.fromkeys(c.origin for c, _ in refusals))
            classes = {d.error_class for _, d in refusals}
            return ImageFacts(
                reference,
                Status.UNAUTHORIZED,
                detail="; ".join(f"{c.origin}: {d.detail}" for c, d in refusals),
                error_class="credentials-refused"
                if "credentials-refused" in classes
                else refusals[-1][1].error_class,
                credential_label=f"{', '.join(origins)} for {domain}",
            )
        try:
            answer = await self._attempt(ep, query, reference, None, budget)
            return answer.facts
        except Denied as anonymous:
            tried: list[str] = []
            if self._docker is not None:
                for credential in await self._docker.lookup(domain, query.image.path):
                    try:
                        answer = await self._attempt(ep, query, reference, credential, budget)
                    except Denied:
                        tried.append(credential.origin)
                        continue
                    facts = answer.facts
                    return facts._replace(
                        credential_label=f"{credential.origin} for {domain}",
                        extra={**facts.extra, "anonymous_pull": "denied"},
                        detail=(facts.detail + "; " if facts.detail else "")
                        + f"anonymous pull denied ({anonymous.detail}); checked with {credential.origin}",
                    )
            detail = anonymous.detail
            if tried:
                detail += f"; refused as well with {', '.join(dict.fromkeys(tried))}"
            return ImageFacts(
                reference, Status.MISSING_OR_PRIVATE, detail=detail, error_class=anonymous.error_class
            )

    async def _authorization(
        self,
        ep: Endpoint,
        challenge: Challenge | None,
        scope: str,
        credential: RegistryCredential | None,
        budget: WaitBudget,
    ) -> Auth | None:
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            if credential is None or not (credential.username or credential.password):
                return None
            return Auth(ep.origin, basic_header(credential.username, credential.password))
        if credential is not None and credential.registry_token:
            return Auth(ep.origin, f"Bearer {credential.registry_token}")
        token = await self._tokens.token(challenge, scope, credential, ep.origin, budget)
        return Auth(ep.origin, f"Bearer {token}")

    async def _attempt(
        self,
        ep: Endpoint,
        query: ImageQuery,
        reference: str,
        credential: RegistryCredential | None,
        budget: WaitBudget,
    ) -> Answer:
        path = query.image.path
        scope = f"repository:{path}:pull"
        auth = await self._authorization(ep, ep.challenge, scope, credential, budget)
        url = f"{ep.base}/v2/{path}/manifests/{manifest_reference(query.image)}"
        method = "GET" if query.platform is not None else "HEAD"
        headers = {"Accept": ACCEPT}
        reply = await self._session.send(method, url, headers=headers, auth=auth, budget=budget)
        if reply.status == 401 and auth is None:
            # /v2/ was open but this repository asks for authentication.
            challenge = pick_challenge(parse_www_authenticate(reply.header("www-authenticate")))
            auth = await self._authorization(ep, challenge, scope, credential, budget)
            if auth is not None:
                reply = await self._session.send(method, url, headers=headers, auth=auth, budget=budget)
        if reply.status == 404 and method == "HEAD":
            reply = await self._session.send("GET", url, headers=headers, auth=auth, budget=budget)
        facts = await self._interpret(ep, query, reference, reply, auth, credential, budget)
        return Answer(facts, auth is not None)

    async def _interpret(
        self,
        ep: Endpoint,
        query: ImageQuery,
        reference: str,
        reply: Reply,
        auth: Auth | None,
        credential: RegistryCredential | None,
        budget: WaitBudget,
    ) -> ImageFacts:
        status = reply.status
        limit, remaining = reply.header("ratelimit-limit"), reply.header("ratelimit-remaining")
        if status == 200:
            return await self._found(ep, query, reference, reply, auth, budget, limit, remaining)
        if status == 404:
            codes = _error_codes(reply.body)
            if "NAME_UNKNOWN" in codes:
                return ImageFacts(
                    reference,
                    Status.REPOSITORY_NOT_FOUND,
                    detail=f"{ep.hostport} has no repository {query.image.path} (NAME_UNKNOWN)",
                    ratelimit_limit=limit,
                    ratelimit_remaining=remaining,
                )
            return await self._manifest_unknown(ep, query, reference, auth, budget, limit, remaining)
        if status in (401, 403):
            challenges = parse_www_authenticate(reply.header("www-authenticate"))
            scope_error = any(c.error == "insufficient_scope" for c in challenges)
            codes = _error_codes(reply.body)
            anonymous = credential is None or credential.is_empty
            if scope_error or (status == 403 and not anonymous and "DENIED" in codes):
                error_class = "insufficient-scope"
                why = "no pull access to this repository (it does not exist or is private)"
                if not anonymous:
                    why = "credentials accepted but without pull access (repository missing, or not theirs)"
            elif anonymous:
                error_class, why = "auth-required", "authentication required"
            else:
                error_class, why = "credentials-refused", "credentials refused"
            raise Denied(error_class, f"{ep.hostport} answered {status} for {query.image.path}: {why}")
        if status == 429:
            raise RateLimitedError.from_reply(reply, ep.hostport)
        if status == 408 or status >= 500:
            raise Failure(
                f"status-{status}",
                f"{ep.hostport} answered {status} {_reason(status)}"
                f" (after {self._settings.retry_budget} retries)",
            )
        raise Failure(
            f"status-{status}", f"{ep.hostport} answered {status} {_reason(status)} to the manifest request"
        )

    async def _found(
        self,
        ep: Endpoint,
        query: ImageQuery,
        reference: str,
        reply: Reply,
        auth: Auth | None,
        budget: WaitBudget,
        limit: str | None,
        remaining: str | None,
    ) -> ImageFacts:
        digest = reply.header("docker-content-digest") or query.image.digest
        if digest is None and reply.body:
            digest = "sha256:" + hashlib.sha256(reply.body).hexdigest()
        media_type = _media_type(reply)
        extra: dict[str, str] = {}
        platforms: tuple[Platform, ...] | None = None
        if query.platform is not None and reply.body:
            try:
                doc = json.loads(reply.body)
            except ValueError:
                doc = None
            if isinstance(doc, dict):
                media_type = media_type or str(doc.get("mediaType") or "")
                if isinstance(doc.get("manifests"), list):
                    platforms = _platforms_of_index(doc)
                elif isinstance(doc.get("config"), dict):
                    platforms, note = await self._config_platform(ep, query, doc["config"], auth, budget)
                    if note:
                        extra["platforms_unknown"] = note
        if media_type:
            extra["media_type"] = media_type
        return ImageFacts(
            reference,
            Status.FOUND,
            digest=digest,
            platforms=platforms,
            ratelimit_limit=limit,
            ratelimit_remaining=remaining,
            extra=extra,
        )

    async def _config_platform(
        self,
        ep: Endpoint,
        query: ImageQuery,
        config: dict[str, object],
        auth: Auth | None,
        budget: WaitBudget,
    ) -> tuple[tuple[Platform, ...] | None, str]:
        """A single manifest: its platform is in the config blob (one small GET; redirects followed,
        Authorization never forwarded to another host)."""
        digest = config.get("digest")
        if not isinstance(digest, str) or not digest.startswith("sha256:"):
            return None, "manifest has no config digest"
        url = f"{ep.base}/v2/{query.image.path}/blobs/{digest}"
        try:
            reply = await self._session.send("GET", url, auth=auth, budget=budget)
        except Failure as f:
            return None, f"config blob: {f.detail}"
        if reply.status != 200:
            return None, f"config blob: {ep.hostport} answered {reply.status}"
        try:
            doc = json.loads(reply.body)
        except ValueError:
            return None, "config blob is not JSON"
        if not isinstance(doc, dict):
            return None, "config blob is not a JSON object"
        os_name, arch, variant = doc.get("os"), doc.get("architecture"), doc.get("variant")
        if not isinstance(os_name, str) or not isinstance(arch, str) or not os_name or not arch:
            return None, "config blob names no os/architecture"
        return (Platform(os_name, arch, variant if isinstance(variant, str) and variant else None),), ""

    async def _manifest_unknown(
        self,
        ep: Endpoint,
        query: ImageQuery,
        reference: str,
        auth: Auth | None,
        budget: WaitBudget,
        limit: str | None,
        remaining: str | None,
    ) -> ImageFacts:
        path = query.image.path
        wanted = manifest_reference(query.image)
        tags: list[str] = []
        note = ""
        url: httpx.URL | None = httpx.URL(f"{ep.base}/v2/{path}/tags/list")
        pages = 0
        try:
            while url is not None and pages < (1 if query.image.digest else MAX_TAG_PAGES):
                pages += 1
                reply = await self._session.send("GET", url, auth=auth, budget=budget)
                if reply.status == 404:
                    if "NAME_UNKNOWN" in _error_codes(reply.body):
                        return ImageFacts(
                            reference,
                            Status.REPOSITORY_NOT_FOUND,
                            detail=f"{ep.hostport} has no repository {path} (NAME_UNKNOWN)",
                            ratelimit_limit=limit,
                            ratelimit_remaining=remaining,
                        )
                    note = "tags list: 404"
                    break
                if reply.status != 200:
                    note = f"tags list: {ep.hostport} answered {reply.status}"
                    break
                doc = json.loads(reply.body)
                page = doc.get("tags") if isinstance(doc, dict) else None
                tags.extend(t for t in (page or []) if isinstance(t, str))
                match = _LINK_NEXT_RE.search(reply.header("link") or "")
                url = url.join(match.group(1)) if match else None
        except (Failure, RateLimitedError) as exc:
            note = f"tags list: {exc}"
        except ValueError:
            note = "tags list: not JSON"
        what = "digest" if query.image.digest else "tag"
        detail = f"{ep.hostport}/{path} has no manifest for {what} {wanted} (MANIFEST_UNKNOWN)"
        suggestions = () if query.image.digest else nearest_tags(wanted, tags)
        extra = {"tags_unavailable": note} if note else {}
        return ImageFacts(
            reference,
            Status.TAG_NOT_FOUND,
            nearest_tags=suggestions,
            detail=detail,
            ratelimit_limit=limit,
            ratelimit_remaining=remaining,
            extra=extra,
        )


def _reason(status: int) -> str:
    try:
        from http import HTTPStatus

        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class Progress:
    """``verifying images 12/200`` on stderr, rewritten in place (at most 10 times a second)."""

    def __init__(self, total: int, done: int) -> None:
        self._total = total
        self._done = done
        self._last = 0.0
        self._width = 0
        self._draw(force=True)

    def tick(self) -> None:
        self._done += 1
        self._draw(force=self._done == self._total)

    def _draw(self, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        text = f"pulllint: verifying images {self._done}/{self._total}"
        self._width = max(self._width, len(text))
        sys.stderr.write("\r" + text)
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\r" + " " * self._width + "\r")
        sys.stderr.flush()


async def run(
    queries: Sequence[ImageQuery],
    settings: RegistrySettings,
    transport: httpx.AsyncBaseTransport | None,
) -> dict[ImageQuery, ImageFacts]:
    unique = list(dict.fromkeys(queries))
    cache = DiskCache(settings) if settings.use_cache else None
    results: dict[ImageQuery, ImageFacts] = {}
    todo: list[ImageQuery] = []
    for query in unique:
        hit = cache.get(query) if cache is not None else None
        if hit is not None:
            results[query] = hit
        else:
            todo.append(query)
    progress = Progress(len(unique), len(results)) if settings.progress and unique else None
    try:
        if todo:
            session = HttpSession(settings, transport)
            resolver = Resolver(settings, session)

            async def one(query: ImageQuery) -> None:
                facts = await resolver.resolve(query)
                results[query] = facts
                if cache is not None:
                    cache.put(query, facts)
                if progress is not None:
                    progress.tick()

            try:
                await asyncio.gather(*(one(q) for q in todo))
            finally:
                await session.aclose()
    finally:
        if progress is not None:
            progress.close()
    return {query: results[query] for query in queries}
