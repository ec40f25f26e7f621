"""The public API of pulllint.reporters: data classes, format dispatch and lazy imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import FORMATS, Report, RuleInfo, render
from tests.reporters._samples import diag_with_image, make_report

ROOT = Path(__file__).resolve().parents[2]

RULE = RuleInfo("PL001", "image-not-found", Severity.ERROR, "The image does not exist.", "Docs.")
DIAGNOSTIC = diag_with_image(line=3, column=5, end_line=3, end_column=20)


def _report(*diagnostics: Diagnostic) -> Report:
    return make_report(diagnostics, {"PL001": RULE}, files=1, images=1)


def test_formats() -> None:
    assert FORMATS == ("text", "json", "sarif", "github", "gitlab", "junit", "markdown")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("diagnostics", [(), (DIAGNOSTIC,)], ids=["empty", "one"])
def test_every_format_renders_a_complete_document(fmt: str, diagnostics: tuple[Diagnostic, ...]) -> None:
    output = render(_report(*diagnostics), fmt)
    assert output.endswith("\n")
    assert output.strip()


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown output format 'yaml'"):
        render(_report(), "yaml")


def test_options_by_keyword_or_object() -> None:
    from pulllint.reporters import RenderOptions

    report = _report()
    assert render(report, "junit", fail_on=Severity.INFO) == render(
        report, "junit", options=RenderOptions(fail_on=Severity.INFO)
    )
    with pytest.raises(ValueError, match="unknown render option"):
        render(report, "text", colour=True)


def test_data_classes_are_frozen() -> None:
    with pytest.raises(AttributeError):  # immutable records
        RULE.code = "X"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        _report().files_checked = 2  # type: ignore[misc]
    assert RULE.help_uri is None


def test_package_import_is_lazy() -> None:
    code = (
        "import sys, pulllint.reporters\n"
        "heavy = ['json', 'xml.etree.ElementTree', 'hashlib']\n"
        "heavy += ['pulllint.reporters._' + m for m in ('common', 'text', 'json', 'sarif', 'github', "
        "'gitlab', 'junit', 'markdown', 'landing')]\n"
        "heavy += ['pulllint.reporters.helm_templates', 'pulllint.reporters.github_step']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )
    assert result.stdout.strip() == ""
