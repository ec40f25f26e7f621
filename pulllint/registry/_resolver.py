"""Answers `ImageQuery`s with `ImageFacts`: the OCI distribution API as the kubelet's runtime uses it.

Per registry host, once per run: ``GET /v2/`` (the "ping") learns the scheme, the auth challenge and
whether the host answers like a registry at all. Scheme policy: HTTPS always first. Loopback hosts
(localhost, 127.0.0.0/8, ::1) and hosts listed in ``insecure_registries`` fall back to plain HTTP when the
HTTPS attempt shows no TLS server (plain HTTP answer, refused, handshake error). A certificate
verification failure never falls back (a TLS server is there and is not trusted: that is reported). Any
other host is HTTPS only ("http-on-https" otherwise).

Per query: ``HEAD /v2/<name>/manifests/<ref>`` with the four manifest media types. When platforms must be
checked, ``GET`` instead (one request, not two) — except on Docker Hub, which counts every manifest GET as
a pull: there the HEAD's digest is looked up in the cache's platform lists (digests are immutable) and
only an unknown digest costs one GET, once ever. A 404 on HEAD is followed by a GET to read the error
code; MANIFEST_UNKNOWN by ``tags/list`` (Link-paginated) to tell an unknown repository (NAME_UNKNOWN) from
an unknown tag and to suggest the nearest tags.

Verdicts keep to what the registry said: "not found" needs a distribution error code, or a bodiless 404
from a host whose ``/v2/`` answered like a registry; "credentials refused" needs credentials that were
sent; anything else is "could not verify" with what was seen. Exceptions other than those of the network
(a bug) propagate: they are never turned into a verdict.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from pulllint.hosts import canonical_host, is_docker_hub
from pulllint.model.credentials import RegistryCredential
from pulllint.model.facts import (
    ImageFacts,
    ImageQuery,
    Platform,
    PlatformMatch,
    Runtime,
    Status,
    match_platform,
)
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
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
MAX_TAG_PAGES = 20
# Distribution error codes that say "no such manifest" (Harbor answers NOT_FOUND).
MANIFEST_MISSING_CODES = frozenset({"MANIFEST_UNKNOWN", "TAG_INVALID", "NOT_FOUND"})
_LINK_NEXT_RE = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


@dataclass(frozen=True)
class Endpoint:
    domain: str  # as in the image reference ("docker.io")
    hostport: str  # the API host ("registry-1.docker.io")
    base: str  # "https://registry-1.docker.io"
    origin: Origin
    challenge: Challenge | None  # from GET /v2/; None: no authentication asked (or none usable)
    # /v2/ answered as a registry does (200 or 401 without an HTML page, or the distribution header).
    registry_like: bool = True


@dataclass
class Ask:
    """One query being answered: the parameter object every step of the resolver shares."""

    endpoint: Endpoint
    query: ImageQuery
    reference: str
    budget: WaitBudget = field(default_factory=WaitBudget)

    @property
    def path(self) -> str:
        return self.query.image.path

    @property
    def host(self) -> str:
        return self.endpoint.hostport

    def facts(self, status: Status, **fields: Any) -> ImageFacts:
        return ImageFacts(self.reference, status, **fields)


@dataclass
class Attempt:
    """One try of an `Ask` with one credential (None: anonymous)."""

    ask: Ask
    credential: RegistryCredential | None
    auth: Auth | None = None
    # The credential itself went out (Basic, its registry token, or to the token service), so a refusal
    # is a refusal of it. An anonymous bearer token is not "sent credentials".
    sent: bool = False


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _error_codes(body: bytes) -> list[str]:
    doc = _json(body)
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if not isinstance(errors, list):
        return []
    return [str(e.get("code", "")).upper() for e in errors if isinstance(e, dict)]


def _media_type(reply: Reply) -> str:
    return (reply.header("content-type") or "").split(";")[0].strip().lower()


def _is_html(reply: Reply) -> bool:
    return _media_type(reply) in ("text/html", "application/xhtml+xml") or reply.body.lstrip()[:1] == b"<"


def _body_kind(reply: Reply) -> str:
    """What a reply's body looked like, for a person: "an HTML body", "an empty body", ..."""
    if _is_html(reply):
        return "an HTML body"
    if not reply.body.strip():
        return "an empty body"
    doc = _json(reply.body)
    if doc is not None:
        return "a JSON body without a registry error code"
    return f"a {_media_type(reply) or 'non-JSON'} body"


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
            or not os_name
            or not arch
            or os_name == "unknown"
            or arch == "unknown"
        ):
            continue  # attestation manifests (unknown/unknown) are not runnable platforms
        p = Platform(os_name, arch, variant if isinstance(variant, str) and variant else None)
        if p not in found:
            found.append(p)
    return tuple(found)


def _sha256(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


class Resolver:
    def __init__(self, settings: RegistrySettings, session: HttpSession, cache: DiskCache | None) -> None:
        self._settings = settings
        self._session = session
        self._cache = cache
        self._runtime = Runtime.parse(settings.runtime)
        self._tokens = TokenCache(session, settings.insecure_registries)
        self._docker = DockerCredentials(settings.timeout_seconds) if settings.use_docker_config else None
        self._endpoints: dict[str, asyncio.Task[Endpoint]] = {}
        self._mirrors = {canonical_host(host): mirror for host, mirror in settings.mirrors}

    # -- entry -----------------------------------------------------------------------------------------

    async def resolve(self, query: ImageQuery) -> ImageFacts:
        """The facts of one query: through the registry's mirror first when the runtime has one (an
        image the mirror serves is found), else from the registry itself."""
        mirrored = self._through_mirror(query)
        if mirrored is not None:
            facts = await self._resolve_query(mirrored)
            if facts.status is Status.FOUND:
                mirror = mirrored.image.domain
                return facts._replace(
                    reference=image_string(query.image),
                    extra={**facts.extra, "mirror": mirror},
                    detail=facts.detail or f"served by the mirror {mirror}",
                )
        return await self._resolve_query(query)

    def _through_mirror(self, query: ImageQuery) -> ImageQuery | None:
        """The same question for the mirror the runtime pulls the image's registry through, if any."""
        if not self._mirrors:
            return None
        target = self._mirrors.get(canonical_host(query.image.domain))
        if target is None:
            return None
        host, _, prefix = target.partition("/")
        path = f"{prefix.strip('/')}/{query.image.path}" if prefix.strip("/") else query.image.path
        return query._replace(image=query.image._replace(domain=host, path=path), credentials=())

    async def _resolve_query(self, query: ImageQuery) -> ImageFacts:
        """Network trouble is a verdict (UNREACHABLE, RATE_LIMITED); any other exception is a bug and
        propagates."""
        reference = image_string(query.image)
        try:
            endpoint = await self._endpoint(query.image.domain)
            return await self._resolve(Ask(endpoint, query, reference))
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
        status = reply.status
        if status == 429:
            raise RateLimitedError.from_reply(reply, hostport)
        if status == 408 or status >= 500:
            raise Failure(f"status-{status}", f"{hostport} answered {status} to GET /v2/ (registry down?)")
        if status == 404:
            raise Failure(
                "not-a-registry",
                f"{hostport} answered HTTP 404 with {_body_kind(reply)} to GET /v2/: "
                "not a registry API at this address?",
            )
        api_header = reply.header("docker-distribution-api-version") is not None
        registry_like = api_header or (status in (200, 401) and not _is_html(reply))
        challenge = None
        if status == 401:
            challenge = pick_challenge(parse_www_authenticate(reply.header("www-authenticate")))
        return Endpoint(domain, hostport, base, origin, challenge, registry_like)

    # -- one query -------------------------------------------------------------------------------------

    async def _resolve(self, ask: Ask) -> ImageFacts:
        query, domain = ask.query, ask.query.image.domain
        if query.credentials:
            refusals: list[tuple[RegistryCredential, Denied]] = []
            for credential in query.credentials:
                attempt = Attempt(ask, credential)
                try:
                    facts = await self._attempt(attempt)
                except Denied as denied:
                    refusals.append((credential, denied))
                    continue
                label = f"{credential.origin} for {domain}" if attempt.sent else None
                return facts._replace(credential_label=label)
            return self._refused(ask, refusals)
        try:
            return await self._attempt(Attempt(ask, None))
        except Denied as anonymous:
            return await self._anonymous_denied(ask, anonymous)

    def _refused(self, ask: Ask, refusals: list[tuple[RegistryCredential, Denied]]) -> ImageFacts:
        """Every credential of the pod was tried and none got the manifest."""
        domain = ask.query.image.domain
        origins = list(dict.fromkeys(c.origin for c, _ in refusals))
        detail = "; ".join(f"{c.origin}: {d.detail}" for c, d in refusals)
        sent = [d for _, d in refusals if d.sent]
        if not sent:
            # None of them could be presented (an identity token to a Basic-only registry ...): the
            # registry refused nothing pulllint sent, so this is "could not verify".
            return ask.facts(Status.UNREACHABLE, detail=detail, error_class="auth-unsupported")
        classes = {d.error_class for d in sent}
        return ask.facts(
            Status.UNAUTHORIZED,
            detail=detail,
            error_class="credentials-refused" if "credentials-refused" in classes else sent[-1].error_class,
            credential_label=f"{', '.join(origins)} for {domain}",
        )

    async def _anonymous_denied(self, ask: Ask, anonymous: Denied) -> ImageFacts:
        """The anonymous request was refused: try the user's own docker credentials (existence check),
        else report what the registry said to a pod without credentials."""
        domain = ask.query.image.domain
        tried: list[str] = []
        if self._docker is not None:
            for credential in await self._docker.lookup(domain, ask.path):
                attempt = Attempt(ask, credential)
                try:
                    facts = await self._attempt(attempt)
                except (Denied, Failure):
                    # The user's own credentials are a courtesy check: whatever happens to them, the
                    # pod's verdict is what the registry said to the anonymous request.
                    tried.append(credential.origin)
                    continue
                return facts._replace(
                    credential_label=f"{credential.origin} for {domain}",
                    extra={**facts.extra, "anonymous_pull": "denied"},
                    detail=(facts.detail + "; " if facts.detail else "")
                    + f"anonymous pull denied ({anonymous.detail}); checked with {credential.origin}",
                )
        detail = anonymous.detail
        if tried:
            detail += f"; refused as well with {', '.join(dict.fromkeys(tried))}"
        if is_docker_hub(domain):
            # Docker Hub answers insufficient_scope alike for a repository that does not exist and for a
            # private one: the one truly ambiguous answer.
            return ask.facts(Status.MISSING_OR_PRIVATE, detail=detail, error_class=anonymous.error_class)
        return ask.facts(Status.CREDENTIALS_REQUIRED, detail=detail, error_class="credentials-required")

    async def _authorize(self, attempt: Attempt, challenge: Challenge | None) -> None:
        """Set ``attempt.auth`` (and ``sent``) for ``challenge``; None when nothing can answer it."""
        credential, ep = attempt.credential, attempt.ask.endpoint
        attempt.auth, attempt.sent = None, False
        if challenge is None:
            return
        if challenge.scheme == "basic":
            if credential is None or not (credential.username or credential.password):
                return
            attempt.auth = Auth(ep.origin, basic_header(credential.username, credential.password))
            attempt.sent = True
            return
        if credential is not None and credential.registry_token:
            attempt.auth, attempt.sent = Auth(ep.origin, f"Bearer {credential.registry_token}"), True
            return
        scope = f"repository:{attempt.ask.path}:pull"
        presented = credential is not None and not credential.is_empty
        try:
            token = await self._tokens.token(challenge, scope, credential, ep.origin, attempt.ask.budget)
        except Denied as denied:
            denied.sent = presented
            raise
        attempt.auth, attempt.sent = Auth(ep.origin, f"Bearer {token}"), presented

    async def _attempt(self, attempt: Attempt) -> ImageFacts:
        ask = attempt.ask
        ep, session, budget = ask.endpoint, self._session, ask.budget
        await self._authorize(attempt, ep.challenge)
        url = f"{ep.base}/v2/{ask.path}/manifests/{manifest_reference(ask.query.image)}"
        wants = bool(ask.query.wanted_platforms)
        # Docker Hub counts a manifest GET as a pull: HEAD first, the platforms by digest from the cache.
        method = "GET" if wants and not is_docker_hub(ep.domain) else "HEAD"
        headers = {"Accept": ACCEPT}
        reply = await session.send(method, url, headers=headers, auth=attempt.auth, budget=budget)
        if reply.status == 401 and attempt.auth is None:
            # /v2/ was open (or its challenge unusable) but this repository asks for authentication.
            challenge = pick_challenge(parse_www_authenticate(reply.header("www-authenticate")))
            if challenge is not None:
                await self._authorize(attempt, challenge)
                if attempt.auth is not None:
                    reply = await session.send(method, url, headers=headers, auth=attempt.auth, budget=budget)
        if reply.status == 404 and method == "HEAD":
            reply = await session.send("GET", url, headers=headers, auth=attempt.auth, budget=budget)
        return await self._interpret(attempt, reply)

    async def _interpret(self, attempt: Attempt, reply: Reply) -> ImageFacts:
        ask = attempt.ask
        status = reply.status
        if status == 200:
            return await self._found(attempt, reply)
        if status == 404:
            return await self._not_found(attempt, reply)
        if status in (401, 403):
            raise self._denied(attempt, reply)
        if status == 429:
            raise RateLimitedError.from_reply(reply, ask.host)
        if status == 408 or status >= 500:
            raise Failure(
                f"status-{status}",
                f"{ask.host} answered {status} {_reason(status)}"
                f" (after {self._settings.retry_budget} retries)",
            )
        raise Failure(
            f"status-{status}", f"{ask.host} answered {status} {_reason(status)} to the manifest request"
        )

    def _denied(self, attempt: Attempt, reply: Reply) -> Exception:
        """A 401/403 to the manifest request, as what it says about the credentials."""
        ask, status = attempt.ask, reply.status
        challenges = parse_www_authenticate(reply.header("www-authenticate"))
        if status == 401 and pick_challenge(challenges) is None:
            header = reply.header("www-authenticate")
            seen = (
                f"the {challenges[0].scheme.capitalize()} scheme"
                if challenges
                else ("an unreadable WWW-Authenticate header" if header else "no WWW-Authenticate challenge")
            )
            return Failure(
                "auth-unsupported",
                f"{ask.host} answered 401 with {seen}: authentication scheme not supported "
                "(pulllint answers Basic and Bearer challenges)",
            )
        scope_error = any(c.error == "insufficient_scope" for c in challenges)
        if not attempt.sent:
            why = "no pull access for anonymous requests" if scope_error else "authentication required"
            error_class = "insufficient-scope" if scope_error else "auth-required"
            return Denied(error_class, f"{ask.host} answered {status} for {ask.path}: {why}", sent=False)
        if scope_error or (status == 403 and "DENIED" in _error_codes(reply.body)):
            why = "credentials accepted but without pull access (repository missing, or not theirs)"
            return Denied("insufficient-scope", f"{ask.host} answered {status} for {ask.path}: {why}")
        return Denied(
            "credentials-refused", f"{ask.host} answered {status} for {ask.path}: credentials refused"
        )

    async def _not_found(self, attempt: Attempt, reply: Reply) -> ImageFacts:
        """A 404: "not found" only when the registry said so (an error code), or a registry-like host
        answered without a body; anything else is "could not verify" with what was seen."""
        ask = attempt.ask
        codes = _error_codes(reply.body)
        limits = _limits(reply)
        if "NAME_UNKNOWN" in codes:
            return self._no_repository(ask, limits)
        if MANIFEST_MISSING_CODES.intersection(codes):
            return await self._manifest_unknown(attempt, limits, coded=True)
        if ask.endpoint.registry_like and not reply.body.strip():
            return await self._manifest_unknown(attempt, limits, coded=False)
        raise Failure(
            "not-a-registry",
            f"{ask.host} answered HTTP 404 with {_body_kind(reply)}: not a registry API at this address?",
        )

    def _no_repository(
        self, ask: Ask, limits: dict[str, str | None], code: str = "NAME_UNKNOWN"
    ) -> ImageFacts:
        return ask.facts(
            Status.REPOSITORY_NOT_FOUND, detail=f"{ask.host} has no repository {ask.path} ({code})", **limits
        )

    # -- found: digest and platforms -------------------------------------------------------------------

    async def _found(self, attempt: Attempt, reply: Reply) -> ImageFacts:
        ask = attempt.ask
        media_type = _media_type(reply)
        if media_type in ("text/html", "application/xhtml+xml"):
            raise Failure(
                "not-a-registry",
                f"{ask.host} answered the manifest request with an HTML page: not a registry API at this "
                "address?",
            )
        digest = reply.header("docker-content-digest") or ask.query.image.digest
        if digest is None and reply.body:
            digest = _sha256(reply.body)
        extra: dict[str, str] = {}
        platforms: tuple[Platform, ...] | None = None
        index = media_type in INDEX_TYPES
        if ask.query.wanted_platforms:
            # A HEAD (Docker Hub) has no body: the platforms of a digest seen before are in the cache.
            headed = not reply.body
            known = self._cache.get_platforms(digest) if headed and self._cache and digest else None
            if known is not None:
                platforms, index = known
            else:
                if headed:  # one GET by digest, once ever
                    reply = await self._get_manifest(attempt, digest)
                    media_type = _media_type(reply) or media_type
                platforms, index, note = await self._platforms_of(attempt, reply, digest)
                if note:
                    extra["platforms_unknown"] = note
        if media_type:
            extra["media_type"] = media_type
        if platforms is not None:
            extra["manifest_kind"] = "index" if index else "manifest"
        if ask.query.wanted_platforms:
            extra["runtime"] = self._runtime.value
        matches = self._match(ask.query, platforms, index)
        return ask.facts(
            Status.FOUND,
            digest=digest,
            platforms=platforms,
            extra=extra,
            platform_matches=matches,
            **_limits(reply),
        )

    async def _get_manifest(self, attempt: Attempt, digest: str | None) -> Reply:
        ask = attempt.ask
        ref = digest or manifest_reference(ask.query.image)
        url = f"{ask.endpoint.base}/v2/{ask.path}/manifests/{ref}"
        reply = await self._session.send(
            "GET", url, headers={"Accept": ACCEPT}, auth=attempt.auth, budget=ask.budget
        )
        if reply.status != 200:
            raise Failure(
                f"status-{reply.status}", f"{ask.host} answered {reply.status} to GET of manifest {ref}"
            )
        return reply

    async def _platforms_of(
        self, attempt: Attempt, reply: Reply, digest: str | None
    ) -> tuple[tuple[Platform, ...] | None, bool, str]:
        """(platforms, is an index, why unknown) from a manifest body; remembered by digest when the
        body is what the digest names."""
        doc = _json(reply.body) if reply.body else None
        if not isinstance(doc, dict):
            return None, False, "manifest body is not a JSON object"
        platforms: tuple[Platform, ...] | None = None
        index = isinstance(doc.get("manifests"), list)
        note = ""
        config = doc.get("config")
        if index:
            platforms = _platforms_of_index(doc)
        elif isinstance(config, dict):
            platforms, note = await self._config_platform(attempt, config)
        else:
            note = "manifest names neither platforms nor a config"
        # Kept by digest where a HEAD comes first (Docker Hub); elsewhere a GET answers anyway.
        hub = is_docker_hub(attempt.ask.endpoint.domain)
        if hub and platforms is not None and self._cache is not None and digest == _sha256(reply.body):
            self._cache.put_platforms(digest, platforms, index)
        return platforms, index, note

    async def _config_platform(
        self, attempt: Attempt, config: dict[str, object]
    ) -> tuple[tuple[Platform, ...] | None, str]:
        """A single manifest: its platform is in the config blob (one small GET; redirects followed,
        Authorization never forwarded to another host)."""
        ask = attempt.ask
        digest = config.get("digest")
        if not isinstance(digest, str) or not digest.startswith("sha256:"):
            return None, "manifest has no config digest"
        url = f"{ask.endpoint.base}/v2/{ask.path}/blobs/{digest}"
        try:
            reply = await self._session.send("GET", url, auth=attempt.auth, budget=ask.budget)
        except Failure as f:
            return None, f"config blob: {f.detail}"
        if reply.status != 200:
            return None, f"config blob: {ask.host} answered {reply.status}"
        doc = _json(reply.body)
        if not isinstance(doc, dict):
            return None, "config blob is not a JSON object"
        os_name, arch, variant = doc.get("os"), doc.get("architecture"), doc.get("variant")
        if not isinstance(os_name, str) or not isinstance(arch, str) or not os_name or not arch:
            return None, "config blob names no os/architecture"
        return (Platform(os_name, arch, variant if isinstance(variant, str) and variant else None),), ""

    def rematch(self, query: ImageQuery, facts: ImageFacts) -> ImageFacts:
        """``facts`` of the same image for ``query``, which asks about other platforms."""
        if facts.platforms is None:
            return facts
        index = facts.extra.get("manifest_kind") == "index"
        return facts._replace(platform_matches=self._match(query, facts.platforms, index))

    def _match(
        self, query: ImageQuery, platforms: tuple[Platform, ...] | None, index: bool
    ) -> tuple[PlatformMatch, ...]:
        if platforms is None:
            return ()
        return tuple(
            match_platform(platforms, wanted, self._runtime, single_manifest=not index)
            for wanted in query.wanted_platforms
            if wanted.is_complete
        )

    # -- not found: tag or repository ------------------------------------------------------------------

    async def _manifest_unknown(
        self, attempt: Attempt, limits: dict[str, str | None], *, coded: bool
    ) -> ImageFacts:
        """The manifest is unknown: list the tags (to suggest the nearest, and to tell an unknown
        repository from an unknown tag). ``coded``: the registry named the error (MANIFEST_UNKNOWN)."""
        ask = attempt.ask
        image = ask.query.image
        wanted = manifest_reference(image)
        tags: list[str] = []
        note = ""
        url: httpx.URL | None = httpx.URL(f"{ask.endpoint.base}/v2/{ask.path}/tags/list")
        pages = 0
        try:
            while url is not None and pages < (1 if image.digest else MAX_TAG_PAGES):
                pages += 1
                reply = await self._session.send("GET", url, auth=attempt.auth, budget=ask.budget)
                if reply.status == 404:
                    if "NAME_UNKNOWN" in _error_codes(reply.body):
                        return self._no_repository(ask, limits)
                    if not coded and not reply.body.strip():
                        return self._no_repository(ask, limits, "404 to the manifest and to the tags list")
                    note = "tags list: 404"
                    break
                if reply.status != 200:
                    note = f"tags list: {ask.host} answered {reply.status}"
                    break
                doc = _json(reply.body)
                if not isinstance(doc, dict):
                    note = "tags list: not a JSON object"
                    break
                page = doc.get("tags")
                tags.extend(t for t in (page if isinstance(page, list) else []) if isinstance(t, str))
                match = _LINK_NEXT_RE.search(reply.header("link") or "")
                url = url.join(match.group(1)) if match else None
        except (Failure, RateLimitedError) as exc:
            note = f"tags list: {exc}"
        what = "digest" if image.digest else "tag"
        said = "MANIFEST_UNKNOWN" if coded else "404"
        detail = f"{ask.host}/{ask.path} has no manifest for {what} {wanted} ({said})"
        suggestions = () if image.digest else nearest_tags(wanted, tags)
        extra = {"tags_unavailable": note} if note else {}
        return ask.facts(Status.TAG_NOT_FOUND, nearest_tags=suggestions, detail=detail, extra=extra, **limits)


def _limits(reply: Reply) -> dict[str, str | None]:
    return {
        "ratelimit_limit": reply.header("ratelimit-limit"),
        "ratelimit_remaining": reply.header("ratelimit-remaining"),
    }


def _reason(status: int) -> str:
    try:
        from http import HTTPStatus

        return HTTPStatus(status).phrase
    except ValueError:
        return ""


async def run(
    queries: Sequence[ImageQuery],
    settings: RegistrySettings,
    transport: httpx.AsyncBaseTransport | None,
    cache: DiskCache | None = None,
    on_answer: Callable[[ImageQuery, ImageFacts], None] | None = None,
) -> dict[ImageQuery, ImageFacts]:
    """Ask the registries about every query (unique); ``on_answer`` is called as each answer arrives.

    Raises ValueError for unusable settings (an unreadable ``ca_file``, an unknown runtime).
    """
    unique = list(dict.fromkeys(queries))
    results: dict[ImageQuery, ImageFacts] = {}
    if not unique:
        return results
    Runtime.parse(settings.runtime)  # unusable settings fail before any request
    session = HttpSession(settings, transport)
    resolver = Resolver(settings, session, cache)
    # Queries that differ only in the platforms they ask about (pods pinning different ones) share one
    # fetch: the image's platform list is the same, only the matching differs.
    groups: dict[tuple[ImageQuery, bool], list[ImageQuery]] = {}
    for query in unique:
        same_image = query._replace(platform=None, platforms=())
        groups.setdefault((same_image, bool(query.wanted_platforms)), []).append(query)

    async def one(members: list[ImageQuery]) -> None:
        facts = await resolver.resolve(members[0])
        for query in members:
            answer = facts if query is members[0] else resolver.rematch(query, facts)
            results[query] = answer
            if on_answer is not None:
                on_answer(query, answer)

    tasks = [asyncio.ensure_future(one(members)) for members in groups.values()]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        # A bug (or a cancellation): stop the other queries before the error goes up.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    finally:
        await session.aclose()
    return results
