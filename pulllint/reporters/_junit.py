"""JUnit XML output, for CI systems that display test reports (GitLab, Jenkins, Azure DevOps...).

A Report only holds diagnostics, so test cases are derived from them:

* one `<testsuite name="pulllint">` (the root element), whose `<properties>` record the tool version and
  the number of files and images checked;
* one `<testcase>` per (path, object, image) that has diagnostics, in location order, named
  `{image} ({object})` (just the image, or just the object, when the other is unknown; "(file)" when
  neither is), with `classname` = the path relative to the repository root (`RenderOptions.root`;
  forward slashes, no `./`; Helm findings on their template, see reporters._landing);
* one `<failure message="CODE: message" type="CODE">` per diagnostic at or above `RenderOptions.fail_on`
  (the severity that fails the run, `--fail-on`), whose text is the diagnostic's text-format line; the
  case's other diagnostics don't fail it and are listed, one text-format line each, in its
  `<system-out>`, so the test report is red exactly when the job is;
* `tests` = number of test cases, `failures` = number of test cases with at least one failure,
  `errors` = `skipped` = 0; the suite's properties also record `fail_on`;
* when there are no diagnostics at all, a single passing test case named "pulllint" (classname
  "pulllint") so the report is never empty.

The document declares UTF-8; write it as UTF-8. Characters XML 1.0 cannot hold are replaced by U+FFFD.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from pulllint.diagnostics import Diagnostic
from pulllint.reporters._common import by_location, posix_path
from pulllint.reporters._text import format_line
from pulllint.reporters._types import DEFAULT_OPTIONS, RenderOptions, Report

_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_CaseKey = tuple[str, str | None, str | None]


def _clean(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


def case_name(object_id: str | None, image: str | None) -> str:
    if image and object_id:
        return f"{image} ({object_id})"
    return image or object_id or "(file)"


def _group(diagnostics: list[Diagnostic]) -> dict[_CaseKey, list[Diagnostic]]:
    cases: dict[_CaseKey, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        key = (posix_path(diagnostic.path), diagnostic.object_id, diagnostic.image)
        cases.setdefault(key, []).append(diagnostic)
    return cases


def to_element(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> ET.Element:
    from pulllint.reporters._landing import landed

    fail_on = options.fail_on
    cases = _group(by_location(landed(report.diagnostics, options)))
    failed = sum(any(d.severity >= fail_on for d in diags) for diags in cases.values())
    suite = ET.Element(
        "testsuite",
        {
            "name": "pulllint",
            "tests": str(max(len(cases), 1)),
            "failures": str(failed),
            "errors": "0",
            "skipped": "0",
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("pulllint.version", report.tool_version),
        ("files_checked", str(report.files_checked)),
        ("images_checked", str(report.images_checked)),
        ("fail_on", fail_on.label),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": _clean(value)})

    if not cases:
        ET.SubElement(suite, "testcase", {"name": "pulllint", "classname": "pulllint"})
    for (path, object_id, image), diagnostics in cases.items():
        case = ET.SubElement(
            suite, "testcase", {"name": _clean(case_name(object_id, image)), "classname": _clean(path)}
        )
        infos: list[str] = []
        for diagnostic in diagnostics:
            if diagnostic.severity >= fail_on:
                failure = ET.SubElement(
                    case,
                    "failure",
                    {"message": _clean(f"{diagnostic.code}: {diagnostic.message}"), "type": diagnostic.code},
                )
                failure.text = _clean(format_line(diagnostic))
            else:
                infos.append(_clean(format_line(diagnostic)))
        if infos:
            ET.SubElement(case, "system-out").text = "\n".join(infos)
    return suite


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    root = to_element(report, options)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
