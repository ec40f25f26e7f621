"""The three formats as a user reads them: text on a terminal, JSON for tools, Markdown for a ticket."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulllint.cli import main

from .conftest import FIXTURES

FIELDS = [
    "line",
    "pod",
    "namespace",
    "container",
    "image",
    "runtime",
    "cause",
    "rule",
    "class",
    "explanation",
    "fix",
    "triage",
]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["diagnose", *argv])
    return code, capsys.readouterr().out


def test_json_is_version_1_with_exactly_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "--format", "json", str(FIXTURES / "describe-pods.txt"))
    assert code == 0
    report = json.loads(out)
    assert list(report) == ["version", "diagnoses"]
    assert report["version"] == 1
    first = report["diagnoses"][0]
    assert list(first) == FIELDS
    assert first == first | {
        "line": 62,
        "pod": "web-7c9d8f6b5d-x2x4q",
        "namespace": "shop",
        "container": "migrate",
        "image": "ghcr.io/acme/migrate:2.4.0",
        "runtime": "containerd",
        "cause": "no-credentials",
        "rule": "PL201",
        "class": None,
    }
    assert "kubectl create secret docker-registry regcred -n shop --docker-server=ghcr.io" in first["fix"]
    assert first["triage"].startswith("kubectl get pod web-7c9d8f6b5d-x2x4q -n shop -o jsonpath=")


def test_text_names_cause_rule_and_where(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, str(FIXTURES / "pods.json"))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        f"{FIXTURES / 'pods.json'}:36: credentials-refused (PL403) [401] pod prod/api-5f7d9c8b4-qwz8r "
        "container api image registry.acme.example/prod/api:2.3.1"
    )
    assert lines[1] == "  runtime: containerd"
    assert [line.split(":", 1)[0].strip() for line in lines[2:5]] == ["why", "fix", "triage"]
    assert lines[-1] == "3 image pull failures: 1 credentials-refused, 1 invalid-reference, 1 tag-not-found"
    assert "\033[" not in out


def test_color_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _run(capsys, "--color", "always", str(FIXTURES / "pods.yaml"))
    assert "\033[1mplatform-missing\033[0m" in out


def test_markdown_for_an_incident_ticket(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "--format", "markdown", str(FIXTURES / "events.json"))
    assert code == 1  # one event names no cause
    assert out.startswith("# Image pull failures\n\n5 image pull failures: ")
    assert "## 3. `docker.io/acme/tool:1.0`: platform-missing (PL404)" in out
    assert "| Class | linux/arm64/v8 |" in out
    assert "**Triage:**\n\n```sh\nskopeo inspect --raw docker://docker.io/acme/tool:1.0" in out
    assert "<details><summary>Message</summary>" in out


def test_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "reports" / "diagnosis.json"
    code, out = _run(capsys, "--format", "json", "--output", str(target), str(FIXTURES / "pods.yaml"))
    assert (code, out) == (0, "")
    assert json.loads(target.read_text())["diagnoses"][0]["cause"] == "platform-missing"


def test_unknown_keeps_the_message_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.txt"
    path.write_text('Failed to pull image "x:1": rpc error: code = Unknown desc = something new happened\n')
    code, out = _run(capsys, "--format", "json", str(path))
    assert code == 1
    d = json.loads(out)["diagnoses"][0]
    assert (d["cause"], d["rule"], d["class"]) == ("unknown", None, None)
    assert "something new happened" in d["explanation"]


def test_no_output_shows_a_credential(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.txt"
    path.write_text(
        'Failed to pull image "registry.example.com/app:1": rpc error: code = Unknown desc = failed to do '
        "request: Head "
        '"https://bob:hunter2-secret@registry.example.com/v2/app/manifests/1?access_token=tok-9f8e7d": '
        "something unusual\n"
        'Failed to pull image "registry.example.com/app:2": Error response from daemon: Get '
        '"https://registry.example.com/v2/": unexpected header Authorization: Basic '
        "Ym9iOmh1bnRlcjItc2VjcmV0\n"
    )
    for fmt in ("text", "json", "markdown"):
        _, out = _run(capsys, "--format", fmt, str(path))
        for secret in ("hunter2-secret", "tok-9f8e7d", "Ym9iOmh1bnRlcjItc2VjcmV0"):
            assert secret not in out
        assert "registry.example.com" in out
