"""Every input format, detected from the text: recorded kubectl outputs, journal lines, plain lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulllint.cli import main
from pulllint.diagnose import diagnose_text
from pulllint.diagnose._parse import detect_format

from .conftest import FIXTURES

Row = tuple[int | None, str | None, str | None, str | None, str | None, str, str | None]


def _rows(name: str) -> list[Row]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return [
        (d.line, d.namespace, d.pod, d.container, d.image, d.cause, d.klass)
        for d in diagnose_text(text, name)
    ]


def test_describe_output_of_several_pods() -> None:
    assert detect_format((FIXTURES / "describe-pods.txt").read_text()) == "describe"
    assert _rows("describe-pods.txt") == [
        # the init container's Failed event (line 62); follow-up notices folded in
        (62, "shop", "web-7c9d8f6b5d-x2x4q", "migrate", "ghcr.io/acme/migrate:2.4.0", "no-credentials", None),
        (95, "batch", "report-0", "report", "report:dev", "never-pull", None),
        (
            98,
            "batch",
            "report-0",
            "exporter",
            "quay.io/prometheus/node-exporter:v1.8.1",
            "unreachable",
            "timeout",
        ),
        # a 401 after FailedToRetrieveImagePullSecret: the kubelet pulled anonymously
        (115, "prod", "api-0", "api", "registry.acme.example/prod/api:2.3.1", "no-credentials", None),
    ]


def test_old_describe_columns_and_a_message_over_several_lines() -> None:
    diagnoses = diagnose_text((FIXTURES / "describe-old.txt").read_text(), "old")
    assert [(d.line, d.container, d.cause, d.klass, d.runtime, d.node) for d in diagnoses] == [
        (26, "spark-master", "unreachable", "dns", "docker", "10.240.0.5")
    ]
    assert "Temporary failure in name resolution" in diagnoses[0].message


def test_events_json() -> None:
    assert _rows("events.json") == [
        (
            26,
            "prod",
            "api-5f7d9c8b4-qwz8r",
            "api",
            "registry.acme.example/prod/api:2.3.1",
            "credentials-refused",
            "401",
        ),
        (
            60,
            "prod",
            "cache-1",
            "seed",
            "redis:7.2.99",
            "unknown",
            None,
        ),  # only the back-off notice: no cause
        (77, "ci", "tool-arm-7x2", "tool", "docker.io/acme/tool:1.0", "platform-missing", "linux/arm64/v8"),
        (94, "ci", "fetch-28391", "fetch", "alpine:3.20", "rate-limited", "docker-hub"),
        (104, "ci", "mirror-0", "mirror", "harbor.internal.example/ci/mirror:5", "unreachable", "tls"),
    ]


def test_pods_json_container_and_init_container_statuses() -> None:
    assert _rows("pods.json") == [
        (
            36,
            "prod",
            "api-5f7d9c8b4-qwz8r",
            "api",
            "registry.acme.example/prod/api:2.3.1",
            "credentials-refused",
            "401",
        ),
        (63, "prod", "worker-0", "worker", "Acme/Worker:1.0", "invalid-reference", None),
        (91, "prod", "cache-1", "seed", "redis:7.2.99", "tag-not-found", None),
    ]


def test_pods_and_events_together_give_one_diagnosis_per_container(tmp_path: Path) -> None:
    pods = json.loads((FIXTURES / "pods.json").read_text())
    events = json.loads((FIXTURES / "events.json").read_text())
    both = {"apiVersion": "v1", "kind": "List", "items": pods["items"] + events["items"]}
    diagnoses = diagnose_text(json.dumps(both, indent=1), "both")
    seed = [d for d in diagnoses if d.pod == "cache-1"]
    assert [(d.container, d.cause) for d in seed] == [("seed", "tag-not-found")]  # the notice is folded in
    assert len([d for d in diagnoses if d.pod == "api-5f7d9c8b4-qwz8r"]) == 1


def test_yaml_events_and_pods() -> None:
    assert _rows("events.yaml") == [
        (
            12,
            "monitoring",
            "agent-x7k2p",
            "agent",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:5.2",
            "cloud-identity",
            "ecr",
        )
    ]
    assert _rows("pods.yaml") == [
        (22, "ci", "tool-arm-7x2", "tool", "docker.io/acme/tool:1.0", "platform-missing", None)
    ]


def test_journal_lines_of_kubelet_containerd_and_old_kubelets() -> None:
    assert detect_format((FIXTURES / "journal.log").read_text()) == "journal"
    assert _rows("journal.log") == [
        # five lines (containerd, remote_image, kuberuntime_image, pod_workers, back-off) about one pull
        (
            3,
            "shop",
            "cart-6b8d9f7c5-lm2kp",
            "app",
            "registry.acme.example/shop/cart:3.1.0",
            "unreachable",
            "dns",
        ),
        (8, "db", "postgres-0", None, "postgres:16.4", "disk-pressure", None),
        # the old unstructured kubelet lines: the pod comes from pod_workers' "name_namespace(uid)"
        (
            9,
            "ops",
            "tool-84c7d",
            "tool",
            "mycorp/private-tool:4.2",
            "repository-not-found",
            "missing-or-private",
        ),
    ]


def test_plain_lines_one_diagnosis_each() -> None:
    assert _rows("messages.txt") == [
        (2, None, None, None, "myacr.azurecr.io/team/api:v7", "tag-not-found", None),
        (
            3,
            None,
            None,
            None,
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.4",
            "cloud-identity",
            "ecr",
        ),
        (4, None, None, None, "quay.io/acme/tool:2", "tag-not-found", None),
        (5, None, "tool-6c8b9", None, "docker.io/acme/tool:1.0", "credentials-refused", None),
        (6, None, None, None, "registry.local:5000/app:1", "unreachable", "refused"),
        (7, None, None, None, "kubernetes/pause", "unknown", None),
    ]


def test_stdin_and_several_files(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    text = 'Failed to pull image "busybox:9": Error response from daemon: manifest for busybox:9 not found\n'
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert main(["diagnose", "-", str(FIXTURES / "pods.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("-:1: tag-not-found (PL401) image busybox:9\n")
    assert f"{FIXTURES / 'pods.yaml'}:22: platform-missing (PL404)" in out
    assert out.rstrip().endswith("2 image pull failures: 1 platform-missing, 1 tag-not-found")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "no image pull failure found"),
        (
            b"NAME    READY   STATUS    RESTARTS   AGE\nweb-1   1/1     Running   0          5m\n",
            "no image pull failure found",
        ),
        (b"Normal Scheduled Successfully assigned a/b to node-1\n", "no image pull failure found"),
    ],
)
def test_inputs_without_failures_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    path = tmp_path / "input"
    path.write_bytes(content)
    assert main(["diagnose", str(path)]) == 0
    assert expected in capsys.readouterr().out


def test_a_binary_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "core"
    path.write_bytes(b"\x7fELF\x00\x00 Failed to pull image")
    assert main(["diagnose", str(path)]) == 2
    assert "a binary file" in capsys.readouterr().err


def test_broken_json_is_a_clear_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "events.json"
    path.write_text('{"items": [ {"message": "Failed to pull image \\"x\\"" }\n')
    assert main(["diagnose", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"pulllint: error: {path}: not valid JSON")
    assert "Traceback" not in err


def test_deeply_nested_yaml_is_no_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("kind: List\nitems: " + "[" * 20000 + "]" * 20000 + "\n")
    assert main(["diagnose", str(path)]) == 2
    assert "nesting is deeper" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["diagnose"], "nothing to diagnose"),
        (["diagnose", "--namespace", "x", "f"], "need --kubectl"),
        (["diagnose", "--kubectl", "f"], "not both"),
        (["diagnose", "/nonexistent/file.txt"], "cannot read /nonexistent/file.txt"),
        (["diagnose", "--format", "sarif", "f"], "invalid choice"),
        (["diagnose", "--kubectl", "-n", "a", "-A"], "not allowed with argument"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) if "sarif" in argv or "-A" in argv else _noop():
        assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_directory_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagnose", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


class _noop:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def test_the_kubelets_notice_of_missing_pull_secrets_means_an_anonymous_pull() -> None:
    [d] = [d for d in diagnose_text((FIXTURES / "describe-pods.txt").read_text(), "d") if d.pod == "api-0"]
    assert (d.cause, d.rule) == ("no-credentials", "PL201")  # not credentials-refused: nothing was sent
    assert d.notes == (
        "cluster: the kubelet could not retrieve the pod's pull secrets (acme-pull), so it pulled "
        "without them",
    )


def test_kubectl_get_events_table_rows() -> None:
    assert _rows("get-events.txt") == [
        (
            2,
            "prod",
            "api-5f7d9c8b4-qwz8r",
            None,
            "registry.acme.example/prod/api:2.3.1",
            "tag-not-found",
            None,
        ),
        (3, None, "web-1", "web", "nginx:bad", "tag-not-found", None),
    ]


def test_a_bare_inner_error_is_still_a_message() -> None:
    text = (
        "rpc error: code = DeadlineExceeded desc = context deadline exceeded\nconnect: connection refused\n"
    )
    assert [(d.line, d.cause, d.klass) for d in diagnose_text(text)] == [
        (1, "unreachable", "timeout"),
        (2, "unreachable", "refused"),
    ]
