"""Registry hosts: public, Docker Hub, loopback, cloud (ECR, ACR, Artifact Registry), presumed private."""

from __future__ import annotations

import pytest

from pulllint.config import Config, parse_config
from pulllint.engine import registry_policy
from pulllint.images import parse_image
from pulllint.model.hosts import (
    KNOWN_PUBLIC,
    HostKind,
    RegistryPolicy,
    RepoPattern,
    builtin_host_info,
    cloud_registry,
)


def kind_of(image: str, policy: RegistryPolicy | None = None) -> HostKind:
    return (policy or RegistryPolicy()).classify(parse_image(image)).kind


@pytest.mark.parametrize(
    ("image", "kind"),
    [
        ("nginx", HostKind.DOCKER_HUB),
        ("bitnami/redis:7", HostKind.DOCKER_HUB),
        ("docker.io/library/nginx", HostKind.DOCKER_HUB),
        ("index.docker.io/acme/app", HostKind.DOCKER_HUB),
        ("registry-1.docker.io/library/nginx", HostKind.DOCKER_HUB),  # Docker Hub's API host
        ("Registry.Hub.Docker.com/acme/app", HostKind.DOCKER_HUB),
        ("localhost:5000/app", HostKind.LOCAL),
        ("127.0.0.1:5000/app", HostKind.LOCAL),
        ("127.0.0.2:5000/app", HostKind.LOCAL),  # all of 127.0.0.0/8
        ("[::1]:5000/app", HostKind.LOCAL),
        ("[::1]/app", HostKind.LOCAL),
        ("128.0.0.1:5000/app", HostKind.PRIVATE),
        ("quay.io/prometheus/prometheus", HostKind.PUBLIC),
        ("ghcr.io/fluxcd/flux", HostKind.PUBLIC),
        ("registry.k8s.io/pause:3.10", HostKind.PUBLIC),
        ("k8s.gcr.io/pause:3.9", HostKind.PUBLIC),
        ("mcr.microsoft.com/dotnet/runtime:8.0", HostKind.PUBLIC),
        ("public.ecr.aws/docker/library/redis", HostKind.PUBLIC),
        ("registry.gitlab.com/gitlab-org/gitlab-runner", HostKind.PUBLIC),
        ("gcr.io/distroless/static", HostKind.PUBLIC),
        ("gcr.io/google-samples/hello-app:2.0", HostKind.PUBLIC),
        ("us.gcr.io/k8s-artifacts-prod/pause", HostKind.PUBLIC),
        ("us-central1-docker.pkg.dev/google-samples/microservices-demo/frontend", HostKind.PUBLIC),
        ("gcr.io/acme-prod/app", HostKind.CLOUD),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/app", HostKind.CLOUD),
        ("acme.azurecr.io/app", HostKind.CLOUD),
        ("europe-west4-docker.pkg.dev/acme/images/app", HostKind.CLOUD),
        ("registry.example.com/app", HostKind.PRIVATE),
        ("registry.example.com:5000/app", HostKind.PRIVATE),
        ("10.0.0.1:5000/app", HostKind.PRIVATE),
        ("quay.io.evil.example/app", HostKind.PRIVATE),
    ],
)
def test_builtin_classification(image: str, kind: HostKind) -> None:
    assert kind_of(image) is kind


@pytest.mark.parametrize(
    ("domain", "account", "region", "fips"),
    [
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012", "us-east-1", False),
        ("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "123456789012", "us-gov-west-1", True),
        ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "123456789012", "cn-north-1", False),
        ("123456789012.dkr-ecr.eu-west-1.on.aws", "123456789012", "eu-west-1", False),
        ("123456789012.dkr-ecr-fips.us-east-1.on.aws", "123456789012", "us-east-1", True),
        ("123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov", "123456789012", "us-iso-east-1", False),
        ("123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov", "123456789012", "us-isob-east-1", False),
        ("123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM", "123456789012", "us-east-1", False),
    ],
)
def test_ecr(domain: str, account: str, region: str, fips: bool) -> None:
    cloud = cloud_registry(domain, "team/app")
    assert cloud is not None
    assert (cloud.provider, cloud.account, cloud.region, cloud.fips) == ("aws", account, region, fips)
    assert "ecr:GetAuthorizationToken" in cloud.permission()
    assert "AmazonEC2ContainerRegistryReadOnly" in cloud.permission()


@pytest.mark.parametrize(
    "domain",
    [
        "12345678901.dkr.ecr.us-east-1.amazonaws.com",  # 11 digits
        "123456789012.dkr.ecr.us-east-1.amazonaws.org",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com:443",
        "dkr.ecr.us-east-1.amazonaws.com",
        "123456789012.ecr.us-east-1.amazonaws.com",
    ],
)
def test_not_ecr(domain: str) -> None:
    assert cloud_registry(domain, "app") is None


@pytest.mark.parametrize(
    ("domain", "name"),
    [
        ("acmeprod.azurecr.io", "acmeprod"),
        ("acme.azurecr.cn", "acme"),  # Azure China
        ("acme.azurecr.us", "acme"),  # Azure Government
        ("acme.azurecr.de", "acme"),  # Azure Germany (retired)
        ("acme-abc123.azurecr.io", "acme-abc123"),  # domain name label scope
        ("ACME.azurecr.io", "acme"),
    ],
)
def test_acr(domain: str, name: str) -> None:
    cloud = cloud_registry(domain, "app")
    assert cloud is not None and cloud.provider == "azure" and cloud.account == name
    assert "AcrPull" in cloud.permission() and f"--attach-acr {name}" in cloud.permission()


@pytest.mark.parametrize(
    "domain", ["azurecr.io", "acme.azurecr.com", "a.b.azurecr.io", "acme.azurecr.io:443"]
)
def test_not_acr(domain: str) -> None:
    assert cloud_registry(domain, "app") is None


@pytest.mark.parametrize(
    ("domain", "path", "project", "location"),
    [
        ("us-central1-docker.pkg.dev", "acme/images/app", "acme", "us-central1"),
        ("europe-docker.pkg.dev", "acme/images/app", "acme", "europe"),
        ("asia-northeast1-docker.pkg.dev", "acme-prod/r/app", "acme-prod", "asia-northeast1"),
        ("gcr.io", "acme/app", "acme", None),
        ("eu.gcr.io", "acme/app", "acme", None),
    ],
)
def test_google(domain: str, path: str, project: str, location: str | None) -> None:
    cloud = cloud_registry(domain, path)
    assert cloud is not None and cloud.provider == "gcp"
    assert (cloud.account, cloud.region) == (project, location)
    assert "roles/artifactregistry.reader" in cloud.permission()


@pytest.mark.parametrize("domain", ["docker.pkg.dev", "us-central1-maven.pkg.dev", "pkg.dev", "k8s.gcr.io"])
def test_not_google_cloud(domain: str) -> None:
    info = builtin_host_info(domain, "acme/app")
    assert info.kind is not HostKind.CLOUD


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("ghcr.io/acme", "ghcr.io/acme/app", True),
        ("ghcr.io/acme", "ghcr.io/acme", True),
        ("ghcr.io/acme", "ghcr.io/acme-labs/app", False),
        ("ghcr.io", "ghcr.io/anything/below", True),
        ("*.example.com", "a.b.example.com/app", True),
        ("*.example.com", "example.com/app", False),
        ("registry.example.com", "registry.example.com:5000/app", False),
        ("registry.example.com:*", "registry.example.com:5000/app", True),
        ("ghcr.io/*/app", "ghcr.io/acme/app", True),
        ("ghcr.io/*/app", "ghcr.io/acme/team/app", False),
        ("ghcr.io/**/app", "ghcr.io/acme/team/app", True),
        ("GHCR.IO/acme", "ghcr.io/acme/app", True),
        ("index.docker.io/acme", "docker.io/acme/app", True),
        ("registry-1.docker.io/library", "docker.io/library/nginx", True),
        ("registry.hub.docker.com/library", "docker.io/library/nginx", True),
        ("docker.io/library", "registry-1.docker.io/library/nginx", True),  # aliases on both sides
        ("https://quay.io/acme/", "quay.io/acme/app", True),
    ],
)
def test_repo_patterns(pattern: str, name: str, expected: bool) -> None:
    assert RepoPattern.parse(pattern).matches_name(name) is expected


def test_repo_pattern_rest() -> None:
    pattern = RepoPattern.parse("k8s.gcr.io")
    assert pattern.rest(parse_image("k8s.gcr.io/ingress-nginx/controller:v1")) == "ingress-nginx/controller"
    assert RepoPattern.parse("docker.io/bitnami").rest(parse_image("bitnami/redis")) == "redis"
    assert RepoPattern.parse("quay.io/a/b").rest(parse_image("quay.io/a/b:1")) == ""
    assert RepoPattern.parse("quay.io/a/b").rest(parse_image("quay.io/a/c:1")) is None


def test_configured_lists_win() -> None:
    policy = RegistryPolicy.from_lists(
        public=["registry.example.com/public", "docker.io"],
        private=["quay.io/acme", "docker.io/acme", "registry.example.com/public/secret"],
    )
    assert kind_of("registry.example.com/public/tool", policy) is HostKind.PUBLIC
    assert kind_of("registry.example.com/public/secret/x", policy) is HostKind.PRIVATE  # private wins
    assert kind_of("registry.example.com/other", policy) is HostKind.PRIVATE
    assert kind_of("quay.io/acme/app", policy) is HostKind.PRIVATE
    assert kind_of("quay.io/other/app", policy) is HostKind.PUBLIC
    assert kind_of("acme/app", policy) is HostKind.PRIVATE
    assert kind_of("nginx", policy) is HostKind.PUBLIC  # docker.io listed public: no PL301


def test_policy_from_the_configuration() -> None:
    policy = registry_policy(parse_config({"allowed-registries": ["ghcr.io/acme"]}).policy)
    assert policy.is_allowed(parse_image("ghcr.io/acme/app")) and not policy.is_allowed(parse_image("nginx"))
    assert registry_policy(Config().policy).is_allowed(parse_image("nginx"))  # no list: all allowed


def test_cloud_accounts() -> None:
    policy = registry_policy(
        parse_config(
            {"cloud": {"aws-account-ids": [12345678901, "111111111111"], "azure-registries": ["AcmeProd"]}}
        ).policy
    )
    assert policy.aws_account_ids == frozenset({"012345678901", "111111111111"})  # YAML ate the zero
    ours = cloud_registry("012345678901.dkr.ecr.us-east-1.amazonaws.com", "a")
    theirs = cloud_registry("222222222222.dkr.ecr.us-east-1.amazonaws.com", "a")
    assert ours is not None and theirs is not None
    assert policy.foreign_account(ours) is None
    assert policy.foreign_account(theirs) == frozenset({"012345678901", "111111111111"})
    acr = cloud_registry("acmeprod.azurecr.io", "a")
    assert acr is not None and policy.foreign_account(acr) is None
    gcp = cloud_registry("europe-docker.pkg.dev", "other/r/a")
    assert gcp is not None and policy.foreign_account(gcp) is None  # gcp-projects not configured


def test_known_public_list_is_documented() -> None:
    assert "quay.io" in KNOWN_PUBLIC and "gcr.io/distroless" in KNOWN_PUBLIC
