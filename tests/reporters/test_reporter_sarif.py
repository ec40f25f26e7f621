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
        "properties": {
            "tags": ["kubernetes", "input"],
            "precision": "very-high",
            "problem.severity": "error",
        },
        "helpUri": "https://pulllint.dev/rules/PL001",
    }
    assert second["defaultConfiguration"] == {"level": "warning"}
    # Without a page of its own: the rule table of the README of this version.
    assert second["helpUri"] == "https://github.com/pulllint/pulllint/blob/v0.1.0/README.md#rules"
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


def test_unmapped_template_is_a_property_not_a_location() -> None:
    """Without a repository to look in, the chart-relative `# Source:` path names no file: no location."""
    [result] = load(diag(template="web/templates/deploy.yaml", fix="nginx:latest"))["runs"][0]["results"]
    assert "relatedLocations" not in result
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "k8s/web.yaml"
    assert result["properties"]["template"] == "web/templates/deploy.yaml"
    assert result["properties"]["fix"] == "nginx:latest"


@pytest.mark.parametrize(
    ("code", "tags", "precision", "security"),
    [
        ("PL101", ["kubernetes", "image-reference", "reliability"], "very-high", None),
        ("PL201", ["kubernetes", "credentials", "reliability"], "high", None),
        ("PL303", ["kubernetes", "supply-chain", "security"], "very-high", "7.0"),
        ("PL401", ["kubernetes", "registry", "reliability"], "high", None),
    ],
)
def test_rule_properties_from_the_code_group(
    code: str, tags: list[str], precision: str, security: str | None
) -> None:
    rules = {code: RuleInfo(code, "some-rule", Severity.ERROR, "Summary.", "Help.")}
    [rule] = load(rules=rules)["runs"][0]["tool"]["driver"]["rules"]
    assert rule["properties"]["tags"] == tags
    assert rule["properties"]["precision"] == precision
    assert rule["properties"].get("security-severity") == security


def test_rule_properties_given_by_the_rule() -> None:
    info = RuleInfo(
        "PL106", "tag-not-pinned", Severity.WARNING, "S.", "H.", tags=("security",), precision="medium"
    )
    [rule] = load(rules={"PL106": info})["runs"][0]["tool"]["driver"]["rules"]
    assert rule["properties"]["tags"] == ["kubernetes", "image-reference", "reliability", "security"]
    assert rule["properties"]["precision"] == "medium"
    assert rule["properties"]["security-severity"] == "4.0"  # from the warning default
    scored = info._replace(security_severity=8.25)
    [rule] = load(rules={"PL106": scored})["runs"][0]["tool"]["driver"]["rules"]
    assert rule["properties"]["security-severity"] == "8.2"


def test_standard_input_says_so_and_keeps_a_location() -> None:
    """GitHub rejects a whole SARIF file when a result has no location: standard input keeps one."""
    [result] = load(diag(path="-", line=7, column=3))["runs"][0]["results"]
    [location] = result["locations"]
    assert location["physicalLocation"]["artifactLocation"] == {
        "uri": "standard-input",
        "description": {"text": "standard input: no file of the repository"},
    }
    assert location["physicalLocation"]["region"]["startLine"] == 7
    assert result["message"]["text"] == "image 'nginx:lates' not found (standard input, line 7, column 3)"


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("k8s/web.yaml", {"uri": "k8s/web.yaml", "uriBaseId": "%SRCROOT%"}),
        ("./k8s/web.yaml", {"uri": "k8s/web.yaml", "uriBaseId": "%SRCROOT%"}),
        ("k8s\\sub dir\\web.yaml", {"uri": "k8s/sub%20dir/web.yaml", "uriBaseId": "%SRCROOT%"}),
        ("a:b.yaml", {"uri": "a%3Ab.yaml", "uriBaseId": "%SRCROOT%"}),
        ("/srv/k8s/web.yaml", {"uri": "file:///srv/k8s/web.yaml"}),
        ("C:\\repo\\web.yaml", {"uri": "file:///C:/repo/web.yaml"}),
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
