"""What a registry host name means, in one place: Docker Hub's names, loopback, ``host[:port]`` parsing,
and the docker CLI's way of finding a credential for a host.

Both wings stand on this module (``model/`` and ``rules/`` on one side, ``registry/`` on the other) and it
imports nothing of pulllint, so neither wing has to import the other to agree on what a host is.

- **Docker Hub** answers under several names (`DOCKER_HUB_ALIASES`): ``docker.io`` (what every Docker Hub
  image is called after parsing), ``index.docker.io`` (the v1 name that ``docker login`` stores its
  credentials under), ``registry-1.docker.io`` (the host that serves ``/v2/``) and
  ``registry.hub.docker.com``. Policy patterns, the registry wing and the host classification all treat
  them as one registry.
- **Loopback** (`is_loopback`) is ``localhost``, all of ``127.0.0.0/8`` and ``::1``, with or without a
  port and IPv6 brackets: a registry on the node itself, which needs no pull secret and may be spoken to
  over plain HTTP.
- **host[:port]** (`parse_host_port`, `split_host_port`): IPv6 addresses come in brackets
  (``[::1]:5000``); an unbracketed address with several colons has no port.

A credential key is matched to an image in two ways, and they differ on purpose:

- **The kubelet's keyring** (`pulllint.model.keyring`) decides which pull secrets a pod's pull uses: the
  key keeps its letter case, each host label is a glob (``*.example.com``), ports must be equal, the key's
  path is a plain string prefix of the image's path, and only ``index.docker.io`` (or ``docker.io``) keys
  are Docker Hub's.
- **The docker CLI's config lookup** (`docker_config_key`), also used for containers-style
  ``auth.json``, decides which of the user's own credentials pulllint may use to ask a registry: hosts
  compare case-insensitively, every Docker Hub alias is Docker Hub, there are no globs, and a key's path
  covers only the repositories below it on component boundaries.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "DOCKER_HUB_ALIASES",
    "DOCKER_HUB_API_HOST",
    "DOCKER_HUB_DOMAIN",
    "LEGACY_DOCKER_HUB_DOMAIN",
    "HostPort",
    "canonical_host",
    "docker_config_key",
    "is_docker_hub",
    "is_loopback",
    "parse_host_port",
    "split_host_port",
]

DOCKER_HUB_DOMAIN = "docker.io"  # the domain of every Docker Hub image once its reference is parsed
LEGACY_DOCKER_HUB_DOMAIN = "index.docker.io"  # the v1 name; `docker login` stores credentials under it
DOCKER_HUB_API_HOST = "registry-1.docker.io"  # the host that serves /v2/
DOCKER_HUB_ALIASES = frozenset(
    {DOCKER_HUB_DOMAIN, LEGACY_DOCKER_HUB_DOMAIN, DOCKER_HUB_API_HOST, "registry.hub.docker.com"}
)
_SCHEMES = ("https://", "http://")


def is_docker_hub(host: str) -> bool:
    """Whether a registry host (any letter case, no port) is one of Docker Hub's names."""
    return host.lower() in DOCKER_HUB_ALIASES


def canonical_host(host: str) -> str:
    """A registry host for comparing: lowercase, and every Docker Hub alias is ``docker.io``."""
    lowered = host.lower()
    return DOCKER_HUB_DOMAIN if lowered in DOCKER_HUB_ALIASES else lowered


class HostPort(NamedTuple):
    host: str  # without IPv6 brackets, letter case as written
    port: str  # as written; "" when there is none


def parse_host_port(hostport: str) -> HostPort:
    """``host[:port]`` as Go's ``net.SplitHostPort`` splits it, falling back to (`hostport`, "") where Go
    fails, as the kubelet does. A bracketed IPv6 address without a port loses its brackets too."""
    if ":" not in hostport and not hostport.startswith("["):
        return HostPort(hostport, "")
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            return HostPort(hostport, "")
        rest = hostport[end + 1 :]
        if not rest:
            return HostPort(hostport[1:end], "")
        if rest.startswith(":"):
            return HostPort(hostport[1:end], rest[1:])
        return HostPort(hostport, "")
    if hostport.count(":") != 1:
        return HostPort(hostport, "")  # no port, or an unbracketed IPv6 address
    host, _, port = hostport.partition(":")
    return HostPort(host, port)


def split_host_port(hostport: str) -> tuple[str, int | None]:
    """For comparing hosts: ``"[::1]:5000"`` -> ``("::1", 5000)``; ``"Example.com"`` ->
    ``("example.com", None)``. A port that is not a number counts as none."""
    if ":" not in hostport and not hostport.startswith("["):
        return hostport.lower(), None  # the common case, without building a HostPort
    host, port = parse_host_port(hostport)
    return host.lower(), int(port) if port.isascii() and port.isdigit() else None


def is_loopback(hostport: str) -> bool:
    """``localhost``, ``127.0.0.0/8`` or ``::1``, with or without a port: ``127.0.0.2:5000``,
    ``[::1]:5000``, ``::1`` (an image's host without brackets) and ``[0:0:0:0:0:0:0:1]`` all are."""
    host, _ = split_host_port(hostport)
    if host == "localhost":
        return True
    if host.startswith("127."):
        return _is_ipv4(host)
    if ":" not in host:
        return False
    import ipaddress  # only for an IPv6 address: most runs never need the module

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_ipv4(host: str) -> bool:
    """A dotted-quad IPv4 address, as Go's net.ParseIP and Python's ipaddress read it (no leading zeros)."""
    parts = host.split(".")
    return len(parts) == 4 and all(
        part.isascii()
        and part.isdigit()
        and len(part) <= 3
        and (part == "0" or part[0] != "0")
        and int(part) <= 255
        for part in parts
    )


def docker_config_key(key: str) -> tuple[str, str]:
    """A docker config (or containers ``auth.json``) key as the docker CLI looks it up: (host, path).

    The scheme goes, the host is compared case-insensitively with every Docker Hub alias as
    ``docker.io``, and a ``/v1/`` or ``/v2/`` path means the host itself:
    ``https://index.docker.io/v1/`` -> ``("docker.io", "")``; ``quay.io/team`` -> ``("quay.io", "team")``.
    """
    text = key.strip()
    if text.lower().startswith(_SCHEMES):
        text = text.split("://", 1)[1]
    host, _, path = text.partition("/")
    path = path.strip("/")
    if path in ("v1", "v2") or path.startswith(("v1/", "v2/")):
        path = ""
    return canonical_host(host), path
