"""The JSON format: versioned document, every documented field present."""

from __future__ import annotations

import json
from typing import Any

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import render
from tests.reporters._samples import diag, make_report


def load(*diagnostics: Diagnostic) -> Any:
    report = make_report(diagnostics, files=2, images=5, tool_version="1.2.3")
    return json.loads(render(report, "json"))


def test_envelope() -> None:
    document = load(diag(), diag(severity=Severity.WARNING), diag(severity=Severity.INFO, line=1))
    assert list(document) == ["version", "tool", "summary", "diagnostics"]
    assert document["version"] == 1
    assert document["tool"] == {"name": "pulllint", "version": "1.2.3"}
    assert document["summary"] == {"files": 2, "images": 5, "errors": 1, "warnings": 1, "infos": 1}


def test_empty() -> None:
    document = load()
    assert document["diagnostics"] == []
    assert document["summary"] == {"files": 2, "images": 5, "errors": 0, "warnings": 0, "infos": 0}


def test_all_fields() -> None:
    full = diag(
        template="web/templates/deploy.yaml",
        image="nginx:lates",
        object_id="Deployment/default/web",
        fix="nginx:latest",
        message='quote " and unicode \u00e9',
    )
    [entry] = load(full)["diagnostics"]
    assert entry == {
        "file": "k8s/web.yaml",
        "line": 12,
        "column": 16,
        "end": {"line": 12, "column": 27},
        "code": "PL001",
        "rule": "image-not-found",
        "severity": "error",
        "message": 'quote " and unicode \u00e9',
        "template": "web/templates/deploy.yaml",
        "image": "nginx:lates",
        "object": "Deployment/default/web",
        "fix": "nginx:latest",
    }


def test_absent_values_are_null() -> None:
    [entry] = load(diag(severity=Severity.INFO))["diagnostics"]
    assert entry["severity"] == "info"
    assert entry["template"] is None
    assert entry["image"] is None
    assert entry["object"] is None
    assert entry["fix"] is None


def test_round_trip_preserves_every_diagnostic_in_location_order() -> None:
    diagnostics = [
        diag(path="b.yaml", line=3, code="PL002", severity=Severity.WARNING),
        diag(path="a.yaml", line=7),
        diag(path="a.yaml", line=2, image="redis:7", object_id="Pod/ns/p"),
    ]
    entries = load(*diagnostics)["diagnostics"]
    rebuilt = [
        Diagnostic(
            code=e["code"],
            rule_name=e["rule"],
            severity=Severity.parse(e["severity"]),
            message=e["message"],
            path=e["file"],
            line=e["line"],
            column=e["column"],
            end_line=e["end"]["line"],
            end_column=e["end"]["column"],
            template=e["template"],
            image=e["image"],
            object_id=e["object"],
            fix=e["fix"],
        )
        for e in entries
    ]
    assert rebuilt == sorted(diagnostics, key=lambda d: d.sort_key)
