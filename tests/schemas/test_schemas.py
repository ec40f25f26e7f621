"""Schemas shipped in the package: the JSON report's, and the configuration's draft-07 copy for editors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pulllint.schemas import draft07
from tests.conftest import FIXTURES, ROOT


def shipped(name: str) -> Any:
    return json.loads(resources.files("pulllint.schemas").joinpath(name).read_text(encoding="utf-8"))


def validator(name: str) -> jsonschema.protocols.Validator:
    schema = shipped(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def real_report(*paths: str) -> Any:
    """`pulllint check --format json` on real manifests, as a user runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PULLLINT"))}
    completed = subprocess.run(
        [sys.executable, "-m", "pulllint", "check", "--offline", "--format", "json", *paths],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode in (0, 1), completed.stderr
    return json.loads(completed.stdout)


# -- the JSON report ------------------------------------------------------------------------------------


def test_report_schema_is_draft_07_and_shipped() -> None:
    assert shipped("report.schema.json")["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert validator("report.schema.json").__class__ is jsonschema.Draft7Validator


def test_real_reports_are_valid() -> None:
    document = real_report("examples", str(FIXTURES))
    assert len(document["diagnostics"]) > 20  # every kind of finding, Helm templates, PL001 ...
    errors = list(validator("report.schema.json").iter_errors(document))
    assert not errors, errors[0]
    clean = real_report(str(ROOT / "tests" / "data" / "workspace" / "charts"))
    assert not list(validator("report.schema.json").iter_errors(clean))


def test_the_schema_declares_every_key_the_report_has() -> None:
    """A key added to the report must be described in the schema (consumers read it there)."""
    schema = shipped("report.schema.json")
    document = real_report("examples")
    assert set(document) == set(schema["properties"])
    assert set(document["summary"]) == set(schema["properties"]["summary"]["properties"])
    diagnostic = schema["definitions"]["diagnostic"]
    for entry in document["diagnostics"]:
        assert set(entry) == set(diagnostic["properties"]) == set(diagnostic["required"])


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.update(version=2), "version"),
        (lambda d: d["summary"].update(errors=-1), "errors"),
        (lambda d: d["diagnostics"][0].update(severity="fatal"), "severity"),
        (lambda d: d["diagnostics"][0].pop("fix"), "fix"),
        (lambda d: d["diagnostics"][0].update(image=7), "image"),
    ],
)
def test_the_report_schema_rejects_what_is_not_a_report(change: Any, where: str) -> None:
    document = real_report("examples")
    change(document)
    errors = list(validator("report.schema.json").iter_errors(document))
    assert errors and any(where in (str(e.path) + e.message) for e in errors)


# -- the configuration in draft-07 ----------------------------------------------------------------------


def test_draft07_copy_is_up_to_date() -> None:
    """Regenerate it with `python -m pulllint.schemas.draft07` after changing config.schema.json."""
    assert draft07.main(["--check"]) == 0


def test_draft07_copy_accepts_and_rejects_what_the_original_does(tmp_path: Path) -> None:
    original = validator("config.schema.json")
    copy = validator("config.draft-07.schema.json")
    assert copy.__class__ is jsonschema.Draft7Validator
    documents: list[Any] = [
        {},
        {"select": ["PL1", "PL2"], "ignore": ["PL103"], "fail-on": "warning"},
        {"severity": {"PL103": "error"}, "per-file-ignores": {"legacy/*.yaml": ["PL1"]}},
        {"private-registries": ["registry.internal.example.com"], "public-registries": ["ghcr.io/acme"]},
        {"select": "PL1"},
        {"fail-on": "fatal"},
        {"severity": {"PL103": "loud"}},
        {"unknown-key": True},
        {"private-registries": ["with space"]},
        {"rules": {"pl103": {}}},
    ]
    for document in documents:
        assert original.is_valid(document) == copy.is_valid(document), document
    assert any(not copy.is_valid(d) for d in documents) and any(copy.is_valid(d) for d in documents)


def test_draft07_keeps_descriptions_next_to_references() -> None:
    copy = shipped("config.draft-07.schema.json")
    select = copy["properties"]["select"]
    assert select["allOf"] == [{"$ref": "#/definitions/codes"}] and select["description"]
    assert "$defs" not in json.dumps(copy)


def test_conversion() -> None:
    source = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"n": {"type": "integer"}},
        "type": "object",
        "properties": {
            "pair": {"prefixItems": [{"type": "string"}, {"$ref": "#/$defs/n"}], "items": False},
            "old": {"type": "string", "deprecated": True},
        },
        "dependentRequired": {"a": ["b"]},
    }
    converted = draft07.convert(source, "https://example.test/x.json")
    assert converted == {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://example.test/x.json",
        "definitions": {"n": {"type": "integer"}},
        "type": "object",
        "properties": {
            "pair": {"items": [{"type": "string"}, {"$ref": "#/definitions/n"}], "additionalItems": False},
            "old": {"type": "string"},
        },
        "dependencies": {"a": ["b"]},
    }
    jsonschema.Draft7Validator.check_schema(converted)
    with pytest.raises(draft07.ConversionError, match="unevaluatedProperties"):
        draft07.convert({"properties": {"x": {"unevaluatedProperties": False}}})


def test_readme_names_the_draft07_copy_in_its_modeline() -> None:
    from pulllint import __version__

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [url] = re.findall(r"^# yaml-language-server: \$schema=(\S+)$", readme, re.MULTILINE)
    assert url.endswith(f"/v{__version__}/pulllint/schemas/{draft07.TARGET}")
    assert (ROOT / "pulllint" / "schemas" / draft07.TARGET).is_file()
