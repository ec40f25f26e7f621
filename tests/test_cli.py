"""The command line as users and CI call it: formats, stdin, exit codes, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pulllint.cli import main

LATEST = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n"
    "      image: quay.io/org/app:latest\n"
)
INVALID = LATEST.replace("quay.io/org/app:latest", "Nginx:1.0")


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_exit_codes_follow_fail_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "pod.yaml", LATEST)
    assert main(["check", "--offline", path]) == 0  # a warning, default fail-on is error
    assert main(["check", "--offline", "--fail-on", "warning", path]) == 1
    assert main(["check", "--offline", write(tmp_path, "bad.yaml", INVALID)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:7:14: PL103 warning" in out
    assert "Found 1 problem (1 warning) in 1 file" in out


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--offline", "--format", "json", write(tmp_path, "pod.yaml", LATEST)]) == 0
    document = json.loads(capsys.readouterr().out)
    [diagnostic] = document["diagnostics"]
    assert document["version"] == 1
    assert (diagnostic["line"], diagnostic["column"], diagnostic["code"]) == (7, 14, "PL103")
    assert diagnostic["image"] == "quay.io/org/app:latest" and diagnostic["object"] == "Pod/p"


def test_github_format_chosen_in_actions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["check", "--offline", write(tmp_path, "pod.yaml", LATEST)]) == 0
    assert "::warning file=" in capsys.readouterr().out


def test_output_file_keeps_text_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "out.sarif"
    code = main(
        [
            "check",
            "--offline",
            "--format",
            "sarif",
            "--output",
            str(report),
            write(tmp_path, "p.yaml", LATEST),
        ]
    )
    assert code == 0
    assert json.loads(report.read_text())["version"] == "2.1.0"
    assert "PL103" in capsys.readouterr().out


def test_usage_and_configuration_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--offline", str(tmp_path / "missing.yaml")]) == 2
    assert main(["check", "--offline", "--select", "XX1", write(tmp_path, "p.yaml", LATEST)]) == 2
    config = write(tmp_path, "c.yaml", "unknown-key: 1\n")
    assert main(["check", "--offline", "--config", config, str(tmp_path / "p.yaml")]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and "XX1" in err and "unknown key 'unknown-key'" in err
    assert "Traceback" not in err
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--format", "xml", "p.yaml"])
    assert exit_info.value.code == 2


def test_rules_and_rule_docs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    assert "PL103  latest-tag" in capsys.readouterr().out
    assert main(["rule", "pl103"]) == 0
    page = capsys.readouterr().out
    for heading in ("# PL103 latest-tag", "## What it does", "## Why it matters", "## Example", "## Fix"):
        assert heading in page
    assert main(["rule", "PL999"]) == 2


def test_stdin_and_bad_input_in_a_real_process(tmp_path: Path) -> None:
    write(tmp_path, "binary.yaml", "")
    # Kubernetes objects with a bad byte: PL001 (without apiVersion and kind they are only notices).
    (tmp_path / "binary.yaml").write_bytes(b"apiVersion: v1\nkind: Pod\n\x00\x01\x02")
    (tmp_path / "latin1.yaml").write_bytes(b"apiVersion: v1\nkind: Pod\nname: caf\xe9\n")
    write(tmp_path, "empty.yaml", "")
    write(tmp_path, "good.yaml", LATEST)
    done = subprocess.run(
        [sys.executable, "-m", "pulllint", "check", "--offline", str(tmp_path), "-"],
        input=INVALID,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "binary.yaml:3:1: PL001" in done.stdout
    assert "latin1.yaml:3:10: PL001" in done.stdout
    assert "good.yaml:7:14: PL103" in done.stdout
    assert "-:7:14: PL101" in done.stdout
    assert "in 5 files" in done.stdout


def test_every_rule_documents_itself() -> None:
    from pulllint.rules import all_rules

    for rule in all_rules().values():
        page = rule.documentation()
        for heading in ("## What it does", "## Why it matters", "## Example", "## Fix"):
            assert heading in page, (rule.code, heading)
