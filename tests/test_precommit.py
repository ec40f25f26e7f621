"""The pre-commit hooks, run by the real `pre-commit try-repo` on a temporary repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

GOOD = "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec:\n  containers: [{name: c, image: 'nginx:1.27.2'}]\n"
BAD = "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers:\n    - name: c\n      image: Nginx:1.0\n"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pre_commit() -> str:
    executable = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
    if not Path(executable).exists():
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    return executable


def _try_repo(pre_commit: str, repo: Path, hook: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run(
        [pre_commit, "try-repo", str(ROOT), hook, "--all-files", "--verbose"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_offline_hook_passes_good_and_fails_bad_manifests(pre_commit: str, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "good.yaml").write_text(GOOD)
    (repo / "values.json").write_text('{"image": {"tag": "latest"}}\n')
    _git(repo, "add", ".")
    home = tmp_path / "pre-commit-home"

    passed = _try_repo(pre_commit, repo, "pulllint", home)
    assert passed.returncode == 0, passed.stdout + passed.stderr

    (repo / "deploy").mkdir()
    (repo / "deploy" / "bad.yaml").write_text(BAD)
    _git(repo, "add", ".")
    failed = _try_repo(pre_commit, repo, "pulllint", home)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "deploy/bad.yaml:7:14: PL101 error" in failed.stdout
    assert "Traceback" not in failed.stdout + failed.stderr
