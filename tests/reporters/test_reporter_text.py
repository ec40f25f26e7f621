"""The text format: one line per diagnostic, optional ANSI colour, a summary line."""

from __future__ import annotations

import pytest

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import Report, render
from tests.reporters._samples import diag, make_report


def report(*diagnostics: Diagnostic, files: int = 2, images: int = 5) -> Report:
    return make_report(diagnostics, files=files, images=images)


def test_lines_sorted_by_path_line_column_code() -> None:
    diagnostics = (
        diag(path="b.yaml", line=1, column=1, code="PL002", severity=Severity.WARNING, message="w"),
        diag(path="a.yaml", line=9, column=3, code="PL003", severity=Severity.WARNING, message="x"),
        diag(path="a.yaml", line=9, column=3, code="PL001", message="y"),
        diag(path="a.yaml", line=2, column=7, code="PL004", severity=Severity.INFO, message="z"),
    )
    assert render(report(*diagnostics), "text").splitlines() == [
        "a.yaml:2:7: PL004 info z",
        "a.yaml:9:3: PL001 error y",
        "a.yaml:9:3: PL003 warning x",
        "b.yaml:1:1: PL002 warning w",
        "Found 4 problems (1 error, 2 warnings, 1 info) in 2 files; 5 images checked.",
    ]


def test_template_suffix() -> None:
    output = render(report(diag(template="chart/templates/x.yaml")), "text")
    assert output.splitlines()[0] == (
        "k8s/web.yaml:12:16: PL001 error image 'nginx:lates' not found [template: chart/templates/x.yaml]"
    )


def test_no_colour_by_default() -> None:
    output = render(report(diag(), diag(severity=Severity.WARNING), diag(severity=Severity.INFO)), "text")
    assert "\x1b" not in output


def test_colour() -> None:
    output = render(report(diag(), diag(code="PL002", severity=Severity.WARNING)), "text", color=True)
    first, second, summary = output.splitlines()
    assert first == (
        "k8s/web.yaml:12:16: \x1b[1mPL001\x1b[0m \x1b[1;31merror\x1b[0m image 'nginx:lates' not found"
    )
    assert "\x1b[1mPL002\x1b[0m \x1b[33mwarning\x1b[0m" in second
    assert summary == "Found 2 problems (1 error, 1 warning) in 2 files; 5 images checked."


def test_colour_info() -> None:
    output = render(report(diag(severity=Severity.INFO)), "text", color=True)
    assert "\x1b[36minfo\x1b[0m" in output


@pytest.mark.parametrize(
    ("severities", "files", "images", "expected"),
    [
        ((), 3, 7, "No problems found in 3 files; 7 images checked."),
        ((), 1, 1, "No problems found in 1 file; 1 image checked."),
        ((), 0, 0, "No problems found in 0 files; 0 images checked."),
        (
            (Severity.ERROR, Severity.WARNING, Severity.WARNING),
            2,
            5,
            "Found 3 problems (1 error, 2 warnings) in 2 files; 5 images checked.",
        ),
        ((Severity.ERROR,), 1, 1, "Found 1 problem (1 error) in 1 file; 1 image checked."),
        ((Severity.INFO, Severity.INFO), 1, 2, "Found 2 problems (2 infos) in 1 file; 2 images checked."),
        (
            (Severity.WARNING, Severity.INFO, Severity.ERROR, Severity.ERROR),
            4,
            9,
            "Found 4 problems (2 errors, 1 warning, 1 info) in 4 files; 9 images checked.",
        ),
    ],
)
def test_summary_wording(severities: tuple[Severity, ...], files: int, images: int, expected: str) -> None:
    diagnostics = [diag(severity=severity, line=i + 1) for i, severity in enumerate(severities)]
    output = render(report(*diagnostics, files=files, images=images), "text")
    assert output.endswith("\n")
    assert output.splitlines()[-1] == expected
    assert len(output.splitlines()) == len(severities) + 1
