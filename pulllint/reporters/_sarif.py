"""SARIF 2.1.0 output (GitHub code scanning, Azure DevOps, IDE viewers).

One run. `tool.driver.rules` describes every rule that ran (sorted by code; a code seen in a diagnostic
but missing from `Report.rules` gets a minimal descriptor so `ruleIndex` is always valid). Each result
has its rule's id and index, a level (error/warning/note), the message and one location:

* `artifactLocation.uri` is the path as given with forward slashes and `uriBaseId` "%SRCROOT%" when
  relative (a leading "./" is dropped); an absolute path becomes a `file://` URI; standard input
  ("-") becomes the relative URI "stdin" with a description and no base.
* `region` holds start/end line and column (1-based, `columnKind` is unicodeCodePoints); it is left out
  when the diagnostic has no line.
* When the document was rendered from a Helm template, the template path is added as a related location
  (no region: only the rendered document's position is known) and as `properties.template`;
  `properties` also carries `image`, `object` and `fix` when set.
* `partialFingerprints["pulllint/v1"]` is sha256(code, path, image, object): it does not depend on the
  line, so a finding keeps its identity when lines move. Repeats of the same value within one report
  (for example two findings of a rule that names no image or object) are made unique deterministically,
  in location order.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters import Report, RuleInfo
from pulllint.reporters._common import STDIN_PATH, by_location, disambiguate, posix_path, stable_hash

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/pulllint/pulllint"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "pulllint/v1"

LEVELS: dict[Severity, str] = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# GitHub code scanning's `problem.severity` rule property.
_PROBLEM_SEVERITIES: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "recommendation",
}

_WINDOWS_DRIVE = re.compile(r"[A-Za-z]:/")


def artifact_location(path: str) -> dict[str, Any]:
    if path == STDIN_PATH:
        return {"uri": "stdin", "description": {"text": "standard input"}}
    uri_path = posix_path(path)
    if uri_path.startswith("//"):  # UNC path: //server/share/...
        return {"uri": "file:" + quote(uri_path)}
    if uri_path.startswith("/"):
        return {"uri": "file://" + quote(uri_path)}
    if _WINDOWS_DRIVE.match(uri_path):
        return {"uri": "file:///" + quote(uri_path, safe="/:")}
    while uri_path.startswith("./"):
        uri_path = uri_path[2:]
    # quote() also encodes ":" so a first segment like "a:b.yaml" cannot be read as a URI scheme.
    return {"uri": quote(uri_path), "uriBaseId": SRCROOT}


def _region(diagnostic: Diagnostic) -> dict[str, int] | None:
    if diagnostic.line < 1:
        return None
    region = {"startLine": diagnostic.line}
    if diagnostic.column >= 1:
        region["startColumn"] = diagnostic.column
    end_line = max(diagnostic.end_line, diagnostic.line)
    region["endLine"] = end_line
    end_column = diagnostic.end_column
    if end_column >= 1 and (end_line > diagnostic.line or end_column >= diagnostic.column):
        region["endColumn"] = end_column
    return region


def _first_paragraph(markdown: str) -> str:
    return markdown.strip().split("\n\n", 1)[0].strip()


def _rule_descriptor(rule: RuleInfo) -> dict[str, Any]:
    summary = rule.summary or rule.name
    # help_text is markdown; its source is also the most readable plain-text rendering available.
    help_text = rule.help_text.strip() or summary
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": _first_paragraph(help_text)},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"problem.severity": _PROBLEM_SEVERITIES[rule.severity]},
    }
    if rule.help_uri:
        descriptor["helpUri"] = rule.help_uri
    return descriptor


def _rules(report: Report) -> list[RuleInfo]:
    rules = dict(report.rules)
    for diagnostic in report.diagnostics:
        if diagnostic.code not in rules:
            rules[diagnostic.code] = RuleInfo(
                code=diagnostic.code,
                name=diagnostic.rule_name,
                severity=diagnostic.severity,
                summary=diagnostic.rule_name,
                help_text="",
            )
    return [rules[code] for code in sorted(rules)]


def _result(diagnostic: Diagnostic, rule_index: int, fingerprint: str) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(diagnostic.path)}
    region = _region(diagnostic)
    if region is not None:
        physical["region"] = region
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": LEVELS[diagnostic.severity],
        "message": {"text": diagnostic.message},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if diagnostic.template:
        result["relatedLocations"] = [
            {
                "id": 1,
                "physicalLocation": {"artifactLocation": artifact_location(diagnostic.template)},
                "message": {"text": "Helm template that rendered this document"},
            }
        ]
    properties = {
        key: value
        for key, value in (
            ("template", diagnostic.template),
            ("image", diagnostic.image),
            ("object", diagnostic.object_id),
            ("fix", diagnostic.fix),
        )
        if value is not None
    }
    if properties:
        result["properties"] = properties
    return result


def to_document(report: Report) -> dict[str, Any]:
    rules = _rules(report)
    rule_indexes = {rule.code: index for index, rule in enumerate(rules)}
    diagnostics = by_location(report.diagnostics)
    fingerprints = disambiguate(
        [stable_hash(d.code, posix_path(d.path), d.image, d.object_id) for d in diagnostics]
    )
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "pulllint",
                "version": report.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": [_rule_descriptor(rule) for rule in rules],
            }
        },
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "The directory pulllint was run from."}}},
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(d, rule_indexes[d.code], fingerprint)
            for d, fingerprint in zip(diagnostics, fingerprints, strict=True)
        ],
        "properties": {"filesChecked": report.files_checked, "imagesChecked": report.images_checked},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report) -> str:
    return json.dumps(to_document(report), indent=2, ensure_ascii=False) + "\n"
