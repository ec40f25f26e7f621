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


# -- lines that fit a terminal --------------------------------------------------------------------------

PL301 = (
    "image 'docker.io/grafana/alloy:v1.4.2' is pulled from Docker Hub anonymously: the limit is 100 pulls "
    "per 6 hours per IPv4 address or IPv6 /64 subnet (200 per 6 hours for an authenticated Personal "
    "account; HEAD requests do not count), shared by the nodes behind one address; one rollout of this "
    "DaemonSet pulls it once per node; add a Docker Hub pull secret (an access token) or pull through "
    "a mirror"
)
FIX = "add a pull secret for https://index.docker.io/v1/ to the pod or its ServiceAccount"


def dockerhub(line: int, image: str) -> Diagnostic:
    return diag(
        code="PL301",
        severity=Severity.WARNING,
        line=line,
        column=18,
        message=PL301.replace("docker.io/grafana/alloy:v1.4.2", image),
        fix=FIX,
    )


def test_long_message_is_cut_to_its_headline_and_explained_once() -> None:
    output = render(report(dockerhub(29, "grafana/alloy:v1.4.2"), dockerhub(40, "redis:7.2")), "text")
    lines = output.splitlines()
    assert lines[0] == (
        "k8s/web.yaml:29:18: PL301 warning image 'grafana/alloy:v1.4.2' is pulled from Docker Hub anonymously"
    )
    why = [line for line in lines if line.startswith("    why: ") or line.startswith("         ")]
    assert " ".join(part.strip() for part in why).startswith("why: the limit is 100 pulls per 6 hours")
    assert output.count("the limit is 100 pulls") == 1  # not repeated for the second image
    assert (
        "k8s/web.yaml:40:18: PL301 warning image 'redis:7.2' is pulled from Docker Hub anonymously" in lines
    )
    assert lines.count(f"    fix: {FIX}") == 2
    assert all(len(line) <= 100 for line in lines)
    assert lines[-2].startswith("Explanations are shown once per rule")


def test_explanations_that_differ_only_in_detail_are_one_explanation() -> None:
    other = dockerhub(50, "nginx:1").message.replace("DaemonSet pulls it once per node", "Job costs a pull")
    output = render(report(dockerhub(29, "a:1"), dockerhub(50, "b:1")._replace(message=other)), "text")
    assert output.count("    why: the limit is 100") == 1  # the same first clause: the workload is detail
    different = other.replace("the limit is 100 pulls", "the quota is 100 pulls")
    output = render(report(dockerhub(29, "a:1"), dockerhub(50, "b:1")._replace(message=different)), "text")
    assert output.count("    why: the limit is 100") == 1 and output.count("    why: the quota is 100") == 1


def test_short_messages_are_whole_and_the_width_is_an_option() -> None:
    short = diag(message="invalid image reference 'Shop/Report:1.0': repository name must be lowercase"[:-13])
    assert render(report(short), "text").splitlines()[0].endswith("repository name must")
    narrow = render(report(short), "text", width=60).splitlines()
    assert narrow[0] == "k8s/web.yaml:12:16: PL001 error invalid image reference 'Shop/Report:1.0'"
    assert narrow[1] == "    why: repository name must"


def test_without_a_place_to_cut_the_message_stays_whole() -> None:
    message = "did not find the expected '-' indicator of a block collection that started at line 42"
    [line, _] = render(report(diag(message=message)), "text", width=40).splitlines()
    assert line.endswith(message)


@pytest.mark.parametrize(
    ("message", "headline"),
    [
        ("image 'nginx:1': c", "image 'nginx:1'"),
        ("x (k: v) is bad: because", "x (k: v) is bad"),
        ("don't pull 'x:1'; use y", "don't pull 'x:1'"),
        ("ab: too short a headline: real cut", "ab: too short a headline"),
        ("no cut at all", "no cut at all"),
        ("did not find '-' (parsing a block)", "did not find '-' (parsing a block)"),  # fits: no cut
    ],
)
def test_split_message(message: str, headline: str) -> None:
    from pulllint.reporters._text import split_message

    assert split_message(message)[0] == headline


def test_fixes_can_be_hidden() -> None:
    shown = render(report(diag(fix="image: nginx:1.27")), "text").splitlines()
    assert shown[1] == "    fix: image: nginx:1.27"
    hidden = render(report(diag(fix="image: nginx:1.27")), "text", show_fixes=False).splitlines()
    assert len(hidden) == 2 and "fix" not in hidden[0]


def test_colour_dims_the_indented_lines() -> None:
    output = render(report(diag(fix="pin it")), "text", color=True)
    assert "\x1b[2m    fix: pin it\x1b[0m" in output


def test_a_headline_too_long_is_cut_at_an_earlier_comma_or_parenthesis() -> None:
    from pulllint.reporters._text import split_message

    message = (
        "image 'x:1' is on Amazon ECR (account 1, region r) and no secret covers it, so the node pulls it"
    )
    assert split_message(message) == (message, "")  # nothing but those to cut at
    assert split_message(message, room=40) == ("image 'x:1' is on Amazon ECR", message[29:])
    assert (
        split_message(message, room=80)[0]
        == "image 'x:1' is on Amazon ECR (account 1, region r) and no secret covers it"
    )
    assert split_message(message, room=10)[0] == "image 'x:1' is on Amazon ECR"  # none fits: the shortest


def test_a_short_headline_is_not_cut_further_when_nothing_would_fit() -> None:
    from pulllint.reporters._text import split_message

    message = "could not verify 127.0.0.1:1/team/app:1.0 (refused): connection refused by 127.0.0.1:1"
    assert split_message(message, room=20)[0] == "could not verify 127.0.0.1:1/team/app:1.0 (refused)"
    assert split_message(message, room=45)[0] == "could not verify 127.0.0.1:1/team/app:1.0"


def test_a_long_headline_is_cut_where_it_halves_even_if_it_does_not_fit() -> None:
    from pulllint.reporters._text import split_message

    message = (
        "image 'x.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.0' is on Amazon ECR (account 1, region"
        " eu-west-1) and no pull secret of the pod covers it, so the node pulls it with its own identity:"
        " the node's IAM role needs ecr:BatchGetImage"
    )
    assert (
        split_message(message, room=30)[0]
        == "image 'x.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.0' is on Amazon ECR"
    )
