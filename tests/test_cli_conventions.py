"""The command line behaves like ruff's: what a platform team checks in its first hour."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulllint import __version__
from pulllint.cli import main

LATEST = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: prod}\nspec:\n  containers:\n    - name: c\n"
    "      image: quay.io/org/app:latest\n"
)
PRIVATE = LATEST.replace("quay.io/org/app:latest", "registry.example.com/team/app:1.0")


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _codes(out: str) -> list[tuple[str, str, int]]:
    return [(d["code"], d["file"], d["line"]) for d in json.loads(out)["diagnostics"]]


def test_version_short_and_long(capsys: pytest.CaptureFixture[str]) -> None:
    for flag in ("-V", "--version"):
        with pytest.raises(SystemExit) as done:
            main([flag])
        assert done.value.code == 0
        assert capsys.readouterr().out.strip() == f"pulllint {__version__}"


def test_options_are_never_abbreviated(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["check", "--offlin", "."])
    assert done.value.code == 2
    assert "unrecognized arguments: --offlin" in capsys.readouterr().err


def test_check_defaults_to_the_current_folder(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(repo, "k8s/pod.yaml", LATEST)
    assert main(["check", "--offline", "--format", "json"]) == 0
    assert _codes(capsys.readouterr().out) == [("PL103", "k8s/pod.yaml", 7)]


def test_argument_files_and_duplicates_counted_once(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pod = _write(repo, "pod.yaml", LATEST)
    _write(repo, "files.txt", f"# staged files\n{pod}\n\npod.yaml\n./pod.yaml\n")
    assert main(["check", "--offline", "--format", "json", "@files.txt", str(repo)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["summary"]["files"] == 1 and len(document["diagnostics"]) == 1


def test_exit_zero_quiet_and_statistics(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(repo, "a.yaml", PRIVATE.replace("name: p,", "name: a,"))
    _write(repo, "b.yaml", PRIVATE.replace("name: p,", "name: b,") + "---\n" + LATEST)
    assert main(["check", "--offline", "--select", "PL1,PL2", "--fail-on", "warning"]) == 1
    capsys.readouterr()
    assert main(["check", "--offline", "--select", "PL1,PL2", "--fail-on", "warning", "--exit-zero"]) == 0
    capsys.readouterr()
    assert main(["check", "--offline", "--select", "PL1,PL2", "-q"]) == 0
    quiet = capsys.readouterr()
    assert "a.yaml:7:14: PL201" in quiet.out and "Found" not in quiet.out and quiet.err == ""
    assert main(["check", "--offline", "--select", "PL1,PL2", "--statistics"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["2  PL201  missing-pull-secret", "1  PL103  latest-tag"]


def test_no_fixes_hides_the_fix_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(repo, "pod.yaml", LATEST)
    main(["check", "--offline"])
    assert "fix:" in capsys.readouterr().out
    main(["check", "--offline", "--no-fixes"])
    assert "fix:" not in capsys.readouterr().out


def test_force_color(repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _write(repo, "pod.yaml", LATEST)
    main(["check", "--offline"])
    assert "\x1b[" not in capsys.readouterr().out  # not a terminal
    monkeypatch.setenv("FORCE_COLOR", "1")
    main(["check", "--offline"])
    assert "\x1b[" in capsys.readouterr().out
    monkeypatch.setenv("NO_COLOR", "1")
    main(["check", "--offline"])
    assert "\x1b[" not in capsys.readouterr().out


def test_rules_as_json_and_rule_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", "json"]) == 0
    rules = {rule["code"]: rule for rule in json.loads(capsys.readouterr().out)["rules"]}
    assert rules["PL103"]["name"] == "latest-tag" and rules["PL103"]["options"]["mutable-tags"][
        "default"
    ] == ["latest"]
    assert rules["PL106"]["enabled_by_default"] is False and rules["PL401"]["needs_network"] is True
    assert main(["rule", "latest-tag"]) == 0
    assert capsys.readouterr().out.startswith("# PL103 latest-tag")
    assert main(["rule", "latest-tags"]) == 2
    assert "did you mean 'latest-tag'" in capsys.readouterr().err
    assert main(["rule", "PL13"]) == 2
    assert "did you mean" in capsys.readouterr().err


def test_baseline_adopts_a_legacy_repository(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pod = _write(repo, "k8s/pod.yaml", PRIVATE)
    _write(
        repo,
        "k8s/account.yaml",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: prod}\n",
    )
    assert main(["check", "--offline"]) == 1
    capsys.readouterr()
    assert main(["check", "--offline", "--baseline", "pulllint-baseline.json", "--update-baseline"]) == 0
    assert "wrote 1 finding" in capsys.readouterr().err
    # Known findings pass, even when lines move; the baseline file itself is never checked.
    pod.write_text("# a comment moves every line\n" + PRIVATE, encoding="utf-8")
    assert main(["check", "--offline", "--format", "json", "--baseline", "pulllint-baseline.json"]) == 0
    done = capsys.readouterr()
    assert _codes(done.out) == [] and "1 known finding(s) left out" in done.err
    # A second copy of the problem is new.
    _write(repo, "k8s/other.yaml", PRIVATE.replace("name: p,", "name: other,"))
    assert main(["check", "--offline", "--format", "json", "--baseline", "pulllint-baseline.json"]) == 1
    assert _codes(capsys.readouterr().out) == [("PL201", "k8s/other.yaml", 7)]
    # Fixed: the entry is stale, reported like an unused suppression at its line in the baseline.
    pod.write_text(LATEST.replace(":latest", ":1.0"), encoding="utf-8")
    (repo / "k8s/other.yaml").unlink()
    assert main(["check", "--offline", "--format", "json", "--baseline", "pulllint-baseline.json"]) == 0
    assert _codes(capsys.readouterr().out) == [("PL003", "pulllint-baseline.json", 6)]
    # Checking another file alone (pre-commit) says nothing about the pod's entry.
    _write(repo, "k8s/unrelated.yaml", LATEST.replace(":latest", ":2.0"))
    main(
        [
            "check",
            "--offline",
            "--format",
            "json",
            "--baseline",
            "pulllint-baseline.json",
            "k8s/unrelated.yaml",
        ]
    )
    assert _codes(capsys.readouterr().out) == []


def test_broken_baseline_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(repo, "pod.yaml", LATEST)
    _write(repo, "baseline.json", "[[[")
    assert main(["check", "--offline", "--baseline", "baseline.json"]) == 2
    assert "not a pulllint baseline" in capsys.readouterr().err
    assert main(["check", "--offline", "--baseline", "missing.json"]) == 2
    assert "--update-baseline" in capsys.readouterr().err


def test_nearest_configuration_to_each_file_wins(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A monorepo: each service folder has its own configuration, whatever folder pulllint runs from."""
    _write(repo, ".pulllint.yaml", "ignore: [PL103]\n")
    _write(repo, "services/a/pod.yaml", LATEST)
    _write(repo, "services/b/.pulllint.yaml", "severity: {PL103: error}\n")
    _write(repo, "services/b/pod.yaml", LATEST)
    assert main(["check", "--offline", "--format", "json"]) == 1
    found = json.loads(capsys.readouterr().out)["diagnostics"]
    assert [(d["code"], d["file"], d["severity"]) for d in found] == [
        ("PL103", "services/b/pod.yaml", "error")
    ]


def test_extends_and_exclude(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(repo, "base/pulllint.yaml", "severity: {PL103: error}\nextend-exclude: [../vendor]\n")
    _write(repo, ".pulllint.yaml", "extends: base/pulllint.yaml\nexclude: [generated/**]\n")
    _write(repo, "k8s/pod.yaml", LATEST)
    _write(repo, "vendor/pod.yaml", LATEST)
    _write(repo, "generated/pod.yaml", LATEST)
    assert main(["check", "--offline", "--format", "json", ".", "generated/pod.yaml"]) == 1
    found = json.loads(capsys.readouterr().out)["diagnostics"]
    assert [(d["file"], d["severity"]) for d in found] == [("k8s/pod.yaml", "error")]


def test_configuration_walk_stops_at_a_git_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worktree or a submodule has a `.git` file: the parent's configuration does not leak in."""
    _write(tmp_path, ".pulllint.yaml", "ignore: [PL103]\n")
    _write(tmp_path, "sub/.git", "gitdir: ../.git/modules/sub\n")
    _write(tmp_path, "sub/pod.yaml", LATEST)
    monkeypatch.chdir(tmp_path / "sub")
    assert main(["check", "--offline", "--fail-on", "warning"]) == 1


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("rules: {PL999: {}}\n", "rules.PL999: unknown rule"),
        ("severity: {PL9: error}\n", "severity.PL9: names no rule"),
        ("per-file-ignores: {'*.yaml': [PL77]}\n", "'PL77' names no rule"),
        ("rules: {PL103: {mutable-tags: [1]}}\n", "rules.PL103.mutable-tags[0]: expected a string"),
        ("rules: {PL404: {default-platform: 3}}\n", "rules.PL404.default-platform: expected a string"),
        ("rules: {PL404: {default-platform: linux}}\n", "rules.PL404: default-platform"),
        ("extends: nowhere.yaml\n", "extends: "),
    ],
)
def test_configuration_mistakes_are_usage_errors(
    repo: Path, capsys: pytest.CaptureFixture[str], config: str, message: str
) -> None:
    """Every option of every rule is checked, selected or not (PL404 is a network rule: offline here)."""
    _write(repo, ".pulllint.yaml", config)
    _write(repo, "pod.yaml", LATEST)
    assert main(["check", "--offline"]) == 2
    assert message in capsys.readouterr().err


def test_extends_cycle_is_an_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(repo, ".pulllint.yaml", "extends: other.yaml\n")
    _write(repo, "other.yaml", "extends: .pulllint.yaml\n")
    _write(repo, "pod.yaml", LATEST)
    assert main(["check", "--offline"]) == 2
    assert "extends itself" in capsys.readouterr().err


RUNNER = """\
apiVersion: acme.example.com/v1
kind: Runner
metadata: {name: r}
spec:
  steps:
    - name: a
      image: Nginx:1.0
"""


def test_a_teams_own_kinds_from_the_configuration(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(repo, "runner.yaml", RUNNER)
    assert main(["check", "--offline", "--format", "json"]) == 0
    assert _codes(capsys.readouterr().out) == [("PL004", "runner.yaml", 7)]  # never a silent pass
    _write(repo, ".pulllint.yaml", 'kinds:\n  acme.example.com/Runner: {containers: ["spec.steps[]"]}\n')
    assert main(["check", "--offline", "--format", "json"]) == 1
    assert _codes(capsys.readouterr().out) == [("PL101", "runner.yaml", 7)]
    _write(repo, ".pulllint.yaml", 'kinds:\n  acme.example.com/Runner: {containers: ["spec..steps"]}\n')
    assert main(["check", "--offline"]) == 2
    assert "kinds" in capsys.readouterr().err


def test_each_folder_fails_on_its_own_threshold(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(repo, "services/a/pod.yaml", LATEST)
    _write(repo, "services/b/pod.yaml", LATEST)
    assert main(["check", "--offline"]) == 0  # warnings, fail-on error
    _write(repo, "services/b/.pulllint.yaml", "fail-on: warning\n")
    assert main(["check", "--offline"]) == 1  # service b fails on its warning
    assert main(["check", "--offline", "services/a"]) == 0
    capsys.readouterr()
