"""Small helpers over `ImageRef` fields (domain, path, tag, digest) and registry host names."""

from __future__ import annotations

from pulllint.images import ImageRef

DOCKER_HUB_DOMAINS = frozenset(
    {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
)
DOCKER_HUB_API_HOST = "registry-1.docker.io"
DOCKER_HUB_DOMAIN = "docker.io"


def manifest_reference(image: ImageRef) -> str:
    """What goes after /manifests/: the digest wins over the tag, like the kubelet; default `latest`."""
    return image.digest or image.tag or "latest"


def image_string(image: ImageRef) -> str:
    """The full normalised form as `ImageRef` renders it, e.g. ``docker.io/library/nginx:1.25``."""
    return str(image)


def is_docker_hub(domain: str) -> bool:
    return domain.lower() in DOCKER_HUB_DOMAINS


def api_host(domain: str) -> str:
    """The host[:port] that serves /v2/ for an image domain (Docker Hub: registry-1.docker.io)."""
    return DOCKER_HUB_API_HOST if is_docker_hub(domain) else domain


def split_host_port(hostport: str) -> tuple[str, int | None]:
    """``"[::1]:5000"`` -> ``("::1", 5000)``; ``"example.com"`` -> ``("example.com", None)``."""
    if hostport.startswith("["):
        end = hostport.find("]")
        host = hostport[1:end] if end > 0 else hostport[1:]
        rest = hostport[end + 1 :] if end > 0 else ""
        port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
        return host.lower(), port
    if hostport.count(":") == 1:
        host, _, port_text = hostport.partition(":")
        return host.lower(), int(port_text) if port_text.isdigit() else None
    return hostport.lower(), None


def is_loopback(hostport: str) -> bool:
    host, _ = split_host_port(hostport)
    if host == "localhost":
        return True
    try:
        import ipaddress  # a cache-only run never needs it

        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def matches_host_list(hostport: str, entries: tuple[str, ...]) -> bool:
    """True when ``hostport`` is listed: exact host:port, a bare host (any port) or an IP network."""
    host, port = split_host_port(hostport)
    for entry in entries:
        entry = entry.strip().lower()
        for prefix in ("https://", "http://"):
            if entry.startswith(prefix):
                entry = entry[len(prefix) :]
        entry = entry.rstrip("/")
        if not entry:
            continue
        if "/" in entry:
            import ipaddress

            try:
                if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        e_host, e_port = split_host_port(entry)
        if e_host == host and (e_port is None or e_port == port):
            return True
    return False
