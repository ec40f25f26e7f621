"""Registry verification: ask each image's registry, as the kubelet's runtime would, whether the tag or
digest exists, whether the pod's credentials are accepted and which platforms the image offers.

Public API (everything else is private):

- `RegistrySettings`: how to talk to registries (TLS, plain-HTTP hosts, cache, limits, retries).
- `resolve(queries, settings)`: answers every `ImageQuery` with `ImageFacts`.
- `ProgressCallback`: ``(answered, total) -> None``, how a caller is told of progress.

Importing this package does not import httpx (the offline CLI path stays fast); `resolve` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pulllint.registry._settings import ProgressCallback, RegistrySettings

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx

    from pulllint.model.facts import ImageFacts, ImageQuery
    from pulllint.registry._cache import DiskCache

__all__ = ["ProgressCallback", "RegistrySettings", "resolve"]


def resolve(
    queries: Sequence[ImageQuery],
    settings: RegistrySettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: ProgressCallback | None = None,
) -> dict[ImageQuery, ImageFacts]:
    """Answer every query; the result maps each given query (duplicates included) to its facts.

    Synchronous (runs its own event loop; from inside a running loop it uses a worker thread).
    Duplicates are asked once; requests run concurrently within ``max_concurrency`` overall and
    ``per_host_concurrency`` per host; answers come from the disk cache when fresh.

    Verdicts (`Status`), never "not found" unless the registry said so:
    FOUND (``digest``; ``platforms`` when platforms are wanted: the index's entries, or for a single
    manifest the os/architecture of its config blob; ``extra["media_type"]``), TAG_NOT_FOUND
    (``nearest_tags``), REPOSITORY_NOT_FOUND, MISSING_OR_PRIVATE (Docker Hub refused anonymous access:
    missing or private), CREDENTIALS_REQUIRED (see below), UNAUTHORIZED (every credential of the pod was
    sent and refused; ``credential_label`` names them and the host), UNREACHABLE (``error_class``:
    timeout, dns, refused, tls, http-on-https, connection-reset, status-503, not-a-registry,
    auth-unsupported, insecure-token-realm, oversized, budget, ...), RATE_LIMITED
    (``ratelimit_limit``/``ratelimit_remaining`` as sent, e.g. ``"0;w=21600"``).

    Queries without credentials are asked anonymously; if that is refused and
    ``settings.use_docker_config``, the user's own docker/podman credentials for that host are tried for
    the existence check: the answer then carries ``credential_label`` ("docker config ... for host") and
    ``extra["anonymous_pull"] == "denied"`` (the pod itself, without pull secrets, would be refused
    unless its node has credentials).

    ``extra`` keys: ``media_type`` (of the manifest answered), ``anonymous_pull`` ("denied", see above),
    ``manifest_kind`` ("index" or "manifest", when the platforms are known), ``runtime`` (that matched
    them),
    ``platforms_unknown`` (why a single manifest's platform could not be read), ``tags_unavailable``
    (why no tag suggestions could be listed).

    Platforms: when ``query.wanted_platforms`` is not empty, ``platforms`` lists the image's runnable
    entries and ``platform_matches`` says, for each complete wanted platform, which entry a node pulls
    with ``settings.runtime`` (containerd's fallbacks, or CRI-O's exact architecture).

    CREDENTIALS_REQUIRED: a registry other than Docker Hub refused the anonymous request of a query
    without credentials (401/403 with a challenge pulllint can answer): "credentials required".

    One cache pass: the answers of the disk cache are read once (the snapshot of this set of queries,
    else one file per query); only the misses are asked; the new answers and the snapshot are written.
    ``settings.progress`` (or ``progress``) is called with (answered, total) as answers arrive.

    ``transport`` replaces the network (tests: ``httpx.MockTransport``); TLS settings then do not apply.
    Raises ValueError only for unusable settings (an unreadable ``ca_file``, an unknown ``runtime``);
    any other exception is a bug and propagates.
    """
    settings = settings if settings is not None else RegistrySettings()
    report = progress if progress is not None else settings.progress
    unique = list(dict.fromkeys(queries))
    cache = None
    hits: dict[ImageQuery, ImageFacts] = {}
    if settings.use_cache and unique:
        # A warm run answers from the disk cache without importing httpx or starting an event loop.
        from pulllint.registry._cache import DiskCache

        cache = DiskCache(settings)
        hits = cache.read(unique)
    misses = [query for query in unique if query not in hits]
    if report is not None and unique:
        report(len(hits), len(unique))
    if misses:
        answers = dict(hits)
        answers.update(_ask(misses, settings, transport, cache, report, len(hits), len(unique)))
    else:
        answers = hits
    if cache is not None and not cache.snapshot_hit:
        cache.write(unique, answers, misses)
    return {query: answers[query] for query in queries}


def _ask(
    misses: Sequence[ImageQuery],
    settings: RegistrySettings,
    transport: httpx.AsyncBaseTransport | None,
    cache: DiskCache | None,
    report: ProgressCallback | None,
    done: int,
    total: int,
) -> dict[ImageQuery, ImageFacts]:
    import asyncio

    from pulllint.registry._resolver import run

    answered = [done]

    def on_answer(_query: ImageQuery, _facts: ImageFacts) -> None:
        answered[0] += 1
        if report is not None:
            report(answered[0], total)

    def go() -> dict[ImageQuery, ImageFacts]:
        return asyncio.run(run(misses, settings, transport, cache, on_answer))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return go()
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(go).result()
