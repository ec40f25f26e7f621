"""The kubelet's keyring (pkg/credentialprovider keyring.go), case by case.

The tables restate the cases of Kubernetes' keyring_test.go (TestUrlsMatch, TestDockerKeyringForGlob,
TestKeyringMiss, the Docker Hub fallbacks, TestIsDefaultRegistryMatch, TestDockerKeyringLookup,
TestIssue3797) plus pulllint's own edge cases.
"""

from __future__ import annotations

import pytest

from pulllint.model.keyring import (
    Keyring,
    display_key,
    explain_miss,
    is_default_registry_match,
    normalize_key,
    urls_match,
)


@pytest.mark.parametrize(
    ("key", "target", "expected"),
    [
        # no path component
        ("*.kubernetes.io", "prefix.kubernetes.io", True),
        ("prefix.*.io", "prefix.kubernetes.io", True),
        ("prefix.kubernetes.*", "prefix.kubernetes.io", True),
        ("*-good.kubernetes.io", "prefix-good.kubernetes.io", True),
        # with paths
        ("*.kubernetes.io/blah", "prefix.kubernetes.io/blah", True),
        ("prefix.*.io/foo", "prefix.kubernetes.io/foo/bar", True),
        # with paths and ports
        ("*.kubernetes.io:1111/blah", "prefix.kubernetes.io:1111/blah", True),
        ("prefix.*.io:1111/foo", "prefix.kubernetes.io:1111/foo/bar", True),
        # the number of labels differs
        ("*.kubernetes.io", "kubernetes.io", False),
        ("*.*.kubernetes.io", "prefix.kubernetes.io", False),
        ("*.*.kubernetes.io", "kubernetes.io", False),
        # a label differs
        ("kubernetes.io", "kubernetes.com", False),
        ("k*.io", "quay.io", False),
        # ports differ (no port is a port of its own)
        ("*.kubernetes.io:1234/blah", "prefix.kubernetes.io:1111/blah", False),
        ("prefix.*.io/foo", "prefix.kubernetes.io:1111/foo/bar", False),
        # pulllint's own: globs per label, string path prefix, case, IPv6
        ("reg-[0-9].example.com", "reg-7.example.com", True),
        ("reg-[^0-9].example.com", "reg-7.example.com", False),
        # "?" starts a URL's query: in a key it never reaches the glob (Go's url.Parse cuts it off)
        ("reg-?.example.com", "reg-a.example.com", False),
        ("[.example.com", "a.example.com", False),  # a malformed glob matches nothing
        ("quay.io/team", "quay.io/teammates/app", True),
        ("quay.io/team/", "quay.io/teammates/app", False),
        ("Registry.example.com", "registry.example.com/app", False),
        ("[::1]:5000", "[::1]:5000/app", True),
        ("[::1]:5000", "[::1]:5001/app", False),
        ("[::1]", "[::1]/app", True),
        ("[::1]", "[::1]:5000/app", False),
        ("127.0.0.1:5000", "localhost:5000/app", False),  # the kubelet compares names, not addresses
    ],
)
def test_urls_match(key: str, target: str, expected: bool) -> None:
    assert urls_match(key, target) is expected


def _keyring(*entries: tuple[str, str]) -> Keyring[str]:
    return Keyring(entries)


@pytest.mark.parametrize(
    ("key", "target"),
    [
        ("https://hello.kubernetes.io", "hello.kubernetes.io"),
        ("https://*.docker.io", "prefix.docker.io"),
        ("https://prefix.*.io", "prefix.docker.io"),
        ("https://prefix.docker.*", "prefix.docker.io"),
        ("https://*.docker.io/path", "prefix.docker.io/path"),
        ("https://prefix.*.io/path", "prefix.docker.io/path/subpath"),
        ("https://prefix.docker.*/path", "prefix.docker.io/path"),
        ("https://*.docker.io:8888", "prefix.docker.io:8888"),
        ("https://prefix.*.io:8888", "prefix.docker.io:8888"),
        ("https://prefix.docker.*:8888", "prefix.docker.io:8888"),
        ("https://*.docker.io/path:1111", "prefix.docker.io/path:1111"),
        ("https://*.docker.io/v1/", "prefix.docker.io/path:1111"),
        ("https://*.docker.io/v2/", "prefix.docker.io/path:1111"),
        ("https://prefix.docker.*/path:1111", "prefix.docker.io/path:1111"),
        ("prefix.docker.io:1111", "prefix.docker.io:1111/path"),
        ("*.docker.io:1111", "prefix.docker.io:1111/path"),
        ("http://plain.example.com", "plain.example.com"),
    ],
)
def test_keyring_hits_globs(key: str, target: str) -> None:
    assert _keyring((key, "cred")).lookup(target + "/foo/bar") == ("cred",)


@pytest.mark.parametrize(
    ("key", "target"),
    [
        ("https://hello.kubernetes.io", "world.mesos.org/foo/bar"),
        ("https://*.docker.com", "prefix.docker.io"),
        ("https://suffix.*.io", "prefix.docker.io"),
        ("https://prefix.docker.c*", "prefix.docker.io"),
        ("https://prefix.*.io/path:1111", "prefix.docker.io/path/subpath:1111"),
        ("suffix.*.io", "prefix.docker.io"),
        # a key the kubelet cannot parse is ignored
        ("https://exa mple.com", "exa mple.com"),
        ("registry.example.com:port", "registry.example.com"),
    ],
)
def test_keyring_misses(key: str, target: str) -> None:
    assert _keyring((key, "cred")).lookup(target + "/foo/bar") == ()


def test_docker_hub_credentials_do_not_leak_to_other_hosts() -> None:
    assert _keyring(("https://index.docker.io/v1/", "hub")).lookup("world.mesos.org/foo/bar") == ()


@pytest.mark.parametrize(
    "image",
    [
        "google/docker-registry",  # unqualified
        "jenkins",  # unqualified official image
        "index.docker.io/v1//google/docker-registry",  # qualified with the key itself
        "docker.io/library/nginx",  # what the kubelet passes: the normalised name
        "docker.io/bitnami/redis",
        "index.docker.io/library/busybox",
    ],
)
def test_docker_hub_key_covers_docker_hub_images(image: str) -> None:
    assert _keyring(("https://index.docker.io/v1/", "hub")).lookup(image) == ("hub",)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("https://index.docker.io/v1/", ("hub",)),
        ("index.docker.io", ("hub",)),
        ("https://index.docker.io/v2/", ("hub",)),
        ("docker.io", ("hub",)),  # matches docker.io/... directly
        ("https://registry-1.docker.io", ()),  # three labels against two
        ("registry.hub.docker.com", ()),
    ],
)
def test_docker_hub_key_aliases(key: str, expected: tuple[str, ...]) -> None:
    assert _keyring((key, "hub")).lookup("docker.io/library/nginx") == expected


def test_docker_hub_fallback_only_when_nothing_else_matches() -> None:
    keyring = _keyring(("https://index.docker.io/v1/", "hub"), ("docker.io/acme", "acme"))
    assert keyring.lookup("docker.io/acme/app") == ("acme",)
    assert keyring.lookup("docker.io/library/nginx") == ("hub",)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("foo/bar", True),
        ("docker.io/foo/bar", True),
        ("index.docker.io/foo/bar", True),
        ("foo", True),
        ("", False),
        ("registry.tld/foo/bar", False),
        ("registry:5000/foo/bar", False),
        ("myhostdocker.io/foo/bar", False),
    ],
)
def test_is_default_registry_match(image: str, expected: bool) -> None:
    assert is_default_registry_match(image) is expected


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("bar.example.com", ("ada",)),  # direct match
        ("bar.example.com/pong", ("grace", "ada")),  # deeper match first, every match tried
        ("bar.example.com/ping", ("ada",)),  # no deeper match
        ("bar.example.com/pongz", ("grace", "ada")),  # a path is a string prefix
        ("bar.example.com/pong/pang", ("grace", "ada")),
        ("example.com", ()),
        ("foo.example.com", ()),
    ],
)
def test_lookup_order_and_every_match(image: str, expected: tuple[str, ...]) -> None:
    keyring = _keyring(("bar.example.com/pong", "grace"), ("bar.example.com", "ada"))
    assert keyring.lookup(image) == expected


@pytest.mark.parametrize("image", ["quay.io", "quay.io/foo", "quay.io/foo/bar"])
def test_scheme_and_v1_path_mean_the_host(image: str) -> None:
    assert _keyring(("https://quay.io/v1/", "rex")).lookup(image) == ("rex",)


def test_same_key_in_several_secrets_keeps_their_order() -> None:
    keyring = _keyring(("quay.io", "first"), ("https://quay.io", "second"), ("quay.io/", "third"))
    assert keyring.lookup("quay.io/acme/app") == ("first", "second", "third")
    assert keyring.keys == ("quay.io",)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("https://index.docker.io/v1/", "index.docker.io"),
        ("http://registry.example.com/", "registry.example.com"),
        ("registry.example.com:5000/team", "registry.example.com:5000/team"),
        ("https://registry.example.com/v2/team", "registry.example.com/team"),
        ("https://user@registry.example.com", "registry.example.com"),
        ("registry.example.com?x=1#y", "registry.example.com"),
        ("https://registry.example.com/a%2Fb", "registry.example.com/a/b"),
        ("https://registry.example.com/a%zz", None),
        ("exa mple.com", None),
        ("example.com:abc", None),
        ("tab\tinside.example.com", None),
    ],
)
def test_normalize_key(raw: str, key: str | None) -> None:
    assert normalize_key(raw) == key


@pytest.mark.parametrize(
    ("key", "image", "fragment"),
    [
        ("registry.example.com:5000", "registry.example.com/app", "has port 5000"),
        ("registry.example.com", "registry.example.com:443/app", "has no port"),
        ("*.example.com", "example.com/app", "each glob label stands for exactly one label"),
        ("*.example.com", "a.b.example.com/app", "hosts of 3 labels"),
        ("registry.example.com/team", "registry.example.com/other/app", "limited to the path '/team'"),
        ("Registry.example.com", "registry.example.com/app", "letter case"),
        ("reg-[0-9].example.com", "reg-x.example.com/app", "does not match the label 'reg-x'"),
        ("bad key", "registry.example.com/app", "not a valid registry URL"),
    ],
)
def test_explain_miss(key: str, image: str, fragment: str) -> None:
    reason = explain_miss(key, image)
    assert reason is not None and fragment in reason


@pytest.mark.parametrize(
    ("key", "image"),
    [("quay.io", "registry.example.com/app"), ("registry.example.com", "registry.example.com/app")],
)
def test_explain_miss_is_silent_for_unrelated_or_matching_keys(key: str, image: str) -> None:
    assert explain_miss(key, image) is None


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("https://robot:secret@registry.example.com/v1/", "https://registry.example.com/v1/"),
        ("robot:secret@registry.example.com:5000/team", "registry.example.com:5000/team"),
        ("https://registry.example.com/?token=secret#x", "https://registry.example.com/"),
        ("quay.io/team", "quay.io/team"),
    ],
)
def test_display_key_drops_userinfo_query_and_fragment(raw: str, shown: str) -> None:
    assert display_key(raw) == shown
    assert normalize_key(shown) == normalize_key(raw)
