"""Fixtures for `pulllint diagnose`: an isolated environment, a fake kubectl on PATH, and the registry
suite's loopback registries (imported from tests/registry, whose fixtures start Debian's docker-registry)."""

from __future__ import annotations

import json
import os
import stat
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.registry.conftest import basic_registry, open_registry

__all__ = ["FIXTURES", "FakeKubectl", "basic_registry", "open_registry"]

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# A stand-in for kubectl that answers from List files (pods.json, events.json, serviceaccounts.json,
# secrets.json, nodes.json) the way the API server would, for the verbs and flags diagnose uses, and logs
# every call. A file named "fail" makes it fail with that text on stderr; "hang" makes it sleep;
# "forbid-secret" refuses to read a Secret (as RBAC often does).
_FAKE = """
import json, os, sys, time

data = os.environ["FAKE_KUBECTL_DATA"]
args = sys.argv[1:]
with open(os.path.join(data, "calls.log"), "a") as log:
    log.write(json.dumps(args) + "\\n")
if os.path.exists(os.path.join(data, "fail")):
    sys.stderr.write(open(os.path.join(data, "fail")).read())
    sys.exit(1)
if os.path.exists(os.path.join(data, "hang")):
    time.sleep(30)
namespace, all_ns, output, positional = "default", False, None, []
i = 0
while i < len(args):
    a = args[i]
    if a in ("--namespace", "-n", "--context", "-o", "--field-selector"):
        if a in ("--namespace", "-n"):
            namespace = args[i + 1]
        if a == "-o":
            output = args[i + 1]
        i += 2
        continue
    if a in ("--all-namespaces", "-A"):
        all_ns = True
    elif not a.startswith("-"):
        positional.append(a)
    i += 1
if positional[:1] != ["get"]:
    sys.stderr.write("fake kubectl: only get is allowed\\n")
    sys.exit(3)
resource = positional[1]
if resource == "secret" and os.path.exists(os.path.join(data, "forbid-secret")):
    sys.stderr.write(f'Error from server (Forbidden): secrets "{positional[2]}" is forbidden: User "dev" '
                     'cannot get resource "secrets" in API group "" in the namespace "prod"\\n')
    sys.exit(1)
files = {"pods": "pods.json", "events": "events.json", "serviceaccounts": "serviceaccounts.json",
         "secrets": "secrets.json", "secret": "secrets.json", "node": "nodes.json"}
path = os.path.join(data, files[resource])
items = json.load(open(path))["items"] if os.path.exists(path) else []
def ns_of(item):
    meta = item.get("metadata", {})
    return meta.get("namespace") or item.get("involvedObject", {}).get("namespace")
if resource != "node" and not all_ns:
    items = [item for item in items if ns_of(item) == namespace]
if len(positional) > 2:
    found = [item for item in items if item["metadata"]["name"] == positional[2]]
    if not found:
        sys.stderr.write(f'Error from server (NotFound): {resource} "{positional[2]}" not found\\n')
        sys.exit(1)
    print(json.dumps(found[0]))
elif output and output.startswith("custom-columns="):
    for item in items:
        print(item["metadata"]["name"], item.get("type", "Opaque"))
else:
    print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
"""


class FakeKubectl:
    def __init__(self, data: Path) -> None:
        self.data = data

    def write(self, name: str, items: list[dict[str, Any]]) -> None:
        (self.data / name).write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))

    def copy(self, name: str, fixture: str) -> None:
        (self.data / name).write_text((FIXTURES / fixture).read_text())

    def calls(self) -> list[list[str]]:
        log = self.data / "calls.log"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the real user's docker config, cache, kubeconfig or proxies."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("PULLLINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("KUBECONFIG", str(home / "no-kubeconfig"))
    for name in ("DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def fake_kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKubectl]:
    bin_dir = tmp_path / "bin"
    data = tmp_path / "kubectl-data"
    bin_dir.mkdir()
    data.mkdir()
    script = bin_dir / "kubectl"
    script.write_text(f"#!{sys.executable}\n" + textwrap.dedent(_FAKE))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("FAKE_KUBECTL_DATA", str(data))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    yield FakeKubectl(data)
