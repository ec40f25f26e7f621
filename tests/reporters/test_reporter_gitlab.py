"""The GitLab Code Quality format: required fields, stable and unique fingerprints."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import render
from tests.reporters._samples import diag_with_image, make_report

BASE = diag_with_image(message="image 'nginx:lates' not found (see values.yaml:12:3, line 12)")


def diag(**changes: Any) -> Diagnostic:
    return BASE._replace(**changes)


def load(*diagnostics: Diagnostic) -> list[dict[str, Any]]:
    report = make_report(diagnostics, files=1, images=1)
    output = render(report, "gitlab")
    assert output.endswith("\n")
    document = json.loads(output)
    assert isinstance(document, list)
    return document


def fingerprints(*diagnostics: Diagnostic) -> list[str]:
    return [issue["fingerprint"] for issue in load(*diagnostics)]


def test_empty_report_is_an_empty_array() -> None:
    assert load() == []


def test_required_fields() -> None:
    [issue] = load(diag())
    assert issue == {
        "description": "PL001: image 'nginx:lates' not found (see values.yaml:12:3, line 12)",
        "check_name": "PL001",
        "fingerprint": issue["fingerprint"],
        "severity": "major",
        "location": {"path": "k8s/web.yaml", "lines": {"begin": 12}},
    }
    assert len(issue["fingerprint"]) == 64
    int(issue["fingerprint"], 16)


@pytest.mark.parametrize(
    ("severity", "expected"),
    [(Severity.ERROR, "major"), (Severity.WARNING, "minor"), (Severity.INFO, "info")],
)
def test_severity(severity: Severity, expected: str) -> None:
    [issue] = load(diag(severity=severity))
    assert issue["severity"] == expected


def test_template_paths_and_lines() -> None:
    issues = load(
        diag(template="web/templates/deploy.yaml"),
        diag(path="-", line=3),
        diag(path="k8s\\api.yaml", line=0),
    )
    by_path = {issue["location"]["path"]: issue for issue in issues}
    assert set(by_path) == {"k8s/web.yaml", "stdin", "k8s/api.yaml"}
    assert by_path["k8s/web.yaml"]["description"].endswith(" [template: web/templates/deploy.yaml]")
    assert by_path["k8s/api.yaml"]["location"]["lines"]["begin"] == 1  # GitLab needs a line >= 1


def test_fingerprint_stable_across_runs_and_moved_lines() -> None:
    original = fingerprints(diag())
    assert fingerprints(diag()) == original
    moved = diag(
        line=40,
        column=2,
        end_line=40,
        end_column=9,
        message="image 'nginx:lates' not found (see values.yaml:41:7, line 40)",
    )
    assert fingerprints(moved) == original


@pytest.mark.parametrize(
    "change",
    [
        {"code": "PL002"},
        {"path": "k8s/api.yaml"},
        {"image": "nginx:1"},
        {"object_id": "Deployment/x/web"},
        {"message": "another problem"},
    ],
)
def test_fingerprint_depends_on_identity(change: dict[str, Any]) -> None:
    assert fingerprints(diag()) != fingerprints(diag(**change))


def test_fingerprints_unique_and_deterministic_for_duplicates() -> None:
    diagnostics = [diag(line=line) for line in (30, 10, 20)] + [diag(code="PL002")]
    first = fingerprints(*diagnostics)
    assert len(set(first)) == len(first) == 4
    assert fingerprints(*reversed(diagnostics)) == first
    assert first[0] == fingerprints(diag())[0]  # the first occurrence keeps the plain fingerprint


def test_issues_in_location_order() -> None:
    issues = load(diag(path="b.yaml", line=1), diag(path="a.yaml", line=9), diag(path="a.yaml", line=2))
    assert [(i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues] == [
        ("a.yaml", 2),
        ("a.yaml", 9),
        ("b.yaml", 1),
    ]
