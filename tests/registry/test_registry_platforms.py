"""Platforms as the kubelet's runtime sees them, against real images pushed to Debian's docker-registry:
an OCI index without arm64, a Docker list with only arm/v7 and 386 entries, an arm64-only index, a
single-platform manifest; pods with os-only selectors; both runtimes (containerd and CRI-O)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulllint.cli import main
from pulllint.model.facts import Platform, Status
from pulllint.registry import RegistrySettings, resolve

from ._support import Pusher, start_registry
from .conftest import Registry, _require_registry, query


@pytest.fixture(scope="module")
def platforms_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    _require_registry()
    process = start_registry(tmp_path_factory.mktemp("platforms-registry"))
    pusher = Pusher(process.url)
    try:
        images = {
            "no-arm64:1.0": pusher.index(
                "no-arm64", "1.0", [("linux", "amd64", None), ("linux", "arm", "v7")]
            ),
            "legacy:1.0": pusher.index(
                "legacy", "1.0", [("linux", "arm", "v7"), ("linux", "386", None)], docker=True
            ),
            "arm64-only:1.0": pusher.index("arm64-only", "1.0", [("linux", "arm64", "v8")], attestation=True),
            "both:1.0": pusher.index("both", "1.0", [("linux", "amd64", None), ("linux", "arm64", "v8")]),
            "single-amd64:1.0": pusher.image("single-amd64", "1.0"),
        }
        yield Registry(process, images)
    finally:
        pusher.close()
        process.stop()


ARM64, AMD64 = Platform.parse("linux/arm64"), Platform.parse("linux/amd64")


@pytest.mark.parametrize(
    ("runtime", "arm64_takes", "amd64_takes"),
    [("containerd", "linux/arm/v7", "linux/386"), ("cri-o", None, None)],
)
def test_fallback_entries_per_runtime(
    platforms_registry: Registry, settings: RegistrySettings, runtime: str, arm64_takes: str, amd64_takes: str
) -> None:
    q = query(platforms_registry.ref("legacy:1.0"))._replace(platforms=(ARM64, AMD64))
    facts = resolve([q], settings._replace(runtime=runtime))[q]
    assert facts.status is Status.FOUND
    assert set(map(str, facts.platforms or ())) == {"linux/arm/v7", "linux/386"}
    chosen = {str(m.wanted): (str(m.chosen) if m.chosen else None) for m in facts.platform_matches}
    assert chosen == {"linux/arm64": arm64_takes, "linux/amd64": amd64_takes}
    assert facts.extra["manifest_kind"] == "index" and facts.extra["runtime"] == runtime


def test_variants_and_attestations(platforms_registry: Registry, settings: RegistrySettings) -> None:
    q = query(platforms_registry.ref("arm64-only:1.0"))._replace(platforms=(ARM64, AMD64))
    for runtime in ("containerd", "cri-o"):
        facts = resolve([q], settings._replace(runtime=runtime, use_cache=False))[q]
        assert facts.platforms == (Platform("linux", "arm64", "v8"),)  # unknown/unknown left out
        by_wanted = {m.wanted: m.chosen for m in facts.platform_matches}
        assert by_wanted[ARM64] == Platform("linux", "arm64", "v8")  # arm64 and arm64/v8 are one
        assert by_wanted[AMD64] is None


def test_unknown_runtime_is_a_settings_error(
    platforms_registry: Registry, settings: RegistrySettings
) -> None:
    q = query(platforms_registry.ref("both:1.0"), platform="linux/amd64")
    with pytest.raises(ValueError, match="containerd or cri-o"):
        resolve([q], settings._replace(runtime="docker"))


# -- end to end ---------------------------------------------------------------------------------------------


def _pod(name: str, image: str, selector: str = "") -> str:
    spec = f"  nodeSelector: {{{selector}}}\n" if selector else ""
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n{spec}"
        f"  containers:\n    - name: c\n      image: {image}\n"
    )


def _check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pods: list[str], config: str
) -> tuple[int, dict[str, list[dict[str, Any]]]]:
    (tmp_path / "pods.yaml").write_text("---\n".join(pods))
    (tmp_path / ".pulllint.yaml").write_text(config)
    code = main(
        [
            "check",
            "--format",
            "json",
            "--config",
            str(tmp_path / ".pulllint.yaml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-docker-config",
            str(tmp_path / "pods.yaml"),
        ]
    )
    out = capsys.readouterr().out
    found: dict[str, list[dict[str, Any]]] = {}
    for d in json.loads(out)["diagnostics"]:
        found.setdefault(d["object"], []).append(d)
    return code, found


OS_ONLY = "kubernetes.io/os: linux"


@pytest.mark.parametrize("runtime", ["containerd", "cri-o"])
def test_os_only_selector_on_an_arm64_cluster(
    platforms_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str], runtime: str
) -> None:
    """`kubernetes.io/os: linux` alone pins no architecture: the cluster's arm64 fills it, never amd64."""
    ref = platforms_registry.ref
    pods = [
        _pod("arm64-only", ref("arm64-only:1.0"), OS_ONLY),  # was a false PL404 (checked for amd64)
        _pod("no-arm64", ref("no-arm64:1.0"), OS_ONLY),  # was a missed failure
        _pod("single-amd64", ref("single-amd64:1.0"), OS_ONLY),
    ]
    code, found = _check(
        tmp_path, capsys, pods, f"cluster:\n  platforms: [linux/arm64]\n  runtime: {runtime}\n"
    )
    assert code == 1
    assert "Pod/arm64-only" not in found
    [no_arm64] = found["Pod/no-arm64"]
    assert no_arm64["code"] == "PL404"
    if runtime == "containerd":
        assert no_arm64["severity"] == "warning"
        assert "containerd pulls its linux/arm/v7 entry on linux/arm64 nodes" in no_arm64["message"]
        assert "32-bit arm" in no_arm64["message"]
    else:
        assert no_arm64["severity"] == "error"
        assert "cri-o finds no matching manifest" in no_arm64["message"]
        assert "containerd would take linux/arm/v7 for linux/arm64" in no_arm64["message"]
    [single] = found["Pod/single-amd64"]
    assert single["severity"] == "error" and "exec format error" in single["message"]


@pytest.mark.parametrize(("runtime", "severity"), [("containerd", "warning"), ("cri-o", "error")])
def test_amd64_node_and_a_386_entry(
    platforms_registry: Registry,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    runtime: str,
    severity: str,
) -> None:
    pods = [
        _pod("legacy", platforms_registry.ref("legacy:1.0")),
        _pod("both", platforms_registry.ref("both:1.0")),
    ]
    code, found = _check(tmp_path, capsys, pods, f"cluster:\n  runtime: {runtime}\n")
    assert code == (1 if severity == "error" else 0)
    assert "Pod/both" not in found
    [legacy] = found["Pod/legacy"]
    assert legacy["code"] == "PL404" and legacy["severity"] == severity
    assert "linux/amd64" in legacy["message"]
    if runtime == "containerd":
        assert "linux/386" in legacy["message"] and "32-bit x86" in legacy["message"]


def test_default_platform_fills_only_what_the_pod_leaves_open(
    platforms_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = platforms_registry.ref
    pods = [
        _pod("os-only", ref("arm64-only:1.0"), OS_ONLY),
        _pod("pinned-amd64", ref("arm64-only:1.0"), "kubernetes.io/arch: amd64"),
    ]
    code, found = _check(tmp_path, capsys, pods, "rules:\n  PL404:\n    default-platform: linux/arm64\n")
    assert code == 1
    assert "Pod/os-only" not in found
    assert [d["code"] for d in found["Pod/pinned-amd64"]] == ["PL404"]


def test_mixed_architecture_cluster_checks_every_platform(
    platforms_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pod that pins no platform may land on any node: each of the cluster's platforms is checked."""
    ref = platforms_registry.ref
    pods = [
        _pod("anywhere-arm64-only", ref("arm64-only:1.0")),
        _pod("pinned-arm64", ref("arm64-only:1.0"), "kubernetes.io/arch: arm64"),
    ]
    code, found = _check(
        tmp_path, capsys, pods, "cluster:\n  platforms: [linux/amd64, linux/arm64]\n  runtime: cri-o\n"
    )
    assert code == 1
    [anywhere] = found["Pod/anywhere-arm64-only"]
    assert anywhere["code"] == "PL404" and "linux/amd64" in anywhere["message"]
    assert "Pod/pinned-arm64" not in found
