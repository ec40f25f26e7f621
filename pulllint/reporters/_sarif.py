"""SARIF 2.1.0 output (GitHub code scanning, Azure DevOps, IDE viewers).

One run. `tool.driver.rules` describes every rule that ran (sorted by code; a code seen in a diagnostic
but missing from `Report.rules` gets a minimal descriptor so `ruleIndex` is always valid). Each rule has
its help (markdown), a `helpUri` (`RuleInfo.help_uri`, else the rule table of the project's README for
this version) and the properties GitHub code scanning reads: `tags`, `precision`, `problem.severity`
and, for rules tagged `security`, `security-severity`. Unless `RuleInfo` gives them, tags and precision
come from the code's group (PL0 input, PL1 reference, PL2 credentials, PL3 policy, PL4 registry: see
`GROUPS`), and the security severity from the default severity (error 7.0, warning 4.0, info 1.0).

Each result has its rule's id and index, a level (error/warning/note), the message and one location:

* `artifactLocation.uri` is relative to the repository root (`RenderOptions.root`, declared as
  `originalUriBaseIds["%SRCROOT%"]`), with `uriBaseId` "%SRCROOT%"; a path outside the root becomes a
  `file://` URI. A finding in `helm template` output is located at its template's line in the
  repository (see reporters._landing), with the rendered position as a related location (when it was
  read from a file) and the `# Source:` path in `properties.template`.
* A finding read from standard input lands in a file when it can: its template (Helm output, see above)
  or `RenderOptions.stdin_name`. Otherwise it still has a location (GitHub rejects a whole SARIF file
  for one result without), the relative URI `standard-input` described as "no file of the repository",
  and its message ends with "(standard input, line L, column C)".
* `region` holds start/end line and column (1-based, `columnKind` is unicodeCodePoints); it is left out
  when the diagnostic has no line.
* `properties` carries `template`, `image`, `object` and `fix` when set.
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
from pulllint.reporters._common import STDIN_PATH, disambiguate, posix_path, stable_hash
from pulllint.reporters._landing import Landed
from pulllint.reporters._types import DEFAULT_OPTIONS, RenderOptions, Report, RuleInfo

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/pulllint/pulllint"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "pulllint/v1"
# The artifact of findings read from standard input that no file of the repository holds.
STDIN_URI = "standard-input"

LEVELS: dict[Severity, str] = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# GitHub code scanning's `problem.severity` rule property.
_PROBLEM_SEVERITIES: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "recommendation",
}

_WINDOWS_DRIVE = re.compile(r"[A-Za-z]:/")


# The code's group: tags and precision of its rules (DESIGN.md: PL0 input ... PL4 registry). Registry
# answers and cluster-side unknowns make PL2 and PL4 verdicts less certain than the reference grammar.
# Only policy (PL3: registries allowed, dead or moved images, anonymous pulls) is a supply-chain, security
# matter; a missing pull secret fails a pull, it exposes nothing.
GROUPS: dict[str, tuple[tuple[str, ...], str]] = {
    "PL0": (("kubernetes", "input"), "very-high"),
    "PL1": (("kubernetes", "image-reference", "reliability"), "very-high"),
    "PL2": (("kubernetes", "credentials", "reliability"), "high"),
    "PL3": (("kubernetes", "supply-chain", "security"), "very-high"),
    "PL4": (("kubernetes", "registry", "reliability"), "high"),
}
_DEFAULT_GROUP: tuple[tuple[str, ...], str] = (("kubernetes",), "medium")
_SECURITY_SEVERITIES: dict[Severity, float] = {Severity.ERROR: 7.0, Severity.WARNING: 4.0, Severity.INFO: 1.0}


def artifact_location(path: str) -> dict[str, Any]:
    """A landed path (see reporters._landing) as an artifact location."""
    if path == STDIN_PATH:
        return {"uri": STDIN_URI, "description": {"text": "standard input: no file of the repository"}}
    uri_path = posix_path(path)
    if uri_path.startswith("//"):  # UNC path: //server/share/...
        return {"uri": "file:" + _quote(path)}
    if uri_path.startswith("/"):
        return {"uri": "file://" + _quote(path)}
    if _WINDOWS_DRIVE.match(uri_path):
        return {"uri": "file:///" + _quote(path, safe=":")}
    while path.startswith(("./", ".\\")):
        path = path[2:]
    # quote() also encodes ":" so a first segment like "a:b.yaml" cannot be read as a URI scheme.
    return {"uri": _quote(path), "uriBaseId": SRCROOT}


# A byte of a file name that is not UTF-8, as the reporters escape it (`\xff`): in a URI it is the
# percent-encoded byte itself (`%FF`).
_ESCAPED_BYTE = re.compile(r"\\x([89a-fA-F][0-9a-fA-F])")


def _quote(path: str, safe: str = "") -> str:
    """The path as a URI path: forward slashes, percent-encoded, escaped bytes as the bytes they were."""
    parts: list[str] = []
    at = 0
    for match in _ESCAPED_BYTE.finditer(path):
        parts.append(quote(posix_path(path[at : match.start()]), safe="/" + safe))
        parts.append("%" + match.group(1).upper())
        at = match.end()
    parts.append(quote(posix_path(path[at:]), safe="/" + safe))
    return "".join(parts)


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


def help_uri(rule: RuleInfo, tool_version: str) -> str:
    if rule.help_uri:
        return rule.help_uri
    return f"{INFORMATION_URI}/blob/v{tool_version}/README.md#rules"


def rule_properties(rule: RuleInfo) -> dict[str, Any]:
    group_tags, group_precision = GROUPS.get(rule.code[:3], _DEFAULT_GROUP)
    tags = list(dict.fromkeys((*group_tags, *rule.tags)))
    properties: dict[str, Any] = {
        "tags": tags,
        "precision": rule.precision or group_precision,
        "problem.severity": _PROBLEM_SEVERITIES[rule.severity],
    }
    security = rule.security_severity
    if security is None and "security" in tags:
        security = _SECURITY_SEVERITIES[rule.severity]
    if security is not None:
        properties["security-severity"] = f"{min(max(security, 0.0), 10.0):.1f}"
    return properties


def _rule_descriptor(rule: RuleInfo, tool_version: str) -> dict[str, Any]:
    summary = rule.summary or rule.name
    # help_text is markdown; its source is also the most readable plain-text rendering available.
    help_text = rule.help_text.strip() or summary
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": _first_paragraph(help_text)},
        "help": {"text": help_text, "markdown": help_text},
        "helpUri": help_uri(rule, tool_version),
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": rule_properties(rule),
    }


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


def _physical(diagnostic: Diagnostic) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(diagnostic.path)}
    region = _region(diagnostic)
    if region is not None:
        physical["region"] = region
    return physical


def _stdin_position(diagnostic: Diagnostic) -> str:
    if diagnostic.line < 1:
        return "standard input"
    return f"standard input, line {diagnostic.line}, column {max(diagnostic.column, 1)}"


def _result(landed: Landed, rule_index: int, fingerprint: str) -> dict[str, Any]:
    diagnostic = landed.diagnostic
    about = landed.rendered or diagnostic  # the message and template as the rule reported them
    message = about.message
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": LEVELS[diagnostic.severity],
        "message": {"text": message},
    }
    # GitHub rejects a whole SARIF file when one result has no physical location: standard input that
    # could not be placed in a file of the repository still gets one, under a name that says what it is.
    result["locations"] = [{"physicalLocation": _physical(diagnostic)}]
    if diagnostic.path == STDIN_PATH:
        result["message"] = {"text": f"{message} ({_stdin_position(diagnostic)})"}
    result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint}
    if landed.rendered is not None:
        rendered = landed.rendered
        if rendered.path == STDIN_PATH:
            result["message"] = {"text": f"{message} (rendered: {_stdin_position(rendered)})"}
        else:
            result["relatedLocations"] = [
                {
                    "id": 1,
                    "physicalLocation": _physical(rendered),
                    "message": {"text": "where `helm template` rendered it"},
                }
            ]
    properties = {
        key: value
        for key, value in (
            ("template", about.template),
            ("image", diagnostic.image),
            ("object", diagnostic.object_id),
            ("fix", diagnostic.fix),
        )
        if value is not None
    }
    if properties:
        result["properties"] = properties
    return result


def _root_uri(root: str) -> str:
    uri_path = posix_path(root).rstrip("/") + "/"
    if _WINDOWS_DRIVE.match(uri_path):
        return "file:///" + quote(uri_path, safe="/:", errors="surrogateescape")
    if uri_path.startswith("//"):
        return "file:" + quote(uri_path, errors="surrogateescape")
    return "file://" + quote(uri_path, errors="surrogateescape")


def to_document(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> dict[str, Any]:
    from pulllint.reporters._landing import land

    rules = _rules(report)
    rule_indexes = {rule.code: index for index, rule in enumerate(rules)}
    located = sorted(
        land(report.diagnostics, options), key=lambda e: (*e.diagnostic.sort_key, e.diagnostic.message)
    )
    fingerprints = disambiguate(
        [
            stable_hash(e.diagnostic.code, e.diagnostic.path, e.diagnostic.image, e.diagnostic.object_id)
            for e in located
        ]
    )
    srcroot: dict[str, Any] = {"description": {"text": "The repository root."}}
    if options.root is not None:
        srcroot = {"uri": _root_uri(options.root), **srcroot}
    else:
        srcroot = {"description": {"text": "The directory pulllint was run from."}}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "pulllint",
                "version": report.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": [_rule_descriptor(rule, report.tool_version) for rule in rules],
            }
        },
        "originalUriBaseIds": {SRCROOT: srcroot},
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(entry, rule_indexes[entry.diagnostic.code], fingerprint)
            for entry, fingerprint in zip(located, fingerprints, strict=True)
        ],
        "properties": {"filesChecked": report.files_checked, "imagesChecked": report.images_checked},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    return json.dumps(to_document(report, options), indent=2, ensure_ascii=False) + "\n"
