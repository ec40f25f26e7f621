"""Host knowledge both wings share: Docker Hub's names, loopback, host[:port], the docker CLI's key lookup."""

from __future__ import annotations

import pytest

from pulllint.hosts import (
    DOCKER_HUB_ALIASES,
    HostPort,
    canonical_host,
    docker_config_key,
    is_docker_hub,
    is_loopback,
    parse_host_port,
    split_host_port,
)
from pulllint.model.keyring import normalize_key, urls_match


@pytest.mark.parametrize(
    ("text", "parsed", "split"),
    [
        ("registry.example.com", HostPort("registry.example.com", ""), ("registry.example.com", None)),
        (
            "Registry.Example.com:5000",
            HostPort("Registry.Example.com", "5000"),
            ("registry.example.com", 5000),
        ),
        ("[::1]:5000", HostPort("::1", "5000"), ("::1", 5000)),
        ("[::1]", HostPort("::1", ""), ("::1", None)),
        ("::1", HostPort("::1", ""), ("::1", None)),  # unbracketed IPv6: no port
        ("[fe80::1]:443", HostPort("fe80::1", "443"), ("fe80::1", 443)),
        ("127.0.0.2:5000", HostPort("127.0.0.2", "5000"), ("127.0.0.2", 5000)),
        ("host:", HostPort("host", ""), ("host", None)),
        ("host:abc", HostPort("host", "abc"), ("host", None)),  # not a number: no port to compare
        ("[::1", HostPort("[::1", ""), ("[::1", None)),  # Go refuses it; the text stays as it is
        ("[::1]x", HostPort("[::1]x", ""), ("[::1]x", None)),
    ],
)
def test_host_port(text: str, parsed: HostPort, split: tuple[str, int | None]) -> None:
    assert parse_host_port(text) == parsed
    assert split_host_port(text) == split


@pytest.mark.parametrize(
    "hostport",
    [
        "localhost",
        "LOCALHOST:5000",
        "127.0.0.1",
        "127.0.0.2:5000",
        "127.255.255.254:80",
        "[::1]:5000",
        "[::1]",
        "::1",
        "[0:0:0:0:0:0:0:1]:5000",
    ],
)
def test_loopback(hostport: str) -> None:
    assert is_loopback(hostport)


@pytest.mark.parametrize(
    "hostport",
    [
        "128.0.0.1:5000",
        "10.0.0.1",
        "127.example.com",
        "127.0.0.256",
        "127.0.0.01",  # a leading zero: not an address for Go or Python
        "127.1",
        "localhost.example.com",
        "[::2]:5000",
        "[fe80::1]",
        "registry.example.com:5000",
    ],
)
def test_not_loopback(hostport: str) -> None:
    assert not is_loopback(hostport)


def test_docker_hub_has_one_table_of_names() -> None:
    assert {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"} == set(
        DOCKER_HUB_ALIASES
    )
    assert all(
        is_docker_hub(name.upper()) and canonical_host(name) == "docker.io" for name in DOCKER_HUB_ALIASES
    )
    assert not is_docker_hub("docker.io.example.com")
    assert canonical_host("Quay.IO") == "quay.io"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("https://index.docker.io/v1/", ("docker.io", "")),
        ("index.docker.io", ("docker.io", "")),
        ("HTTPS://registry-1.docker.io", ("docker.io", "")),
        ("docker.io/team", ("docker.io", "team")),
        ("registry.hub.docker.com/acme", ("docker.io", "acme")),
        ("http://Registry.Example.com:5000/v2/", ("registry.example.com:5000", "")),
        ("quay.io/org/repo/", ("quay.io", "org/repo")),
        ("  quay.io  ", ("quay.io", "")),
    ],
)
def test_docker_config_key(key: str, expected: tuple[str, str]) -> None:
    assert docker_config_key(key) == expected


@pytest.mark.parametrize(
    ("key", "image", "docker_cli", "kubelet_covers"),
    [
        # Docker Hub's API host: the docker CLI's lookup files it under Docker Hub; for the kubelet it is a
        # three-label host that docker.io/library/nginx (two labels) never matches.
        ("registry-1.docker.io", "docker.io/library/nginx", ("docker.io", ""), False),
        # Letter case: the docker CLI folds it; the kubelet compares exactly.
        ("Quay.io", "quay.io/acme/app", ("quay.io", ""), False),
        # A glob: a label pattern for the kubelet, a literal (and so useless) host for the docker CLI.
        ("*.example.com", "registry.example.com/app", ("*.example.com", ""), True),
    ],
)
def test_the_two_key_semantics_differ(
    key: str, image: str, docker_cli: tuple[str, str], kubelet_covers: bool
) -> None:
    image_host = image.partition("/")[0]
    assert (docker_config_key(key)[0] == canonical_host(image_host)) is not kubelet_covers
    assert docker_config_key(key) == docker_cli
    kubelet_key = normalize_key(key)
    assert kubelet_key is not None and urls_match(kubelet_key, image) is kubelet_covers
