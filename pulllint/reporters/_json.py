"""Machine-readable JSON output, format version 1.

The document is a single object; keys always appear (absent values are `null`), in this order:

    {
      "version": 1,                      // this format's version; bumped on incompatible changes
      "tool": {"name": "pulllint", "version": "0.1.0"},
      "summary": {
        "files": 2,                      // files checked
        "images": 5,                     // images checked
        "errors": 1, "warnings": 2, "infos": 0
      },
      "diagnostics": [                   // sorted by file, line, column, code
        {
          "file": "k8s/web.yaml",        // path as read ("-" for standard input)
          "line": 12, "column": 16,      // 1-based start of the offending node
          "end": {"line": 12, "column": 27},
          "code": "PL001",               // rule code
          "rule": "image-not-found",     // rule name
          "severity": "error",           // "error" | "warning" | "info"
          "message": "...",
          "template": null,              // Helm template (`# Source:`) the document came from, or null
          "image": "nginx:lates",        // image reference the diagnostic is about, or null
          "object": "Deployment/default/web",  // "Kind/namespace/name" of the object, or null
          "fix": null                    // suggested fix, or null
        }
      ]
    }

The JSON Schema of this document ships as `pulllint/schemas/report.schema.json`
(read it with `importlib.resources.files("pulllint.schemas") / "report.schema.json"`).

Compatibility: within version 1, new keys may be added (consumers must ignore unknown keys); keys are
never removed or renamed and their meaning does not change.
"""

from __future__ import annotations

import json
from typing import Any

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters._common import by_location, count_by_severity
from pulllint.reporters._types import DEFAULT_OPTIONS, RenderOptions, Report

FORMAT_VERSION = 1


def _diagnostic(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "file": diagnostic.path,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "end": {"line": diagnostic.end_line, "column": diagnostic.end_column},
        "code": diagnostic.code,
        "rule": diagnostic.rule_name,
        "severity": diagnostic.severity.label,
        "message": diagnostic.message,
        "template": diagnostic.template,
        "image": diagnostic.image,
        "object": diagnostic.object_id,
        "fix": diagnostic.fix,
    }


def to_document(report: Report) -> dict[str, Any]:
    counts = count_by_severity(report.diagnostics)
    return {
        "version": FORMAT_VERSION,
        "tool": {"name": "pulllint", "version": report.tool_version},
        "summary": {
            "files": report.files_checked,
            "images": report.images_checked,
            "errors": counts[Severity.ERROR],
            "warnings": counts[Severity.WARNING],
            "infos": counts[Severity.INFO],
        },
        "diagnostics": [_diagnostic(d) for d in by_location(report.diagnostics)],
    }


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    del options  # the JSON report gives paths as read: it is for scripts, not for a CI system's widget
    return json.dumps(to_document(report), indent=2, ensure_ascii=False) + "\n"
