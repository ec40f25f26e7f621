"""Paths that land: CI formats give repository-relative paths and put Helm findings on their template."""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import FORMATS, render, repository_root
from pulllint.reporters._common import landing_path
from tests.reporters._samples import diag, make_report

DATA = Path(__file__).resolve().parents[1] / "data" / "workspace"
AGENT = diag(
    code="PL104",
    rule_name="unrendered-template",
    message="image 'quay.io/prometheus/node-exporter:' is not rendered",
    path="rendered/monitoring.yaml",
    line=36,
    column=18,
    end_line=36,
    end_column=53,
    template="monitoring/templates/daemonset.yaml",
    image="quay.io/prometheus/node-exporter:",
)
TEMPLATE = "charts/monitoring/templates/daemonset.yaml"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(DATA, root)
    (root / ".git").mkdir()
    for name in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(root)
    return root


# -- the repository root and the paths ------------------------------------------------------------------


def test_repository_root_order(repo: Path, tmp_path: Path) -> None:
    sub = repo / "k8s"
    assert repository_root(str(sub), {}) == str(repo)  # the git root above
    gitlab = tmp_path / "gitlab"
    gitlab.mkdir()
    assert repository_root(str(sub), {"CI_PROJECT_DIR": str(gitlab)}) == str(gitlab)
    github = tmp_path / "github"
    github.mkdir()
    both = {"GITHUB_WORKSPACE": str(github), "CI_PROJECT_DIR": str(gitlab)}
    assert repository_root(str(sub), both) == str(github)
    assert repository_root(str(sub), {"GITHUB_WORKSPACE": str(tmp_path / "missing")}) == str(repo)


def test_repository_root_of_a_worktree_and_outside_any(repo: Path, tmp_path: Path) -> None:
    worktree = tmp_path / "wt" / "deep"
    worktree.mkdir(parents=True)
    (tmp_path / "wt" / ".git").write_text("gitdir: /elsewhere/.git/worktrees/wt\n")
    assert repository_root(str(worktree), {}) == str(tmp_path / "wt")
    plain = tmp_path / "plain"
    plain.mkdir()
    if not any((parent / ".git").exists() for parent in plain.parents):
        assert repository_root(str(plain), {}) == str(plain)


@pytest.mark.parametrize(
    ("path", "cwd", "expected"),
    [
        ("./k8s/web.yaml", ".", "k8s/web.yaml"),
        ("k8s/./web.yaml", ".", "k8s/web.yaml"),
        ("../k8s/web.yaml", "rendered", "k8s/web.yaml"),
        ("web.yaml", "k8s", "k8s/web.yaml"),
        ("-", "k8s", "-"),
    ],
)
def test_landing_path_relative_to_the_root(
    repo: Path, monkeypatch: pytest.MonkeyPatch, path: str, cwd: str, expected: str
) -> None:
    monkeypatch.chdir(repo / cwd)
    assert landing_path(path, str(repo)) == expected


def test_landing_path_outside_the_root_and_without_one(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    assert landing_path(str(outside), str(repo)) == outside.as_posix()
    assert landing_path("./a/./b.yaml", None) == "a/b.yaml"
    assert landing_path(".\\a\\b.yaml", None) == "a/b.yaml"
    assert landing_path("/srv/./x.yaml", None) == "/srv/x.yaml"


def test_landing_path_through_a_symbolic_link(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = tmp_path / "link"
    link.symlink_to(repo)
    monkeypatch.chdir(link / "k8s")
    assert landing_path("web.yaml", str(repo)) == "k8s/web.yaml"


def _paths(fmt: str, output: str) -> list[str]:
    """The file paths a format reports, in order (a SARIF document is validated on the way)."""
    if fmt == "github":
        return [line.split("file=", 1)[1].split(",", 1)[0] for line in output.splitlines() if "file=" in line]
    if fmt == "gitlab":
        return [issue["location"]["path"] for issue in json.loads(output)]
    if fmt == "junit":
        return [case.get("classname") or "" for case in ET.fromstring(output.encode()).iter("testcase")]
    if fmt == "markdown":
        rows = [line for line in output.splitlines() if line.startswith("| ") and "`" in line]
        return [row.split("`")[1] for row in rows]
    document: Any = json.loads(output)
    from tests.reporters.test_reporter_sarif import validator

    errors = list(validator().iter_errors(document))
    assert not errors, errors[0]
    for result in document["runs"][0]["results"]:  # what GitHub's ingestion requires of each result
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    return [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in document["runs"][0]["results"]
    ]


@pytest.mark.parametrize("fmt", ["github", "gitlab", "junit", "markdown", "sarif"])
def test_run_from_a_subdirectory_lands_on_repository_paths(
    repo: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.chdir(repo / "rendered")
    report = make_report(
        [diag(path="../k8s/web.yaml"), diag(path="./monitoring.yaml", line=3)], files=2, images=2
    )
    assert sorted(_paths(fmt, render(report, fmt, root=str(repo)))) == [
        "k8s/web.yaml",
        "rendered/monitoring.yaml",
    ]


def test_sarif_declares_the_root(repo: Path) -> None:
    document = json.loads(render(make_report([diag()], files=1, images=1), "sarif", root=str(repo)))
    base = document["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]
    assert base["uri"] == repo.as_uri() + "/"


# -- Helm findings on their template --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["github", "gitlab", "junit", "markdown", "sarif"])
def test_helm_findings_land_on_the_template(repo: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    monkeypatch.chdir(repo / "k8s")
    moved = AGENT._replace(path="../rendered/monitoring.yaml")
    output = render(make_report([moved], files=1, images=1), fmt, root=str(repo))
    assert _paths(fmt, output) == [TEMPLATE]
    assert "rendered/monitoring.yaml:36:18" in output or fmt == "sarif"


def test_sarif_helm_finding_points_at_the_template_and_the_rendered_line(repo: Path) -> None:
    document = json.loads(
        render(
            make_report([AGENT], files=1, images=1),
            "sarif",
            root=str(repo),
            chart_dirs=("charts/monitoring",),
        )
    )
    [result] = document["runs"][0]["results"]
    assert result["message"]["text"] == AGENT.message  # no position glued to it
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": TEMPLATE, "uriBaseId": "%SRCROOT%"}
    assert physical["region"]["startLine"] == 17
    [related] = result["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "rendered/monitoring.yaml"
    assert related["physicalLocation"]["region"]["startLine"] == 36
    assert result["properties"]["template"] == "monitoring/templates/daemonset.yaml"


def test_helm_from_standard_input(repo: Path) -> None:
    rendered = (repo / "rendered" / "monitoring.yaml").read_text(encoding="utf-8")
    report = make_report([AGENT._replace(path="-")], files=1, images=1)
    document = json.loads(render(report, "sarif", root=str(repo), stdin_text=rendered))
    [result] = document["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == TEMPLATE
    assert result["message"]["text"].endswith("(rendered: standard input, line 36, column 18)")
    [issue] = json.loads(render(report, "gitlab", root=str(repo), stdin_text=rendered))
    assert issue["location"] == {"path": TEMPLATE, "lines": {"begin": 17}}


def test_stdin_name(repo: Path) -> None:
    report = make_report([diag(path="-")], files=1, images=1)
    [issue] = json.loads(render(report, "gitlab", root=str(repo), stdin_name="./k8s/web.yaml"))
    assert issue["location"]["path"] == "k8s/web.yaml"
    assert render(report, "text", stdin_name="k8s/web.yaml").startswith("-:12:16:")  # text: as read


def test_no_root_no_template_lookup(repo: Path) -> None:
    output = render(make_report([AGENT], files=1, images=1), "github")
    assert "file=rendered/monitoring.yaml," in output
    assert output.splitlines()[0].endswith("[template: monitoring/templates/daemonset.yaml]")


# -- always valid UTF-8 ---------------------------------------------------------------------------------

# b"caf\xe9.yaml" (Latin-1, not UTF-8) as os.listdir gives it: the byte becomes the lone surrogate U+DCE9.
LATIN1_NAME = os.fsdecode(b"k8s/caf\xe9.yaml") if os.name != "nt" else "k8s/caf\udce9.yaml"


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_valid_utf8_for_a_file_name_that_is_not(fmt: str) -> None:
    diagnostic: Diagnostic = diag(
        path=LATIN1_NAME,
        message=f"image 'x\udcff' in {LATIN1_NAME}",
        image="x\udcff",
        object_id="Pod/default/\ud800",
        fix="use \udce9",
        template="chart/templates/\udce9.yaml",
        severity=Severity.WARNING,
    )
    output = render(make_report([diagnostic], files=1, images=1), fmt)
    encoded = output.encode("utf-8")  # strict: raises on any lone surrogate
    assert encoded.decode("utf-8") == output
    assert "caf\\xe9.yaml" in output.replace("\\\\", "\\")
    if fmt in ("json", "sarif", "gitlab"):
        json.loads(output)  # and still a JSON document


def test_sarif_standard_input_lands_under_its_name(repo: Path) -> None:
    report = make_report([diag(path="-")], files=1, images=1)
    named = json.loads(render(report, "sarif", root=str(repo), stdin_name="k8s/web.yaml"))
    assert _paths("sarif", json.dumps(named)) == ["k8s/web.yaml"]
    unnamed = json.loads(render(report, "sarif", root=str(repo)))
    assert _paths("sarif", json.dumps(unnamed)) == ["standard-input"]  # still a location GitHub accepts
