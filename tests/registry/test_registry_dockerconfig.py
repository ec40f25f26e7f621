"""The user's own docker/podman credentials: used for the existence check only when the pod has none,
and only for the host they were stored for."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import stat
from pathlib import Path

import pytest

from pulllint.model.facts import Status
from pulllint.registry import RegistrySettings, resolve
from pulllint.registry._dockerconfig import DockerCredentials

from .conftest import PASSWORD, USER, Registry, query, secret


@pytest.fixture
def dc_settings(settings: RegistrySettings) -> RegistrySettings:
    return settings._replace(use_docker_config=True)


def _auth(user: str = USER, password: str = PASSWORD) -> dict[str, str]:
    return {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}


def write_docker_config(doc: dict[str, object], directory: Path | None = None) -> Path:
    directory = directory or Path(os.environ["HOME"]) / ".docker"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture
def helper_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake ``docker-credential-test`` on PATH; every call appends its stdin to the log."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "helper.log"
    script = bindir / "docker-credential-test"
    script.write_text(
        f"""#!/bin/sh
[ "$1" = get ] || exit 2
read -r server
echo "$server" >> "{log}"
case "$server" in
  127.0.0.1:*) printf '{{"ServerURL":"%s","Username":"{USER}","Secret":"{PASSWORD}"}}' "$server" ;;
  https://index.docker.io/v1/)
    printf '{{"ServerURL":"%s","Username":"<token>","Secret":"hub-refresh"}}' "$server" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
"""
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    return log


def _calls(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


# -- against the htpasswd registry -------------------------------------------------------------------------


def test_config_json_auths_used_when_pod_has_no_credentials(
    basic_registry: Registry, dc_settings: RegistrySettings
) -> None:
    write_docker_config({"auths": {f"https://{basic_registry.host}": _auth()}})
    found = query(basic_registry.ref("app:1.25.0"))
    missing = query(basic_registry.ref("app:1.25.9"))
    result = resolve([found, missing], dc_settings)
    assert result[found].status is Status.FOUND
    assert result[found].credential_label == f"docker config ~/.docker/config.json for {basic_registry.host}"
    assert result[found].extra["anonymous_pull"] == "denied"
    assert result[missing].status is Status.TAG_NOT_FOUND
    assert result[missing].nearest_tags[0] == "1.25.1"
    off = dc_settings._replace(use_docker_config=False)
    assert resolve([found], off)[found].status is Status.CREDENTIALS_REQUIRED


def test_config_for_another_host_is_not_used(basic_registry: Registry, dc_settings: RegistrySettings) -> None:
    port = basic_registry.host.rsplit(":", 1)[1]
    write_docker_config({"auths": {f"localhost:{port}": _auth(), "127.0.0.1:1": _auth()}})
    q = query(basic_registry.ref("app:1.25.0"))
    facts = resolve([q], dc_settings)[q]
    assert facts.status is Status.CREDENTIALS_REQUIRED


def test_docker_config_env_and_refused_credentials(
    basic_registry: Registry, dc_settings: RegistrySettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_docker_config({"auths": {basic_registry.host: _auth(password="stale")}}, tmp_path / "dcfg")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "dcfg"))
    q = query(basic_registry.ref("app:1.25.0"))
    facts = resolve([q], dc_settings)[q]
    assert facts.status is Status.CREDENTIALS_REQUIRED  # the pod is anonymous: its verdict, not the user's
    assert "refused as well" in facts.detail and "stale" not in facts.detail


@pytest.mark.parametrize("variable", ["REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR"])
def test_containers_auth_json(
    basic_registry: Registry,
    dc_settings: RegistrySettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    auth_file = tmp_path / "run" / "containers" / "auth.json"
    auth_file.parent.mkdir(parents=True)
    auth_file.write_text(json.dumps({"auths": {f"{basic_registry.host}/app": _auth()}}))
    monkeypatch.setenv(variable, str(auth_file if variable == "REGISTRY_AUTH_FILE" else tmp_path / "run"))
    in_namespace = query(basic_registry.ref("app:1.25.0"))
    outside = query(basic_registry.ref("multi:1.0"))
    result = resolve([in_namespace, outside], dc_settings)
    assert result[in_namespace].status is Status.FOUND
    label = result[in_namespace].credential_label
    assert label is not None and label.startswith("containers auth ")
    assert result[outside].status is Status.CREDENTIALS_REQUIRED


def test_cred_helper_only_without_pod_credentials_and_only_for_its_host(
    basic_registry: Registry, dc_settings: RegistrySettings, helper_log: Path, open_registry: Registry
) -> None:
    write_docker_config({"credHelpers": {basic_registry.host: "test", "other.example": "test"}})
    anonymous = query(basic_registry.ref("app:1.25.0"))
    with_pod_secret = query(basic_registry.ref("app:1.26.0"), secret("prod/old", password="wrong"))
    other_host = query(open_registry.ref("app:1.25.0"))
    result = resolve([anonymous, with_pod_secret, other_host], dc_settings)
    assert result[anonymous].status is Status.FOUND
    assert result[anonymous].credential_label == (
        "credential helper docker-credential-test (docker config ~/.docker/config.json)"
        f" for {basic_registry.host}"
    )
    assert result[with_pod_secret].status is Status.UNAUTHORIZED  # the pod's secret, not the user's helper
    assert result[other_host].status is Status.FOUND  # open registry: anonymous is enough
    assert _calls(helper_log) == [basic_registry.host]


def test_creds_store_asked_with_the_host(
    basic_registry: Registry, dc_settings: RegistrySettings, helper_log: Path
) -> None:
    write_docker_config({"credsStore": "test", "auths": {basic_registry.host: {}}})
    q = query(basic_registry.ref("app:1.25.1"))
    assert resolve([q], dc_settings)[q].status is Status.FOUND
    assert _calls(helper_log) == [basic_registry.host]


def test_helper_secret_never_in_cache_or_facts(
    basic_registry: Registry, dc_settings: RegistrySettings, helper_log: Path
) -> None:
    write_docker_config({"credHelpers": {basic_registry.host: "test"}})
    queries = [query(basic_registry.ref(r)) for r in ("app:1.25.0", "app:0.0.1", "nope:1")]
    result = resolve(queries, dc_settings)
    assert [result[q].status for q in queries] == [
        Status.FOUND,
        Status.TAG_NOT_FOUND,
        Status.REPOSITORY_NOT_FOUND,
    ]
    assert dc_settings.cache_dir
    for path in Path(dc_settings.cache_dir).rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes()
    assert all(PASSWORD not in repr(f) for f in result.values())


def test_token_registry_private_repo_with_docker_config(
    token_registry: Registry, dc_settings: RegistrySettings
) -> None:
    write_docker_config({"auths": {token_registry.host: _auth()}})
    q = query(token_registry.ref("private/app:1.25.0"))
    facts = resolve([q], dc_settings)[q]
    assert facts.status is Status.FOUND
    assert facts.extra["anonymous_pull"] == "denied"


# -- units -------------------------------------------------------------------------------------------------


def test_lookup_docker_hub_and_identity_token(helper_log: Path, tmp_path: Path) -> None:
    home = Path(os.environ["HOME"])
    write_docker_config(
        {
            "credsStore": "test",
            "auths": {
                "https://index.docker.io/v1/": {"identitytoken": "it"},
                "quay.io/org": _auth("org", "o"),
                "quay.io/org/repo": _auth("repo", "r"),
                "quay.io": _auth("any", "a"),
            },
        }
    )
    creds = DockerCredentials(timeout=5)
    hub = asyncio.run(creds.lookup("docker.io", "library/nginx"))
    assert _calls(helper_log) == ["https://index.docker.io/v1/"]
    assert [c.identity_token for c in hub] == ["hub-refresh", "it"]
    assert "hub-refresh" not in repr(hub)
    shown = repr(creds.files())
    assert "identitytoken" not in shown and _auth("org", "o")["auth"] not in shown  # ConfigFile hides auths
    quay = asyncio.run(DockerCredentials(timeout=5).lookup("quay.io", "org/repo"))
    assert [c.username for c in quay] == ["repo", "org", "any"]  # most specific first; helper had none
    assert str(home) not in quay[0].origin  # shown as ~/...


def test_malformed_config_files_are_ignored(tmp_path: Path) -> None:
    home = Path(os.environ["HOME"])
    (home / ".docker").mkdir()
    (home / ".docker" / "config.json").write_text("{not json")
    (home / ".config" / "containers").mkdir(parents=True)
    (home / ".config" / "containers" / "auth.json").write_text(json.dumps({"auths": {"a.example": "oops"}}))
    assert asyncio.run(DockerCredentials(timeout=5).lookup("a.example", "x")) == []
