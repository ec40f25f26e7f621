"""The cause table: a pull-failure message in, its cause (and the rule that predicts it) out.

Messages come from three runtime families and from the kubelet itself, across a decade of versions:

- Docker (dockershim, cri-dockerd): ``Error response from daemon: ...``, ``API error (500): ...``,
  ``pull access denied for X, repository does not exist or may require 'docker login'``;
- containerd: ``failed to pull and unpack image "X": failed to resolve reference "X": ...``,
  ``failed to authorize: failed to fetch anonymous token: ...``, ``no match for platform in manifest``;
- CRI-O / containers/image: ``reading manifest T in R: ...``, ``choosing an image from manifest list``;
- old gRPC numeric codes (``rpc error: code = 2 desc = ...``) and the kubelet's own
  (``Failed to apply default image tag``, ``is not present with pull policy of Never``).

Each message is matched pattern by pattern, in an order where the innermost, most specific evidence
wins (a DNS failure beats the old "this may be because there are no credentials" hint; "no basic auth
credentials" beats a generic 401). A message that matches nothing is ``unknown``: a wrong confident
cause costs more than an honest "not recognised". Multi-attempt messages (AKS lists one ``rpc error``
per credential tried: ``[rpc error: ..., rpc error: ...]``) are read whole: each attempt is classified and
the one that got furthest in the pull decides.

Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from pulllint.hosts import canonical_host
from pulllint.images import reference_or_none
from pulllint.model.hosts import CloudRegistry, HostKind, builtin_host_info, cloud_registry

__all__ = [
    "CAUSES",
    "CAUSE_RULES",
    "Classification",
    "classify",
    "extract_image",
    "normalize",
    "runtime_of",
]

# cause -> the rule that predicts it before deploy (None: no rule can)
CAUSE_RULES: Mapping[str, str | None] = MappingProxyType(
    {
        "invalid-reference": "PL101",
        "never-pull": "PL105",
        "tag-not-found": "PL401",
        "repository-not-found": "PL402",
        "no-credentials": "PL201",
        "credentials-refused": "PL403",
        "cloud-identity": "PL205",
        "platform-missing": "PL404",
        "rate-limited": "PL406",
        "unreachable": "PL405",
        "disk-pressure": None,
        "unknown": None,
    }
)
CAUSES = tuple(CAUSE_RULES)


class Classification(NamedTuple):
    """What one message says happened."""

    cause: str
    klass: str | None  # the sub-class: "timeout", "dns", "missing-or-private", "linux/arm64", ...
    runtime: str  # "docker", "containerd", "cri-o", "kubelet" or "unknown"
    evidence: str  # the phrase of the message that decided ("" for unknown)
    image: str | None  # the image the message names, if any
    host: str | None  # the registry host the message (or its image) names, if any
    cloud: CloudRegistry | None = None
    attempts: tuple[str, ...] = ()  # the causes of each attempt of a multi-attempt message

    @property
    def rule(self) -> str | None:
        return CAUSE_RULES[self.cause]


def _lower(pattern: str) -> str:
    """A pattern's ASCII letters lowercased, escapes (``\\S``, ``\\b``) kept: table patterns run, case-
    sensitively, on the ASCII-lowercased message (several times faster than re.IGNORECASE)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(pattern[i : i + 2])
            i += 2
            continue
        out.append(pattern[i].lower() if "A" <= pattern[i] <= "Z" else pattern[i])
        i += 1
    return "".join(out)


def _ascii_lower(text: str) -> str:
    """Lowercase ASCII letters only, so every position of the result is the same as in `text`."""
    if text.isascii():
        return text.lower()
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in text)


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile(_lower("|".join(f"(?:{p})" for p in patterns)))


# --- normalisation -------------------------------------------------------------------------------------

_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u00a0": " "})
_ESCAPED_QUOTE = re.compile(r'\\+"')
_ESCAPED_NEWLINE = re.compile(r"\\+[nrt]")
_SPACES = re.compile(r"\s+")


def normalize(message: str) -> str:
    """One line, straight quotes, JSON/Go escapes undone (``\\"`` and a literal ``\\n`` as written in
    issue texts), runs of blanks collapsed."""
    text = message.translate(_QUOTES)
    text = _ESCAPED_QUOTE.sub('"', text)
    text = _ESCAPED_NEWLINE.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


# --- the image and host a message names ----------------------------------------------------------------

_IMAGE_PATTERNS = (
    re.compile(r'Failed to pull image "([^"]+)"', re.IGNORECASE),
    re.compile(r'Back-off pulling image "([^"]+)"', re.IGNORECASE),
    re.compile(r'Container image "([^"]+)" is not present'),
    re.compile(r'Failed to apply default image tag "([^"]*)"'),
    re.compile(r'couldn\'t parse image reference "([^"]*)"'),
    re.compile(r'PullImage "([^"]+)"'),
    re.compile(r'failed to pull and unpack image "([^"]+)"'),
    re.compile(r'failed to resolve (?:reference|image) "([^"]+)"'),
    re.compile(r"manifest for (\S+) not found"),
    re.compile(r"image pull failed for (\S+?),"),
    re.compile(r"pull access denied for ([^\s,]+),"),
)
_READING_MANIFEST = re.compile(r"reading manifest (\S+) in ([^\s:]+(?::\d+)?/[^\s:]+)", re.IGNORECASE)
_URL_HOST = re.compile(r"https?://([A-Za-z0-9._<>\[\]-]+(?::\d+)?)/")
_ECR_LOOSE = re.compile(r"\.dkr[.-]ecr(-fips)?\.([\w-]+)\.amazonaws\.com", re.IGNORECASE)
_ECR_ACCOUNT = re.compile(r"[\w<> -]{1,40}$")


def extract_image(text: str) -> str | None:
    """The image a (normalised) message names: the kubelet's quoted reference first."""
    for pattern in _IMAGE_PATTERNS:
        match = pattern.search(text)
        if match and match.group(1):
            return match.group(1).rstrip(".")
    match = _READING_MANIFEST.search(text)
    if match:
        reference, name = match.groups()
        return f"{name}@{reference}" if reference.startswith("sha256:") else f"{name}:{reference}"
    return None


def _image_domain_path(image: str | None) -> tuple[str, str] | None:
    ref = reference_or_none(image)
    return None if ref is None else (ref.domain, ref.path)


def _host_of(text: str, image: str | None) -> str | None:
    parts = _image_domain_path(image)
    if parts is not None:
        return parts[0]
    match = _URL_HOST.search(text)
    if match:
        host = match.group(1)
        return canonical_host(host)
    return None


def _cloud_of(text: str, image: str | None) -> CloudRegistry | None:
    """The cloud registry of the image (or of the message's URLs); known public repositories excluded."""
    parts = _image_domain_path(image)
    if parts is not None:
        domain, path = parts
        found = cloud_registry(domain, path)
        if found is not None:
            kind = builtin_host_info(domain, path).kind
            return found if kind == HostKind.CLOUD else None
    match = _ECR_LOOSE.search(text)
    if match:  # account ids are often redacted in reports ("XXXX", "<account number>")
        before = _ECR_ACCOUNT.search(text, max(0, match.start() - 40), match.start())
        account = before.group(0).strip().rsplit("/", 1)[-1] if before else ""
        return CloudRegistry("aws", "Amazon ECR", account, match.group(2), bool(match.group(1)))
    match = re.search(r"\b([a-z0-9][a-z0-9-]*)\.azurecr\.(?:io|cn|us|de)\b", text, re.IGNORECASE)
    if match:
        return CloudRegistry("azure", "Azure Container Registry", match.group(1).lower())
    match = re.search(r"\b([a-z0-9-]+)-docker\.pkg\.dev/([\w.-]+)", text)
    if match:
        return CloudRegistry("gcp", "Artifact Registry", match.group(2), match.group(1))
    match = re.search(r"(?<![\w.-])((?:us\.|eu\.|asia\.)?gcr\.io)/([\w.-]+)", text)
    if match:
        host, project = match.groups()
        kind = builtin_host_info(host, f"{project}/x").kind
        return CloudRegistry("gcp", "Container Registry", project) if kind == HostKind.CLOUD else None
    return None


# --- runtime family ------------------------------------------------------------------------------------

_CRIO = _rx(
    r"\breading manifest \S+ in ",
    r"choosing an image from manifest list",
    r"no image found in (?:manifest list|image index) for architecture",
    r"initializing source docker://",
    r"pinging (?:container|docker) registry",
    r"reading signatures",
    r"determining manifest MIME type",
    r"trying to reuse blob",
    r"writing blob: ",
    r"short-name \"",
    r"Source image rejected",
)
_CONTAINERD = _rx(
    r"failed to pull and unpack image",
    r"failed to resolve (?:reference|image)",
    r"failed to authorize",
    r"failed to fetch (?:anonymous|oauth) token",
    r"no match for platform in manifest",
    r"httpReadSeeker",
    r"failed to do request",
    r"pulling from host \S+ failed with status code",
    r"no available registry endpoint",
    r"failed to extract layer",
    r"failed to copy:",
    r"no scope specified for token auth challenge",
)
_DOCKER = _rx(
    r"Error response from daemon",
    r"API error \(\d+\)",
    r"docker login",
    r"image pull failed for",
    r"no matching manifest for \S+ in the manifest list entries",
    r"error pulling image configuration",
    r"manifest for \S+ not found",
    r"\bTag \S+ not found in repository",
    r"Error: image \S+ not found",
    r"does not exist or no pull access",
)
_KUBELET = _rx(
    r"Failed to apply default image tag",
    r"is not present with pull policy of Never",
    r"couldn't parse image reference",
    r"^(?:Error: )?(?:InvalidImageName|ErrImageNeverPull|ErrImagePull|ImagePullBackOff)$",
    r"^Back-off pulling image \"[^\"]*\"$",
)


def runtime_of(text: str) -> str:
    """The runtime family whose wording the (normalised) message carries; "unknown" when none does."""
    low = _ascii_lower(text)
    for name, pattern in (("cri-o", _CRIO), ("containerd", _CONTAINERD), ("docker", _DOCKER)):
        if pattern.search(low):
            # cri-dockerd/dockershim wrap the daemon's answer: its wording decides.
            if name != "docker" and "error response from daemon" in low:
                return "docker"
            return name
    return "kubelet" if _KUBELET.search(low) else "unknown"


# --- the cause table -----------------------------------------------------------------------------------

_INVALID = _rx(
    r"Failed to apply default image tag",
    r"couldn't parse image reference",
    r"invalid reference format",
    r"\bInvalidImageName\b",
    r"is not a valid repository/tag",
    r"repository name must be lowercase",
    r"invalid repository name \(",
)
_NEVER = _rx(r"is not present with pull policy of Never", r"\bErrImageNeverPull\b")
_RUNTIME_SOCKET = _rx(r"dial unix ", r"\.sock: connect", r"transport: error while dialing")
_DISK = _rx(r"no space left on device", r"disk quota exceeded")
_RATE = _rx(
    r"toomanyrequests",
    r"too many requests",
    r"pull rate limit",
    r"rate limit exceeded",
)
_PLATFORM_NAMED = re.compile(r"no matching manifest for (\S+) in the manifest list entries", re.IGNORECASE)
_PLATFORM_CRIO = re.compile(
    r'no image found in (?:manifest list|image index) for architecture "?([\w-]+)"?, '
    r'variant "?([\w-]*)"?, OS "?([\w-]+)"?',
    re.IGNORECASE,
)
_PLATFORM_WANTED = re.compile(r"does not match the specified platform: wanted ([\w/-]+)", re.IGNORECASE)
# CRI-O's "choosing an image from manifest list X: ..." wraps any error of the choice (a parse error, a
# failed fetch): only its "no image found ... for architecture" names a missing platform.
_PLATFORM = _rx(
    r"no match for platform in manifest",
    r"no matching manifest for \S+ in the manifest list entries",
    r"no image found in (?:manifest list|image index) for architecture",
    r"does not match the specified platform",
)
# (class, pattern): the first that matches names the class.
_UNREACHABLE: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "http-on-https",
        _rx(r"server gave HTTP response to HTTPS client", r"does not look like a TLS handshake"),
    ),
    ("timeout", _rx(r"TLS handshake timeout")),
    (
        "tls",
        _rx(
            r"\bx509: ",
            r"certificate signed by unknown authority",
            r"certificate has expired",
            r"certificate is (?:not valid|valid for)",
            r"tls: failed to verify certificate",
            r"remote error: tls: ",
            r"tls: (?:bad certificate|handshake failure|unknown certificate authority)",
        ),
    ),
    (
        "dns",
        _rx(
            r"no such host",
            r"name resolution",
            r"dial tcp: lookup ",
            r"\blookup \S+ on \S+: (?:server misbehaving|no such host|read udp|dial udp|i/o timeout)",
            r"name or service not known",
            r"nodename nor servname",
        ),
    ),
    ("refused", _rx(r"connection refused")),
    ("no-route", _rx(r"no route to host", r"network is unreachable", r"host is unreachable")),
    (
        "timeout",
        _rx(
            r"i/o timeout",
            r"context deadline exceeded",
            r"code = DeadlineExceeded",
            r"Client\.Timeout exceeded",
            r"timeout awaiting response headers",
            r"connection timed out",
            r"operation timed out",
            r"request canceled while waiting for connection",
            r"net/http: request canceled",
            r"because of no progress in",
            r"rpc error: code = 4 desc",
        ),
    ),
    (
        "connection-reset",
        _rx(
            r"connection reset by peer",
            r'(?:Get|Head) "?https?://[^\s"]+"?: (?:unexpected )?EOF\b',
            r"proxyconnect tcp: (?:unexpected )?EOF\b",
        ),
    ),
)
_SERVER_ERROR = re.compile(
    _lower(
        r"(?:unexpected (?:http )?status(?: code)?[^:]{0,200}?: ?|received unexpected HTTP status: )(5\d\d)\b"
        r"|\b(50[0-4]) (?:Internal Server Error|Bad Gateway|Service Unavailable|Gateway Time-?out)\b"
        r"|: (Internal Server Error|Bad Gateway|Service Unavailable|Gateway Time-?out)\b"
    )
)
_STATUS_NAMES = MappingProxyType(
    {
        "internal server error": "500",
        "bad gateway": "502",
        "service unavailable": "503",
        "gateway timeout": "504",
    }
)
# Cloud registries' own wording of a refused node identity.
_CLOUD_TEXT: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ecr-token-expired", _rx(r"Your authorization token has expired")),
    ("ecr", _rx(r"is not authorized to perform: ecr:", r"\becr:(?:BatchGetImage|GetDownloadUrlForLayer)\b")),
    ("acr", _rx(r"aka\.ms/acr/authorization")),
    ("artifact-registry", _rx(r"artifactregistry\.repositories\.downloadArtifacts")),
    ("container-registry", _rx(r"cloud\.google\.com/container-registry/docs/advanced-authentication")),
)
_NAME_UNKNOWN = _rx(
    r"\bname unknown\b",
    r"\bNAME_UNKNOWN\b",
    r"repository name not known to registry",
    r"The repository with name '[^']*' does not exist",
    r"\bunknown: repository \S+ not found",
)
_TAG = _rx(
    r"manifest unknown",
    r"\bMANIFEST_UNKNOWN\b",
    r"manifest for \S+ not found",
    r'failed to resolve (?:reference|image)(?: "[^"]+")?: [^\s"]+: not found',
    r"no available registry endpoint: \S+ not found",
    r"\bTag \S+ not found in repository",
    r"Error: image \S+ not found",
    r"reading manifest \S+ in \S+: (?:manifest unknown|not found)",
    r"Requested image not found",
    r"was deleted or has expired",
    r"\bunknown: artifact \S+ not found",
)
_ANONYMOUS = _rx(
    r"no basic auth credentials",
    r"failed to fetch anonymous token",
    r"no scope specified for token auth challenge",
)
_REFUSED = _rx(
    r"incorrect username or password",
    r"failed to fetch oauth token: .{0,300}?(?:\b40[13]\b|unauthorized|forbidden|denied)",
    r"cannot be authenticated with the token provided",
    r"invalid username/password",
    r"unauthorized: bad credentials",
    r"\binvalid credentials\b",
)
_PRIVATE = _rx(
    r"pull access denied",
    r"insufficient_scope",
    r"requested access to the resource is denied",
    r"repository does not exist or may require",
    r"does not exist or no pull access",
    r"access to the requested resource is not authorized",
)
_AUTH_REQUIRED = _rx(r"authentication required")
_GENERIC_AUTH = re.compile(
    _lower(
        r"\b(401) Unauthorized\b|\b(403) Forbidden\b|status(?: code)?\D{0,40}\b(40[13])\b"
        r"|\b(unauthorized)\b|\b(forbidden)\b|(?<!permission )\b(denied): |\baccess (denied)\b",
    )
)
_ATTEMPT_SPLIT = re.compile(r",\s*(?=rpc error: code = )")
_ATTEMPT_LIST = re.compile(r"\[(rpc error: code = .*, rpc error: code = .*)\]")

# How far into the pull an attempt got: among the attempts of one message, the furthest decides.
_PROGRESS = (
    "disk-pressure",
    "platform-missing",
    "tag-not-found",
    "repository-not-found",
    "credentials-refused",
    "cloud-identity",
    "no-credentials",
    "rate-limited",
    "unreachable",
)


_WRAPPING = re.compile(
    r'failed to (?:resolve|pull and unpack) (?:reference|image)(?: "[^"]+")?: |^reading manifest '
)


def _search(pattern: re.Pattern[str], text: str, low: str) -> str | None:
    """The phrase of `text` that `pattern` (lowercase) finds in `low`, its wrapping dropped."""
    match = pattern.search(low)
    return _WRAPPING.sub("", text[match.start() : match.end()]).strip() if match else None


def _platform(text: str) -> str | None:
    match = _PLATFORM_NAMED.search(text)
    if match:
        return match.group(1)
    match = _PLATFORM_CRIO.search(text)
    if match:
        arch, variant, os_name = match.groups()
        return f"{os_name}/{arch}/{variant}" if variant else f"{os_name}/{arch}"
    match = _PLATFORM_WANTED.search(text)
    return match.group(1) if match else None


def classify(message: str, image: str | None = None) -> Classification:
    """The cause of one pull-failure message. `image`, when the caller knows it (the pod's container),
    wins over the one the message names."""
    text = normalize(message)
    named = extract_image(text)
    image = image or named
    runtime = runtime_of(text)
    host = _host_of(text, image)
    attempts = _ATTEMPT_LIST.search(text)
    if attempts:
        return _classify_attempts(attempts.group(1), text, image, runtime, host)
    cause, klass, evidence = _cause(text)
    cloud = None
    if cause in ("no-credentials", "credentials-refused", "repository-not-found") and klass != "name-unknown":
        cloud = _cloud_of(text, image)
        if cloud is not None:
            cause, klass = "cloud-identity", _cloud_class(cloud)
    elif cause == "cloud-identity":
        cloud = _cloud_of(text, image)
    return Classification(cause, klass, runtime, evidence, image, host, cloud)


def _cloud_class(cloud: CloudRegistry) -> str:
    classes = {
        "Amazon ECR": "ecr",
        "Azure Container Registry": "acr",
        "Artifact Registry": "artifact-registry",
    }
    return classes.get(cloud.service, "container-registry")


def _cause(text: str) -> tuple[str, str | None, str]:
    """(cause, class, evidence) of one normalised message: the cause table, in order."""
    low = _ascii_lower(text)
    found = _search(_INVALID, text, low)
    if found:
        return "invalid-reference", None, found
    found = _search(_NEVER, text, low)
    if found:
        return "never-pull", None, found
    if _RUNTIME_SOCKET.search(low):
        return "unknown", None, ""  # the kubelet could not talk to its runtime: no registry was asked
    found = _search(_DISK, text, low)
    if found:
        return "disk-pressure", None, found
    found = _search(_RATE, text, low)
    if found:
        return "rate-limited", "docker-hub" if _docker_hub(text) else None, found
    found = _search(_PLATFORM, text, low)
    if found:
        return "platform-missing", _platform(text), found
    for klass, pattern in _UNREACHABLE:
        found = _search(pattern, text, low)
        if found:
            return "unreachable", klass, found
    match = _SERVER_ERROR.search(low)
    if match:
        named = (match.group(3) or "").lower().replace("time-out", "timeout")
        status = match.group(1) or match.group(2) or _STATUS_NAMES.get(named, "5xx")
        return "unreachable", f"status-{status}", text[match.start() : match.end()].lstrip(": ")
    for klass, pattern in _CLOUD_TEXT:
        found = _search(pattern, text, low)
        if found:
            return "cloud-identity", klass, found
    found = _search(_NAME_UNKNOWN, text, low)
    if found:
        return "repository-not-found", "name-unknown", found
    found = _search(_TAG, text, low)
    if found:
        return "tag-not-found", None, found
    found = _search(_ANONYMOUS, text, low)
    if found:
        return "no-credentials", None, found
    found = _search(_REFUSED, text, low)
    if found:
        return "credentials-refused", None, found
    found = _search(_PRIVATE, text, low)
    if found:
        return "repository-not-found", "missing-or-private", found
    found = _search(_AUTH_REQUIRED, text, low)
    if found:
        return "no-credentials", None, found
    match = _GENERIC_AUTH.search(low)
    if match:
        status = next((g for g in match.groups() if g and g.isdigit()), None)
        return "credentials-refused", status, text[match.start() : match.end()]
    return "unknown", None, ""


def _docker_hub(text: str) -> bool:
    return bool(re.search(r"docker\.io|docker\.com|registry-1\.docker", text, re.IGNORECASE))


def _classify_attempts(
    inner: str, text: str, image: str | None, runtime: str, host: str | None
) -> Classification:
    parts = [part.strip() for part in _ATTEMPT_SPLIT.split(inner) if part.strip()]
    results = [classify(part, image) for part in parts]
    known = [r for r in results if r.cause != "unknown"]
    causes = tuple(r.cause for r in results)
    if not known:
        return Classification("unknown", None, runtime, "", image, host, None, causes)
    best = min(known, key=lambda r: _PROGRESS.index(r.cause))
    return best._replace(runtime=runtime if runtime != "unknown" else best.runtime, attempts=causes)
