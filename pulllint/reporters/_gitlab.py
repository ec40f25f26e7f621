"""GitLab Code Quality report (a subset of the Code Climate spec): a JSON array of issues.

    [
      {
        "description": "PL001: image 'nginx:lates' not found",
        "check_name": "PL001",
        "fingerprint": "<sha256 hex>",
        "severity": "major",
        "location": {"path": "k8s/web.yaml", "lines": {"begin": 12}}
      }
    ]

* severity: error -> "major", warning -> "minor", info -> "info".
* path: relative to the repository root (`RenderOptions.root`: `CI_PROJECT_DIR` on GitLab), forward
  slashes, no `./`, as GitLab requires; a finding in `helm template` output is placed on its template's
  line (see reporters._landing). Standard input ("-") is reported as "stdin" (or
  `RenderOptions.stdin_name`). An unmapped Helm finding's description ends with ` [template: PATH]`.
* fingerprint: sha256 of code, path, image, object and the message with position references ("line 12",
  "values.yaml:12:3") blanked, so it survives lines moving. Findings that would share a fingerprint are
  told apart deterministically: in location order, the n-th repeat (n >= 2) gets sha256(fingerprint, n).
  Issues are listed by location.
"""

from __future__ import annotations

import json
from typing import Any

from pulllint.diagnostics import Diagnostic, Severity
from pulllint.reporters._common import (
    STDIN_PATH,
    by_location,
    disambiguate,
    message_without_positions,
    posix_path,
    stable_hash,
)
from pulllint.reporters._types import DEFAULT_OPTIONS, RenderOptions, Report

SEVERITIES: dict[Severity, str] = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def _path(diagnostic: Diagnostic) -> str:
    return "stdin" if diagnostic.path == STDIN_PATH else posix_path(diagnostic.path)


def base_fingerprint(diagnostic: Diagnostic) -> str:
    return stable_hash(
        diagnostic.code,
        _path(diagnostic),
        diagnostic.image,
        diagnostic.object_id,
        message_without_positions(diagnostic.message),
    )


def _issue(diagnostic: Diagnostic, fingerprint: str) -> dict[str, Any]:
    description = f"{diagnostic.code}: {diagnostic.message}"
    if diagnostic.template:
        description += f" [template: {diagnostic.template}]"
    return {
        "description": description,
        "check_name": diagnostic.code,
        "fingerprint": fingerprint,
        "severity": SEVERITIES[diagnostic.severity],
        "location": {"path": _path(diagnostic), "lines": {"begin": max(diagnostic.line, 1)}},
    }


def to_document(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> list[dict[str, Any]]:
    from pulllint.reporters._landing import landed

    diagnostics = by_location(landed(report.diagnostics, options))
    fingerprints = disambiguate([base_fingerprint(d) for d in diagnostics])
    return [_issue(d, fp) for d, fp in zip(diagnostics, fingerprints, strict=True)]


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    return json.dumps(to_document(report, options), indent=2, ensure_ascii=False) + "\n"
