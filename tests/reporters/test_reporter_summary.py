"""The markdown format (job summary): counts per rule and severity, every finding, escaping, size cap;
and the CLI appending it to $GITHUB_STEP_SUMMARY with the github format."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pulllint.cli import main
from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import Report, RuleInfo, render
from pulllint.reporters._markdown import code_cell, text_cell
from pulllint.reporters._markdown import render as render_markdown
from tests.reporters._samples import make_report

BASE = Diagnostic(
    code="PL101",
    rule_name="invalid-image-reference",
    severity=Severity.ERROR,
    message="invalid image reference 'Shop/Report:1.0'",
    path="k8s/web.yaml",
    line=12,
    column=16,
    end_line=12,
    end_column=31,
    image="Shop/Report:1.0",
    object_id="Deployment/web",
    fix="use lowercase: shop/report:1.0",
)
RULES = {
    "PL101": RuleInfo("PL101", "invalid-image-reference", Severity.ERROR, "Invalid.", "Docs."),
    "PL103": RuleInfo("PL103", "latest-tag", Severity.WARNING, "Latest.", "Docs."),
}
# A table cell boundary: a `|` not escaped by a backslash.
CELL_SPLIT = re.compile(r"(?<!\\)\|")


def diag(**changes: Any) -> Diagnostic:
    return BASE._replace(**changes)


def report(*diagnostics: Diagnostic) -> Report:
    return make_report(diagnostics, RULES, files=2, images=5)


def cells(row: str) -> list[str]:
    assert row.startswith("| ") and row.endswith(" |"), row
    return [cell.strip() for cell in CELL_SPLIT.split(row[1:-1])]


def finding_rows(markdown: str) -> list[list[str]]:
    table = markdown.split("#### Findings", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert cells(rows[0]) == ["severity", "file", "line", "rule", "image", "message", "fix"]
    return [cells(row) for row in rows[1:]]


def count_rows(markdown: str) -> dict[str, list[str]]:
    table = markdown.split("#### Findings", 1)[0]
    rows = [cells(line) for line in table.splitlines() if line.startswith("| ")]
    assert rows[0] == ["rule", "name", "error", "warning", "info", "total"]
    return {row[0]: row[1:] for row in rows[1:]}


def test_no_findings() -> None:
    output = render(report(), "markdown")
    assert output == "### pulllint\n\nNo problems found in 2 files; 5 images checked.\n"


def test_counts_per_rule_and_severity() -> None:
    output = render(
        report(
            diag(),
            diag(line=20),
            diag(code="PL103", rule_name="latest-tag", severity=Severity.WARNING),
            diag(code="PL103", rule_name="latest-tag", severity=Severity.INFO, line=30),
            diag(code="PL999", rule_name="from-a-plugin", severity=Severity.INFO, line=40),
        ),
        "markdown",
    )
    assert "Found 5 problems (2 errors, 1 warning, 2 infos) in 2 files; 5 images checked." in output
    assert count_rows(output) == {
        "PL101": ["invalid-image-reference", "2", "0", "0", "2"],
        "PL103": ["latest-tag", "0", "1", "1", "2"],
        "PL999": ["from-a-plugin", "0", "0", "1", "1"],
        "**total**": ["", "**2**", "**1**", "**2**", "**5**"],
    }


def test_every_finding_most_severe_first() -> None:
    diagnostics = [
        diag(severity=Severity.INFO, path="a.yaml", line=1),
        diag(severity=Severity.WARNING, path="b.yaml", line=9),
        diag(severity=Severity.ERROR, path="z.yaml", line=3),
        diag(severity=Severity.ERROR, path="c.yaml", line=7),
    ]
    rows = finding_rows(render(report(*diagnostics), "markdown"))
    assert [(row[0], row[1], row[2]) for row in rows] == [
        ("🔴 error", "`c.yaml`", "7"),
        ("🔴 error", "`z.yaml`", "3"),
        ("🟡 warning", "`b.yaml`", "9"),
        ("🔵 info", "`a.yaml`", "1"),
    ]
    assert rows[0][3:] == [
        "PL101",
        "`Shop/Report:1.0`",
        "invalid image reference 'Shop/Report:1.0'",
        "use lowercase: shop/report:1.0",
    ]


def test_template_and_stdin() -> None:
    [stdin, helm] = finding_rows(  # "-" sorts first
        render(
            report(
                diag(template="mychart/templates/deploy.yaml", path="out\\rendered.yaml"),
                diag(path="-", line=3, image=None, fix=None),
            ),
            "markdown",
        )
    )
    assert helm[1] == "`out/rendered.yaml`<br>template: `mychart/templates/deploy.yaml`"
    assert stdin[1:3] == ["standard input", "3"]
    assert stdin[4] == stdin[6] == ""


def test_cells_cannot_break_the_table_or_inject_markup() -> None:
    nasty = diag(
        message="a | b\nsecond line <no value> **bold** [link](x) `code` & done",
        image="reg.io/a|b:`1`",
        path="dir|x/web.yaml",
        fix="set image: x | y\r\nthen retry",
    )
    [row] = finding_rows(render(report(nasty), "markdown"))
    assert len(row) == 7
    assert row[5] == (r"a \| b<br>second line \<no value\> \*\*bold\*\* \[link\](x) \`code\` &amp; done")
    assert row[6] == r"set image: x \| y<br>then retry"
    assert row[4] == r"`` reg.io/a\|b:`1` ``"
    assert row[1] == r"`dir\|x/web.yaml`"


def test_code_and_text_cells() -> None:
    assert code_cell("`x`") == "`` `x` ``"
    assert code_cell("a\nb") == "`a b`"
    assert code_cell(None) == code_cell("") == text_cell(None) == ""
    assert text_cell("50% ~ _x_ \\") == r"50% \~ \_x\_ \\"


def test_size_cap_leaves_out_rows_and_says_so() -> None:
    diagnostics = [diag(line=n, message="m" * 500) for n in range(1, 201)]
    full = render_markdown(report(*diagnostics))
    assert len(finding_rows(full)) == 200 and len(full.encode()) > 100_000
    capped = render_markdown(report(*diagnostics), max_bytes=20_000)
    assert len(capped.encode()) <= 20_000
    kept = len([line for line in capped.split("#### Findings")[1].splitlines() if line.startswith("| 🔴")])
    assert 0 < kept < 200
    assert f"{200 - kept} more findings are not shown here" in capped
    assert render_markdown(report(*diagnostics), max_bytes=10_000_000) == full


# -- the CLI: $GITHUB_STEP_SUMMARY ---------------------------------------------------------------------

LATEST = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
    "    - name: c\n      image: nginx:latest\n"
)


@pytest.fixture
def manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE", "CI_PROJECT_DIR"):
        monkeypatch.delenv(name, raising=False)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    monkeypatch.setenv("RUNNER_TEMP", str(temp))  # where the step's summary state lives
    (tmp_path / "pod.yaml").write_text(LATEST)
    return "pod.yaml"


def test_github_format_appends_the_summary(
    manifest: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["check", "--offline", manifest]) == 0  # github chosen automatically
    assert capsys.readouterr().out.startswith("::warning file=pod.yaml,line=7")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n<!-- pulllint:") and text.count("### pulllint\n") == 1
    assert "| PL103 | latest-tag | 0 | 1 | 0 | 1 |" in text
    assert "| 🟡 warning | `pod.yaml` | 7 | PL103 | `nginx:latest` |" in text


def test_other_formats_leave_the_summary_alone(
    manifest: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    main(["check", "--offline", "--format", "text", manifest])
    main(["check", "--offline", "--format", "markdown", manifest])
    assert not summary.exists()
    assert "| PL103 | latest-tag |" in capsys.readouterr().out


def test_unwritable_summary_is_a_warning(
    manifest: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing-dir" / "summary.md"))
    assert main(["check", "--offline", "--format", "github", manifest]) == 0
    assert "::warning title=pulllint::cannot write the job summary" in capsys.readouterr().out


def test_batches_of_one_step_write_one_summary(manifest: str, tmp_path: Path) -> None:
    """pre-commit runs the hook once per batch of files, all from one parent process: one summary."""
    (tmp_path / "second.yaml").write_text(LATEST.replace("name: p}", "name: q}"))
    summary = tmp_path / "summary.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PULLLINT"))}
    env.update(
        GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary), RUNNER_TEMP=str(tmp_path / "runner-temp")
    )
    for batch in (manifest, "second.yaml"):
        completed = subprocess.run(
            [sys.executable, "-m", "pulllint", "check", "--offline", batch],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        assert completed.stdout.startswith(f"::warning file={batch},line=7")
    text = summary.read_text(encoding="utf-8")
    assert text.count("### pulllint") == 1
    assert "Found 4 problems (4 warnings) in 2 files; 2 images checked." in text  # PL103, PL301 each
    assert "Combined from 2 pulllint runs of this step" in text


def test_sarif_file_next_to_another_format(
    manifest: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sarif = tmp_path / "reports" / "pulllint.sarif"
    output = tmp_path / "gl.json"
    code = main(
        ["check", "--offline", "--format", "gitlab", "--output", str(output), "--sarif", str(sarif), manifest]
    )
    assert code == 0
    assert '"ruleId": "PL103"' in sarif.read_text(encoding="utf-8")
    assert '"check_name": "PL103"' in output.read_text(encoding="utf-8")
    assert "pod.yaml:7:14: PL103 warning" in capsys.readouterr().out


def test_unwritable_report_exits_2(manifest: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("")
    assert main(["check", "--offline", "--sarif", str(tmp_path / "file" / "x.sarif"), manifest]) == 2
    assert "pulllint: error: cannot write the report" in capsys.readouterr().err
