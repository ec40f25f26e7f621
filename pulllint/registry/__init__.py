"""Registry verification: ask each image's registry, as the kubelet's runtime would, whether the tag or
digest exists, whether the pod's credentials are accepted and which platforms the image offers.

Public API (everything else is private):

- `RegistrySettings`: how to talk to registries (TLS, plain-HTTP hosts, cache, limits, retries).
- `resolve(queries, settings)`: answers every `ImageQuery` with `ImageFacts`.

Importing this package does not import httpx (the offline CLI path stays fast); `resolve` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pulllint.registry._settings import RegistrySettings

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx

    from pulllint.model.facts import ImageFacts, ImageQuery

__all__ = ["RegistrySettings", "resolve"]


def resolve(
    queries: Sequence[ImageQuery],
    settings: RegistrySettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[ImageQuery, ImageFacts]:
    """Answer every query; the result maps each given query (duplicates included) to its facts.

    Synchronous (runs its own event loop; from inside a running loop it uses a worker thread).
    Duplicates are asked once; requests run concurrently within ``max_concurrency`` overall and
    ``per_host_concurrency`` per host; answers come from the disk cache when fresh.

    Verdicts (`Status`), never "not found" unless the registry said so:
    FOUND (``digest``; ``platforms`` when ``query.platform`` is set: the index's entries, or for a single
    manifest the os/architecture of its config blob; ``extra["media_type"]``), TAG_NOT_FOUND
    (``nearest_tags``), REPOSITORY_NOT_FOUND, MISSING_OR_PRIVATE (anonymous access refused),
    UNAUTHORIZED (every credential of the pod refused; ``credential_label`` names them and the host),
    UNREACHABLE (``error_class``: timeout, dns, refused, tls, http-on-https, connection-reset,
    status-503, insecure-token-realm, ...), RATE_LIMITED (``ratelimit_limit``/``ratelimit_remaining``
    as sent, e.g. ``"0;w=21600"``).

    Queries without credentials are asked anonymously; if that is refused and
    ``settings.use_docker_config``, the user's own docker/podman credentials for that host are tried for
    the existence check: the answer then carries ``credential_label`` ("docker config ... for host") and
    ``extra["anonymous_pull"] == "denied"`` (the pod itself, without pull secrets, would be refused
    unless its node has credentials).

    ``extra`` keys: ``media_type`` (of the manifest answered), ``anonymous_pull`` ("denied", see above),
    ``platforms_unknown`` (why a single manifest's platform could not be read), ``tags_unavailable``
    (why no tag suggestions could be listed).

    ``transport`` replaces the network (tests: ``httpx.MockTransport``); TLS settings then do not apply.
    Raises ValueError only for unusable settings (an unreadable ``ca_file``).
    """
    settings = settings if settings is not None else RegistrySettings()
    unique = list(dict.fromkeys(queries))
    cache = None
    if settings.use_cache:
        # A warm run answers from the disk cache without importing httpx or starting an event loop.
        from pulllint.registry._cache import DiskCache

        cache = DiskCache(settings)
        hits = cache.get_batch(unique)
        if hits is None:
            hits = {}
            for query in unique:
                hit = cache.get(query)
                if hit is None:
                    break
                hits[query] = hit
        if len(hits) == len(unique):
            return {query: hits[query] for query in queries}

    import asyncio

    from pulllint.registry._resolver import run

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        answers = asyncio.run(run(queries, settings, transport))
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1) as pool:
            answers = pool.submit(lambda: asyncio.run(run(queries, settings, transport))).result()
    if cache is not None:
        cache.put_batch(unique, answers)
    return answers
