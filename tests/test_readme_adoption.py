"""The README's adoption path and cluster-context example, run exactly as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      serviceAccountName: deployer
      containers:
        - name: web
          ports:
            - containerPort: 8080
          resources: {}
          image: registry.example.com/shop/web:2.4
"""


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.DOTALL | re.MULTILINE)
    assert match is not None, title
    return match.group(1)


def _sh(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "CI_"))}
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env.update(NO_COLOR="1", COLUMNS="100", PULLLINT_CACHE_DIR=str(cwd / ".cache"))
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_baseline_commands_as_written(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples", repo / "examples")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    [block] = re.findall(
        r"```sh\n(.*?)```", _section("Adopting pulllint on an existing repository"), re.DOTALL
    )
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands[0].endswith("--update-baseline") and commands[1].startswith("git add")
    assert _sh("pulllint check --offline", repo).returncode == 1  # the examples have real problems
    for command in commands:
        done = _sh(command, repo)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert "left out by the baseline" in done.stderr


def test_the_cluster_context_worked_example(tmp_path: Path) -> None:
    section = _section("Cluster context")
    [output] = re.findall(r"```\n(k8s/web\.yaml:.*?)```", section, re.DOTALL)
    [config] = re.findall(r"```yaml\n# \.pulllint\.yaml\n(.*?)```", section, re.DOTALL)
    repo = tmp_path / "repo"
    (repo / "k8s").mkdir(parents=True)
    (repo / ".git").mkdir()
    (repo / "k8s" / "web.yaml").write_text(WEB, encoding="utf-8")
    undeclared = _sh("pulllint check --offline", repo)
    assert undeclared.returncode == 0
    headline, why = output.strip().splitlines()
    printed = undeclared.stdout.splitlines()
    assert printed[0] == headline
    explanation = []
    for line in printed[1:]:
        if line.lstrip().startswith("fix:"):
            break
        explanation.append(line)
    assert " ".join(" ".join(explanation).split()) == " ".join(why.split())
    (repo / ".pulllint.yaml").write_text(config, encoding="utf-8")
    assert _sh("pulllint check --offline", repo).returncode == 0
    (repo / "k8s" / "web.yaml").write_text(
        WEB.replace("registry.example.com", "harbor.example.org"), encoding="utf-8"
    )
    moved = _sh("pulllint check --offline --select PL2", repo)
    assert moved.returncode == 1 and "PL204 error" in moved.stdout
