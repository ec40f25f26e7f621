"""The JUnit XML format: one test case per (path, object, image) with diagnostics."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import render
from tests.reporters._samples import diag_with_image as diag
from tests.reporters._samples import make_report


def parse(*diagnostics: Diagnostic, fail_on: Severity = Severity.WARNING) -> ET.Element:
    report = make_report(diagnostics, files=2, images=3)
    output = render(report, "junit", fail_on=fail_on)
    assert output.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    assert output.endswith("\n")
    return ET.fromstring(output.encode("utf-8"))


def test_empty_report_has_one_passing_case() -> None:
    suite = parse()
    assert suite.tag == "testsuite"
    assert suite.get("name") == "pulllint"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("1", "0", "0")
    [case] = suite.findall("testcase")
    assert (case.get("name"), case.get("classname")) == ("pulllint", "pulllint")
    assert list(case) == []


def test_properties() -> None:
    properties = {p.get("name"): p.get("value") for p in parse().iter("property")}
    assert properties == {
        "pulllint.version": "0.1.0",
        "files_checked": "2",
        "images_checked": "3",
        "fail_on": "warning",
    }


def test_cases_and_counts() -> None:
    suite = parse(
        diag(),
        diag(code="PL002", severity=Severity.WARNING, message="mutable tag", line=13),
        diag(code="PL003", severity=Severity.INFO, message="hint", line=14),
        diag(image="redis:7", line=30, severity=Severity.INFO, code="PL003", message="redis hint"),
        diag(path="a\\api.yaml", image=None, object_id="Service/default/api", line=1),
        diag(path="other.yaml", image=None, object_id=None, line=1, severity=Severity.WARNING),
    )
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("a/api.yaml", "Service/default/api"),
        ("k8s/web.yaml", "nginx:lates (Deployment/default/web)"),
        ("k8s/web.yaml", "redis:7 (Deployment/default/web)"),
        ("other.yaml", "(file)"),
    ]
    assert suite.get("tests") == "4"
    assert suite.get("failures") == "3"  # the redis case only has an info

    nginx = cases[1]
    failures = nginx.findall("failure")
    assert [(f.get("type"), f.get("message")) for f in failures] == [
        ("PL001", "PL001: image 'nginx:lates' not found"),
        ("PL002", "PL002: mutable tag"),
    ]
    assert failures[0].text == "k8s/web.yaml:12:16: PL001 error image 'nginx:lates' not found"
    system_out = nginx.find("system-out")
    assert system_out is not None
    assert system_out.text == "k8s/web.yaml:14:16: PL003 info hint"

    redis = cases[2]
    assert redis.findall("failure") == []
    assert redis.findtext("system-out") == "k8s/web.yaml:30:16: PL003 info redis hint"


def test_image_without_object() -> None:
    [case] = parse(diag(object_id=None)).findall("testcase")
    assert case.get("name") == "nginx:lates"


def test_template_in_failure_text() -> None:
    [case] = parse(diag(template="web/templates/deploy.yaml")).findall("testcase")
    failure = case.find("failure")
    assert failure is not None
    assert failure.text is not None
    assert failure.text.endswith("[template: web/templates/deploy.yaml]")


def test_special_characters_survive() -> None:
    message = "<tag> & \"quotes\" 'x'\nnext line \x1b[31m\x00 \u00e9"
    [case] = parse(diag(message=message)).findall("testcase")
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "PL001: <tag> & \"quotes\" 'x'\nnext line \ufffd[31m\ufffd \u00e9"


def test_only_findings_at_or_above_fail_on_fail() -> None:
    """A warning under `--fail-on error` (the default) does not paint the test report red."""
    findings = (diag(), diag(code="PL002", severity=Severity.WARNING, message="mutable tag", line=13))
    warning_only = diag(image="redis:7", code="PL002", severity=Severity.WARNING, message="w", line=30)
    report = make_report([*findings, warning_only], files=1, images=2)
    suite = ET.fromstring(render(report, "junit").encode("utf-8"))  # fail_on defaults to error
    assert suite.get("failures") == "1"
    nginx, redis = suite.findall("testcase")
    assert [f.get("type") for f in nginx.findall("failure")] == ["PL001"]
    assert nginx.findtext("system-out") == "k8s/web.yaml:13:16: PL002 warning mutable tag"
    assert redis.findall("failure") == [] and redis.findtext("system-out") is not None
    strict = ET.fromstring(render(report, "junit", fail_on=Severity.INFO).encode("utf-8"))
    assert strict.get("failures") == "2"
