"""pre-commit passes only some files, in batches: pods still find the ServiceAccounts and Secrets that
live in other files of the repository (the real `pre-commit`, as a team runs it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests._precommit import git, try_repo

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app-{n}, namespace: shop}}
spec:
  template:
    spec:
      serviceAccountName: deployer
      containers:
        - name: app
          image: registry.example.com/shop/app-{n}:1.0
"""

ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer, namespace: shop}
imagePullSecrets: [{name: regcred}]
"""

SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: regcred, namespace: shop}
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '{"auths": {"registry.example.com": {"auth": "cm9ib3Q6czNjcjN0"}}}'
"""


def _repository(tmp_path: Path, deployments: int) -> Path:
    repo = tmp_path / "repo"
    (repo / "apps").mkdir(parents=True)
    (repo / "platform").mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    for n in range(deployments):
        (repo / "apps" / f"app-{n:03}.yaml").write_text(DEPLOYMENT.format(n=n), encoding="utf-8")
    (repo / "platform" / "accounts.yaml").write_text(ACCOUNT, encoding="utf-8")
    (repo / "platform" / "secrets.yaml").write_text(SECRET, encoding="utf-8")
    return repo


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "home"), "NO_COLOR": "1"}


def test_batches_of_all_files_find_the_service_account(pre_commit: str, tmp_path: Path) -> None:
    """299 Deployments and one ServiceAccount file: pre-commit splits them into batches (and processes);
    no batch may call the pods' pull secrets missing."""
    repo = _repository(tmp_path, 299)
    git(repo, "add", ".")
    done = try_repo(pre_commit, repo, "pulllint", tmp_path / "home")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "PL201" not in output and "Traceback" not in output
    assert "s3cr3t" not in output


def test_a_commit_that_stages_one_deployment(pre_commit: str, tmp_path: Path) -> None:
    """Only the staged Deployment is passed; its ServiceAccount and Secret are committed elsewhere."""
    repo = _repository(tmp_path, 2)
    git(repo, "add", "platform")
    git(repo, "commit", "-qm", "platform")
    pulllint = Path(sys.executable).with_name("pulllint")
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: pulllint\n        name: pulllint\n"
        f"        entry: {pulllint} check --offline\n"
        "        language: system\n        types_or: [yaml, json]\n",
        encoding="utf-8",
    )
    git(repo, "add", "apps/app-000.yaml", ".pre-commit-config.yaml")
    passed = subprocess.run(
        [pre_commit, "run"], cwd=repo, env=_env(tmp_path), capture_output=True, text=True, timeout=300
    )
    assert passed.returncode == 0, passed.stdout + passed.stderr
    # The same commit without the ServiceAccount anywhere: a warning that says it is unknown, not an error.
    (repo / "platform" / "accounts.yaml").unlink()
    git(repo, "add", "-A")
    warned = subprocess.run(
        [pre_commit, "run", "--verbose"],
        cwd=repo,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert (
        "PL201 warning" in warned.stdout and "ServiceAccount 'deployer' is not in the input" in warned.stdout
    )
