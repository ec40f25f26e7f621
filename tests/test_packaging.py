"""The wheel ships the rule packs: build it, install it into a fresh venv, run it outside the checkout.

Slow (about 20 s): it builds the wheel with pip (build isolation: setuptools and wheel come from the
configured package index), creates a venv with `python -m venv` (pip from ensurepip, offline) and
installs the wheel there with `--no-deps`. The dependencies are not downloaded again: a `.pth` file in
the fresh venv appends this environment's site-packages to `sys.path` (a `.pth` line adds a plain path,
whose own `.pth` files, the editable install's finder included, are not run), so `pulllint` itself can
only come from the wheel; the test checks that it does.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FROZEN = """\
apiVersion: v1
kind: Pod
metadata:
  name: pause
spec:
  containers:
    - name: pause
      image: k8s.gcr.io/pause:3.9
"""


def _build_wheel(out: Path) -> Path:
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)]
    built = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if built.returncode != 0:
        if "No matching distribution found" in built.stderr or "Could not find a version" in built.stderr:
            pytest.skip(f"no build backend available offline: {built.stderr.strip().splitlines()[-1]}")
        raise AssertionError(f"pip wheel failed:\n{built.stdout}\n{built.stderr}")
    (wheel,) = out.glob("pulllint-*.whl")
    return wheel


def test_wheel_ships_the_packs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path / "wheelhouse")
    names = zipfile.ZipFile(wheel).namelist()
    packs = {n for n in names if n.startswith("pulllint/packs/") and n.endswith(".yaml")}
    assert {
        "pulllint/packs/k8s-gcr-io.yaml",
        "pulllint/packs/gcr-io.yaml",
        "pulllint/packs/bitnami.yaml",
    } <= packs
    assert "pulllint/schemas/rulepack.schema.json" in names
    assert "pulllint/kinds/kinds.json" in names  # where each kind keeps its containers
    assert not [n for n in names if n.startswith("rules/")], "no top-level `rules` package"
    top_level = next(n for n in names if n.endswith(".dist-info/top_level.txt"))
    assert zipfile.ZipFile(wheel).read(top_level).decode().split() == ["pulllint"]

    env = tmp_path / "env"
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=300)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "pulllint-test-deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "pod.yaml").write_text(FROZEN, encoding="utf-8")
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import pulllint.packs, pulllint; print(pulllint.__file__, pulllint.packs.__file__)",
        ],
        cwd=outside,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert str(ROOT) not in where and str(env) in where, where

    checked = subprocess.run(
        [str(env / "bin" / "pulllint"), "check", "--offline", "--fail-on", "warning", "pod.yaml"],
        cwd=outside,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 1, checked.stderr
    assert "pod.yaml:8:14: PL303 warning" in checked.stdout
    assert "registry.k8s.io/pause:3.9" in checked.stdout

    page = subprocess.run(
        [str(env / "bin" / "pulllint"), "rule", "PL303"],
        cwd=outside,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "k8s-gcr-io/k8s-gcr-io" in page and "bitnami/ecr-public" in page
