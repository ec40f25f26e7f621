"""action.yml, run as GitHub would: its bash steps executed verbatim in a simulated runner.

The runner is simulated the way the GitHub runner runs a composite action's `shell: bash` steps:
`bash --noprofile --norc -eo pipefail SCRIPT`, in the workspace, with GITHUB_ACTIONS, GITHUB_WORKSPACE,
GITHUB_ACTION_PATH, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT (one file per step), RUNNER_TEMP, and the step's
`env:` evaluated (`${{ inputs.x }}`, `${{ steps.id.outputs.x }}`: the only expressions action.yml may
use). The install step runs once, for real, from a copy of the source tree (pip builds it in place, and
the checkout must stay clean); the check step then runs once per scenario.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from pulllint import __version__
from pulllint.diagnostics import Severity
from tests.conftest import ROOT

DATA = Path(__file__).resolve().parent / "data"
WORKSPACE = DATA / "workspace"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
ALLOWED = re.compile(r"^(inputs\.[A-Za-z0-9_-]+|steps\.[A-Za-z0-9_-]+\.outputs\.[A-Za-z0-9_-]+)$")
ANNOTATION = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")
RANK = {"error": Severity.ERROR, "warning": Severity.WARNING, "notice": Severity.INFO}
NETWORK_TROUBLE = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "No matching distribution found",
    "Could not find a version",
    "ConnectTimeoutError",
    "Network is unreachable",
)


@cache
def action() -> dict[str, Any]:
    document = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def steps() -> list[dict[str, Any]]:
    result = action()["runs"]["steps"]
    assert isinstance(result, list)
    return result


def step(step_id: str) -> dict[str, Any]:
    [found] = [s for s in steps() if s.get("id") == step_id]
    return found


def defaults() -> dict[str, str]:
    return {name: str(spec.get("default", "")) for name, spec in action()["inputs"].items()}


def evaluate(text: str, inputs: Mapping[str, str], outputs: Mapping[str, Mapping[str, str]]) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        assert ALLOWED.match(expression), f"unsupported expression {expression!r}"
        parts = expression.split(".")
        if parts[0] == "inputs":
            return inputs[parts[1]]
        return outputs.get(parts[1], {}).get(parts[3], "")

    return EXPRESSION.sub(value, text)


def parse_outputs(text: str) -> dict[str, str]:
    """The GITHUB_OUTPUT file: `name=value` lines and `name<<DELIMITER` blocks."""
    result: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block: list[str] = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            result[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            result[name] = value
    return result


@dataclass
class StepResult:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]

    @property
    def annotations(self) -> list[tuple[str, dict[str, str], str]]:
        found = []
        for line in self.stdout.splitlines():
            match = ANNOTATION.match(line)
            if match:
                props = dict(item.split("=", 1) for item in match.group("props").split(",") if item)
                found.append((match.group(1), props, match.group("message")))
        return found


@dataclass
class Runner:
    """One simulated job: a workspace, a temp folder, the action's checkout and the step outputs."""

    workspace: Path
    temp: Path
    action_path: Path
    summary: Path
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    def env(self, output_file: Path) -> dict[str, str]:
        base = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("GITHUB_", "RUNNER_", "INPUT_", "PULLLINT"))
        }
        base.pop("VIRTUAL_ENV", None)
        return {
            **base,
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_ACTION_PATH": str(self.action_path),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_ENV": str(self.temp / "github_env"),
            "GITHUB_PATH": str(self.temp / "github_path"),
            "RUNNER_TEMP": str(self.temp),
            "PULLLINT_CACHE_DIR": str(self.temp / "cache"),
            "NO_COLOR": "1",
        }

    def run(self, step_id: str, inputs: Mapping[str, str] | None = None) -> StepResult:
        spec = step(step_id)
        given = {**defaults(), **(inputs or {})}
        output_file = self.temp / f"output-{step_id}-{len(list(self.temp.glob('output-*')))}"
        output_file.touch()
        env = self.env(output_file)
        env.update(
            {name: evaluate(str(value), given, self.outputs) for name, value in spec.get("env", {}).items()}
        )
        script = self.temp / f"{step_id}.sh"
        script.write_text(spec["run"], encoding="utf-8")
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        outputs = parse_outputs(output_file.read_text(encoding="utf-8"))
        self.outputs[step_id] = outputs
        return StepResult(completed.returncode, completed.stdout, completed.stderr, outputs)


def copy_source(destination: Path) -> Path:
    """The action's checkout: what `pip install "$GITHUB_ACTION_PATH"` needs, without build leftovers."""
    destination.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in ("pyproject.toml", "README.md", "action.yml", "pulllint", "rules"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=ignore)
        else:
            shutil.copy2(source, destination / name)
    return destination


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """The install step, run once for the module (it creates a venv and pip-installs the action path)."""
    base = tmp_path_factory.mktemp("action")
    temp = base / "runner-temp"
    temp.mkdir()
    runner = Runner(base, temp, copy_source(base / "action"), base / "summary.md")
    result = runner.run("install")
    if result.returncode != 0 and any(marker in result.stderr for marker in NETWORK_TROUBLE):
        pytest.skip(f"the install step needs the package index: {result.stderr.strip().splitlines()[-1]}")
    assert result.returncode == 0, result.stdout + result.stderr
    return runner


@pytest.fixture
def runner(installed: Runner, tmp_path: Path) -> Runner:
    """A fresh workspace and job summary for one scenario, with the installed pulllint."""
    workspace = tmp_path / "workspace"
    shutil.copytree(WORKSPACE, workspace)
    return Runner(
        workspace,
        installed.temp,
        installed.action_path,
        tmp_path / "step_summary.md",
        {"install": installed.outputs["install"]},
    )


# -- the metadata ----------------------------------------------------------------------------------------


def test_action_is_composite_of_plain_bash_steps() -> None:
    document = action()
    assert document["runs"]["using"] == "composite"
    assert {"name", "description", "inputs", "outputs", "branding"} <= set(document)
    for spec in steps():
        assert spec["shell"] == "bash"
        assert "${{" not in spec["run"], f"step {spec['id']}: inputs must come through env:, not ${{{{ }}}}"
        for name, value in spec.get("env", {}).items():
            expressions = EXPRESSION.findall(str(value))
            assert expressions and all(ALLOWED.match(e) for e in expressions), (name, value)


def test_inputs_and_outputs_are_wired() -> None:
    inputs = action()["inputs"]
    assert set(inputs) == {"paths", "config", "fail-on", "offline", "format", "sarif-file", "chart-dirs"}
    assert defaults() == {
        "paths": ".",
        "config": "",
        "fail-on": "error",
        "offline": "false",
        "format": "github",
        "sarif-file": "",
        "chart-dirs": "",
    }
    used = {
        e.split(".")[1]
        for s in steps()
        for v in s.get("env", {}).values()
        for e in EXPRESSION.findall(str(v))
    }
    assert set(inputs) <= used, "every input reaches a step"
    assert all(spec.get("description") for spec in inputs.values())
    step_ids = {s["id"] for s in steps()}
    for name, spec in action()["outputs"].items():
        [expression] = EXPRESSION.findall(spec["value"])
        assert expression.startswith("steps.") and expression.split(".")[1] in step_ids, name
    from pulllint.reporters import FORMATS

    assert "github" in FORMATS and all(f in inputs["format"]["description"] for f in FORMATS)


def test_expressions_and_outputs_file() -> None:
    assert evaluate("${{ inputs.fail-on }}", {"fail-on": "warning"}, {}) == "warning"
    assert evaluate("${{ steps.install.outputs.pulllint }}", {}, {"install": {"pulllint": "/x"}}) == "/x"
    assert parse_outputs("a=1\nb<<EOF\nx=y\nz\nEOF\nc=\n") == {"a": "1", "b": "x=y\nz", "c": ""}


# -- the steps, executed ---------------------------------------------------------------------------------


def test_install_step_installs_from_the_action_path(installed: Runner) -> None:
    binary = Path(installed.outputs["install"]["pulllint"])
    assert binary.exists()
    assert str(binary).startswith(str(installed.temp)), "installed into RUNNER_TEMP"
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"pulllint {__version__}"


def json_counts(runner: Runner, *args: str) -> Counter[tuple[str, str]]:
    """(code, severity) counts of the same check, from the json format (the reference for the summary)."""
    binary = runner.outputs["install"]["pulllint"]
    completed = subprocess.run(
        [binary, "check", "--offline", "--format", "json", *args],
        cwd=runner.workspace,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GITHUB_ACTIONS": "", "GITHUB_STEP_SUMMARY": ""},
    )
    document = json.loads(completed.stdout)
    return Counter((d["code"], d["severity"]) for d in document["diagnostics"])


@cache
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def test_check_step_annotates_most_severe_first_and_writes_the_summary(runner: Runner) -> None:
    result = runner.run(
        "check",
        {
            "paths": "k8s\n  rendered\n",
            "offline": "true",
            "chart-dirs": "charts/monitoring",
            "sarif-file": "results/pulllint.sarif",
        },
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.outputs == {"exit-code": "1", "sarif-file": "results/pulllint.sarif"}

    annotations = result.annotations
    ranks = [RANK[kind] for kind, _, _ in annotations]
    assert ranks == sorted(ranks, reverse=True), "most severe first"
    located = {(props["title"].split()[0], props["file"], int(props["line"])) for _, props, _ in annotations}
    # Helm output: at the template's line (found under the chart folder, subcharts included).
    assert ("PL104", "charts/monitoring/templates/daemonset.yaml", 17) in located
    assert ("PL105", "charts/monitoring/templates/daemonset.yaml", 20) in located
    assert ("PL103", "charts/monitoring/charts/cache/templates/statefulset.yaml", 15) in located
    # Plain manifests: where they are.
    assert ("PL101", "k8s/web.yaml", 16) in located and ("PL103", "k8s/web.yaml", 14) in located
    [pl104] = [message for _, props, message in annotations if props["title"].startswith("PL104")]
    assert pl104.endswith("[rendered: rendered/monitoring.yaml:36:18]")

    # The summary: counts per rule and severity, then every finding.
    summary = runner.summary.read_text(encoding="utf-8")
    expected = json_counts(runner, "k8s", "rendered")
    assert sum(expected.values()) == len(annotations)
    assert summary.startswith("### pulllint\n")
    for code in {code for code, _ in expected}:
        [row] = [line for line in summary.splitlines() if line.startswith(f"| {code} |")]
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        errors, warnings, infos, total = (int(cell) for cell in cells[2:6])
        assert (errors, warnings, infos) == tuple(expected[(code, s)] for s in ("error", "warning", "info"))
        assert total == errors + warnings + infos
    findings = summary.split("#### Findings", 1)[1]
    rows = [line for line in findings.splitlines() if line.startswith("| ") and "severity" not in line]
    assert len(rows) == len(annotations)
    assert "template: `monitoring/templates/daemonset.yaml`" in findings
    assert "`Shop/Report:1.0`" in findings

    # The SARIF file of the same run.
    sarif = json.loads((runner.workspace / "results" / "pulllint.sarif").read_text(encoding="utf-8"))
    problems = sorted(sarif_validator().iter_errors(sarif), key=str)
    assert not problems, problems[0]
    assert len(sarif["runs"][0]["results"]) == len(annotations)


def test_clean_manifests_pass(runner: Runner) -> None:
    good = runner.workspace / "good"
    good.mkdir()
    (good / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec:\n"
        "  containers: [{name: c, image: 'ghcr.io/acme/app:1.2.3'}]\n"
    )
    result = runner.run("check", {"paths": "good", "offline": "true"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.outputs["exit-code"] == "0"
    assert result.annotations == []
    assert "No problems found in 1 file" in runner.summary.read_text(encoding="utf-8")


def test_fail_on_and_config_inputs(runner: Runner) -> None:
    warn = runner.run("check", {"paths": "k8s/web.yaml", "offline": "true", "fail-on": "warning"})
    assert warn.returncode == 1
    (runner.workspace / "lenient.yaml").write_text("ignore: [PL101]\n")
    lenient = runner.run("check", {"paths": "k8s/web.yaml", "offline": "true", "config": "lenient.yaml"})
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert [kind for kind, _, _ in lenient.annotations] == ["warning"]
    # Each run appends its summary, as GitHub's summary file does.
    assert runner.summary.read_text(encoding="utf-8").count("### pulllint") == 2


def test_bad_inputs_exit_2(runner: Runner) -> None:
    bad_offline = runner.run("check", {"offline": "yes please"})
    assert bad_offline.returncode == 2
    assert bad_offline.stdout.startswith("::error title=pulllint::the offline input must be true or false")
    injected = runner.run("check", {"offline": "no\n::warning::injected"})
    assert injected.returncode == 2 and len(injected.stdout.splitlines()) == 1
    missing = runner.run("check", {"paths": "no-such-dir", "offline": "true"})
    assert missing.returncode == 2 and missing.outputs["exit-code"] == "2"
    assert "Traceback" not in missing.stderr


def test_text_format_writes_no_annotations(runner: Runner) -> None:
    result = runner.run("check", {"paths": "k8s", "offline": "true", "format": "text"})
    assert result.returncode == 1
    assert "k8s/web.yaml:16:18: PL101 error" in result.stdout
    assert result.annotations == [] and not runner.summary.exists()
