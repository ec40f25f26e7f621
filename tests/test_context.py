"""Repository and cluster context: what the cluster holds informs verdicts and is never reported on."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from pulllint.cli import main
from pulllint.config import parse_config
from pulllint.context import load_context
from pulllint.model.facts import Platform

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: prod}
spec:
  template:
    spec:
      serviceAccountName: builder
      containers:
        - name: web
          image: registry.example.com/team/web:1.0
"""

ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder, namespace: prod}
imagePullSecrets: [{name: regcred}]
"""


def _secret(name: str, namespace: str, host: str, password: str = "hunter2") -> str:
    auth = base64.b64encode(f"robot:{password}".encode()).decode()
    payload = json.dumps({"auths": {host: {"auth": auth}}})
    return (
        f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
        f"type: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{payload}'\n"
    )


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / ".git").mkdir()
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def _check(
    repo: Path, *args: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, list[tuple[str, str, str, int, int, str]]]:
    monkeypatch.chdir(repo)
    code = main(["check", "--offline", "--format", "json", *args])
    out = capsys.readouterr().out
    found = [
        (d["code"], d["severity"], d["file"], d["line"], d["column"], d["message"])
        for d in json.loads(out)["diagnostics"]
    ]
    return code, found


def test_staged_deployment_finds_its_service_account_in_the_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """pre-commit passes the Deployment alone; its ServiceAccount and Secret live in other files."""
    repo = _repo(
        tmp_path,
        {
            "apps/web.yaml": DEPLOYMENT,
            "platform/accounts.yaml": ACCOUNT,
            "platform/secrets.yaml": _secret("regcred", "prod", "registry.example.com"),
        },
    )
    code, found = _check(repo, "apps/web.yaml", capsys=capsys, monkeypatch=monkeypatch)
    assert (code, [f[0] for f in found]) == (0, [])


def test_context_can_be_turned_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(
        tmp_path,
        {
            ".pulllint.yaml": "repository-context: false\n",
            "apps/web.yaml": DEPLOYMENT,
            "platform/accounts.yaml": ACCOUNT,
        },
    )
    code, found = _check(repo, "apps/web.yaml", capsys=capsys, monkeypatch=monkeypatch)
    # The ServiceAccount is then unknown: a warning saying so, not an error; the build passes.
    assert code == 0
    assert [(f[0], f[1], f[3], f[4]) for f in found] == [("PL201", "warning", 10, 18)]
    assert "ServiceAccount 'builder' is not in the input" in found[0][5]


def test_context_globs_limit_what_is_indexed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(
        tmp_path,
        {
            ".pulllint.yaml": "repository-context: ['platform/**']\n",
            "apps/web.yaml": DEPLOYMENT,
            "platform/accounts.yaml": ACCOUNT,
            "platform/secrets.yaml": _secret("regcred", "prod", "registry.example.com"),
        },
    )
    _, found = _check(repo, "apps/web.yaml", capsys=capsys, monkeypatch=monkeypatch)
    assert found == []


def test_unknown_default_service_account_is_a_warning_that_says_how_to_declare_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path, {"web.yaml": DEPLOYMENT.replace("      serviceAccountName: builder\n", "")})
    code, found = _check(repo, "web.yaml", capsys=capsys, monkeypatch=monkeypatch)
    assert code == 0
    assert [(f[0], f[1], f[3], f[4]) for f in found] == [("PL201", "warning", 9, 18)]
    diagnostics = json.loads(json.dumps(found))
    assert "'default'" in diagnostics[0][5]


def test_known_service_account_without_secrets_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(
        tmp_path,
        {"web.yaml": DEPLOYMENT, "sa.yaml": ACCOUNT.replace("imagePullSecrets: [{name: regcred}]\n", "")},
    )
    code, found = _check(repo, "web.yaml", capsys=capsys, monkeypatch=monkeypatch)
    assert code == 1
    assert [(f[0], f[1], f[3], f[4]) for f in found] == [("PL201", "error", 10, 18)]


def test_declared_cluster_secrets_and_accounts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = (
        "cluster:\n"
        "  service-accounts: {prod/builder: [regcred]}\n"
        "  pull-secrets: {regcred: ['*.example.com']}\n"
    )
    repo = _repo(tmp_path, {".pulllint.yaml": config, "web.yaml": DEPLOYMENT})
    code, found = _check(repo, "web.yaml", capsys=capsys, monkeypatch=monkeypatch)
    assert (code, found) == (0, [])
    # A declared Secret that covers another registry: the host mismatch is known, so an error.
    (repo / ".pulllint.yaml").write_text(config.replace("*.example.com", "quay.io"), encoding="utf-8")
    code, found = _check(repo, "web.yaml", capsys=capsys, monkeypatch=monkeypatch)
    assert code == 1 and [(f[0], f[1], f[3]) for f in found] == [("PL204", "error", 10)]


def test_declared_secret_without_hosts_is_never_a_mismatch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = "cluster:\n  service-accounts: {builder: [regcred]}\n  pull-secrets: {regcred: []}\n"
    repo = _repo(tmp_path, {".pulllint.yaml": config, "web.yaml": DEPLOYMENT})
    assert _check(repo, "web.yaml", capsys=capsys, monkeypatch=monkeypatch) == (0, [])


def test_node_credentials_need_no_pull_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = "cluster:\n  service-accounts: {builder: []}\n  node-credentials: [registry.example.com]\n"
    repo = _repo(tmp_path, {".pulllint.yaml": config, "web.yaml": DEPLOYMENT})
    assert _check(repo, "web.yaml", capsys=capsys, monkeypatch=monkeypatch) == (0, [])


def test_secret_only_in_another_namespace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(
        tmp_path,
        {
            "web.yaml": DEPLOYMENT,
            "sa.yaml": ACCOUNT,
            "ci.yaml": _secret("regcred", "ci", "registry.example.com"),
        },
    )
    code, found = _check(repo, "web.yaml", capsys=capsys, monkeypatch=monkeypatch)
    assert code == 1
    assert [(f[0], f[1], f[3], f[4]) for f in found] == [("PL207", "error", 7, 27)]
    assert "namespace 'prod'" in found[0][5] and "namespace 'ci'" in found[0][5]


def test_cluster_dump_informs_and_is_never_reported_nor_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    password = "dump-" + os.urandom(8).hex()
    dump = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            json.loads(
                json.dumps(
                    {
                        "apiVersion": "v1",
                        "kind": "ServiceAccount",
                        "metadata": {"name": "builder", "namespace": "prod"},
                        "imagePullSecrets": [{"name": "regcred"}],
                    }
                )
            ),
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "regcred", "namespace": "prod"},
                "type": "kubernetes.io/dockerconfigjson",
                "data": {
                    ".dockerconfigjson": base64.b64encode(
                        json.dumps(
                            {"auths": {"registry.example.com": {"username": "robot", "password": password}}}
                        ).encode()
                    ).decode()
                },
            },
            # A broken Secret in the dump: the cluster's business, never reported.
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "broken", "namespace": "prod"},
                "type": "kubernetes.io/dockerconfigjson",
                "data": {".dockerconfigjson": "!!"},
            },
        ],
    }
    repo = _repo(tmp_path, {"web.yaml": DEPLOYMENT, "../dumps/cluster.json": json.dumps(dump)})
    monkeypatch.chdir(repo)
    for fmt in ("json", "text", "sarif", "github", "gitlab", "junit", "markdown"):
        code = main(["check", "--offline", "--format", fmt, "--context", "../dumps/cluster.json", "web.yaml"])
        output = capsys.readouterr()
        assert code == 0, output.out
        assert password not in output.out + output.err
    # Without the dump, the ServiceAccount is unknown again.
    code = main(["check", "--offline", "--format", "json", "web.yaml"])
    assert [d["code"] for d in json.loads(capsys.readouterr().out)["diagnostics"]] == ["PL201"]


def test_nodes_in_the_context_give_the_cluster_platforms(tmp_path: Path) -> None:
    nodes = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": name},
                "status": {
                    "nodeInfo": {
                        "architecture": arch,
                        "containerRuntimeVersion": "containerd://1.7.2",
                        "kernelVersion": "6.1",
                        "operatingSystem": "linux",
                    }
                },
            }
            for name, arch in (("a", "amd64"), ("b", "arm64"), ("c", "amd64"))
        ],
    }
    (tmp_path / "nodes.json").write_text(json.dumps(nodes, indent=2), encoding="utf-8")
    config = parse_config(
        {"cluster": {"context": ["nodes.json"]}, "repository-context": False}, root=str(tmp_path)
    )
    context = load_context(config, [])
    assert context.platforms == (Platform("linux", "amd64"), Platform("linux", "arm64"))


def test_missing_context_path_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path, {"web.yaml": DEPLOYMENT})
    monkeypatch.chdir(repo)
    assert main(["check", "--offline", "--context", "nowhere.yaml", "web.yaml"]) == 2
    assert "cluster.context" in capsys.readouterr().err


def test_registry_mirror_means_no_anonymous_docker_hub_pull(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
        "spec:\n  containers: [{name: a, image: 'nginx:1.27'}]\n"
    )
    repo = _repo(tmp_path, {"pod.yaml": pod})
    _, found = _check(repo, "pod.yaml", capsys=capsys, monkeypatch=monkeypatch)
    assert [f[0] for f in found] == ["PL301"]
    (repo / ".pulllint.yaml").write_text("cluster:\n  registry-mirrors: {docker.io: mirror.example.com}\n")
    assert _check(repo, "pod.yaml", capsys=capsys, monkeypatch=monkeypatch) == (0, [])


def test_openshift_internal_registry_needs_no_declared_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    image = "image-registry.openshift-image-registry.svc:5000/shop/web:1.0"
    repo = _repo(tmp_path, {"web.yaml": DEPLOYMENT.replace("registry.example.com/team/web:1.0", image)})
    assert _check(repo, "web.yaml", capsys=capsys, monkeypatch=monkeypatch) == (0, [])
