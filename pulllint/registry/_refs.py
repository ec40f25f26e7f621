"""Small helpers over `ImageRef` fields (domain, path, tag, digest) and registry host names."""

from __future__ import annotations

# Host knowledge lives in pulllint.hosts; the registry wing's modules import these two from here.
from pulllint.hosts import DOCKER_HUB_API_HOST, is_docker_hub
from pulllint.hosts import is_loopback as is_loopback
from pulllint.hosts import split_host_port as split_host_port
from pulllint.images import ImageRef


def manifest_reference(image: ImageRef) -> str:
    """What goes after /manifests/: the digest wins over the tag, like the kubelet; default `latest`."""
    return image.digest or image.tag or "latest"


def image_string(image: ImageRef) -> str:
    """The full normalised form as `ImageRef` renders it, e.g. ``docker.io/library/nginx:1.25``."""
    return str(image)


def api_host(domain: str) -> str:
    """The host[:port] that serves /v2/ for an image domain (Docker Hub: registry-1.docker.io)."""
    return DOCKER_HUB_API_HOST if is_docker_hub(domain) else domain


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
