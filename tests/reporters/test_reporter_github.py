"""The GitHub Actions format: workflow commands, escaping, most severe first."""

from __future__ import annotations

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import render
from tests.reporters._samples import diag, make_report


def lines(*diagnostics: Diagnostic) -> list[str]:
    report = make_report(diagnostics, files=2, images=5)
    output = render(report, "github")
    assert output.endswith("\n")
    return output.splitlines()


def test_command() -> None:
    assert lines(diag()) == [
        "::error file=k8s/web.yaml,line=12,col=16,endLine=12,endColumn=27,title=PL001 image-not-found"
        "::image 'nginx:lates' not found",
        "Found 1 problem (1 error) in 2 files; 5 images checked.",
    ]


def test_kinds() -> None:
    warning, notice, _ = lines(diag(severity=Severity.WARNING), diag(severity=Severity.INFO, line=20))
    assert warning.startswith("::warning file=")
    assert notice.startswith("::notice file=")


def test_message_escaping() -> None:
    [command, _] = lines(diag(message="100% sure\r\nsecond line: a, b"))
    assert command.endswith("::100%25 sure%0D%0Asecond line: a, b")


def test_property_escaping() -> None:
    [command, _] = lines(diag(path="dir,x/a:b%.yaml", rule_name="odd,name:x"))
    assert ",file=dir%2Cx/a%3Ab%25.yaml," in f",{command.split(' ', 1)[1]}"
    assert ",title=PL001 odd%2Cname%3Ax::" in command


def test_property_escaping_of_newlines() -> None:
    [command, _] = lines(diag(path="a\nb.yaml"))
    assert "file=a%0Ab.yaml," in command
    assert "\n" not in command


def test_windows_path() -> None:
    [command, _] = lines(diag(path="k8s\\web.yaml"))
    assert "file=k8s/web.yaml," in command


def test_most_severe_first_then_by_location() -> None:
    output = lines(
        diag(path="a.yaml", line=1, severity=Severity.INFO, message="i1"),
        diag(path="b.yaml", line=5, severity=Severity.WARNING, message="w2"),
        diag(path="b.yaml", line=9, severity=Severity.ERROR, message="e2"),
        diag(path="a.yaml", line=3, severity=Severity.WARNING, message="w1"),
        diag(path="a.yaml", line=7, severity=Severity.ERROR, message="e1"),
    )
    assert [line.rsplit("::", 1)[1] for line in output[:-1]] == ["e1", "e2", "w1", "w2", "i1"]
    assert output[-1] == "Found 5 problems (2 errors, 2 warnings, 1 info) in 2 files; 5 images checked."


def test_template_mentioned_in_message() -> None:
    [command, _] = lines(diag(template="web/templates/deploy.yaml"))
    assert command.endswith("::image 'nginx:lates' not found [template: web/templates/deploy.yaml]")


def test_stdin_has_no_file() -> None:
    [command, _] = lines(diag(path="-"))
    assert command == "::error title=PL001 image-not-found::image 'nginx:lates' not found"


def test_no_line() -> None:
    [command, _] = lines(diag(line=0, column=0, end_line=0, end_column=0))
    assert command.startswith("::error file=k8s/web.yaml,title=PL001 image-not-found::")


def test_empty_report_prints_only_the_summary() -> None:
    assert lines() == ["No problems found in 2 files; 5 images checked."]
