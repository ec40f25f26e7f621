"""The pre-commit hooks, run by the real `pre-commit try-repo` on a temporary repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests._precommit import git, try_repo

POD = "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n"
POD += "  containers:\n    - {{name: c, image: '{image}'}}\n"
GOOD = POD.format(name="ok", image="nginx:1.27.2")
BAD = POD.format(name="bad", image="Nginx:1.0")


def test_offline_hook_passes_good_and_fails_bad_manifests(pre_commit: str, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "good.yaml").write_text(GOOD)
    (repo / "values.json").write_text('{"image": {"tag": "latest"}}\n')
    git(repo, "add", ".")
    home = tmp_path / "pre-commit-home"

    passed = try_repo(pre_commit, repo, "pulllint", home)
    assert passed.returncode == 0, passed.stdout + passed.stderr

    (repo / "deploy").mkdir()
    (repo / "deploy" / "bad.yaml").write_text(BAD)
    git(repo, "add", ".")
    failed = try_repo(pre_commit, repo, "pulllint", home)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "deploy/bad.yaml:6:24: PL101 error" in failed.stdout
    assert "Traceback" not in failed.stdout + failed.stderr


# Only a loopback registry that refuses connections at once: once the registry checks run in this hook,
# the image gives at most PL405 registry-unreachable (info), which never fails with the default fail-on.
LOCAL = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: local}\nspec:\n"
    "  containers:\n    - name: c\n      image: 127.0.0.1:1/none/app:1.0\n"
)


def test_registry_hook_passes_good_and_fails_bad_manifests(
    pre_commit: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULLLINT_CACHE_DIR", str(tmp_path / "cache"))  # never the user's cache
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "local.yaml").write_text(LOCAL)
    git(repo, "add", ".")
    home = tmp_path / "pre-commit-home"

    passed = try_repo(pre_commit, repo, "pulllint-registry", home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"pulllint \(registry\)\.+Passed", passed.stdout), passed.stdout

    (repo / "bad.yaml").write_text(BAD)
    git(repo, "add", ".")
    failed = try_repo(pre_commit, repo, "pulllint-registry", home)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert re.search(r"pulllint \(registry\)\.+Failed", failed.stdout), failed.stdout
    assert "bad.yaml:6:24: PL101 error" in failed.stdout
    assert all("PL405 info" in line for line in failed.stdout.splitlines() if "local.yaml:" in line)
    assert "Traceback" not in failed.stdout + failed.stderr


CHART_TEMPLATE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "web.fullname" . }}
  labels:
    {{- include "web.labels" . | nindent 4 }}
spec:
  template:
    spec:
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          {{- with .Values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
"""
PLAYBOOK = """- hosts: web
  become: true
  vars:
    image: "nginx:{{ nginx_version }}"
  tasks:
    - name: render the manifest
      template: src=deploy.j2 dest=/etc/k8s/{{ inventory_hostname }}.yaml
    - name: say hello
      debug: msg="hello {{ ansible_user }}"
"""
TSCONFIG = """{
  // TypeScript settings: JSON with comments and trailing commas
  "compilerOptions": {
    "strict": true,
    "paths": {"@/*": ["src/*"],},
  },
}
"""


def test_offline_hook_judges_only_manifests_in_a_mixed_repository(pre_commit: str, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    chart = repo / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: '1.27'\n")
    (chart / "values.yaml").write_text("image:\n  repository: nginx\n  tag: ''\nresources: {}\n")
    (chart / "templates" / "deployment.yaml").write_text(CHART_TEMPLATE)
    (chart / "templates" / "_helpers.tpl").write_text('{{- define "web.fullname" -}}web{{- end }}\n')
    (repo / "tsconfig.json").write_text(TSCONFIG)
    (repo / "ansible").mkdir()
    (repo / "ansible" / "site.yml").write_text(PLAYBOOK)
    (repo / "deploy").mkdir()
    (repo / "deploy" / "good.yaml").write_text(GOOD)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    home = tmp_path / "pre-commit-home"

    passed = try_repo(pre_commit, repo, "pulllint", home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"pulllint \(offline\)\.+Passed", passed.stdout), passed.stdout

    (repo / "deploy" / "bad.yaml").write_text(BAD)
    git(repo, "add", ".")
    failed = try_repo(pre_commit, repo, "pulllint", home)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "deploy/bad.yaml:6:24: PL101 error" in failed.stdout
    findings = re.findall(r"^(\S+?):\d+:\d+: (PL\d+) (error|warning)", failed.stdout, re.MULTILINE)
    assert {path for path, _, severity in findings if severity == "error"} == {"deploy/bad.yaml"}
    assert "charts/web/templates/deployment.yaml: info: skipped" in failed.stdout
    assert "helm template charts/web | pulllint check -" in failed.stdout
    assert "Traceback" not in failed.stdout + failed.stderr
