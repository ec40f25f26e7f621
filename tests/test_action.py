"""action.yml, run as GitHub would: its steps executed in a simulated Linux and macOS runner.

The runner is simulated the way GitHub runs a composite action: steps in order, each step's `if:`
evaluated (a failed step skips the rest unless they say `always()`), `env:` and `with:` evaluated
(`${{ inputs.x }}`, `${{ steps.id.outputs.x }}`: the only expressions action.yml may use), `shell: bash`
steps as `bash --noprofile --norc -eo pipefail SCRIPT` in the workspace with GITHUB_ACTIONS,
GITHUB_WORKSPACE, GITHUB_ACTION_PATH, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT (one file per step), RUNNER_OS,
RUNNER_ARCH and RUNNER_TEMP. The actions it uses are replaced by fakes that keep their contract:
actions/setup-python gives a Python's path, actions/cache/restore and /save keep directories in a store
by key (exact key, else the newest entry with a restore-key prefix; an existing key is never
overwritten).

The macOS runner has BSD tools only (a PATH without GNU extras such as sha256sum or readlink -f), a
TMPDIR with a trailing slash and a `python3` that is too old (Xcode's 3.9), so the action must set up
Python. The install step runs once per simulated OS, for real, from a copy of the source tree; the other
steps then run once per scenario.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
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
ACTION_DIR = ROOT / "action"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
ALLOWED = re.compile(r"^(inputs\.[A-Za-z0-9_-]+|steps\.[A-Za-z0-9_-]+\.outputs\.[A-Za-z0-9_-]+)$")
CONDITION_TERM = re.compile(
    r"^(always\(\)|(steps\.[A-Za-z0-9_-]+\.outputs\.[A-Za-z0-9_-]+) (==|!=) '([^']*)')$"
)
USES = {"actions/setup-python@v5", "actions/cache/restore@v4", "actions/cache/save@v4"}
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
# Tools a macOS runner has (BSD versions); nothing GNU-only.
MACOS_TOOLS = (
    "bash", "sh", "env", "cat", "cut", "tr", "sed", "grep", "mkdir", "rm", "cp", "mv", "ls", "dirname",
    "basename", "head", "tail", "sort", "wc", "cksum", "git", "chmod", "date", "touch", "find", "xargs",
    "id", "expr", "printf", "test", "true", "false", "ln", "tar", "gzip",
)  # fmt: skip


@cache
def action() -> dict[str, Any]:
    document = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def steps() -> list[dict[str, Any]]:
    result = action()["runs"]["steps"]
    assert isinstance(result, list)
    return result


def defaults() -> dict[str, str]:
    return {name: str(spec.get("default", "")) for name, spec in action()["inputs"].items()}


def as_text(value: object) -> str:
    """A YAML value as the runner passes it: `false` is the string "false"."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def evaluate(text: str, inputs: Mapping[str, str], outputs: Mapping[str, Mapping[str, str]]) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        assert ALLOWED.match(expression), f"unsupported expression {expression!r}"
        parts = expression.split(".")
        if parts[0] == "inputs":
            return inputs[parts[1]]
        return outputs.get(parts[1], {}).get(parts[3], "")

    return EXPRESSION.sub(value, text)


def condition(text: str, outputs: Mapping[str, Mapping[str, str]], failed: bool) -> bool:
    """A step's `if:` (terms joined by `&&`); without always(), a step runs only while nothing failed."""
    result = True
    has_always = False
    for term in (part.strip() for part in text.split("&&")):
        match = CONDITION_TERM.match(term)
        assert match, f"unsupported condition {term!r}"
        if match.group(1) == "always()":
            has_always = True
            continue
        parts = match.group(2).split(".")
        actual = outputs.get(parts[1], {}).get(parts[3], "")
        equal = actual == match.group(4)
        result = result and (equal if match.group(3) == "==" else not equal)
    return result and (has_always or not failed)


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
class ActionResult:
    steps: dict[str, StepResult]
    ran: list[str]

    @property
    def check(self) -> StepResult:
        return self.steps["check"]

    @property
    def annotations(self) -> list[tuple[str, dict[str, str], str]]:
        return self.check.annotations


@dataclass
class CacheStore:
    """What actions/cache keeps between jobs: directories by key, in the order they were saved."""

    root: Path
    keys: list[str] = field(default_factory=list)

    def restore(self, path: Path, key: str, restore_keys: str) -> dict[str, str]:
        matched = key if key in self.keys else None
        if matched is None:
            for prefix in filter(None, (p.strip() for p in restore_keys.splitlines())):
                candidates = [k for k in self.keys if k.startswith(prefix)]
                if candidates:
                    matched = candidates[-1]
                    break
        if matched is None:
            return {"cache-hit": "false", "cache-primary-key": key, "cache-matched-key": ""}
        shutil.copytree(self.root / str(self.keys.index(matched)), path, dirs_exist_ok=True)
        hit = "true" if matched == key else "false"
        return {"cache-hit": hit, "cache-primary-key": key, "cache-matched-key": matched}

    def save(self, path: Path, key: str) -> str:
        if key in self.keys:
            return f"Failed to save: Unable to reserve cache with key {key}, another job may be creating it."
        if not path.exists():
            return "Path Validation Error: Path(s) specified in the action for caching do(es) not exist"
        shutil.copytree(path, self.root / str(len(self.keys)))
        self.keys.append(key)
        return ""


def base_python() -> str:
    """A real interpreter >= 3.10 (what setup-python would provide), not this test's virtual environment."""
    return str(Path(getattr(sys, "_base_executable", sys.executable)).resolve())


@dataclass
class Runner:
    """One simulated job on a runner of `os`: a workspace, a temp folder, the action's checkout.

    `run(step_id, inputs)` runs one step; `run_action(inputs)` runs the steps in order as GitHub does.
    """

    workspace: Path
    temp: Path
    action_path: Path
    summary: Path
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    os: str = "Linux"
    store: CacheStore | None = None
    python: str = field(default_factory=base_python)  # what actions/setup-python would install
    path: str = field(default_factory=lambda: os.environ.get("PATH", ""))  # the runner's PATH
    extra_env: dict[str, str] = field(default_factory=dict)
    run_id: int = 1

    def env(self, output_file: Path) -> dict[str, str]:
        base = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("GITHUB_", "RUNNER_", "INPUT_", "PULLLINT", "PIP_REQUIRE"))
        }
        for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):  # nothing of this test's interpreter
            base.pop(name, None)
        return {
            **base,
            "PATH": self.path,
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_ACTION_PATH": str(self.action_path),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_ENV": str(self.temp / "github_env"),
            "GITHUB_PATH": str(self.temp / "github_path"),
            "GITHUB_JOB": "lint",
            "GITHUB_RUN_ID": str(self.run_id),
            "GITHUB_RUN_ATTEMPT": "1",
            "RUNNER_OS": self.os,
            "RUNNER_ARCH": "ARM64" if self.os == "macOS" else "X64",
            "RUNNER_TEMP": str(self.temp),
            "TMPDIR": str(self.temp / "tmp") + ("/" if self.os == "macOS" else ""),
            "NO_COLOR": "1",
            **self.extra_env,
        }

    def run_step(self, spec: dict[str, Any], inputs: Mapping[str, str]) -> StepResult:
        step_id = spec.get("id", spec["name"])
        output_file = self.temp / f"output-{step_id}-{len(list(self.temp.glob('output-*')))}"
        output_file.touch()
        if "uses" in spec:
            with_ = {
                name: evaluate(as_text(v), inputs, self.outputs) for name, v in spec.get("with", {}).items()
            }
            return self.fake_action(spec["uses"], with_)
        env = self.env(output_file)
        env.update(
            {name: evaluate(as_text(v), inputs, self.outputs) for name, v in spec.get("env", {}).items()}
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
            timeout=600,
        )
        outputs = parse_outputs(output_file.read_text(encoding="utf-8"))
        return StepResult(completed.returncode, completed.stdout, completed.stderr, outputs)

    def fake_action(self, uses: str, with_: Mapping[str, str]) -> StepResult:
        if uses.startswith("actions/setup-python@"):
            assert with_["python-version"] and with_.get("update-environment") == "false"
            return StepResult(
                0, "", "", {"python-version": with_["python-version"], "python-path": self.python}
            )
        path = Path(with_["path"])
        assert path.is_absolute() and str(path).startswith(str(self.temp)), path
        assert self.store is not None
        if uses.startswith("actions/cache/restore@"):
            outputs = self.store.restore(path, with_["key"], with_.get("restore-keys", ""))
            return StepResult(0, "", "", outputs)
        assert uses.startswith("actions/cache/save@")
        return StepResult(0, self.store.save(path, with_["key"]), "", {})

    def run(self, step_id: str, inputs: Mapping[str, str] | None = None) -> StepResult:
        """One step of the action (by id), with the outputs of the steps run before."""
        [spec] = [s for s in steps() if s.get("id") == step_id]
        result = self.run_step(spec, {**defaults(), **(inputs or {})})
        self.outputs[step_id] = result.outputs
        return result

    def run_action(
        self, inputs: Mapping[str, str] | None = None, *, only: set[str] | None = None
    ) -> ActionResult:
        """The action's steps (those in `only`, when given), as GitHub runs them."""
        given = {**defaults(), **(inputs or {})}
        results: dict[str, StepResult] = {}
        ran: list[str] = []
        failed = False
        for spec in steps():
            step_id = spec.get("id", spec["name"])
            if only is not None and step_id not in only:
                continue
            if "if" in spec:
                if not condition(str(spec["if"]), self.outputs, failed):
                    continue
            elif failed:
                continue
            result = self.run_step(spec, given)
            ran.append(step_id)
            results[step_id] = result
            self.outputs[step_id] = result.outputs
            failed = failed or result.returncode != 0
        return ActionResult(results, ran)


def copy_source(destination: Path) -> Path:
    """The action's checkout: what `pip install "$GITHUB_ACTION_PATH"` needs, without build leftovers."""
    destination.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in ("pyproject.toml", "README.md", "action.yml", "action", "pulllint", "rules"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=ignore)
        else:
            shutil.copy2(source, destination / name)
    return destination


def macos_path(folder: Path) -> str:
    """A PATH of BSD-like tools: the allowlist, `uname` saying Darwin, and Xcode's old python3."""
    folder.mkdir()
    for tool in MACOS_TOOLS:
        found = shutil.which(tool)
        if found:
            (folder / tool).symlink_to(found)
    (folder / "uname").write_text(
        '#!/bin/sh\ncase "$1" in -m) echo arm64 ;; -r) echo 23.6.0 ;; *) echo Darwin ;; esac\n'
    )
    (folder / "python3").write_text(
        '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "Python 3.9.6"; exit 0; fi\n'
        'echo "python3 3.9.6: this test runner is too old" >&2\nexit 1\n'
    )
    for name in ("uname", "python3"):
        (folder / name).chmod(0o755)
    return str(folder)


def linux_path(folder: Path) -> str:
    """The runner's own PATH, with a python3 >= 3.10 first (ubuntu-latest has 3.12)."""
    folder.mkdir()
    (folder / "python3").symlink_to(base_python())
    return f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"


def make_runner(os_name: str, base: Path) -> Runner:
    temp = base / "runner-temp"
    (temp / "tmp").mkdir(parents=True)
    (base / "store").mkdir()
    path = macos_path(base / "bin") if os_name == "macOS" else linux_path(base / "bin")
    return Runner(
        base,
        temp,
        copy_source(base / "action"),
        base / "summary.md",
        os=os_name,
        store=CacheStore(base / "store"),
        path=path,
    )


@pytest.fixture(scope="module", params=["Linux", "macOS"])
def installed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """The steps up to the install, run once per simulated OS (a venv, pip-installing the action path)."""
    runner = make_runner(request.param, tmp_path_factory.mktemp(f"action-{request.param}"))
    result = runner.run_action(
        only={"prepare", "setup-python", "pip-cache", "install", "Save pip's downloads"}
    )
    install = result.steps.get("install")
    assert install is not None, result.ran
    if install.returncode != 0 and any(marker in install.stderr for marker in NETWORK_TROUBLE):
        pytest.skip(f"the install step needs the package index: {install.stderr.strip().splitlines()[-1]}")
    assert install.returncode == 0, install.stdout + install.stderr
    runner.installed_ran = result.ran  # type: ignore[attr-defined]
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
        {k: v for k, v in installed.outputs.items() if k in ("prepare", "setup-python", "install")},
        os=installed.os,
        store=installed.store,
        python=installed.python,
        path=installed.path,
    )


CHECK = {"prepare", "Restore the registry-answer cache", "check", "Save the registry-answer cache"}


# -- the metadata ----------------------------------------------------------------------------------------


def test_action_is_composite_of_scripts_and_pinned_actions() -> None:
    document = action()
    assert document["runs"]["using"] == "composite"
    assert {"name", "description", "inputs", "outputs", "branding"} <= set(document)
    for spec in steps():
        assert spec.get("name")
        if "uses" in spec:
            assert spec["uses"] in USES, spec["uses"]
            values = [str(v) for v in spec.get("with", {}).values()]
        else:
            assert spec["shell"] == "bash"
            assert "${{" not in spec["run"], (
                f"step {spec['id']}: inputs must come through env:, not ${{{{ }}}}"
            )
            [script] = re.findall(r'^bash "\$GITHUB_ACTION_PATH/(action/[a-z-]+\.sh)"$', spec["run"].strip())
            assert (ROOT / script).is_file()
            values = [str(v) for v in spec.get("env", {}).values()]
        for value in values:
            assert all(ALLOWED.match(e) for e in EXPRESSION.findall(value)), (spec["name"], value)
        if "if" in spec:
            condition(str(spec["if"]), {}, False)  # in the grammar the simulated runner evaluates


def test_inputs_and_outputs_are_wired() -> None:
    inputs = action()["inputs"]
    assert defaults() == {
        "paths": ".",
        "config": "",
        "fail-on": "error",
        "offline": "false",
        "format": "github",
        "sarif-file": "",
        "chart-dirs": "",
        "extra-args": "",
        "only-changed": "false",
        "cache": "true",
    }
    used = {
        e.split(".")[1]
        for s in steps()
        for v in s.get("env", {}).values()
        for e in EXPRESSION.findall(str(v))
        if e.startswith("inputs.")
    }
    assert set(inputs) == used, "every input reaches a script"
    assert all(spec.get("description") for spec in inputs.values())
    step_ids = {s["id"] for s in steps() if "id" in s}
    for name, spec in action()["outputs"].items():
        [expression] = EXPRESSION.findall(spec["value"])
        assert expression.startswith("steps.") and expression.split(".")[1] in step_ids, name
    from pulllint.reporters import FORMATS

    assert "github" in FORMATS and all(f in inputs["format"]["description"] for f in FORMATS)


def test_the_registry_cache_is_saved_even_when_the_check_fails() -> None:
    [save] = [s for s in steps() if s["name"] == "Save the registry-answer cache"]
    names = [s["name"] for s in steps()]
    assert names.index("Save the registry-answer cache") > names.index("Check manifests")
    assert condition(save["if"], {"prepare": {"registry-cache-dir": "/t/c"}}, failed=True)
    assert not condition(save["if"], {"prepare": {"registry-cache-dir": ""}}, failed=True)


def test_the_simulator() -> None:
    assert evaluate("${{ inputs.fail-on }}", {"fail-on": "warning"}, {}) == "warning"
    assert evaluate("${{ steps.install.outputs.pulllint }}", {}, {"install": {"pulllint": "/x"}}) == "/x"
    assert parse_outputs("a=1\nb<<EOF\nx=y\nz\nEOF\nc=\n") == {"a": "1", "b": "x=y\nz", "c": ""}
    assert condition("steps.a.outputs.b == ''", {}, False) and not condition(
        "steps.a.outputs.b == ''", {}, True
    )
    with pytest.raises(AssertionError):
        condition("github.event_name == 'push'", {}, False)


def test_constraints_pin_every_runtime_dependency() -> None:
    """The pinned install: each dependency of pyproject.toml (and theirs) has exactly one version."""
    pins: dict[str, str] = {}
    for line in (ACTION_DIR / "constraints.txt").read_text(encoding="utf-8").splitlines():
        requirement = line.split("#", 1)[0].split(";", 1)[0].strip()
        if requirement:
            name, version = requirement.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    for name in ("ruamel-yaml", "jsonschema", "httpx", "h2", "platformdirs", "sniffio", "tomli", "httpcore"):
        assert name in pins, name
    from importlib import metadata

    for name, pinned in pins.items():
        if name not in ("tomli", "exceptiongroup"):  # Python < 3.11 only
            tested = metadata.version(name)
            assert tested == pinned, f"{name}: the tests run {tested}, the action pins {pinned}"


BASH_4_ONLY = re.compile(
    r"\b(mapfile|readarray|coproc)\b|declare -[AnN]|local -n|\$\{[A-Za-z_]+(,,|\^\^)|&>>|\|&"
    r"|\bsha256sum\b|readlink -f|\brealpath\b|\btimeout \d|sed -i |sed -r|grep -P|date -d|stat -c"
)


def test_scripts_run_on_the_bash_3_2_and_bsd_tools_of_macos() -> None:
    for script in sorted(ACTION_DIR.glob("*.sh")):
        for number, line in enumerate(script.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split(" #", 1)[0] if not line.lstrip().startswith("#") else ""
            assert not BASH_4_ONLY.search(code), f"{script.name}:{number}: {line.strip()}"
        assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0


# -- the steps, executed ---------------------------------------------------------------------------------


def test_install_sets_up_python_only_when_needed_and_caches_pip(installed: Runner) -> None:
    ran = installed.installed_ran  # type: ignore[attr-defined]
    prepared = installed.outputs["prepare"]
    if installed.os == "macOS":  # Xcode's python3 is 3.9
        assert prepared["python"] == "" and "setup-python" in ran
    else:
        assert prepared["python"] and "setup-python" not in ran
    binary = Path(installed.outputs["install"]["pulllint"])
    assert str(binary).startswith(str(installed.temp)), "installed into RUNNER_TEMP"
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"pulllint {__version__}"
    # The pinned versions, whatever else the index offers.
    python = installed.outputs["install"]["python"]
    listed = subprocess.run([python, "-m", "pip", "list", "--format=json"], capture_output=True, check=True)
    installed_versions = {p["name"].lower(): p["version"] for p in json.loads(listed.stdout)}
    assert installed_versions["httpx"] == "0.28.1" and installed_versions["ruamel.yaml"] == "0.19.1"
    # pip's downloads were saved under a key of the OS, the Python and the pins.
    assert installed.store is not None
    [pip_key] = [k for k in installed.store.keys if k.startswith("pulllint-pip-v1-")]
    assert pip_key.startswith(f"pulllint-pip-v1-{installed.os}-")
    assert prepared["pip-key"] == pip_key


def json_counts(runner: Runner, *args: str) -> Counter[tuple[str, str]]:
    """(code, severity) counts of the same check, from the json format (the reference for the summary)."""
    binary = runner.outputs["install"]["pulllint"]
    completed = subprocess.run(
        [binary, "check", "--offline", "--format", "json", *args],
        cwd=runner.workspace,
        capture_output=True,
        text=True,
        check=False,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")},
            "GITHUB_ACTIONS": "",
            "GITHUB_STEP_SUMMARY": "",
        },
    )
    document = json.loads(completed.stdout)
    return Counter((d["code"], d["severity"]) for d in document["diagnostics"])


@cache
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def test_check_annotates_most_severe_first_and_writes_the_summary(runner: Runner) -> None:
    result = runner.run_action(
        {
            "paths": "./k8s\n  rendered\n",
            "offline": "true",
            "chart-dirs": "charts/monitoring",
            "sarif-file": "results/pulllint.sarif",
        },
        only=CHECK,
    )
    assert result.check.returncode == 1, result.check.stdout + result.check.stderr
    assert result.check.outputs == {"exit-code": "1", "sarif-file": "results/pulllint.sarif"}

    annotations = result.annotations
    ranks = [RANK[kind] for kind, _, _ in annotations if "file" in _]
    assert ranks == sorted(ranks, reverse=True), "most severe first"
    located = {
        (props["title"].split()[0], props["file"], int(props["line"]))
        for _, props, _ in annotations
        if "file" in props
    }
    # Helm output: at the template's line (found under the chart folder, subcharts included).
    assert ("PL104", "charts/monitoring/templates/daemonset.yaml", 17) in located
    assert ("PL105", "charts/monitoring/templates/daemonset.yaml", 20) in located
    assert ("PL103", "charts/monitoring/charts/cache/templates/statefulset.yaml", 15) in located
    # Plain manifests: where they are, relative to the workspace ("./k8s" was given: no "./" lands).
    assert ("PL101", "k8s/web.yaml", 16) in located and ("PL103", "k8s/web.yaml", 14) in located
    assert not any(file.startswith("./") for _, file, _ in located)
    [pl104] = [message for _, props, message in annotations if props["title"].startswith("PL104")]
    assert pl104.endswith("[rendered: rendered/monitoring.yaml:36:18]")

    # The summary: counts per rule and severity, then every finding.
    summary = runner.summary.read_text(encoding="utf-8")
    expected = json_counts(runner, "k8s", "rendered")
    assert summary.count("### pulllint") == 1
    for code in {code for code, _ in expected}:
        [row] = [line for line in summary.splitlines() if line.startswith(f"| {code} |")]
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        errors, warnings, infos, total = (int(cell) for cell in cells[2:6])
        assert (errors, warnings, infos) == tuple(expected[(code, s)] for s in ("error", "warning", "info"))
        assert total == errors + warnings + infos
    findings = summary.split("#### Findings", 1)[1]
    rows = [line for line in findings.splitlines() if line.startswith("| ") and "severity" not in line]
    assert len(rows) == sum(expected.values())
    assert "monitoring/templates/daemonset.yaml" in findings
    assert "`Shop/Report:1.0`" in findings

    # The SARIF file of the same run.
    sarif = json.loads((runner.workspace / "results" / "pulllint.sarif").read_text(encoding="utf-8"))
    problems = sorted(sarif_validator().iter_errors(sarif), key=str)
    assert not problems, problems[0]
    assert len(sarif["runs"][0]["results"]) == sum(expected.values())


def test_the_registry_cache_is_restored_used_and_saved(runner: Runner, tmp_path: Path) -> None:
    """Online, against a registry that refuses connections: pulllint writes its cache in the restored
    folder, and the save step keeps it for the next run although the check failed."""
    manifest = runner.workspace / "k8s" / "local.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        "  containers: [{name: c, image: '127.0.0.1:9/app:latest'}]\n"
    )
    store = runner.store
    assert store is not None
    seed = tmp_path / "seed"
    (seed / "from-an-earlier-run").mkdir(parents=True)
    prefix = f"pulllint-registry-v1-{runner.os}-{'ARM64' if runner.os == 'macOS' else 'X64'}-lint-"
    assert store.save(seed, f"{prefix}0-1") == ""  # what an earlier run saved
    runner.run_id = 7
    result = runner.run_action({"paths": "k8s/local.yaml", "fail-on": "warning"}, only=CHECK)
    assert result.check.returncode == 1, result.check.stdout + result.check.stderr
    assert "Save the registry-answer cache" in result.ran
    cache_dir = Path(runner.outputs["prepare"]["registry-cache-dir"])
    assert (cache_dir / "from-an-earlier-run").is_dir(), "restored by prefix"
    assert (cache_dir / "registry-v1").is_dir(), "pulllint used the restored folder"
    assert store.keys[-1] == f"{prefix}7-1"
    assert (store.root / str(len(store.keys) - 1) / "registry-v1").is_dir()
    # Without the cache: no folder, no cache steps.
    off = runner.run_action({"paths": "k8s/web.yaml", "offline": "true", "cache": "false"}, only=CHECK)
    assert off.ran == ["prepare", "check"]


def test_extra_args(runner: Runner) -> None:
    result = runner.run_action(
        {"paths": "k8s", "offline": "true", "extra-args": "--select PL101\n--fail-on warning"}, only=CHECK
    )
    assert result.check.returncode == 1
    assert {props["title"].split()[0] for _, props, _ in result.annotations if "file" in props} == {"PL101"}


def git(workspace: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.test"}
    env.update({"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.test"})
    completed = subprocess.run(
        ["git", *args], cwd=workspace, env=env, capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def pull_request(runner: Runner) -> None:
    """The workspace as a pull request's checkout: a base commit, then the PR's changes on top."""
    git(runner.workspace, "init", "--quiet")
    git(runner.workspace, "add", ".")
    git(runner.workspace, "commit", "--quiet", "-m", "base")
    base = git(runner.workspace, "rev-parse", "HEAD")
    event = runner.temp / f"event-{runner.workspace.parent.name}.json"
    event.write_text(json.dumps({"pull_request": {"base": {"sha": base}, "head": {"sha": "x"}}}))
    runner.extra_env.update({"GITHUB_EVENT_PATH": str(event), "GITHUB_EVENT_NAME": "pull_request"})


def test_only_changed_checks_the_manifests_of_the_pull_request(runner: Runner) -> None:
    pull_request(runner)
    added = runner.workspace / "k8s" / "new app.yaml"
    added.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        "  containers: [{name: c, image: 'redis:latest'}]\n"
    )
    (runner.workspace / "notes.md").write_text("not a manifest\n")
    git(runner.workspace, "add", ".")
    git(runner.workspace, "commit", "--quiet", "-m", "change")
    result = runner.run_action(
        {"paths": "k8s rendered", "offline": "true", "only-changed": "true"}, only=CHECK
    )
    assert result.check.returncode == 0, result.check.stdout + result.check.stderr  # warnings only
    files = {props.get("file") for _, props, _ in result.annotations}
    assert files == {"k8s/new app.yaml"}, result.check.stdout


def test_only_changed_without_changes_or_without_a_base(runner: Runner) -> None:
    pull_request(runner)
    nothing = runner.run_action({"paths": "k8s", "offline": "true", "only-changed": "true"}, only=CHECK)
    assert nothing.check.returncode == 0
    assert "::notice title=pulllint::no manifest under the paths changed" in nothing.check.stdout
    runner.extra_env["GITHUB_EVENT_PATH"] = str(runner.temp / "no-such-event.json")
    fallback = runner.run_action({"paths": "k8s", "offline": "true", "only-changed": "true"}, only=CHECK)
    assert "cannot tell which files changed" in fallback.check.stdout
    assert fallback.check.returncode == 1 and any(k == "error" for k, _, _ in fallback.annotations)


def test_clean_manifests_pass(runner: Runner) -> None:
    good = runner.workspace / "good"
    good.mkdir()
    (good / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec:\n"
        "  containers: [{name: c, image: 'ghcr.io/acme/app:1.2.3'}]\n"
    )
    result = runner.run_action({"paths": "good", "offline": "true"}, only=CHECK)
    assert result.check.returncode == 0, result.check.stdout + result.check.stderr
    assert result.check.outputs["exit-code"] == "0"
    assert result.annotations == []
    assert "No problems found in 1 file" in runner.summary.read_text(encoding="utf-8")


def test_fail_on_and_config_inputs(runner: Runner) -> None:
    warn = runner.run_action({"paths": "k8s/web.yaml", "offline": "true", "fail-on": "warning"}, only=CHECK)
    assert warn.check.returncode == 1
    (runner.workspace / "lenient.yaml").write_text("ignore: [PL101]\n")
    runner.summary = runner.summary.with_name("second_step_summary.md")  # each step has its own file
    lenient = runner.run_action(
        {"paths": "k8s/web.yaml", "offline": "true", "config": "lenient.yaml"}, only=CHECK
    )
    assert lenient.check.returncode == 0, lenient.check.stdout + lenient.check.stderr
    assert [kind for kind, _, _ in lenient.annotations] == ["warning"]
    assert runner.summary.read_text(encoding="utf-8").count("### pulllint") == 1


@pytest.mark.parametrize("name", ["offline", "only-changed", "cache"])
def test_bad_boolean_inputs_exit_2(runner: Runner, name: str) -> None:
    result = runner.run_action({name: "yes please"}, only=CHECK)
    step = result.steps["prepare"] if name == "cache" else result.check
    assert step.returncode == 2
    assert step.stdout.startswith(f"::error title=pulllint::the {name} input must be true or false")
    injected = runner.run_action({name: "no\n::warning::injected"}, only=CHECK)
    step = injected.steps["prepare"] if name == "cache" else injected.check
    assert step.returncode == 2 and len(step.stdout.splitlines()) == 1


def test_missing_path_exits_2(runner: Runner) -> None:
    missing = runner.run_action({"paths": "no-such-dir", "offline": "true"}, only=CHECK)
    assert missing.check.returncode == 2 and missing.check.outputs["exit-code"] == "2"
    assert "Traceback" not in missing.check.stderr


def test_text_format_writes_no_annotations(runner: Runner) -> None:
    result = runner.run_action({"paths": "k8s", "offline": "true", "format": "text"}, only=CHECK)
    assert result.check.returncode == 1
    assert "k8s/web.yaml:16:18: PL101 error" in result.check.stdout
    assert result.annotations == [] and not runner.summary.exists()
