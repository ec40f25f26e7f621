"""Fixtures: real registries on loopback (open, htpasswd, token, TLS), shared per session.

Registry tests are skipped, with the reason, only when Debian's docker-registry is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pulllint.images import parse_image
from pulllint.model.credentials import RegistryCredential
from pulllint.model.facts import ImageQuery, Platform
from pulllint.registry import RegistrySettings

from ._support import (
    KeyPair,
    PushedImage,
    Pusher,
    RegistryProcess,
    TokenServer,
    make_ca,
    make_server_cert,
    registry_available,
    start_registry,
)

SKIP_REASON = (
    "Debian's docker-registry is not installed (/usr/bin/docker-registry): apt-get install docker-registry"
)
APP_TAGS = ("1.25.0", "1.25.1", "1.26.0", "1.24.9-alpine", "latest")
USER, PASSWORD = "alice", "s3cret-Pa55word-for-tests"
PUSHER, PUSHER_PASSWORD = "pusher", "pusher-Pa55word"
REFRESH_TOKEN = "alice-refresh-token-value"


@dataclass
class Registry:
    """A running registry and what was pushed to it (``images["repo:tag"]``)."""

    process: RegistryProcess
    images: dict[str, PushedImage] = field(default_factory=dict)
    token_server: TokenServer | None = None
    ca: KeyPair | None = None
    ca_file: str | None = None

    @property
    def host(self) -> str:
        return self.process.host

    def ref(self, rest: str) -> str:
        return f"{self.host}/{rest}"


def query(
    text: str,
    *credentials: RegistryCredential,
    platform: str | None = None,
) -> ImageQuery:
    return ImageQuery(parse_image(text), tuple(credentials), Platform.parse(platform) if platform else None)


def secret(name: str, username: str = USER, password: str = PASSWORD, **kw: str) -> RegistryCredential:
    return RegistryCredential(
        origin=f"secret {name}", registry_key="*", username=username, password=password, **kw
    )


@pytest.fixture
def settings(tmp_path: Path) -> RegistrySettings:
    """Fast, isolated settings: a per-test cache directory, short timeouts, no user docker config."""
    return RegistrySettings(cache_dir=str(tmp_path / "cache"), timeout_seconds=5.0, use_docker_config=False)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the real user's docker config or proxies (tests/conftest.py gives each its own cache)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for name in (
        "DOCKER_CONFIG",
        "REGISTRY_AUTH_FILE",
        "XDG_RUNTIME_DIR",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
    ):
        monkeypatch.delenv(name, raising=False)


def _require_registry() -> None:
    if not registry_available():
        pytest.skip(SKIP_REASON)


def populate(pusher: Pusher, prefix: str = "") -> dict[str, PushedImage]:
    images: dict[str, PushedImage] = {}
    for tag in APP_TAGS:
        images[f"{prefix}app:{tag}"] = pusher.image(f"{prefix}app", tag, salt=tag)
    images[f"{prefix}multi:1.0"] = pusher.index(
        f"{prefix}multi", "1.0", [("linux", "amd64", None), ("linux", "arm64", "v8")], attestation=True
    )
    images[f"{prefix}dockerlist:2.0"] = pusher.index(
        f"{prefix}dockerlist", "2.0", [("linux", "amd64", None), ("linux", "arm", "v7")], docker=True
    )
    images[f"{prefix}dockerv2:1.0"] = pusher.image(
        f"{prefix}dockerv2", "1.0", architecture="arm64", docker=True
    )
    return images


@pytest.fixture(scope="session")
def open_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    _require_registry()
    process = start_registry(tmp_path_factory.mktemp("open-registry"))
    pusher = Pusher(process.url)
    try:
        yield Registry(process, populate(pusher))
    finally:
        pusher.close()
        process.stop()


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    _require_registry()
    htpasswd = shutil.which("htpasswd")
    if htpasswd is None:
        pytest.fail("htpasswd (apache2-utils) is needed for the basic-auth registry tests")
    workdir = tmp_path_factory.mktemp("basic-registry")
    lines = [
        subprocess.run(
            [htpasswd, "-Bbn", user, pw], check=True, capture_output=True, text=True
        ).stdout.strip()
        for user, pw in ((USER, PASSWORD), (PUSHER, PUSHER_PASSWORD))
    ]
    (workdir / "htpasswd").write_text("\n".join(lines) + "\n")
    process = start_registry(
        workdir, auth={"htpasswd": {"realm": "pulllint-basic", "path": str(workdir / "htpasswd")}}
    )
    pusher = Pusher(process.url, basic=(PUSHER, PUSHER_PASSWORD))
    try:
        yield Registry(process, populate(pusher))
    finally:
        pusher.close()
        process.stop()


def _grant(user: str | None, repository: str) -> set[str]:
    if user == PUSHER:
        return {"pull", "push"}
    if repository.startswith("public/"):
        return {"pull"}
    if user == USER and repository.startswith("private/"):
        return {"pull"}
    return set()


@pytest.fixture(scope="session")
def token_server() -> Iterator[TokenServer]:
    server = TokenServer(
        users={USER: PASSWORD, PUSHER: PUSHER_PASSWORD}, grant=_grant, refresh_tokens={REFRESH_TOKEN: USER}
    ).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory, token_server: TokenServer) -> Iterator[Registry]:
    _require_registry()
    workdir = tmp_path_factory.mktemp("token-registry")
    process = start_registry(workdir, auth=token_server.registry_auth_config(workdir))

    def token_for(repository: str) -> str:
        return token_server.make_token(
            PUSHER, [{"type": "repository", "name": repository, "actions": ["pull", "push"]}]
        )

    pusher = Pusher(process.url, token_for=token_for)
    try:
        images = populate(pusher, "public/") | populate(pusher, "private/")
        yield Registry(process, images, token_server=token_server)
    finally:
        pusher.close()
        process.stop()


@pytest.fixture(scope="session")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    _require_registry()
    workdir = tmp_path_factory.mktemp("tls-registry")
    ca = make_ca()
    ca_file = workdir / "ca.pem"
    ca_file.write_bytes(ca.cert_pem)
    # The server sends its whole chain (leaf + CA), as many registries do.
    process = start_registry(workdir, tls=make_server_cert(ca), tls_chain=[ca])
    pusher = Pusher(process.url, ca_file=str(ca_file))
    try:
        images = {"app:1.0": pusher.image("app", "1.0")}
        yield Registry(process, images, ca=ca, ca_file=str(ca_file))
    finally:
        pusher.close()
        process.stop()
