"""The shape of the house, checked from the source: import directions, no cycles, no rule in the engine,
and nothing of a run (credentials above all) left behind in module state once the run is over."""

from __future__ import annotations

import ast
import base64
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pulllint"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every pulllint module and the pulllint modules it imports (lazy imports inside functions too)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    module = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    module = node.module or ""
                found.add(module)
                found.update(f"{module}.{alias.name}" for alias in node.names)
        graph[name] = {m for m in found if m.startswith("pulllint")}
    known = set(graph)
    # `from pulllint.rules import Rule` names a module only when Rule is one: keep real modules.
    return {name: {m for m in targets if m in known and m != name} for name, targets in graph.items()}


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_rules_and_registry_never_import_each_other() -> None:
    graph = _imports()
    crossings = [
        (source, target)
        for source, targets in graph.items()
        for target in targets
        if (_in(source, "pulllint.rules") and _in(target, "pulllint.registry"))
        or (_in(source, "pulllint.registry") and _in(target, "pulllint.rules"))
    ]
    assert crossings == []


def test_the_model_and_the_rules_do_not_read_the_configuration() -> None:
    graph = _imports()
    readers = [
        source
        for source, targets in graph.items()
        if (_in(source, "pulllint.rules") or _in(source, "pulllint.model")) and "pulllint.config" in targets
    ]
    assert readers == []


def test_no_import_cycle() -> None:
    graph = _imports()
    # A package's __init__ is imported by its submodules implicitly; only explicit edges count.
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, path: list[str]) -> bool:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycle.extend([*path[path.index(target) :], target] if target in path else [node, target])
                return True
            if target not in state and visit(target, [*path, target]):
                return True
        state[node] = 2
        return False

    for module in sorted(graph):
        if module not in state and visit(module, [module]):
            break
    assert cycle == [], " -> ".join(cycle)


def test_the_engine_names_no_rule() -> None:
    source = (PACKAGE / "engine.py").read_text(encoding="utf-8")
    assert re.findall(r"\bPL[0-9]{3}\b", source) == []


# Run in a fresh interpreter: the CLI's main() in-process, then a walk from every module's globals
# through everything they reference (a pytest process would walk the whole test session's objects).
_LEAK_PROBE = r"""
import gc, sys, types


def probe():
    # The needles come on stdin and live only in this frame: nothing of the probe is module state.
    needles = tuple(sys.stdin.read().split())
    from pulllint.cli import main

    code = main(sys.argv[1:])
    gc.collect()
    seen, hits = set(), []
    stack = [m for n, m in list(sys.modules.items()) if m is not None and n != "__main__"]
    encoded = tuple(n.encode() for n in needles)
    budget = 20_000_000
    while stack and budget:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        budget -= 1
        if isinstance(obj, str):
            if any(n in obj for n in needles):
                hits.append(obj[:80])
            continue
        if isinstance(obj, (bytes, bytearray)):
            if any(n in obj for n in encoded):
                hits.append(repr(obj[:80]))
            continue
        if isinstance(obj, (int, float, bool, type(None), types.FrameType)):
            continue
        stack.extend(gc.get_referents(obj))
    print("exit", code, "walked", len(seen), "budget left", budget, file=sys.stderr)
    print("found in module state:" if hits else "clean", *hits[:5], file=sys.stderr)
    return 3 if hits or not budget else 0


sys.exit(probe())
"""


@pytest.mark.parametrize("online", [False, True], ids=["offline", "registry"])
def test_no_credential_outlives_the_run(tmp_path: Path, online: bool) -> None:
    password = "pw-" + secrets.token_hex(16)
    auth = base64.b64encode(f"robot:{password}".encode()).decode()
    config = json.dumps({"auths": {"127.0.0.1:9": {"auth": auth}}})
    manifest = tmp_path / "app.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: regcred}\ntype: kubernetes.io/dockerconfigjson\n"
        f"stringData:\n  .dockerconfigjson: '{config}'\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: app}\nspec:\n"
        "  imagePullSecrets: [{name: regcred}]\n"
        "  containers: [{name: app, image: '127.0.0.1:9/team/app:1.0'}]\n",
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    args = ["check", "--format", "json", "--no-docker-config", "--cache-dir", str(cache)]
    # Port 9 on loopback is closed: the registry wing gets the credential and is refused at once.
    args += [] if online else ["--offline"]
    env = {**os.environ, "PULLLINT_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", _LEAK_PROBE, *args, str(manifest)],
        input=f"{password} {auth}",
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["version"]
    assert password not in done.stdout + done.stderr and auth not in done.stdout
    assert not any(password in path.read_text(errors="replace") for path in tmp_path.rglob("*.json"))
