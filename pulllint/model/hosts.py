"""Registry hosts: which need a pull secret, which pull with the node's cloud identity, and the policy lists.

Classification of an image's registry (first rule that applies wins):

1. ``private-registries`` from the configuration: private, a pull secret is required.
2. ``public-registries`` from the configuration: public, no secret needed.
3. Docker Hub (``nginx``, ``docker.io/...``, ``index.docker.io/...``, ``registry-1.docker.io/...``: every
   name in ``pulllint.hosts.DOCKER_HUB_ALIASES``): anonymous pulls work but are rate-limited (PL301 says
   so when no secret covers it).
4. Loopback registries (``localhost``, ``127.0.0.0/8``, ``[::1]``, with any port: ``pulllint.hosts``):
   a node's own registry, no secret expected.
5. Known public registries and repositories (`KNOWN_PUBLIC`): quay.io, ghcr.io, registry.k8s.io,
   mcr.microsoft.com, public.ecr.aws, registry.gitlab.com, gcr.io's Google-owned projects, ...
6. Cloud registries pulled with the node's identity (`cloud_registry`): Amazon ECR
   (``<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`` and the other AWS partitions), Azure
   Container Registry (``*.azurecr.io`` and the sovereign clouds' suffixes), Google Artifact Registry
   (``<location>-docker.pkg.dev``) and Container Registry hosts (``gcr.io``, ``us.gcr.io`` ..., now served
   by Artifact Registry).
7. Anything else is presumed private.

Registry patterns (configuration lists and rule packs) are ``host[:port][/path]``: ``*`` matches any run
of characters except ``/`` (so ``*.example.com`` matches ``a.b.example.com``), ``?`` one character,
``**`` anything including ``/``. A pattern covers the repository it names and everything below it, on
component boundaries: ``ghcr.io/acme`` covers ``ghcr.io/acme/app`` but not ``ghcr.io/acme-labs/app``;
``docker.io/bitnami`` covers ``bitnami/redis``. Hosts compare case-insensitively, and every Docker Hub
alias (``index.docker.io``, ``registry-1.docker.io`` ...) means ``docker.io``, in patterns and images.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from pulllint.hosts import canonical_host, is_docker_hub, is_loopback, split_host_port
from pulllint.images import ImageRef
from pulllint.model.openshift import internal_registry

__all__ = [
    "KNOWN_PUBLIC",
    "CloudRegistry",
    "HostInfo",
    "HostKind",
    "RegistryPolicy",
    "RepoPattern",
    "builtin_host_info",
    "cloud_registry",
]


class HostKind(enum.Enum):
    DOCKER_HUB = "docker-hub"
    PUBLIC = "public"
    CLOUD = "cloud"
    LOCAL = "local"
    # The cluster's own registry, whose pull secret the platform creates (OpenShift's internal one).
    CLUSTER = "cluster"
    PRIVATE = "private"


class RepoPattern(NamedTuple):
    """A registry pattern: ``host[:port][/path]`` with globs, covering everything below it."""

    text: str
    source: str  # the regular expression, compiled on first use

    @classmethod
    def parse(cls, text: str) -> RepoPattern:
        value = text.strip()
        for scheme in ("https://", "http://"):
            value = value.removeprefix(scheme)
        value = value.rstrip("/")
        host, slash, path = value.partition("/")
        host = canonical_host(host)
        regex = "^" + _glob_regex(host)
        if slash and path:
            regex += "/" + _glob_regex(path) + "(?:/(?P<rest>.*))?$"
        else:
            regex += "/(?P<rest>.*)$"
        return cls(text, regex)

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.source)

    def matches(self, ref: ImageRef) -> bool:
        return self.regex.match(_match_name(ref.domain, ref.path)) is not None

    def rest(self, ref: ImageRef) -> str | None:
        """The repository path below the pattern ("" for the repository itself); None: no match."""
        match = self.regex.match(_match_name(ref.domain, ref.path))
        return None if match is None else match.group("rest") or ""

    def matches_name(self, name: str) -> bool:
        """`name` is a repository name ``domain/path`` (the host part is compared case-insensitively)."""
        domain, _, path = name.partition("/")
        return self.regex.match(_match_name(domain, path)) is not None


@functools.lru_cache(maxsize=1024)
def _compiled(source: str) -> re.Pattern[str]:
    return re.compile(source, re.DOTALL)


_GLOB_TOKEN = re.compile(r"\*\*|\*|\?|[^*?]+")
_GLOB_REGEX = {"**": ".*", "*": "[^/]*", "?": "[^/]"}


def _glob_regex(pattern: str) -> str:
    """`**` any text, `*` and `?` within one path component; everything else literal."""
    return "".join(_GLOB_REGEX.get(token) or re.escape(token) for token in _GLOB_TOKEN.findall(pattern))


def _match_name(domain: str, path: str) -> str:
    return f"{canonical_host(domain)}/{path}"


# --- known registries ----------------------------------------------------------------------------------

# Registries that serve their images to anyone (a private repository there still needs a secret: list it
# in `private-registries`).
_PUBLIC_HOSTS = frozenset(
    {
        "quay.io",
        "ghcr.io",
        "registry.k8s.io",
        "k8s.gcr.io",
        "mirror.gcr.io",
        "marketplace.gcr.io",
        "gke.gcr.io",
        "mcr.microsoft.com",
        "public.ecr.aws",
        "registry.gitlab.com",
        "docker.elastic.co",
        "nvcr.io",
        "registry.access.redhat.com",
        "registry.fedoraproject.org",
        "registry.opensuse.org",
        "registry.suse.com",
        "cgr.dev",
        "lscr.io",
        "cr.l5d.io",
        "registry.datadoghq.com",
        "registry.istio.io",
        "cr.fluentbit.io",
        "docker.redpanda.com",
        "registry.opensource.zalan.do",
        "registry.developers.crunchydata.com",
        "reg.kyverno.io",
        "docker.mirror.hashicorp.services",
    }
)
# gcr.io projects that Google owns (their gcr.io URLs keep working after the Container Registry shutdown)
# or that are known to serve public images from Artifact Registry behind gcr.io.
_PUBLIC_GCR_PROJECTS = frozenset(
    {
        "google-containers",
        "google_containers",
        "google-samples",
        "google_samples",
        "google.com",
        "distroless",
        "kaniko-project",
        "cloud-builders",
        "cloudsql-docker",
        "cloud-marketplace",
        "gke-release",
        "gke-on-prem-release",
        "k8s-artifacts-prod",
        "stackdriver-agents",
        "cadvisor",
        "ml-pipeline",
        "kubeflow-images-public",
        "knative-releases",
        "knative-nightly",
        "tekton-releases",
        "istio-release",
        "istio-testing",
        "spiffe-io",
        "datadoghq",
        "projectsigstore",
        "kubebuilder",
        "kubernetes-helm",
    }
)
_GCR_HOSTS = frozenset({"gcr.io", "us.gcr.io", "eu.gcr.io", "asia.gcr.io"})
# Public repositories on hosts that are otherwise cloud registries.
_PUBLIC_PATHS = (
    "*-docker.pkg.dev/google-samples",
    "*-docker.pkg.dev/online-boutique-ci",
    "*-docker.pkg.dev/k8s-artifacts-prod",
    "*-docker.pkg.dev/gke-release",
    "us-docker.pkg.dev/cloudrun",
)
KNOWN_PUBLIC: tuple[str, ...] = (
    *sorted(_PUBLIC_HOSTS),
    *(f"{host}/{project}" for host in sorted(_GCR_HOSTS) for project in sorted(_PUBLIC_GCR_PROJECTS)),
    *_PUBLIC_PATHS,
)
_PUBLIC_PATH_PATTERNS = tuple(RepoPattern.parse(p) for p in _PUBLIC_PATHS)

_ECR = (
    r"([0-9]{12})\.dkr[.-]ecr(-fips)?\.([a-z0-9][a-z0-9_-]*)\."
    r"(amazonaws\.com(?:\.cn)?|amazonaws\.eu|on\.aws|on\.amazonwebservices\.com\.cn"
    r"|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)"
)
# Azure public cloud, Azure China, Azure Government, (retired) Azure Germany, and the air-gapped clouds.
_ACR = r"([a-z0-9][a-z0-9-]*)\.azurecr\.(io|cn|us|de|microsoft\.scloud|eaglex\.ic\.gov)"
_ARTIFACT_REGISTRY = r"([a-z0-9][a-z0-9-]*)-docker\.pkg\.dev"


class CloudRegistry(NamedTuple):
    """A registry the node pulls from with its own cloud identity (kubelet credential provider)."""

    provider: str  # "aws", "azure" or "gcp"
    service: str  # "Amazon ECR", "Azure Container Registry", "Artifact Registry", "Container Registry"
    account: str  # AWS account ID, ACR registry name, GCP project ("" when the image names none)
    region: str | None = None
    fips: bool = False

    @property
    def account_label(self) -> str:
        return {"aws": "account", "azure": "registry", "gcp": "project"}[self.provider]

    def describe(self) -> str:
        where = f"{self.account_label} {self.account}" if self.account else ""
        if self.region:
            where += f", {'location' if self.provider == 'gcp' else 'region'} {self.region}"
        if self.fips:
            where += ", FIPS endpoint"
        return f"{self.service} ({where})" if where else self.service

    def permission(self) -> str:
        """What the node's identity needs to pull, named exactly."""
        if self.provider == "aws":
            return (
                "the node's IAM role needs ecr:GetAuthorizationToken, ecr:BatchGetImage and "
                "ecr:GetDownloadUrlForLayer (the managed policy AmazonEC2ContainerRegistryReadOnly)"
            )
        if self.provider == "azure":
            return (
                f"the cluster's kubelet identity needs the AcrPull role on the registry {self.account} "
                f"(az aks update --name <cluster> --resource-group <group> --attach-acr {self.account})"
            )
        target = f"project {self.account}" if self.account else "the project"
        return f"the node's service account needs roles/artifactregistry.reader on {target}"


class HostInfo(NamedTuple):
    kind: HostKind
    reason: str  # "known public registry", "configured in public-registries", "presumed private", ...
    cloud: CloudRegistry | None = None


def cloud_registry(domain: str, path: str) -> CloudRegistry | None:
    """The cloud registry an image's domain names, if any (ports are not part of any cloud registry)."""
    if ":" in domain:
        return None
    host = domain.lower()
    match = _compiled(_ECR).fullmatch(host)
    if match:
        return CloudRegistry("aws", "Amazon ECR", match.group(1), match.group(3), bool(match.group(2)))
    match = _compiled(_ACR).fullmatch(host)
    if match:
        return CloudRegistry("azure", "Azure Container Registry", match.group(1))
    project = path.split("/", 1)[0]
    match = _compiled(_ARTIFACT_REGISTRY).fullmatch(host)
    if match:
        return CloudRegistry("gcp", "Artifact Registry", project, match.group(1))
    if host in _GCR_HOSTS:
        return CloudRegistry("gcp", "Container Registry", project)
    return None


@functools.lru_cache(maxsize=8192)
def builtin_host_info(domain: str, path: str) -> HostInfo:
    """The classification without configuration (steps 3 to 7 of the module docs)."""
    if is_docker_hub(domain):
        return HostInfo(HostKind.DOCKER_HUB, "Docker Hub")
    if is_loopback(domain):
        return HostInfo(HostKind.LOCAL, "a loopback registry on the node")
    if internal_registry(domain):
        return HostInfo(
            HostKind.CLUSTER, "OpenShift's internal registry: every ServiceAccount gets a pull secret for it"
        )
    host, _ = split_host_port(domain)
    if host in _PUBLIC_HOSTS:
        return HostInfo(HostKind.PUBLIC, "a known public registry")
    project = path.split("/", 1)[0]
    if host in _GCR_HOSTS and project in _PUBLIC_GCR_PROJECTS:
        return HostInfo(HostKind.PUBLIC, f"{project} is a known public gcr.io project")
    target = _match_name(domain, path)
    if any(p.regex.match(target) for p in _PUBLIC_PATH_PATTERNS):
        return HostInfo(HostKind.PUBLIC, "a known public repository")
    cloud = cloud_registry(domain, path)
    if cloud is not None:
        return HostInfo(HostKind.CLOUD, cloud.describe(), cloud)
    return HostInfo(HostKind.PRIVATE, "presumed private: not a known public registry")


# --- configuration -------------------------------------------------------------------------------------


def _patterns(values: Iterable[Any]) -> tuple[RepoPattern, ...]:
    return tuple(RepoPattern.parse(str(v)) for v in values)


class RegistryPolicy:
    """The registry keys of the configuration, parsed once per run."""

    __slots__ = (
        "_cache",
        "allowed",
        "aws_account_ids",
        "azure_registries",
        "dockerhub_mirror",
        "gcp_projects",
        "mirrors",
        "private",
        "public",
    )

    def __init__(
        self,
        *,
        public: tuple[RepoPattern, ...] = (),
        private: tuple[RepoPattern, ...] = (),
        allowed: tuple[RepoPattern, ...] | None = None,  # None: no allowlist configured
        dockerhub_mirror: str | None = None,
        aws_account_ids: frozenset[str] | None = None,  # None: not configured
        azure_registries: frozenset[str] | None = None,
        gcp_projects: frozenset[str] | None = None,
        mirrors: Mapping[str, str] | None = None,  # registry host -> the mirror the runtime pulls through
    ) -> None:
        self.public = public
        self.private = private
        self.allowed = allowed
        self.dockerhub_mirror = dockerhub_mirror
        self.aws_account_ids = aws_account_ids
        self.azure_registries = azure_registries
        self.gcp_projects = gcp_projects
        self.mirrors: Mapping[str, str] = mirrors or {}
        self._cache: dict[tuple[str, str], HostInfo] = {}

    @classmethod
    def from_lists(
        cls,
        *,
        public: Iterable[str] = (),
        private: Iterable[str] = (),
        allowed: Iterable[str] | None = None,
        dockerhub_mirror: str | None = None,
        aws_account_ids: Iterable[str] | None = None,
        azure_registries: Iterable[str] | None = None,
        gcp_projects: Iterable[str] | None = None,
        mirrors: Mapping[str, str] | None = None,
    ) -> RegistryPolicy:
        """A policy from the patterns as written (`host[:port][/path]` globs); None: not configured."""
        return cls(
            public=_patterns(public),
            private=_patterns(private),
            allowed=None if allowed is None else _patterns(allowed),
            dockerhub_mirror=dockerhub_mirror or None,
            aws_account_ids=None if aws_account_ids is None else frozenset(aws_account_ids),
            azure_registries=(
                None if azure_registries is None else frozenset(a.lower() for a in azure_registries)
            ),
            gcp_projects=None if gcp_projects is None else frozenset(gcp_projects),
            mirrors={canonical_host(host): mirror for host, mirror in (mirrors or {}).items()},
        )

    def classify(self, ref: ImageRef) -> HostInfo:
        key = (ref.domain, ref.path)
        info = self._cache.get(key)
        if info is None:
            info = self._classify(ref)
            self._cache[key] = info
        return info

    def _classify(self, ref: ImageRef) -> HostInfo:
        for pattern in self.private:
            if pattern.matches(ref):
                return HostInfo(HostKind.PRIVATE, f"private-registries lists {pattern.text!r}")
        for pattern in self.public:
            if pattern.matches(ref):
                return HostInfo(HostKind.PUBLIC, f"public-registries lists {pattern.text!r}")
        return builtin_host_info(ref.domain, ref.path)

    def runtime_mirror(self, domain: str) -> str | None:
        """The mirror the nodes' runtime pulls `domain` through (`cluster.registry-mirrors`), if any."""
        return self.mirrors.get(canonical_host(domain))

    def is_allowed(self, ref: ImageRef) -> bool:
        return self.allowed is None or any(p.matches(ref) for p in self.allowed)

    def foreign_account(self, cloud: CloudRegistry) -> frozenset[str] | None:
        """The configured own accounts when `cloud` is not one of them; None when it is or none is set."""
        own = {"aws": self.aws_account_ids, "azure": self.azure_registries, "gcp": self.gcp_projects}[
            cloud.provider
        ]
        if own is None or not cloud.account:
            return None
        account = cloud.account.lower() if cloud.provider == "azure" else cloud.account
        return None if account in own else own
