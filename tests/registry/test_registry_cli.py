"""End to end: `pulllint check` against real registries on loopback, as a user runs it.

The pod's own pull secrets (from the manifests) are what PL403 judges; nothing else is sent.
"""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path
from typing import Any

import pytest

from pulllint.cli import main

from .conftest import PASSWORD, USER, Registry


def _secret(host: str, password: str) -> str:
    auth = base64.b64encode(f"{USER}:{password}".encode()).decode()
    config = json.dumps({"auths": {host: {"auth": auth}}})
    return (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: regcred}\ntype: kubernetes.io/dockerconfigjson\n"
        f"data:\n  .dockerconfigjson: {base64.b64encode(config.encode()).decode()}\n"
    )


def _pod(name: str, image: str, extra: str = "") -> str:
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n{extra}"
        f"  containers:\n    - name: c\n      image: {image}\n"
    )


def _check(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str], *flags: str, exit_code: int
) -> list[dict[str, Any]]:
    manifest = tmp_path / "pods.yaml"
    manifest.write_text(text)
    cache = tmp_path / "cache"
    code = main(
        ["check", "--format", "json", "--cache-dir", str(cache), "--no-docker-config", *flags, str(manifest)]
    )
    out = capsys.readouterr().out
    assert code == exit_code, out
    diagnostics: list[dict[str, Any]] = json.loads(out)["diagnostics"]
    return diagnostics


def test_open_registry_verdicts(
    open_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host = open_registry.host
    text = "---\n".join(
        [
            _pod("exists", f"{host}/app:1.25.0"),
            _pod("typo", f"{host}/app:1.25.2"),
            _pod("arm", f"{host}/multi:1.0", "  nodeSelector: {kubernetes.io/arch: arm64}\n"),
            _pod("s390x", f"{host}/multi:1.0", "  nodeSelector: {kubernetes.io/arch: s390x}\n"),
            _pod("single-arm64", f"{host}/dockerv2:1.0"),
        ]
    )
    found = {(d["object"], d["code"]): d for d in _check(tmp_path, text, capsys, exit_code=1)}
    assert set(found) == {("Pod/typo", "PL401"), ("Pod/s390x", "PL404"), ("Pod/single-arm64", "PL404")}
    typo = found[("Pod/typo", "PL401")]
    assert typo["line"] == 15 and "1.25.1" in typo["message"] and "1.25.0" in typo["message"]
    assert "linux/arm64" in found[("Pod/s390x", "PL404")]["message"]
    # A pod that names no platform is checked for linux/amd64; this image is arm64 only.
    assert "linux/amd64" in found[("Pod/single-arm64", "PL404")]["message"]


def test_pod_credentials_judged_and_never_shown(
    basic_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host = basic_registry.host
    good = (
        _secret(host, PASSWORD)
        + "---\n"
        + _pod("ok", f"{host}/app:1.26.0", "  imagePullSecrets: [{name: regcred}]\n")
    )
    assert _check(tmp_path, good, capsys, exit_code=0) == []

    wrong = "wrong-" + PASSWORD
    bad = (
        _secret(host, wrong)
        + "---\n"
        + _pod("refused", f"{host}/app:1.26.0", "  imagePullSecrets: [{name: regcred}]\n")
    )
    manifest_text = bad
    diagnostics = _check(tmp_path, manifest_text, capsys, exit_code=1)
    assert [(d["object"], d["code"]) for d in diagnostics] == [("Pod/refused", "PL403")]
    assert "secret regcred" in diagnostics[0]["message"] and host in diagnostics[0]["message"]
    rendered = json.dumps(diagnostics)
    assert wrong not in rendered and base64.b64encode(f"{USER}:{wrong}".encode()).decode() not in rendered
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            assert wrong.encode() not in path.read_bytes()


def test_unreachable_registry_is_info_and_does_not_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "pods.yaml"
    manifest.write_text(_pod("down", "127.0.0.1:1/team/app:1.0"))
    assert main(["check", "--cache-dir", str(tmp_path / "c"), str(manifest)]) == 0
    out = capsys.readouterr().out
    assert "PL405 info could not verify 127.0.0.1:1/team/app:1.0 (refused)" in out
    assert main(["check", "--fail-on", "info", "--cache-dir", str(tmp_path / "c"), str(manifest)]) == 1


def test_offline_asks_nothing(
    open_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = _pod("typo", f"{open_registry.host}/app:9.9.9")
    assert _check(tmp_path, typo, capsys, "--offline", exit_code=0) == []
    assert not (tmp_path / "cache").exists()  # nothing asked, nothing cached
    # Online, the same manifest is judged: the registry says the tag does not exist.
    assert [d["code"] for d in _check(tmp_path, typo, capsys, exit_code=1)] == ["PL401"]
    # No connection at all: a listener on loopback is never dialled by an offline run.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        image = f"127.0.0.1:{listener.getsockname()[1]}/team/app:1.0"
        assert _check(tmp_path, _pod("quiet", image), capsys, "--offline", exit_code=0) == []
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_registry_mirror_is_asked_first(
    open_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The runtime pulls the registry through its mirror (hosts.toml / registries.conf): pulllint asks
    the mirror first, and falls back to the registry itself as the runtime does."""
    upstream = "127.0.0.1:9"  # closed: only the mirror can answer
    text = "---\n".join(
        [_pod("mirrored", f"{upstream}/app:1.25.0"), _pod("not-mirrored", f"{upstream}/app:0.0.1")]
    )
    (tmp_path / "conf").mkdir()
    config = tmp_path / "conf" / "mirrors.yaml"  # named, not the manifests' nearest configuration
    config.write_text(f"cluster:\n  registry-mirrors: {{'{upstream}': '{open_registry.host}'}}\n")
    found = _check(tmp_path, text, capsys, "--config", str(config), exit_code=0)
    # The mirror serves app:1.25.0; app:0.0.1 it does not, so the registry is asked, and it is down.
    assert [(d["object"], d["code"]) for d in found] == [("Pod/not-mirrored", "PL405")]
    unmirrored = _check(tmp_path, text, capsys, exit_code=0)
    assert sorted(d["object"] for d in unmirrored if d["code"] == "PL405") == [
        "Pod/mirrored",
        "Pod/not-mirrored",
    ]
