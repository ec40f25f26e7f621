"""`--kubectl`: a fake kubectl on PATH answers like the API server; diagnose only ever reads."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from pulllint.cli import main

from .conftest import FakeKubectl

SECRET_LIST: list[dict[str, Any]] = [
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "default-token", "namespace": "prod"},
        "type": "kubernetes.io/service-account-token",
    }
]
ACCOUNTS: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "prod"}},
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "api", "namespace": "prod"}},
]


def _cluster(fake: FakeKubectl, secrets: list[dict[str, Any]] = SECRET_LIST) -> None:
    fake.copy("pods.json", "pods.json")
    fake.copy("events.json", "events.json")
    fake.write("serviceaccounts.json", ACCOUNTS)
    fake.write("secrets.json", secrets)


def _diagnose(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, object]], str]:
    code = main(["diagnose", "--kubectl", "--format", "json", *argv])
    captured = capsys.readouterr()
    diagnoses = json.loads(captured.out)["diagnoses"] if captured.out else []
    return code, diagnoses, captured.err


def test_every_stuck_container_of_the_namespace(
    fake_kubectl: FakeKubectl, capsys: pytest.CaptureFixture[str]
) -> None:
    _cluster(fake_kubectl)
    code, diagnoses, _ = _diagnose(capsys, "--namespace", "prod")
    assert code == 0
    assert [(d["pod"], d["container"], d["cause"], d["line"]) for d in diagnoses] == [
        # a 401 with a pull secret that does not exist: the kubelet pulled anonymously
        ("api-5f7d9c8b4-qwz8r", "api", "no-credentials", None),
        ("worker-0", "worker", "invalid-reference", None),
        ("cache-1", "seed", "tag-not-found", None),  # the pod's status message, not the back-off event
    ]
    api = diagnoses[0]
    assert "missing from the namespace: acme-pull" in str(api["explanation"])
    assert "so the kubelet pulled anonymously" in str(api["explanation"])


def test_kubectl_is_only_asked_to_read(fake_kubectl: FakeKubectl, capsys: pytest.CaptureFixture[str]) -> None:
    _cluster(fake_kubectl)
    _diagnose(capsys, "-n", "prod")
    calls = fake_kubectl.calls()
    assert [call[0] for call in calls] == ["get"] * len(calls)
    assert [call[1] for call in calls] == ["pods", "events", "serviceaccounts", "secrets"]
    assert all(any(arg.startswith("--request-timeout=") for arg in call) for call in calls)
    secrets_call = calls[3]
    assert "custom-columns=NAME:.metadata.name,TYPE:.type" in secrets_call  # names and types, never data
    assert all("secret" not in call for call in calls)  # no Secret is read without --verify


def test_a_present_pull_secret_keeps_the_refusal(
    fake_kubectl: FakeKubectl, capsys: pytest.CaptureFixture[str]
) -> None:
    present: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "acme-pull", "namespace": "prod"},
        "type": "kubernetes.io/dockerconfigjson",
    }
    _cluster(fake_kubectl, [*SECRET_LIST, present])
    _, diagnoses, _ = _diagnose(capsys, "-n", "prod")
    assert (diagnoses[0]["cause"], diagnoses[0]["rule"]) == ("credentials-refused", "PL403")
    assert "pull secrets (its own): acme-pull" in str(diagnoses[0]["explanation"])
    assert str(diagnoses[0]["triage"]).startswith("kubectl get secret acme-pull -n prod -o jsonpath=")


def test_all_namespaces(fake_kubectl: FakeKubectl, capsys: pytest.CaptureFixture[str]) -> None:
    _cluster(fake_kubectl)
    code, diagnoses, _ = _diagnose(capsys, "-A")
    assert code == 0 and len(diagnoses) == 3
    assert "--all-namespaces" in fake_kubectl.calls()[0]


def test_no_stuck_pod(fake_kubectl: FakeKubectl, capsys: pytest.CaptureFixture[str]) -> None:
    _cluster(fake_kubectl)
    code = main(["diagnose", "--kubectl", "-n", "empty"])
    assert code == 0
    assert "no image pull failure found" in capsys.readouterr().out
    assert len(fake_kubectl.calls()) == 1  # nothing stuck: no further reads


def test_kubectl_failing_is_a_clear_error(
    fake_kubectl: FakeKubectl, capsys: pytest.CaptureFixture[str]
) -> None:
    (fake_kubectl.data / "fail").write_text("error: You must be logged in to the server (Unauthorized)\n")
    code, _, err = _diagnose(capsys, "-n", "prod")
    assert code == 2
    assert err == (
        "pulllint: error: `kubectl get pods --namespace prod -o json` failed: error: You must be "
        "logged in to "
        "the server (Unauthorized)\n"
    )


def test_kubectl_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    code, _, err = _diagnose(capsys)
    assert code == 2
    assert err.startswith("pulllint: error: kubectl not found")


def test_kubectl_hanging_is_bounded(fake_kubectl: FakeKubectl, capsys: pytest.CaptureFixture[str]) -> None:
    (fake_kubectl.data / "hang").write_text("")
    started = time.monotonic()
    code, _, err = _diagnose(capsys, "--kubectl-timeout", "0.5")
    assert code == 2
    assert time.monotonic() - started < 10
    assert "did not answer within 1 s" in err
