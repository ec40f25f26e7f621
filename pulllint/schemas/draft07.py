"""The configuration schema in JSON Schema draft-07, for editors.

`config.schema.json` (draft 2020-12) is the schema pulllint validates with. The YAML language servers of
editors (VS Code's redhat.vscode-yaml, Neovim's yamlls, JetBrains) support draft-07 best, so the package
also ships `config.draft-07.schema.json`, generated from it by this module:

    python -m pulllint.schemas.draft07            # rewrite the draft-07 file
    python -m pulllint.schemas.draft07 --check    # exit 1 when it is out of date (the tests run this)

Name it in `.pulllint.yaml` with the language server's modeline, on the first line (one line, with
URL = https://raw.githubusercontent.com/pulllint/pulllint/v0.1.0/pulllint/schemas/config.draft-07.schema.json,
or the path of the file in your environment's site-packages):

    # yaml-language-server: $schema=URL

The conversion: `$defs` become `definitions` (and every `$ref` follows), a `$ref` with sibling keywords
(ignored next to `$ref` in draft-07) is wrapped in `allOf` so its description still shows, `prefixItems`
become an `items` array, `dependentRequired`/`dependentSchemas` become `dependencies`; annotations draft-07
lacks (`deprecated`, `$comment` is kept) are dropped; a keyword draft-07 cannot express
(`unevaluatedProperties`, `$dynamicRef` ...) is an error, so the copy never silently means something else.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
SOURCE = "config.schema.json"
TARGET = "config.draft-07.schema.json"
_UNSUPPORTED = frozenset(
    {
        "unevaluatedProperties",
        "unevaluatedItems",
        "$dynamicRef",
        "$dynamicAnchor",
        "$recursiveRef",
        "$recursiveAnchor",
        "$anchor",
        "$vocabulary",
        "minContains",
        "maxContains",
    }
)
_DROPPED = frozenset({"deprecated"})
# Keywords whose value is a map of names to schemas, or a list of schemas, or one schema.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMAS = frozenset(
    {
        "items",
        "additionalProperties",
        "additionalItems",
        "propertyNames",
        "contains",
        "not",
        "if",
        "then",
        "else",
    }
)


class ConversionError(ValueError):
    """The schema uses something draft-07 cannot express."""


def _ref(value: str) -> str:
    return value.replace("#/$defs/", "#/definitions/", 1) if value.startswith("#/$defs/") else value


def _convert(node: Any, where: str) -> Any:
    if isinstance(node, bool) or not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        at = f"{where}/{key}"
        if key in _UNSUPPORTED:
            raise ConversionError(f"{at}: draft-07 has no {key}")
        if key in _DROPPED or key in ("$schema", "$id"):
            continue
        if key == "$ref":
            result[key] = _ref(value)
        elif key in _SCHEMA_MAPS:
            converted = {name: _convert(schema, f"{at}/{name}") for name, schema in value.items()}
            if key == "$defs":
                result["definitions"] = converted
            elif key == "dependentSchemas":
                result.setdefault("dependencies", {}).update(converted)
            else:
                result[key] = converted
        elif key == "dependentRequired":
            result.setdefault("dependencies", {}).update({name: list(req) for name, req in value.items()})
        elif key in _SCHEMA_LISTS:
            converted_list = [_convert(schema, f"{at}/{i}") for i, schema in enumerate(value)]
            if key == "prefixItems":
                result["items"] = converted_list
                if "items" in node:
                    result["additionalItems"] = _convert(node["items"], f"{where}/items")
            else:
                result[key] = converted_list
        elif key in _SCHEMAS:
            if key == "items" and "prefixItems" in node:
                continue  # became additionalItems
            result[key] = _convert(value, at)
        else:
            result[key] = value
    if "$ref" in result and len(result) > 1:  # draft-07 ignores every keyword next to $ref
        reference = {"$ref": result.pop("$ref")}
        result["allOf"] = [reference, *result.get("allOf", [])]
    return result


def convert(schema: dict[str, Any], schema_id: str | None = None) -> dict[str, Any]:
    """`schema` (draft 2020-12) as draft-07 (see the module docstring)."""
    converted = _convert(schema, "#")
    head: dict[str, Any] = {"$schema": DRAFT_07}
    if schema_id or "$id" in schema:
        head["$id"] = schema_id or schema["$id"]
    return {**head, **converted}


def _folder() -> Path:
    return Path(__file__).resolve().parent


def expected_text() -> str:
    source = json.loads((_folder() / SOURCE).read_text(encoding="utf-8"))
    target_id = str(source.get("$id", "")).replace(SOURCE, TARGET) or None
    return json.dumps(convert(source, target_id), indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    target = _folder() / TARGET
    text = expected_text()
    if args == ["--check"]:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is out of date: run python -m pulllint.schemas.draft07", file=sys.stderr)
            return 1
        return 0
    if args:
        print("usage: python -m pulllint.schemas.draft07 [--check]", file=sys.stderr)
        return 2
    target.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
