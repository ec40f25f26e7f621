"""Settings of the registry resolver (plain data; importing this module imports neither httpx nor
dataclasses: a warm run answered from the cache stays as fast as an offline one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

# Called with (answered, total) as answers arrive: first with what the cache answered, last with
# (total, total). The caller draws it (the CLI: a line on stderr); the registry wing never writes output.
ProgressCallback = Callable[[int, int], None]


class RegistrySettings(NamedTuple):
    """How `resolve` talks to registries. Every field has a safe default."""

    # Hosts (host[:port], a bare host matches every port, or an IP network such as 10.0.0.0/8) that may be
    # spoken to over plain HTTP, like Docker's `insecure-registries`: HTTPS is tried first without
    # certificate verification, then plain HTTP. Loopback hosts never need to be listed.
    insecure_registries: tuple[str, ...] = ()
    # Extra CA bundle (PEM) trusted in addition to certifi's and the system's.
    ca_file: str | None = None
    # None: $PULLLINT_CACHE_DIR, else platformdirs.user_cache_dir("pulllint").
    cache_dir: str | None = None
    use_cache: bool = True
    tag_ttl_seconds: float = 3600.0
    negative_ttl_seconds: float = 300.0
    # For queries without credentials: if anonymous access is refused, ask again with the user's own
    # docker/podman credentials for that host (existence check only; see `resolve`).
    use_docker_config: bool = True
    # Per connect and per read (httpx); also what the per-host circuit breaker trips on.
    timeout_seconds: float = 10.0
    # Whole-request deadline (headers and body), so a server trickling bytes cannot hold a request;
    # None: 2 x timeout_seconds.
    request_deadline_seconds: float | None = None
    # Everything one `resolve` may spend on the network; what is left unasked then is "not tried".
    run_budget_seconds: float = 120.0
    # How the nodes' runtime picks an index entry: "containerd" (fallbacks arm64 -> arm, amd64 -> 386)
    # or "cri-o" (exact architecture). The configuration's `cluster.runtime`.
    runtime: str = "containerd"
    max_concurrency: int = 32
    # 16, not 8: at a 50 ms round trip, 8 requests in flight cap one host at ~150 HEADs/s with httpx
    # (measured 1.7 s for 200 images); 16 halves that. Over HTTP/2 these are streams of one connection.
    per_host_concurrency: int = 16
    # Retries per request on 408/429/5xx and connection resets (small exponential backoff).
    retry_budget: int = 3
    # Registries the nodes' runtime pulls through a mirror (`cluster.registry-mirrors`, as containerd's
    # hosts.toml or CRI-O's registries.conf): registry host -> mirror host[/path]. The mirror is asked
    # first, anonymously (the pod's credentials belong to the registry's host); when it does not serve
    # the image the registry itself is asked, as the runtime falls back.
    mirrors: tuple[tuple[str, str], ...] = ()
    # Progress reports (see `ProgressCallback`); None: none.
    progress: ProgressCallback | None = None

    @property
    def deadline_seconds(self) -> float:
        if self.request_deadline_seconds is not None and self.request_deadline_seconds > 0:
            return self.request_deadline_seconds
        return 2 * self.timeout_seconds
