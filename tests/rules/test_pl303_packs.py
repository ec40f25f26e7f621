"""Rule packs: the built-in data (PL303), their schema, and packs of your own with codes of their own."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from pulllint.cli import main
from pulllint.config import Config, ConfigError, load_config, parse_config
from pulllint.diagnostics import Severity
from pulllint.engine import available_rules, run
from pulllint.images import parse_image
from pulllint.rulepacks import (
    BUILTIN_CODE,
    PackError,
    _read_yaml,
    builtin_entries,
    builtin_packs,
    entries_by_code,
    load_pack_text,
    load_packs,
    validate_pack,
)
from pulllint.rules import all_rules
from pulllint.rules.pl303_deprecated_image import DeprecatedImage

BUILTIN_FILES = sorted(
    item.name for item in resources.files("pulllint.packs").iterdir() if item.name.endswith(".yaml")
)


@pytest.mark.parametrize("name", BUILTIN_FILES)
def test_builtin_packs_follow_the_schema(name: str) -> None:
    text = resources.files("pulllint.packs").joinpath(name).read_text(encoding="utf-8")
    validate_pack(_read_yaml(text, name), name)  # start-up skips this: the test is the guard
    pack = load_pack_text(text, name, builtin=True)
    assert pack.entries


def test_builtin_pack_codes_are_reserved() -> None:
    text = resources.files("pulllint.packs").joinpath("bitnami.yaml").read_text(encoding="utf-8")
    with pytest.raises(PackError, match="codes starting with PL are pulllint's own"):
        load_pack_text(text, "copied-bitnami.yaml")


def test_builtin_packs_are_all_pl303() -> None:
    assert {"bitnami.yaml", "gcr-io.yaml", "k8s-gcr-io.yaml"} <= set(BUILTIN_FILES)
    entries = builtin_entries()
    # Every shipped file contributes entries, and PL303's page lists each of them.
    assert {entry.origin.rsplit("/", 1)[-1] for entry in entries} == set(BUILTIN_FILES)
    page = DeprecatedImage.documentation()
    assert all(f"**{entry.label}**" in page for entry in entries)
    assert {entry.code for pack in builtin_packs() for entry in pack.entries} == {BUILTIN_CODE}
    assert all(entry.source.startswith("https://") for entry in entries)


@pytest.mark.parametrize(
    ("image", "entry", "severity", "replacement"),
    [
        (
            "k8s.gcr.io/ingress-nginx/controller:v1.2.1",
            "k8s-gcr-io/k8s-gcr-io",
            Severity.WARNING,
            "registry.k8s.io/ingress-nginx/controller:v1.2.1",
        ),
        (
            "gcr.io/google-containers/pause:3.2",
            "k8s-gcr-io/google-containers",
            Severity.WARNING,
            "registry.k8s.io/pause:3.2",
        ),
        (
            "gcr.io/kubernetes-helm/tiller:v2.17.0",
            "gcr-io/helm-tiller",
            Severity.ERROR,
            "ghcr.io/helm/tiller:v2.17.0",
        ),
        (
            "gcr.io/kubebuilder/kube-rbac-proxy:v0.13.1",
            "gcr-io/kube-rbac-proxy",
            Severity.ERROR,
            "quay.io/brancz/kube-rbac-proxy:v0.13.1",
        ),
        ("gcr.io/acme/app:1", "gcr-io/container-registry", Severity.WARNING, None),
        (
            "bitnami/redis:7.2.4",
            "bitnami/dockerhub-versioned",
            Severity.ERROR,
            "docker.io/bitnamilegacy/redis:7.2.4",
        ),
        ("bitnami/redis:6.0.9-debian-10-r1", "bitnami/never-copied", Severity.ERROR, None),
        ("bitnami/redis:5.0-centos-7", "bitnami/never-copied", Severity.ERROR, None),
        (
            "bitnami/redis:latest",
            "bitnami/dockerhub-latest",
            Severity.WARNING,
            "docker.io/bitnamisecure/redis:latest",
        ),
        (
            "bitnami/redis",
            "bitnami/dockerhub-latest",
            Severity.WARNING,
            "docker.io/bitnamisecure/redis:latest",
        ),
        ("bitnamilegacy/redis:7.2.4", "bitnami/bitnamilegacy", Severity.WARNING, None),
        ("public.ecr.aws/bitnami/redis:7.2", "bitnami/ecr-public", Severity.ERROR, None),
    ],
)
def test_builtin_entries(image: str, entry: str, severity: Severity, replacement: str | None) -> None:
    ref = parse_image(image)
    hits = [(e, rest) for e in builtin_entries() if (rest := e.match(ref)) is not None]
    assert hits, image
    first, rest = hits[0]
    assert (first.label, first.severity) == (entry, severity)
    if replacement is not None:
        assert first.replacement_for(ref, rest) == replacement


@pytest.mark.parametrize(
    "image",
    [
        "registry.k8s.io/pause:3.10",
        "gcr.io/distroless/static:nonroot",
        "gcr.io/google-samples/hello-app:2.0",
        "gcr.io/datadoghq/agent:7",
        "bitnamisecure/redis:latest",
        "docker.io/bitnamifan/tool:1",
        "europe-docker.pkg.dev/acme/r/app:1",
        "public.ecr.aws/docker/library/redis:7",
    ],
)
def test_builtin_entries_leave_alone(image: str) -> None:
    ref = parse_image(image)
    assert [e.label for e in builtin_entries() if e.match(ref) is not None] == []


def test_documentation_lists_the_entries() -> None:
    page = DeprecatedImage.documentation()
    for heading in ("## What it does", "## Why it matters", "## Example", "## Fix", "## Entries"):
        assert heading in page
    assert "bitnami/ecr-public" in page and "`*debian-10*`" in page


# --- packs of your own ---------------------------------------------------------------------------------

PACK = """\
pack: acme
code: ACME1
name: retired-registry
entries:
  - id: old-harbor
    images: [harbor.old.example]
    status: gone
    severity: error
    date: 2026-01-31
    summary: The old Harbor is off.
    source: https://wiki.example/registries
    replacement: "registry.example.com/{rest}{ref}"
  - id: frozen
    code: ACME2
    images: ["registry.example.com/base/*"]
    tags: ["1.*"]
    status: frozen
    severity: warning
    date: "2025-12"
    summary: Base images 1.x are frozen.
    source: https://wiki.example/base
"""

PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [{name: elsewhere}]
  containers:
    - {name: a, image: "harbor.old.example/team/app:1.0"}
    - {name: b, image: "registry.example.com/base/python:1.9"}
    - {name: c, image: "registry.example.com/base/python:2.0"}
    - {name: d, image: "harbor.old.example/team/app:2.0"}  # pulllint: ignore[ACME1]
"""


def project(tmp_path: Path, pack: str = PACK, extra: str = "") -> tuple[Path, Config]:
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / "acme.yaml").write_text(pack, encoding="utf-8")
    (tmp_path / ".pulllint.yaml").write_text(f"rule-packs: [packs/acme.yaml]\n{extra}", encoding="utf-8")
    pods = tmp_path / "pods.yaml"
    pods.write_text(PODS, encoding="utf-8")
    return pods, load_config(str(tmp_path / ".pulllint.yaml"))


def test_user_pack_codes_are_rules(tmp_path: Path) -> None:
    pods, config = project(tmp_path)
    rules = available_rules(config)
    assert rules["ACME1"].name == "retired-registry" and rules["ACME2"].name == "acme-frozen"
    assert "ACME1" not in all_rules()
    result = run([str(pods)], config, offline=True)
    found = [(d.code, d.line, d.severity) for d in result.diagnostics if d.code.startswith("ACME")]
    assert found == [("ACME1", 7, Severity.ERROR), ("ACME2", 8, Severity.WARNING)]  # line 10 suppressed
    fix = next(d.fix for d in result.diagnostics if d.code == "ACME1")
    assert fix == "image: registry.example.com/team/app:1.0"
    doc = rules["ACME1"].documentation()
    assert "## What it does" in doc and "acme/old-harbor" in doc


def test_user_pack_codes_are_selectable_and_ignorable(tmp_path: Path) -> None:
    pods, config = project(tmp_path, extra="ignore: [ACME2]\nseverity: {ACME1: warning}\n")
    result = run([str(pods)], config, offline=True)
    assert [(d.code, d.severity) for d in result.diagnostics if d.code.startswith("ACME")] == [
        ("ACME1", Severity.WARNING)
    ]
    only = run([str(pods)], config._replace(select=("ACME2",), ignore=()), offline=True)
    assert [d.code for d in only.diagnostics] == ["ACME2"]


def test_user_pack_folder(tmp_path: Path) -> None:
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / "acme.yaml").write_text(PACK, encoding="utf-8")
    (tmp_path / "packs" / "notes.txt").write_text("not a pack", encoding="utf-8")
    config = parse_config({"rule-packs": ["packs"]}, root=str(tmp_path))
    assert {"ACME1", "ACME2"} <= set(available_rules(config))


@pytest.mark.parametrize(
    ("pack", "message"),
    [
        (PACK.replace("status: gone", "status: dead"), "entries[0].status: 'dead' is not one of"),
        (
            PACK.replace("    images: [harbor.old.example]\n", ""),
            "entries[0]: 'images' is a required property",
        ),
        (PACK.replace("summary: The old", "summery: The old"), "unknown key 'summery'"),
        (PACK.replace("code: ACME1\n", ""), "entries[0]: no code"),
        (PACK.replace("code: ACME1", "code: PL999"), "codes starting with PL are pulllint's own"),
        (PACK.replace("id: frozen", "id: old-harbor"), "'old-harbor' is used twice"),
        (PACK.replace("{rest}{ref}", "{rest}{version}"), "unknown placeholder {version}"),
        (PACK.replace("source: https://wiki.example/base", "source: wiki"), "entries[1].source"),
        (PACK + "pack: again\n", "duplicate key 'pack'"),
        ("pack: [unclosed\n", "invalid YAML"),
        (PACK + "---\npack: second\n", "one YAML document, found 2"),
    ],
)
def test_pack_errors_name_the_file_and_key_path(tmp_path: Path, pack: str, message: str) -> None:
    _, config = project(tmp_path, pack)
    with pytest.raises(PackError) as caught:
        available_rules(config)
    assert "packs/acme.yaml" in str(caught.value)
    assert message in str(caught.value)


def test_missing_pack_file(tmp_path: Path) -> None:
    config = parse_config({"rule-packs": ["nowhere.yaml"]}, root=str(tmp_path))
    with pytest.raises(ConfigError, match=r"rule-packs\[0\]: nowhere.yaml: no such file"):
        available_rules(config)


def test_pack_error_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pods, _ = project(tmp_path, PACK.replace("severity: error", "severity: fatal"))
    assert main(["check", "--offline", "--config", str(tmp_path / ".pulllint.yaml"), str(pods)]) == 2
    err = capsys.readouterr().err
    assert "packs/acme.yaml: entries[0].severity" in err


def test_user_pack_may_not_reuse_a_plugin_or_builtin_code(tmp_path: Path) -> None:
    _, config = project(tmp_path)
    packs = load_packs(config.rule_packs, config.rule_pack_names)
    with pytest.raises(PackError, match="code ACME1 is already a rule"):
        entries_by_code(packs, frozenset({"ACME1"}))
