"""README.md's "Integrations" snippets are true: each is parsed, checked against the repository, and run.

pre-commit: the hook ids exist and the config validates. GitHub Actions: the inputs used exist in
action.yml and the workflows run through the action's check step. GitLab CI: the script runs and the
report has GitLab's required fields. Any CI: the `helm template | pulllint check -` and
`kustomize build | pulllint check -` lines run with fake `helm` and `kustomize` on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from pulllint import __version__
from tests.conftest import ROOT
from tests.test_action import Runner, action, defaults

README = (ROOT / "README.md").read_text(encoding="utf-8")
DATA = Path(__file__).resolve().parent / "data"
BLOCK = re.compile(r"```(yaml|sh)\n(.*?)```", re.DOTALL)
GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}
BIN = Path(sys.executable).parent


@cache
def section() -> str:
    start = README.index("\n## Integrations\n")
    end = README.index("\n## ", start + 1)
    return README[start:end]


def subsection(title: str) -> str:
    text = section()
    start = text.index(f"\n### {title}")
    end = text.find("\n### ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def blocks(text: str, language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(text) if lang == language]


def yaml_block(first_line: str) -> Any:
    [body] = [b for b in blocks(section(), "yaml") if b.startswith(first_line + "\n")]
    return YAML(typ="safe").load(body)


def commands(block: str) -> tuple[list[str], list[str]]:
    """(setup lines such as `set -o pipefail`, command lines) of a shell snippet."""
    lines = [line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [line for line in lines if line.startswith("set ")], [
        line for line in lines if not line.startswith("set ")
    ]


def fake_tools(folder: Path, **outputs: str) -> dict[str, str]:
    """An environment whose PATH has this venv's pulllint and fake tools printing the given files."""
    folder.mkdir(exist_ok=True)
    for tool, source in outputs.items():
        script = folder / tool
        script.write_text(
            f"#!/bin/sh\ncat '{source}'\n" if source else "#!/bin/sh\necho 'Error: boom' >&2\nexit 1\n"
        )
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
    env["PATH"] = os.pathsep.join([str(folder), str(BIN), env.get("PATH", "")])
    env["NO_COLOR"] = "1"
    # The snippets run as written (online): every registry request goes to a dead loopback proxy, so no
    # DNS query or connection leaves the machine and each image is "could not verify" (PL405, info).
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy"):
        env[name] = "http://127.0.0.1:9"
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    return env


def bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def helm_workspace(tmp_path: Path) -> Path:
    """tests/data/workspace with its chart at charts/my-chart (as the snippets name it)."""
    workspace = tmp_path / "ws"
    shutil.copytree(DATA / "workspace", workspace)
    (workspace / "charts" / "monitoring").rename(workspace / "charts" / "my-chart")
    return workspace


def test_one_section_per_integration() -> None:
    assert "\n## pre-commit\n" not in README
    for title in ("pre-commit", "GitHub Actions", "GitLab CI", "Any CI"):
        assert f"\n### {title}" in section()


# -- pre-commit ---------------------------------------------------------------------------------------------


def test_pre_commit_snippet(tmp_path: Path) -> None:
    [body] = blocks(subsection("pre-commit"), "yaml")
    config = YAML(typ="safe").load(body)
    [repo] = config["repos"]
    assert repo["repo"] == "https://github.com/pulllint/pulllint"
    assert repo["rev"] == f"v{__version__}"
    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    defined = {hook["id"] for hook in hooks}
    used = {hook["id"] for hook in repo["hooks"]}
    mentioned = set(re.findall(r"id: ([\w-]+)", body))  # also the commented-out one
    assert used <= defined and mentioned == defined
    pre_commit = shutil.which("pre-commit") or str(BIN / "pre-commit")
    if not Path(pre_commit).exists():
        pytest.skip("pre-commit is not installed")
    (tmp_path / ".pre-commit-config.yaml").write_text(body)
    validated = subprocess.run(
        [pre_commit, "validate-config", ".pre-commit-config.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr


# -- GitHub Actions -----------------------------------------------------------------------------------------


def action_steps(workflow: Any) -> list[dict[str, Any]]:
    [job] = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith("pulllint/pulllint@")]


def local_runner(workspace: Path, tmp_path: Path) -> Runner:
    """The action's check step with this checkout's pulllint (tests/test_action.py runs the install)."""
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    pulllint = shutil.which("pulllint", path=str(BIN)) or str(BIN / "pulllint")
    return Runner(workspace, temp, ROOT, tmp_path / "summary.md", {"install": {"pulllint": pulllint}})


def test_inputs_table_matches_action_yml() -> None:
    table = re.findall(r"^\| `([\w-]+)` \| (?:`([^`]*)`)? ?\| ", subsection("GitHub Actions"), re.MULTILINE)
    assert dict(table) == {name: value for name, value in defaults().items()}
    assert "`exit-code`" in subsection("GitHub Actions") and set(action()["outputs"]) >= {"exit-code"}


def test_github_workflow_uses_the_action_and_uploads_sarif(tmp_path: Path) -> None:
    workflow = yaml_block("# .github/workflows/pulllint.yaml")
    assert workflow["permissions"]["security-events"] == "write"
    [job] = workflow["jobs"].values()
    uses = [str(s.get("uses", "")) for s in job["steps"]]
    assert uses[0].startswith("actions/checkout@")
    [step] = action_steps(workflow)
    assert step["uses"] == "pulllint/pulllint@v1"
    assert set(step["with"]) <= set(action()["inputs"])
    [upload] = [
        s for s in job["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")
    ]
    assert upload["with"]["sarif_file"] == step["with"]["sarif-file"]
    assert "failure()" in upload["if"] or "always()" in upload["if"]

    # The same inputs through the action's check step (offline added: the tests do not use the network).
    workspace = tmp_path / "ws"
    shutil.copytree(DATA / "workspace", workspace)
    runner = local_runner(workspace, tmp_path)
    result = runner.run("check", {**{k: str(v) for k, v in step["with"].items()}, "offline": "true"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.annotations[0][0] == "error"
    sarif = json.loads((workspace / step["with"]["sarif-file"]).read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert "#### Findings" in runner.summary.read_text(encoding="utf-8")


def test_helm_workflow_annotates_the_template(helm_workspace: Path, tmp_path: Path) -> None:
    workflow = yaml_block("# .github/workflows/pulllint-helm.yaml")
    [job] = workflow["jobs"].values()
    [render] = [s for s in job["steps"] if "run" in s]
    [step] = action_steps(workflow)
    assert set(step["with"]) <= set(action()["inputs"])
    env = fake_tools(tmp_path / "bin", helm=str(helm_workspace / "rendered" / "monitoring.yaml"))
    rendered = bash(render["run"], helm_workspace, env)
    assert rendered.returncode == 0, rendered.stderr

    runner = local_runner(helm_workspace, tmp_path)
    result = runner.run("check", {**{k: str(v) for k, v in step["with"].items()}, "offline": "true"})
    assert result.returncode == 1, result.stdout + result.stderr
    located = {(props["file"], props["line"]) for _, props, _ in result.annotations}
    assert ("charts/my-chart/templates/daemonset.yaml", "17") in located
    assert ("charts/my-chart/charts/cache/templates/statefulset.yaml", "15") in located


def test_github_without_the_action(helm_workspace: Path, tmp_path: Path) -> None:
    [block] = blocks(subsection("GitHub Actions"), "sh")
    setup, [command] = commands(block)
    env = fake_tools(tmp_path / "bin", helm=str(helm_workspace / "rendered" / "monitoring.yaml"))
    summary = tmp_path / "summary.md"
    env.update(GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary), GITHUB_WORKSPACE=str(helm_workspace))
    result = bash("\n".join([*setup, command]), helm_workspace, env)
    assert result.returncode == 1, result.stderr
    assert "::error file=charts/my-chart/templates/daemonset.yaml,line=17,col=18," in result.stdout
    assert "template: `monitoring/templates/daemonset.yaml`" in summary.read_text(encoding="utf-8")


# -- GitLab CI ----------------------------------------------------------------------------------------------


def test_gitlab_job_writes_a_code_quality_report(tmp_path: Path) -> None:
    config = yaml_block("# .gitlab-ci.yml")
    [job] = config.values()
    report_name = job["artifacts"]["reports"]["codequality"]
    assert report_name == "gl-code-quality-report.json"
    assert job["artifacts"]["when"] == "always", "the report must be kept when the job fails"
    [install] = job["before_script"]
    assert f"git+https://github.com/pulllint/pulllint@v{__version__}" in install

    shutil.copytree(ROOT / "examples", tmp_path / "k8s")
    env = fake_tools(tmp_path / "bin")
    fingerprints: list[list[str]] = []
    for _ in range(2):
        for line in job["script"]:
            result = bash(line, tmp_path, env)
            assert result.returncode == 1, result.stdout + result.stderr  # the examples have errors
            assert "Found " in result.stdout, "the text report still goes to the job log"
        issues = json.loads((tmp_path / report_name).read_text(encoding="utf-8"))
        assert isinstance(issues, list) and issues
        for issue in issues:
            assert isinstance(issue["description"], str) and issue["description"]
            assert re.fullmatch(r"PL\d{3}", issue["check_name"])
            assert issue["severity"] in GITLAB_SEVERITIES
            path = issue["location"]["path"]
            assert not Path(path).is_absolute() and (tmp_path / path).is_file()
            begin = issue["location"]["lines"]["begin"]
            assert isinstance(begin, int) and begin >= 1
        fingerprints.append([issue["fingerprint"] for issue in issues])
    assert len(set(fingerprints[0])) == len(fingerprints[0]), "fingerprints are unique"
    assert fingerprints[0] == fingerprints[1], "and stable across runs"


# -- Any CI -------------------------------------------------------------------------------------------------


def test_helm_and_kustomize_pipes(tmp_path: Path) -> None:
    [block] = blocks(subsection("Any CI"), "sh")
    setup, lines = commands(block)
    assert [line.split("#")[0].strip() for line in setup] == ["set -o pipefail"]
    [helm] = [line for line in lines if line.startswith("helm template ")]
    [kustomize] = [line for line in lines if line.startswith("kustomize build ")]
    assert helm.endswith("| pulllint check -") and kustomize.endswith("| pulllint check -")
    env = fake_tools(
        tmp_path / "bin",
        helm=str(ROOT / "examples" / "helm-rendered" / "monitoring.yaml"),
        kustomize=str(ROOT / "examples" / "kustomize-build" / "api.yaml"),
    )
    checked = bash("\n".join([*setup, helm]), tmp_path, env)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "[template: monitoring/templates/" in checked.stdout
    checked = bash("\n".join([*setup, kustomize]), tmp_path, env)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert re.search(r"^-:\d+:\d+: PL104 error", checked.stdout, re.MULTILINE)

    # A failing helm hands pulllint an empty stream: with `set -o pipefail` the pipe fails with helm's
    # code, and without it pulllint itself refuses the empty stdin (exit 2), never a silent pass.
    broken = fake_tools(tmp_path / "broken", helm="")
    assert bash("\n".join([*setup, helm]), tmp_path, broken).returncode != 0
    alone = bash(helm, tmp_path, broken)
    assert alone.returncode == 2 and "no input on stdin" in alone.stderr
