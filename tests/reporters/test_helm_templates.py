"""Mapping Helm-rendered diagnostics to their template files and lines (github annotations only)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulllint.cli import main
from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters.helm_templates import (
    KeyLine,
    TemplateLocator,
    choose_line,
    image_fragments,
    key_lines,
    key_of,
    map_to_templates,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "workspace"
DAEMONSET = "monitoring/templates/daemonset.yaml"

AGENT = Diagnostic(
    code="PL104",
    rule_name="unrendered-template",
    severity=Severity.ERROR,
    message="image 'quay.io/prometheus/node-exporter:' is not rendered",
    path="rendered/monitoring.yaml",
    line=36,
    column=18,
    end_line=36,
    end_column=53,
    template=DAEMONSET,
    image="quay.io/prometheus/node-exporter:",
)


def diag(**changes: Any) -> Diagnostic:
    return AGENT._replace(**changes)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(DATA, root)
    monkeypatch.chdir(root)
    return root


def where(diagnostic: Diagnostic) -> tuple[str, int, int]:
    return diagnostic.path, diagnostic.line, diagnostic.column


# -- pure helpers ---------------------------------------------------------------------------------------


def test_key_lines() -> None:
    lines = [
        "containers:",
        "  - name: a",
        '    image: "{{ .Values.a }}"  ',
        "  - image: busybox:1.36",
        '    "image": x',
        "    imagePullPolicy: Never",
        "    # image: commented out",
        "    image:",
    ]
    found = key_lines(lines, "image")
    assert [(k.line, k.column, k.end_column) for k in found] == [
        (3, 12, 29),
        (4, 12, 24),
        (5, 14, 15),
        (8, 5, 11),
    ]
    assert [k.line for k in key_lines(lines, "imagePullPolicy")] == [6]
    assert key_of("  - image: x") == "image" and key_of("# Source: x") is None and key_of("- a") is None


@pytest.mark.parametrize(
    ("image", "fragments"),
    [
        ("quay.io/prometheus/node-exporter:v1", ["node-exporter", "prometheus/node-exporter"]),
        ("nginx:1.27", ["nginx"]),
        ("library/nginx@sha256:abc", ["nginx", "library/nginx"]),
        ("localhost:5000/team/app:1", ["app", "team/app"]),
        ("registry:5000/app", ["app"]),
        (None, []),
        ("", []),
    ],
)
def test_image_fragments(image: str | None, fragments: list[str]) -> None:
    assert image_fragments(image) == fragments


def test_choose_line() -> None:
    lines = [
        KeyLine(n, 5, 10, text)
        for n, text in ((1, "image: {{ .a }}"), (2, "image: busybox"), (3, "image: x"))
    ]
    assert choose_line(lines[:1], "nginx", None, 0) is lines[0]
    assert choose_line(lines, "docker.io/library/busybox:1", None, 0) is lines[1]  # mentions the image
    assert choose_line(lines, "nginx", 2, 3) is lines[2]  # same position as in the rendered document
    assert choose_line(lines, "nginx", 2, 4) is lines[0]  # counts differ: the first
    assert choose_line(lines, None, None, 0) is lines[0]


# -- finding the template file --------------------------------------------------------------------------


def test_found_under_chart_dir_by_folder_or_chart_name(workspace: Path) -> None:
    (workspace / "charts" / "monitoring").rename(workspace / "charts" / "mon-chart")
    by_chart_yaml = TemplateLocator(["charts/mon-chart"], str(workspace))
    assert by_chart_yaml.template_file(DAEMONSET) == workspace / "charts/mon-chart/templates/daemonset.yaml"
    subchart = "monitoring/charts/cache/templates/statefulset.yaml"
    assert by_chart_yaml.template_file(subchart) == (
        workspace / "charts/mon-chart/charts/cache/templates/statefulset.yaml"
    )
    # A subchart given as a chart folder of its own.
    own = TemplateLocator(["charts/mon-chart/charts/cache"], str(workspace))
    assert (
        own.template_file(subchart) == workspace / "charts/mon-chart/charts/cache/templates/statefulset.yaml"
    )
    # The parent chart, found in the workspace by its Chart.yaml name.
    assert own.template_file(DAEMONSET) == workspace / "charts/mon-chart/templates/daemonset.yaml"


def test_found_by_suffix_without_chart_dirs(workspace: Path) -> None:
    locator = TemplateLocator([], str(workspace))
    assert locator.template_file(DAEMONSET) == workspace / "charts/monitoring/templates/daemonset.yaml"
    assert locator.template_file("monitoring/templates/missing.yaml") is None
    assert locator.template_file("../etc/passwd") is None and locator.template_file("x") is None


def test_subchart_in_a_folder_of_its_own(workspace: Path) -> None:
    """A `file://../cache` dependency: rendered as monitoring/charts/cache/..., kept in charts/cache."""
    shutil.move(workspace / "charts/monitoring/charts/cache", workspace / "charts/cache")
    subchart = "monitoring/charts/cache/templates/statefulset.yaml"
    expected = workspace / "charts/cache/templates/statefulset.yaml"
    assert TemplateLocator([], str(workspace)).template_file(subchart) == expected
    assert TemplateLocator(["charts/monitoring"], str(workspace)).template_file(subchart) == expected


def test_suffix_search_prefers_the_named_chart_and_refuses_to_guess(workspace: Path) -> None:
    other = workspace / "deploy" / "other"
    (other / "templates").mkdir(parents=True)
    (other / "Chart.yaml").write_text("name: other\n")
    (other / "templates" / "daemonset.yaml").write_text("image: x\n")
    assert TemplateLocator([], str(workspace)).template_file(DAEMONSET) == (
        workspace / "charts/monitoring/templates/daemonset.yaml"
    )
    # Two candidates, neither named like the chart: no guess.
    (workspace / "charts" / "monitoring" / "Chart.yaml").write_text("name: renamed\n")
    (workspace / "charts" / "monitoring").rename(workspace / "charts" / "somewhere")
    assert TemplateLocator([], str(workspace)).template_file(DAEMONSET) is None
    # One candidate without evidence: taken.
    shutil.rmtree(other)
    assert TemplateLocator([], str(workspace)).template_file(DAEMONSET) == (
        workspace / "charts/somewhere/templates/daemonset.yaml"
    )


def test_skipped_folders_and_files_outside_the_workspace(workspace: Path, tmp_path: Path) -> None:
    hidden = workspace / "node_modules" / "monitoring"
    shutil.move(workspace / "charts" / "monitoring", hidden)
    assert TemplateLocator([], str(workspace)).template_file(DAEMONSET) is None
    outside = tmp_path / "elsewhere" / "monitoring"
    shutil.move(hidden, outside)
    assert TemplateLocator([str(outside)], str(workspace)).template_file(DAEMONSET) is None
    assert TemplateLocator([str(outside)], str(tmp_path)).template_file(DAEMONSET) is not None


def test_lookups_are_cached(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    walks = 0
    real_walk = os.walk

    def counting_walk(top: str | os.PathLike[str]) -> Iterator[tuple[str, list[str], list[str]]]:
        nonlocal walks
        walks += 1
        return real_walk(top)

    monkeypatch.setattr(os, "walk", counting_walk)
    locator = TemplateLocator([], str(workspace))
    diagnostics = [
        diag(),
        diag(),
        diag(template="monitoring/templates/nope.yaml"),
        diag(template="nope/x.yaml"),
    ]
    for _ in range(3):
        [locator.locate(d) for d in diagnostics]
    assert walks == 1
    assert len(locator._lines) == 2  # the template and the rendered file, each read once


# -- the line -------------------------------------------------------------------------------------------


def test_image_line_by_position_in_the_rendered_document(workspace: Path) -> None:
    [mapped] = map_to_templates([diag()], [], str(workspace))
    assert where(mapped) == ("charts/monitoring/templates/daemonset.yaml", 17, 18)
    assert (mapped.end_line, mapped.end_column) == (17, 74)
    assert mapped.template is None
    assert mapped.message == AGENT.message + " [rendered: rendered/monitoring.yaml:36:18]"
    assert (mapped.code, mapped.severity, mapped.image) == (AGENT.code, AGENT.severity, AGENT.image)


def test_pull_policy_line(workspace: Path) -> None:
    policy = diag(code="PL105", line=39, column=28, image="ghcr.io/acme/config-reloader:v0.1")
    [mapped] = map_to_templates([policy], ["charts/monitoring"], str(workspace))
    assert where(mapped) == ("charts/monitoring/templates/daemonset.yaml", 20, 28)
    template = workspace / "charts/monitoring/templates/daemonset.yaml"
    template.write_text(
        template.read_text().replace("          imagePullPolicy: {{ .Values.reloader.pullPolicy }}\n", "")
    )
    [fallback] = map_to_templates([policy], ["charts/monitoring"], str(workspace))
    assert where(fallback)[:2] == ("charts/monitoring/templates/daemonset.yaml", 19)  # its image line


def test_standard_input(workspace: Path) -> None:
    rendered = (workspace / "rendered" / "monitoring.yaml").read_text()
    policy = diag(code="PL105", path="-", line=39, column=28, image="ghcr.io/acme/config-reloader:v0.1")
    # With the text that was read: as for a file.
    mapped = map_to_templates([diag(path="-"), policy], [], str(workspace), stdin=rendered)
    assert [where(d)[1:] for d in mapped] == [(17, 18), (20, 28)]
    assert mapped[0].message.endswith("[rendered: standard input:36:18]")
    # Without it: the image line mentioning the image, else the first one.
    template = workspace / "charts/monitoring/templates/daemonset.yaml"
    template.write_text(
        template.read_text().replace('"{{ .Values.reloader.image }}"', "ghcr.io/acme/config-reloader:v0.1")
    )
    blind = map_to_templates([diag(path="-"), policy], [], str(workspace))
    assert [where(d)[1] for d in blind] == [14, 19]


def test_left_alone(workspace: Path) -> None:
    unchanged = [
        diag(template=None),
        diag(image=None),  # not about an image (a Secret, a shape error)
        diag(template="monitoring/templates/missing.yaml"),
        diag(line=21),  # rendered line `kind: DaemonSet`: not a key it can move
    ]
    assert map_to_templates(unchanged, [], str(workspace)) == unchanged
    (workspace / "charts/monitoring/templates/daemonset.yaml").write_text("kind: DaemonSet\n")
    assert map_to_templates([diag()], [], str(workspace)) == [diag()]


# -- the CLI --------------------------------------------------------------------------------------------


def test_cli_maps_only_the_github_format(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(workspace))
    main(["check", "--offline", "--format", "github", "--chart-dir", "charts/monitoring", "rendered"])
    github = capsys.readouterr().out
    assert "::error file=charts/monitoring/templates/daemonset.yaml,line=17,col=18," in github
    main(["check", "--offline", "--format", "text", "--chart-dir", "charts/monitoring", "rendered"])
    text = capsys.readouterr().out
    assert (
        "rendered/monitoring.yaml:36:18: PL104 error image 'quay.io/prometheus/node-exporter:' is not" in text
    )
    assert f"    [template: {DAEMONSET}]" in text


def test_helm_template_piped_into_the_cli(workspace: Path) -> None:
    """`helm template ... | pulllint check --format github --chart-dir charts/monitoring -`, as in CI."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pulllint",
            "check",
            "--offline",
            "--format",
            "github",
            "--chart-dir",
            "charts/monitoring",
            "-",
        ],
        input=(workspace / "rendered" / "monitoring.yaml").read_text(),
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    annotations = [line for line in completed.stdout.splitlines() if line.startswith("::")]
    assert any(
        "file=charts/monitoring/charts/cache/templates/statefulset.yaml,line=15," in a for a in annotations
    )
    assert any("file=charts/monitoring/templates/daemonset.yaml,line=20,col=28," in a for a in annotations)
