"""The GitHub Actions format: workflow commands, escaping, most severe first."""

from __future__ import annotations

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import RenderOptions, render
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


# -- what GitHub shows ----------------------------------------------------------------------------------


def many(severity: Severity, count: int, path: str = "a.yaml") -> list[Diagnostic]:
    return [
        diag(path=path, line=n + 1, severity=severity, message=f"{severity.label} {n}") for n in range(count)
    ]


def kinds(output: list[str]) -> list[str]:
    return [line[2:].split(" ", 1)[0] for line in output if line.startswith("::")]


def test_within_the_limits_everything_is_annotated() -> None:
    output = lines(*many(Severity.ERROR, 10), *many(Severity.WARNING, 10), *many(Severity.INFO, 10))
    assert kinds(output) == ["error"] * 10 + ["warning"] * 10 + ["notice"] * 10
    assert "title=pulllint" not in "\n".join(output)


def test_capped_to_what_github_shows_with_one_notice_and_the_rest_in_the_log() -> None:
    output = lines(
        *many(Severity.WARNING, 14), *many(Severity.ERROR, 12, path="b.yaml"), *many(Severity.INFO, 3)
    )
    assert kinds(output) == ["error"] * 10 + ["warning"] * 10 + ["notice"] * 4
    [notice] = [line for line in output if "title=pulllint" in line]
    assert notice.startswith("::notice title=pulllint::6 more findings not annotated: GitHub shows 10 error,")
    assert "Every finding is in the lines below in this log." in notice
    # The errors annotated are the first by location; the ones left out follow as plain text lines.
    assert "::error file=b.yaml,line=10," in "\n".join(output)
    start = output.index("Not annotated (6):")
    assert output[start + 1 : start + 3] == [
        "b.yaml:11:16: PL001 error error 10",
        "b.yaml:12:16: PL001 error error 11",
    ]
    assert len(output[start + 1 : -1]) == 6 and output[-1].startswith("Found 29 problems")


def test_the_notice_takes_the_place_of_the_last_info() -> None:
    output = lines(*many(Severity.INFO, 12))
    assert kinds(output) == ["notice"] * 10
    assert output[9].startswith("::notice title=pulllint::3 more findings not annotated")


def test_the_notice_names_the_summary_and_the_sarif_file() -> None:
    from pulllint.reporters import AnnotationLimits
    from pulllint.reporters._github import Selection, render_selection

    report = make_report(many(Severity.ERROR, 3), files=1, images=1)
    options = RenderOptions(sarif_file="results/pulllint.sarif", limits=AnnotationLimits(per_kind=2))
    text = render_selection(report, options, Selection(report.diagnostics, options.limits), summary=True)
    assert "GitHub shows 2 error, 2 warning and 2 notice annotations per step (50 per job)" in text
    assert (
        "Every finding is in the job summary, the SARIF report results/pulllint.sarif and the lines below"
        in text
    )


def test_earlier_batches_use_up_the_limits() -> None:
    report = make_report([*many(Severity.ERROR, 4), *many(Severity.WARNING, 2)], files=1, images=1)
    output = render(
        report, "github", already_annotated={Severity.ERROR: 8, Severity.WARNING: 10}
    ).splitlines()
    assert kinds(output) == ["error", "error", "notice"]
    assert "4 more findings not annotated" in output[2]


def test_the_job_limit() -> None:
    from pulllint.reporters import AnnotationLimits

    report = make_report([*many(Severity.ERROR, 10), *many(Severity.WARNING, 10)], files=1, images=1)
    output = render(report, "github", limits=AnnotationLimits(per_kind=10, per_job=12)).splitlines()
    assert kinds(output) == ["error"] * 10 + ["warning", "notice"]
