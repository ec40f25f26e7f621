"""`--verify` against real registries on loopback (Debian's docker-registry, started by the registry
suite's fixtures): does the cause still hold now?"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from pulllint.cli import main
from tests.registry.conftest import PASSWORD, USER, Registry

from .conftest import FakeKubectl


def _explanations(tmp_path: Path, capsys: pytest.CaptureFixture[str], *messages: str) -> list[dict[str, Any]]:
    path = tmp_path / "messages.txt"
    path.write_text("\n".join(messages) + "\n")
    assert main(["diagnose", "--verify", "--format", "json", str(path)]) in (0, 1)
    diagnoses: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["diagnoses"]
    return diagnoses


def _containerd_not_found(image: str) -> str:
    return (
        f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack image '
        f'"{image}": failed to resolve reference "{image}": {image}: not found'
    )


def test_a_missing_tag_still_missing_with_the_nearest_tags(
    open_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [d] = _explanations(tmp_path, capsys, _containerd_not_found(open_registry.ref("app:1.25.2")))
    assert d["cause"] == "tag-not-found"
    now = d["explanation"].split("Registry now: ", 1)[1]
    assert now.startswith("the tag 1.25.2 does not exist; nearest tags: ")
    assert "1.25.1" in now and now.endswith("(the cause holds).")


def test_a_tag_that_exists_now_was_a_transient_failure(
    open_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = open_registry.ref("app:1.25.0")
    timeout = (
        f'Failed to pull image "{image}": rpc error: code = Unknown desc = failed to pull and unpack image '
        f'"{image}": failed to resolve reference "{image}": failed to do request: Head '
        f'"https://{open_registry.host}/v2/app/manifests/1.25.0": dial tcp {open_registry.host}: i/o timeout'
    )
    pushed_later = _containerd_not_found(open_registry.ref("app:1.26.0"))
    first, second = _explanations(tmp_path, capsys, timeout, pushed_later)
    assert first["explanation"].endswith(
        "Registry now: the tag exists now: the failure was transient (unreachable)."
    )
    assert (
        "Registry now: 127.0.0.1" in second["explanation"]
        and "exists now: it was pushed after" in second["explanation"]
    )


def test_platforms_named_by_the_message(
    open_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docker = (
        "rpc error: code = Unknown desc = Error response from daemon: no matching manifest for {} in the "
        "manifest list entries"
    )
    missing, present = _explanations(
        tmp_path,
        capsys,
        f'Failed to pull image "{open_registry.ref("multi:1.0")}": ' + docker.format("linux/s390x"),
        f'Failed to pull image "{open_registry.ref("dockerlist:2.0")}": ' + docker.format("linux/arm/v7"),
    )
    assert missing["class"] == "linux/s390x"
    assert "still has no linux/s390x image (it offers: linux/amd64, linux/arm64/v8" in missing["explanation"]
    assert "offers linux/arm/v7 now" in present["explanation"]


def test_a_repository_that_does_not_exist(
    open_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = open_registry.ref("nothere:1")
    [d] = _explanations(
        tmp_path,
        capsys,
        f'Failed to pull image "{image}": reading manifest 1 in {open_registry.ref("nothere")}: '
        f"name unknown: "
        "repository name not known to registry",
    )
    assert d["cause"] == "repository-not-found"
    assert "Registry now: " in d["explanation"]
    assert "does not exist" in d["explanation"].split("Registry now: ", 1)[1]


def _secret(host: str, password: str) -> dict[str, Any]:
    auth = base64.b64encode(f"{USER}:{password}".encode()).decode()
    config = json.dumps({"auths": {host: {"auth": auth}}}).encode()
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": "prod"},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64.b64encode(config).decode()},
    }


def _stuck_pod(image: str, host: str) -> dict[str, Any]:
    message = (
        f'Back-off pulling image "{image}": ErrImagePull: failed to pull and unpack image '
        f'"{image}": failed to '
        f'resolve reference "{image}": pulling from host {host} failed with status code [manifests 1.25.0]: '
        "401 Unauthorized"
    )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "app-0", "namespace": "prod"},
        "spec": {"containers": [{"name": "app", "image": image}], "imagePullSecrets": [{"name": "regcred"}]},
        "status": {
            "containerStatuses": [
                {
                    "name": "app",
                    "image": image,
                    "state": {"waiting": {"reason": "ImagePullBackOff", "message": message}},
                }
            ]
        },
    }


@pytest.mark.parametrize(
    ("password", "verdict"), [(PASSWORD, "may read it now"), ("wrong-Pa55word-xyz", "refused by")]
)
def test_kubectl_verify_uses_the_pods_pull_secret_in_memory(
    basic_registry: Registry,
    fake_kubectl: FakeKubectl,
    capsys: pytest.CaptureFixture[str],
    password: str,
    verdict: str,
) -> None:
    host = basic_registry.host
    fake_kubectl.write("pods.json", [_stuck_pod(basic_registry.ref("app:1.25.0"), host)])
    fake_kubectl.write("secrets.json", [_secret(host, password)])
    code = main(["diagnose", "--kubectl", "-n", "prod", "--verify"])
    out = capsys.readouterr().out
    assert code == 0
    assert "credentials-refused (PL403) [401] pod prod/app-0 container app" in out
    assert "  cluster: pull secrets (its own): regcred\n" in out
    assert "\n  registry now: " in out
    assert f"secret prod/regcred for {host} {verdict}" in out
    assert password not in out and base64.b64encode(f"{USER}:{password}".encode()).decode() not in out
    assert fake_kubectl.calls()[-1][:3] == ["get", "secret", "regcred"]


def test_kubectl_verify_without_rights_on_secrets(
    basic_registry: Registry, fake_kubectl: FakeKubectl, capsys: pytest.CaptureFixture[str]
) -> None:
    host = basic_registry.host
    fake_kubectl.write("pods.json", [_stuck_pod(basic_registry.ref("app:1.25.0"), host)])
    fake_kubectl.write("secrets.json", [_secret(host, PASSWORD)])
    (fake_kubectl.data / "forbid-secret").write_text("")
    assert main(["diagnose", "--kubectl", "-n", "prod", "--verify"]) == 0
    out = capsys.readouterr().out
    assert (
        "cannot read the pod's pull secrets (`kubectl get secret regcred --namespace prod -o json` failed:"
        in out
    )
    assert "verified without them" in out
    assert f"registry now: {host} requires credentials for {host}/app: anonymous pulls are refused." in out


def test_kubectl_verify_asks_for_the_nodes_platform(
    open_registry: Registry, fake_kubectl: FakeKubectl, capsys: pytest.CaptureFixture[str]
) -> None:
    image = open_registry.ref("multi:1.0")
    message = (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{image}": no match for '
        f"platform in "
        "manifest: not found"
    )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "tool-0", "namespace": "ci"},
        "spec": {"containers": [{"name": "tool", "image": image}], "nodeName": "big-iron-1"},
        "status": {
            "containerStatuses": [
                {
                    "name": "tool",
                    "image": image,
                    "state": {"waiting": {"reason": "ErrImagePull", "message": message}},
                }
            ]
        },
    }
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": "big-iron-1",
            "labels": {"kubernetes.io/arch": "s390x", "kubernetes.io/os": "linux"},
        },
    }
    fake_kubectl.write("pods.json", [pod])
    fake_kubectl.write("nodes.json", [node])
    assert main(["diagnose", "--kubectl", "-n", "ci", "--verify", "--format", "json"]) == 0
    [d] = json.loads(capsys.readouterr().out)["diagnoses"]
    assert (d["cause"], d["class"]) == ("platform-missing", None)
    assert "Registry now: " in d["explanation"]
    assert "still has no linux/s390x image (it offers: linux/amd64, linux/arm64/v8" in d["explanation"]
    assert fake_kubectl.calls()[-1][:3] == ["get", "node", "big-iron-1"]


def test_verify_with_the_users_docker_config(
    basic_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docker = Path.home() / ".docker"
    docker.mkdir()
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (docker / "config.json").write_text(json.dumps({"auths": {basic_registry.host: {"auth": auth}}}))
    image = basic_registry.ref("app:1.25.0")
    message = (
        f'Failed to pull image "{image}": rpc error: code = Unknown desc = Error response from daemon: Get '
        f'"http://{basic_registry.host}/v2/app/manifests/1.25.0": no basic auth credentials'
    )
    for fmt in ("text", "json"):
        path = tmp_path / "m.txt"
        path.write_text(message + "\n")
        assert main(["diagnose", "--verify", "--format", fmt, str(path)]) == 0
        out = capsys.readouterr().out
        assert "anonymous pulls of" in out and "are refused; it exists" in out
        assert f"the pod needs a pull secret for {basic_registry.host}" in out
        assert PASSWORD not in out and auth not in out


def test_kubectl_verify_with_the_service_accounts_pull_secret(
    basic_registry: Registry, fake_kubectl: FakeKubectl, capsys: pytest.CaptureFixture[str]
) -> None:
    host = basic_registry.host
    pod = _stuck_pod(basic_registry.ref("app:1.25.0"), host)
    del pod["spec"]["imagePullSecrets"]
    pod["spec"]["serviceAccountName"] = "builder"
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "builder", "namespace": "prod"},
        "imagePullSecrets": [{"name": "regcred"}],
    }
    fake_kubectl.write("pods.json", [pod])
    fake_kubectl.write("serviceaccounts.json", [account])
    fake_kubectl.write("secrets.json", [_secret(host, PASSWORD)])
    assert main(["diagnose", "--kubectl", "-n", "prod", "--verify"]) == 0
    out = capsys.readouterr().out
    assert "  cluster: pull secrets (its ServiceAccount builder's): regcred\n" in out
    assert f"secret prod/regcred for {host} may read it now" in out
    assert PASSWORD not in out


def _holders(needle: str, roots: list[object]) -> list[str]:
    """The modules from which some object reachable (gc referents) is a str or bytes holding `needle`."""
    import gc
    import types

    found: list[str] = []
    seen: set[int] = set()
    pending: list[tuple[object, str]] = [(root, getattr(root, "__name__", "?")) for root in roots]
    raw = needle.encode()
    while pending:
        obj, owner = pending.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            if needle in obj:
                found.append(owner)
        elif isinstance(obj, (bytes, bytearray)):
            if raw in obj:
                found.append(owner)
        elif not isinstance(obj, (int, float, type(None), types.FrameType)):
            pending.extend((child, owner) for child in gc.get_referents(obj))
    return found


def test_no_pull_secret_outlives_the_run(
    basic_registry: Registry, fake_kubectl: FakeKubectl, capsys: pytest.CaptureFixture[str]
) -> None:
    import gc
    import secrets
    import sys

    host = basic_registry.host
    password = "pw-" + secrets.token_hex(16)
    fake_kubectl.write("pods.json", [_stuck_pod(basic_registry.ref("app:1.25.0"), host)])
    fake_kubectl.write("secrets.json", [_secret(host, password)])
    assert main(["diagnose", "--kubectl", "-n", "prod", "--verify"]) == 0
    assert password not in capsys.readouterr().out
    gc.collect()
    roots: list[object] = [
        module
        for name, module in list(sys.modules.items())
        if module is not None and not name.startswith(("tests", "_pytest", "pytest", "pluggy", "__main__"))
    ]
    assert _holders(password, roots) == []
