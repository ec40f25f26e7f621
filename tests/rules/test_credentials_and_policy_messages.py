"""PL2xx and PL3xx: what the fixtures under tests/fixtures/pl2 and pl3 cannot show (they run in
tests/rules/test_rule_fixtures.py): credentials never leave, findings about a Secret are reported once,
and the messages and fixes of the Docker Hub, deprecated-image, cross-account and allowlist rules.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from pulllint.cli import main
from pulllint.config import Config, parse_config
from pulllint.diagnostics import Diagnostic, Severity
from pulllint.engine import run

# --- credentials never leave -----------------------------------------------------------------------------

MARKER = "Zq9-unique-marker-7Hk"


def _leaky_stream() -> str:
    auth = base64.b64encode(f"robot:{MARKER}".encode()).decode()
    config = {
        "auths": {
            "registry.example.com:5000": {"auth": auth, "username": "robot", "password": MARKER},
            "https://index.docker.io/v1/": {},
            f"https://robot:{MARKER}@userinfo.example.com/?token={MARKER}": {
                "username": "u",
                "password": "p",
            },
        }
    }
    blob = base64.b64encode(json.dumps(config).encode()).decode()
    broken = json.dumps({"auths": {"broken.example.com": {"auth": f"{MARKER}!"}}})
    return f"""apiVersion: v1
kind: Secret
metadata:
  name: regcred
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: {blob}
---
apiVersion: v1
kind: Secret
metadata:
  name: broken
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '{broken}'
---
apiVersion: v1
kind: Secret
metadata:
  name: opaque
type: Opaque
stringData:
  .dockerconfigjson: '{json.dumps(config)}'
---
apiVersion: v1
kind: Pod
metadata:
  name: app
spec:
  imagePullSecrets: [{{name: regcred}}, {{name: broken}}, {{name: opaque}}]
  containers:
    - name: a
      image: registry.example.com/app:1.0
    - name: b
      image: nginx:1.27
    - name: c
      image: userinfo.example.com:5000/app:1.0
---
apiVersion: v1
kind: Pod
metadata:
  name: other
spec:
  imagePullSecrets: [{{name: regcred}}]
  containers:
    - name: a
      image: registry.example.com/app:1.0
"""


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "gitlab", "junit"])
def test_no_credential_in_any_output(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    path = tmp_path / "secrets.yaml"
    path.write_text(_leaky_stream(), encoding="utf-8")
    report = tmp_path / "report.out"
    code = main(["check", "--offline", "--select", "PL", "--format", fmt, "--output", str(report), str(path)])
    out, err = capsys.readouterr()
    written = report.read_text(encoding="utf-8")
    assert code == 1
    assert "PL203" in written and "PL204" in written, written  # the secrets were read and judged
    auth = base64.b64encode(f"robot:{MARKER}".encode()).decode()
    for text in (out, err, written):
        assert MARKER not in text
        assert auth not in text and auth.rstrip("=") not in text
        assert base64.b64encode(MARKER.encode()).decode().rstrip("=") not in text


def test_secret_findings_are_reported_once_across_batches(tmp_path: Path) -> None:
    path = tmp_path / "secrets.yaml"
    path.write_text(_leaky_stream(), encoding="utf-8")
    config = Config(select=("PL2",))
    one = run([str(path)], config, offline=True, batch_documents=1)
    many = run([str(path)], config, offline=True, batch_documents=1000)
    assert one.diagnostics == many.diagnostics
    at_secret = [d for d in one.diagnostics if d.code == "PL203" and d.object_id == "Secret/broken"]
    assert len(at_secret) == 1


# --- messages that fixtures cannot check ---------------------------------------------------------------


def _findings(tmp_path: Path, text: str, config: Config, code: str) -> list[Diagnostic]:
    path = tmp_path / "input.yaml"
    path.write_text(text, encoding="utf-8")
    return run([str(path)], config._replace(select=(code,)), offline=True).diagnostics


def _messages(tmp_path: Path, text: str, config: Config, code: str) -> list[str]:
    return [d.message for d in _findings(tmp_path, text, config, code)]


WORKLOADS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  template:
    spec:
      containers: [{name: a, image: "nginx:1.27"}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  template:
    spec:
      containers:
        - name: a
          image: "fluent/fluent-bit:3.2@sha256:DIGEST"
""".replace("DIGEST", "0" * 64)


def test_dockerhub_message_gives_limits_and_rollout_cost(tmp_path: Path) -> None:
    deployment, daemonset = _messages(tmp_path, WORKLOADS, Config(), "PL301")
    for message in (deployment, daemonset):
        assert "100 pulls per 6 hours per IPv4 address or IPv6 /64" in message
        assert "200 per 6 hours for an authenticated Personal account" in message
        assert "HEAD requests do not count" in message
    assert "up to 4 pulls (replicas: 4" in deployment
    assert "once per node" in daemonset
    assert "pull secret" in deployment


def test_dockerhub_mirror_is_named(tmp_path: Path) -> None:
    config = parse_config({"dockerhub-mirror": "mirror.gcr.io"})
    fixes = [d.fix for d in _findings(tmp_path, WORKLOADS, config, "PL301")]
    assert fixes == [
        "pull through the mirror: image: mirror.gcr.io/library/nginx:1.27",
        "pull through the mirror: image: mirror.gcr.io/fluent/fluent-bit:3.2@sha256:" + "0" * 64,
    ]


def test_pl303_severity_per_entry_and_configured_override(tmp_path: Path) -> None:
    text = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - {name: frozen, image: "k8s.gcr.io/pause:3.9"}
    - {name: gone, image: "gcr.io/kubernetes-helm/tiller:v2.16.1"}
"""
    frozen, gone = _findings(tmp_path, text, Config(), "PL303")
    assert [(d.line, d.severity) for d in (frozen, gone)] == [(6, Severity.WARNING), (7, Severity.ERROR)]
    assert frozen.fix == "image: registry.k8s.io/pause:3.9"
    assert gone.fix == "image: ghcr.io/helm/tiller:v2.16.1"
    overridden = _findings(tmp_path, text, Config(severity={"PL3": Severity.INFO}), "PL303")
    assert {d.severity for d in overridden} == {Severity.INFO}


def test_cross_account_needs_configuration(tmp_path: Path) -> None:
    text = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: "222222222222.dkr.ecr.us-east-1.amazonaws.com/app:1"}]
"""
    assert _messages(tmp_path, text, Config(), "PL206") == []
    (message,) = _messages(
        tmp_path, text, parse_config({"cloud": {"aws-account-ids": ["111111111111"]}}), "PL206"
    )
    assert "account 222222222222" in message and "111111111111" in message
    assert "ecr:BatchGetImage" in message


def test_registry_not_allowed_needs_configuration(tmp_path: Path) -> None:
    assert _messages(tmp_path, WORKLOADS, Config(), "PL302") == []
    messages = _messages(
        tmp_path, WORKLOADS, parse_config({"allowed-registries": ["docker.io/library"]}), "PL302"
    )
    assert len(messages) == 1 and "docker.io/fluent/fluent-bit" in messages[0]
