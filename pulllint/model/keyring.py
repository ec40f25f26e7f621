"""The kubelet's keyring: which docker-config entries it tries for an image. Pure logic, no I/O.

Follows Kubernetes ``pkg/credentialprovider`` (``BasicDockerKeyring``), step by step:

- **A registry key is normalised** as ``Add`` does: ``https://`` is put in front unless the key starts with
  ``https://`` or ``http://``; the URL is parsed (an unparsable key is ignored, as the kubelet logs and
  skips it); a path that starts with ``/v1/`` or ``/v2/`` loses those three characters; the key becomes
  ``host[:port]`` followed by the remaining path unless that is empty or ``/``. So
  ``https://index.docker.io/v1/`` is ``index.docker.io``, ``quay.io/team`` stays ``quay.io/team``.
- **A key matches an image** (its repository name, ``docker.io/library/nginx``) when the ports are equal
  (no port matches only no port), the hosts have the same number of dot-separated labels, every label of
  the key matches the image's label as a Go ``filepath.Match`` glob (``*``, ``?``, ``[a-z]``, ``[^x]``,
  ``\\`` escapes; case-sensitive), and the key's path is a plain string prefix of the image's path
  (``quay.io/team`` also covers ``quay.io/teammates/app``, exactly like the kubelet).
- **Lookup** walks the keys in reverse lexical order (``quay.io/team`` before ``quay.io``) and returns the
  credentials of *every* matching key, in that order; within a key, in the order they were added (the
  pod's pull secrets in order). Only when no key matches does an image that goes to Docker Hub (a single
  name, ``docker.io/...``, ``index.docker.io/...`` or a first component without ``.`` or ``:``) get the
  credentials stored under ``index.docker.io``.

This is one of the two ways pulllint matches a credential key to a host; the other, the docker CLI's
lookup of the user's own credentials, is ``pulllint.hosts.docker_config_key`` (that module says how the
two differ). ``normalize_key`` here is the kubelet's normalisation and nothing else.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Generic, NamedTuple, TypeVar

from pulllint.hosts import DOCKER_HUB_DOMAIN, LEGACY_DOCKER_HUB_DOMAIN, parse_host_port

__all__ = [
    "DEFAULT_REGISTRY_KEY",
    "Keyring",
    "display_key",
    "explain_miss",
    "is_default_registry_match",
    "normalize_key",
    "urls_match",
]

T = TypeVar("T")

DEFAULT_REGISTRY_KEY = LEGACY_DOCKER_HUB_DOMAIN  # what "https://index.docker.io/v1/" normalises to
_SCHEMES = ("https://", "http://")
# Characters Go's net/url accepts in a host (besides letters, digits and non-ASCII bytes).
_HOST_EXTRA = frozenset("-_.~!$&'()*+,;=:[]<>\"")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_PORT = re.compile(r":[0-9]*")


class _Url(NamedTuple):
    host: str  # host[:port] as written (Go's URL.Host)
    path: str  # unescaped path, "" when absent


def _parse_url(url: str) -> _Url | None:
    """What Go's ``url.Parse`` makes of ``scheme://authority/path?query#fragment``; None on error."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return None  # "net/url: invalid control character in URL"
    rest = url.split("://", 1)[1]
    rest = rest.split("#", 1)[0].split("?", 1)[0]
    slash = rest.find("/")
    authority, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    host = authority.rpartition("@")[2]  # userinfo is not part of Host
    if not _valid_host(host):
        return None
    if "%" in path:
        if "%" in _ESCAPE.sub("", path):
            return None  # "invalid URL escape"
        path = _ESCAPE.sub(lambda m: chr(int(m.group(0)[1:], 16)), path)
    return _Url(host, path)


def _valid_host(host: str) -> bool:
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return False  # "missing ']' in host"
        port = host[end + 1 :]
    else:
        colon = host.rfind(":")
        port = host[colon:] if colon >= 0 else ""
    if port and not _PORT.fullmatch(port):
        return False  # "invalid port"
    return all(c.isalnum() or c in _HOST_EXTRA or ord(c) >= 0x80 for c in host)


def display_key(raw: str) -> str:
    """A registry key fit for messages: without userinfo (``https://user:password@host``), query and
    fragment, none of which the kubelet uses. Normalises like `raw` wherever `raw` is valid."""
    scheme, separator, rest = raw.partition("://")
    if not separator:
        scheme, rest = "", raw
    cut = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    rest = rest[:cut]
    slash = rest.find("/")
    authority, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    return f"{scheme}{separator}{authority.rpartition('@')[2]}{path}"


@functools.lru_cache(maxsize=4096)
def normalize_key(raw: str) -> str | None:
    """The kubelet's index key for a docker-config key; None when the kubelet ignores the entry."""
    value = raw if raw.startswith(_SCHEMES) else "https://" + raw
    parsed = _parse_url(value)
    if parsed is None:
        return None
    path = parsed.path
    if path.startswith(("/v2/", "/v1/")):
        path = path[3:]
    return parsed.host + path if path and path != "/" else parsed.host


@functools.lru_cache(maxsize=1024)
def _label_pattern(glob: str) -> re.Pattern[str] | None:
    """Go's ``filepath.Match`` pattern as a regular expression; None for a malformed pattern."""
    out: list[str] = []
    i, n = 0, len(glob)
    while i < n:
        c = glob[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            i += 1
            if i >= n:
                return None
            out.append(re.escape(glob[i]))
        elif c == "[":
            i += 1
            negate = i < n and glob[i] == "^"
            if negate:
                i += 1
            items: list[str] = []
            while True:
                if i >= n:
                    return None  # unterminated class
                if glob[i] == "]" and items:
                    break
                low, i = _class_char(glob, i)
                if low is None:
                    return None
                high = low
                if i < n and glob[i] == "-":
                    upper, i = _class_char(glob, i + 1)
                    if upper is None or upper < low:
                        return None
                    high = upper
                items.append(re.escape(low) if low == high else f"{re.escape(low)}-{re.escape(high)}")
            out.append(("[^/" if negate else "[") + "".join(items) + "]")
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _class_char(glob: str, i: int) -> tuple[str | None, int]:
    if i >= len(glob) or glob[i] in "-]":
        return None, i
    if glob[i] == "\\":
        i += 1
        if i >= len(glob):
            return None, i
    return glob[i], i + 1


def _glob_match(glob: str, label: str) -> bool:
    if not any(c in glob for c in "*?[\\"):
        return glob == label
    pattern = _label_pattern(glob)
    return pattern is not None and pattern.fullmatch(label) is not None


class _Parts(NamedTuple):
    """A normalised key or an image's repository name, split the way the kubelet compares them."""

    host: str
    port: str
    labels: tuple[str, ...]
    path: str


def _parts(name: str) -> _Parts | None:
    url = _parse_url("https://" + name)
    if url is None:
        return None
    host, port = parse_host_port(url.host)
    return _Parts(host, port, tuple(host.split(".")), url.path)


@functools.lru_cache(maxsize=16384)
def urls_match(key: str, image: str) -> bool:
    """Whether a normalised key (``*.example.com:5000/team``) covers an image's repository name."""
    glob, target = _parts(key), _parts(image)
    if glob is None or target is None:
        return False
    if glob.port != target.port or len(glob.labels) != len(target.labels):
        return False
    if not target.path.startswith(glob.path):
        return False
    return all(_glob_match(g, t) for g, t in zip(glob.labels, target.labels, strict=True))


def is_default_registry_match(image: str) -> bool:
    """Whether the kubelet considers `image` a Docker Hub image (for the index.docker.io fallback)."""
    first, slash, _ = image.partition("/")
    if not first:
        return False
    if not slash or first in (DOCKER_HUB_DOMAIN, LEGACY_DOCKER_HUB_DOMAIN):
        return True
    return "." not in first and ":" not in first


class Keyring(Generic[T]):
    """Credentials by registry key, looked up as the kubelet does. Built once per pod, queried per image."""

    __slots__ = ("_creds", "_index", "_lookups")

    def __init__(self, entries: Iterable[tuple[str, T]]) -> None:
        creds: dict[str, list[T]] = {}
        for raw_key, credential in entries:
            key = normalize_key(raw_key)
            if key is not None:
                creds.setdefault(key, []).append(credential)
        self._creds = creds
        self._index = sorted(creds, reverse=True)
        self._lookups: dict[str, tuple[T, ...]] = {}

    @property
    def keys(self) -> tuple[str, ...]:
        """The normalised keys, in lookup order."""
        return tuple(self._index)

    def __bool__(self) -> bool:
        return bool(self._creds)

    def lookup(self, image: str) -> tuple[T, ...]:
        """Every credential the kubelet would try for `image` (a repository name), in its order."""
        cached = self._lookups.get(image)
        if cached is not None:
            return cached
        found: list[T] = []
        for key in self._index:
            if urls_match(key, image):
                found.extend(self._creds[key])
        if not found and is_default_registry_match(image):
            found.extend(self._creds.get(DEFAULT_REGISTRY_KEY, ()))
        result = tuple(found)
        self._lookups[image] = result
        return result


def explain_miss(raw_key: str, image: str) -> str | None:
    """Why a key that looks meant for `image`'s registry does not cover it; None when it is unrelated."""
    key = normalize_key(raw_key)
    if key is None:
        return f"the key {raw_key!r} is not a valid registry URL, so the kubelet ignores it"
    glob, target = _parts(key), _parts(image)
    if glob is None or target is None:
        return None
    if len(glob.labels) != len(target.labels):
        if any(c in glob.host for c in "*?[") and _suffix_related(glob.labels, target.labels):
            return (
                f"the key {raw_key!r} is a glob: each glob label stands for exactly one label, so it covers "
                f"hosts of {len(glob.labels)} labels and not {target.host!r}"
            )
        return None
    mismatched = [(g, t) for g, t in zip(glob.labels, target.labels, strict=True) if not _glob_match(g, t)]
    if mismatched and all(g.lower() == t.lower() for g, t in mismatched):
        return (
            f"the key {raw_key!r} differs from {target.host!r} in letter case, and the kubelet compares "
            "exactly"
        )
    if len(mismatched) == 1 and any(c in mismatched[0][0] for c in "*?["):
        pattern, label = mismatched[0]
        return f"the glob {pattern!r} of the key {raw_key!r} does not match the label {label!r}"
    if mismatched:
        return None
    if glob.port != target.port:
        key_port = f"port {glob.port}" if glob.port else "no port"
        image_port = f"port {target.port}" if target.port else "no port"
        return (
            f"the key {raw_key!r} has {key_port} and the image's registry has {image_port}; ports must be "
            "equal"
        )
    if not target.path.startswith(glob.path):
        return (
            f"the key {raw_key!r} is limited to the path {glob.path!r}, which does not prefix {target.path!r}"
        )
    return None


def _suffix_related(glob_labels: tuple[str, ...], target_labels: tuple[str, ...]) -> bool:
    """Whether the glob's literal tail ends the target too (`*.example.com` and `example.com`)."""
    literal_tail: list[str] = []
    for label in reversed(glob_labels):
        if any(c in label for c in "*?["):
            break
        literal_tail.append(label)
    if not literal_tail:
        return False
    tail = tuple(reversed(literal_tail))
    return target_labels[-len(tail) :] == tail
