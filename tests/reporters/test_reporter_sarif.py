"""The SARIF format, validated against the official SARIF 2.1.0 schema (copied from oasis-tcs/sarif-spec)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import Report, RuleInfo, render
from tests.reporters._samples import diag_with_image as diag
from tests.reporters._samples import make_report

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"

RULES = {
    "PL001": RuleInfo(
        "PL001",
        "image-not-found",
        Severity.ERROR,
        "The image reference does not resolve.",
        "The registry answered 404 for this tag.\n\n## Fix\n\nUse a tag that exists.",
        "https://pulllint.dev/rules/PL001",
    ),
    "PL002": RuleInfo("PL002", "latest-tag", Severity.WARNING, "Avoid :latest.", "Pin a version."),
    "PL003": RuleInfo("PL003", "policy-hint", Severity.INFO, "A hint.", ""),
}


@cache
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft4Validator  # the schema declares draft-04
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def load(*diagnostics: Diagnostic, rules: dict[str, RuleInfo] | None = None) -> Any:
    report = make_report(diagnostics, RULES if rules is None else rules, files=3, images=4)
    document = json.loads(render(report, "sarif"))
    errors = sorted(validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    return document


def fingerprint(result: Any) -> str:
    value = result["partialFingerprints"]["pulllint/v1"]
    assert isinstance(value, str)
    return value


def test_empty_report_is_valid() -> None:
    document = load()
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-schema-2.1.0.json")
    [run] = document["runs"]
    assert run["results"] == []
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == ["PL001", "PL002", "PL003"]


def test_driver_and_rules() -> None:
    driver = load(diag())["runs"][0]["tool"]["driver"]
    assert driver["name"] == "pulllint"
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"] == "https://github.com/pulllint/pulllint"
    first, second, third = driver["rules"]
    assert first == {
        "id": "PL001",
        "name": "image-not-found",
        "shortDescription": {"text": "The image reference does not resolve."},
        "fullDescription": {"text": "The registry answered 404 for this tag."},
        "help": {
            "text": RULES["PL001"].help_text,
            "markdown": RULES["PL001"].help_text,
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {"problem.severity": "error"},
        "helpUri": "https://pulllint.dev/rules/PL001",
    }
    assert second["defaultConfiguration"] == {"level": "warning"}
    assert "helpUri" not in second
    assert third["defaultConfiguration"] == {"level": "note"}
    assert third["help"]["text"] == "A hint."  # empty help falls back to the summary


def test_results() -> None:
    document = load(
        diag(code="PL003", severity=Severity.INFO, path="z.yaml"),
        diag(code="PL002", severity=Severity.WARNING, line=3, column=1, end_line=4, end_column=2),
        diag(),
    )
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["PL002", "PL001", "PL003"]  # by location
    assert [r["level"] for r in results] == ["warning", "error", "note"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    first = results[0]
    assert first["message"] == {"text": "image 'nginx:lates' not found"}
    [location] = first["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "k8s/web.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 3, "startColumn": 1, "endLine": 4, "endColumn": 2},
    }
    assert first["properties"] == {"image": "nginx:lates", "object": "Deployment/default/web"}
    assert "relatedLocations" not in first
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["properties"] == {"filesChecked": 3, "imagesChecked": 4}


def test_level_follows_the_diagnostic_not_the_rule_default() -> None:
    [result] = load(diag(severity=Severity.WARNING))["runs"][0]["results"]
    assert result["level"] == "warning"


def test_template_location_and_property() -> None:
    [result] = load(diag(template="web/templates/deploy.yaml", fix="nginx:latest"))["runs"][0]["results"]
    [related] = result["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"] == {
        "uri": "web/templates/deploy.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert related["message"]["text"]
    assert result["properties"]["template"] == "web/templates/deploy.yaml"
    assert result["properties"]["fix"] == "nginx:latest"


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("k8s/web.yaml", {"uri": "k8s/web.yaml", "uriBaseId": "%SRCROOT%"}),
        ("./k8s/web.yaml", {"uri": "k8s/web.yaml", "uriBaseId": "%SRCROOT%"}),
        ("k8s\\sub dir\\web.yaml", {"uri": "k8s/sub%20dir/web.yaml", "uriBaseId": "%SRCROOT%"}),
        ("a:b.yaml", {"uri": "a%3Ab.yaml", "uriBaseId": "%SRCROOT%"}),
        ("/srv/k8s/web.yaml", {"uri": "file:///srv/k8s/web.yaml"}),
        ("C:\\repo\\web.yaml", {"uri": "file:///C:/repo/web.yaml"}),
        ("-", {"uri": "stdin", "description": {"text": "standard input"}}),
    ],
)
def test_artifact_uris(path: str, location: dict[str, Any]) -> None:
    [result] = load(diag(path=path))["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == location


def test_region_left_out_without_a_line() -> None:
    [result] = load(diag(line=0, column=0, end_line=0, end_column=0))["runs"][0]["results"]
    assert "region" not in result["locations"][0]["physicalLocation"]


def test_region_never_ends_before_it_starts() -> None:
    [result] = load(diag(line=5, column=9, end_line=5, end_column=2))["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 5,
        "startColumn": 9,
        "endLine": 5,
    }


def test_unknown_rule_gets_a_descriptor() -> None:
    document = load(diag(code="EXT9", rule_name="plugin-rule", severity=Severity.WARNING), rules={})
    run = document["runs"][0]
    [rule] = run["tool"]["driver"]["rules"]
    assert rule["id"] == "EXT9"
    assert rule["name"] == "plugin-rule"
    assert rule["defaultConfiguration"] == {"level": "warning"}
    assert run["results"][0]["ruleIndex"] == 0


def test_fingerprint_ignores_lines() -> None:
    [before] = load(diag(line=12))["runs"][0]["results"]
    [after] = load(diag(line=40, end_line=41, message="moved"))["runs"][0]["results"]
    assert fingerprint(before) == fingerprint(after)
    assert len(fingerprint(before)) == 64


@pytest.mark.parametrize(
    "change",
    [{"code": "PL002"}, {"path": "k8s/api.yaml"}, {"image": "nginx:1"}, {"object_id": "Deployment/x/web"}],
)
def test_fingerprint_depends_on_identity(change: dict[str, Any]) -> None:
    [base] = load(diag())["runs"][0]["results"]
    [other] = load(diag(**change))["runs"][0]["results"]
    assert fingerprint(base) != fingerprint(other)


def test_fingerprint_same_for_either_path_separator() -> None:
    [posix] = load(diag(path="k8s/web.yaml"))["runs"][0]["results"]
    [windows] = load(diag(path="k8s\\web.yaml"))["runs"][0]["results"]
    assert fingerprint(posix) == fingerprint(windows)


def test_repeated_fingerprints_are_made_unique_deterministically() -> None:
    diagnostics = (diag(line=1, image=None, object_id=None), diag(line=9, image=None, object_id=None))
    first = [fingerprint(r) for r in load(*diagnostics)["runs"][0]["results"]]
    second = [fingerprint(r) for r in load(*reversed(diagnostics))["runs"][0]["results"]]
    assert len(set(first)) == 2
    assert first == second


def test_schema_rejects_a_bad_level() -> None:
    # Guards against a validator that accepts anything (wrong draft, unresolved references...).
    document = json.loads(render(Report([diag()], RULES, 1, 1, "0.1.0"), "sarif"))
    document["runs"][0]["results"][0]["level"] = "info"
    assert not validator().is_valid(document)
