"""One job summary per step, and GitHub's annotation limits, across the batches pre-commit runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import github_step
from pulllint.reporters.github_step import publish, run_key
from tests.conftest import ROOT
from tests.reporters._samples import diag, make_report


def batch(path: str, errors: int, warnings: int = 0) -> list[Diagnostic]:
    return [diag(path=path, line=n + 1, message=f"e{n}") for n in range(errors)] + [
        diag(path=path, line=100 + n, severity=Severity.WARNING, code="PL103", message=f"w{n}")
        for n in range(warnings)
    ]


def annotated_kinds(output: str) -> list[str]:
    return [line.split(" ", 1)[0] for line in output.splitlines() if line.startswith("::")]


def count_row(summary: str, code: str) -> list[str]:
    [row] = [line for line in summary.splitlines() if line.startswith(f"| {code} |")]
    return [cell.strip() for cell in row.strip("|").split("|")]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    summary = tmp_path / "step_summary.md"
    summary.write_text("## Build\n\nbuilt fine\n", encoding="utf-8")  # what an earlier tool wrote
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    return {"GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(temp)}


def test_batches_of_one_step_share_one_summary_and_the_limits(env: dict[str, str]) -> None:
    summary = Path(env["GITHUB_STEP_SUMMARY"])
    first = publish(make_report(batch("a.yaml", 6, 8), files=3, images=5), env)
    second = publish(make_report(batch("b.yaml", 7, 1), files=2, images=2), env)
    third = publish(make_report(batch("c.yaml", 0), files=4, images=1), env)
    assert annotated_kinds(first) == ["::error"] * 6 + ["::warning"] * 8
    # 4 error annotations were left for this step: the rest go to the log, announced once.
    assert annotated_kinds(second) == ["::error"] * 4 + ["::warning", "::notice"]
    assert "3 more findings not annotated" in second
    assert annotated_kinds(third) == []

    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## Build\n\nbuilt fine\n")
    assert text.count("### pulllint") == 1
    assert "Found 22 problems (13 errors, 9 warnings) in 9 files; 8 images checked." in text
    assert count_row(text, "PL001")[2:6] == ["13", "0", "0", "13"]
    assert "Combined from 3 pulllint runs of this step" in text
    assert "3 of the findings are not annotated" in text
    findings = text.split("#### Findings", 1)[1].splitlines()
    rows = [line for line in findings if line.startswith("| ") and line[2] != "s"]  # not the header
    assert len(rows) == 22


def test_a_later_step_or_run_starts_afresh(env: dict[str, str], tmp_path: Path) -> None:
    publish(make_report(batch("a.yaml", 9), files=1, images=1), env)
    # The summary file was emptied (another step's file, or a rerun): the old state is not carried over.
    Path(env["GITHUB_STEP_SUMMARY"]).write_text("", encoding="utf-8")
    output = publish(make_report(batch("b.yaml", 9), files=1, images=1), env)
    assert annotated_kinds(output) == ["::error"] * 9
    assert "in 1 file;" in Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")


def test_runs_with_another_parent_have_sections_of_their_own(env: dict[str, str], tmp_path: Path) -> None:
    summary = env["GITHUB_STEP_SUMMARY"]
    assert run_key(summary, 10) != run_key(summary, 11) and run_key(summary, 10) == run_key(summary, 10)
    script = tmp_path / "one_run.py"
    script.write_text(
        "import json, sys\n"
        "from pulllint.reporters.github_step import publish\n"
        "from tests.reporters._samples import diag, make_report\n"
        "sys.stdout.write(publish(make_report([diag()], files=1, images=1), json.loads(sys.argv[1])))\n"
    )
    for _ in range(2):  # two processes started by two shells (two steps' scripts), not by one parent
        subprocess.run(
            ["sh", "-c", '"$0" "$1" "$2"; true', sys.executable, str(script), json.dumps(env)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=True,
            capture_output=True,
            timeout=120,
        )
    assert Path(summary).read_text(encoding="utf-8").count("### pulllint") == 2


def test_parallel_batches_make_one_coherent_summary(env: dict[str, str]) -> None:
    """As pre-commit runs them: several processes of one parent at the same time."""
    code = (
        "import json, sys\n"
        "from pulllint.diagnostics import Severity\n"
        "from pulllint.reporters.github_step import publish\n"
        "from tests.reporters._samples import diag, make_report\n"
        "name = sys.argv[2]\n"
        "diagnostics = [diag(path=name, line=n + 1, message=f'e{n}') for n in range(5)]\n"
        "diagnostics += [diag(path=name, line=50 + n, severity=Severity.WARNING) for n in range(5)]\n"
        "sys.stdout.write(publish(make_report(diagnostics, files=1, images=2), json.loads(sys.argv[1])))\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, json.dumps(env), f"batch{n}.yaml"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert all(process.returncode == 0 for process in processes)
    kinds = [kind for output in outputs for kind in annotated_kinds(output)]
    assert kinds.count("::error") == 10 and kinds.count("::warning") == 10
    text = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert text.count("### pulllint") == 1
    assert "Found 40 problems (20 errors, 20 warnings) in 4 files; 8 images checked." in text


def test_a_summary_that_cannot_be_combined_says_it_is_partial(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fcntl = pytest.importorskip("fcntl")
    summary = env["GITHUB_STEP_SUMMARY"]
    state = Path(env["RUNNER_TEMP"]) / f"pulllint-step-{run_key(summary)}.json"
    monkeypatch.setattr(github_step, "LOCK_TIMEOUT", 0.2)
    with open(state, "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # another batch holds it
        output = publish(make_report([diag()], files=1, images=1), env)
    assert annotated_kinds(output) == ["::error"]
    text = Path(summary).read_text(encoding="utf-8")
    assert "This section covers one pulllint run only" in text and "Found 1 problem" in text


def test_an_unwritable_summary_is_a_warning(tmp_path: Path) -> None:
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "missing-dir" / "summary.md"), "RUNNER_TEMP": str(tmp_path)}
    output = publish(make_report([diag()], files=1, images=1), env)
    assert output.splitlines()[0].startswith("::error file=k8s/web.yaml")
    assert output.splitlines()[-1].startswith("::warning title=pulllint::cannot write the job summary to ")


def test_without_a_summary_file_it_is_the_github_format(tmp_path: Path) -> None:
    from pulllint.reporters import render

    report = make_report([diag()], files=1, images=1)
    assert publish(report, {}) == render(report, "github")
    assert not list(tmp_path.iterdir())


def test_state_holds_no_more_than_the_findings(env: dict[str, str]) -> None:
    publish(make_report([diag(fix="pin it")], files=1, images=1), env)
    [state] = Path(env["RUNNER_TEMP"]).glob("pulllint-step-*.json")
    document = json.loads(state.read_text(encoding="utf-8"))
    assert set(document) == {
        "version",
        "runs",
        "files",
        "images",
        "left_out",
        "annotated",
        "rules",
        "diagnostics",
    }
    assert os.path.getsize(state) < 2000


def test_a_state_file_that_cannot_be_opened_gives_a_partial_summary(env: dict[str, str]) -> None:
    summary = env["GITHUB_STEP_SUMMARY"]
    state = Path(env["RUNNER_TEMP"]) / f"pulllint-step-{run_key(summary)}.json"
    state.symlink_to(Path(env["RUNNER_TEMP"]) / "elsewhere.json")  # never followed
    output = publish(make_report([diag()], files=1, images=1), env)
    assert annotated_kinds(output) == ["::error"]
    assert "This section covers one pulllint run only" in Path(summary).read_text(encoding="utf-8")
    assert not (Path(env["RUNNER_TEMP"]) / "elsewhere.json").exists()


def test_without_runner_temp_the_state_sits_next_to_the_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    publish(make_report([diag()], files=1, images=1), {"GITHUB_STEP_SUMMARY": str(summary)})
    assert [p.name for p in tmp_path.glob("pulllint-step-*.json")] == [
        f"pulllint-step-{run_key(str(summary))}.json"
    ]


def test_pre_commit_batches_write_one_coherent_summary(tmp_path: Path) -> None:
    """The real `pre-commit try-repo`: 40 files, which it splits into batches run in parallel."""
    import shutil

    pre_commit = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
    if not Path(pre_commit).exists():
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    repo = tmp_path / "repo"
    (repo / "k8s").mkdir(parents=True)
    for n in range(40):
        (repo / "k8s" / f"app{n:02}.yaml").write_text(
            f"apiVersion: v1\nkind: Pod\nmetadata: {{name: app{n}}}\nspec:\n"
            f"  containers:\n    - {{name: c, image: 'Acme/App{n}:1.0'}}\n"  # PL101, an error
        )
    git_env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.test"}
    git_env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.test")
    for args in (["init", "-q"], ["add", "."]):
        subprocess.run(["git", *args], cwd=repo, env=git_env, check=True, capture_output=True)
    summary = tmp_path / "summary.md"
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "PULLLINT"))}
    env.pop("PYTHONPATH", None)  # the hook runs pulllint as pre-commit installed it
    env.update(
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        NO_COLOR="1",
        GITHUB_ACTIONS="true",  # --format github is chosen, as in a workflow step
        GITHUB_STEP_SUMMARY=str(summary),
        RUNNER_TEMP=str(temp),
        GITHUB_WORKSPACE=str(repo),
    )
    completed = subprocess.run(
        [pre_commit, "try-repo", str(ROOT), "pulllint", "--all-files", "--verbose"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    text = summary.read_text(encoding="utf-8")
    runs = re.search(r"Combined from (\d+) pulllint runs", text)
    assert runs is not None and int(runs.group(1)) >= 2, text[:500]
    assert text.count("### pulllint") == 1
    assert "Found 40 problems (40 errors) in 40 files; 40 images checked." in text
    assert completed.stdout.count("::error file=k8s/app") == 10, "GitHub's 10 errors per step, all batches"
    assert "more findings not annotated" in completed.stdout
