"""README.md stays true: its rule table is generated from the rules, its examples are valid."""

from __future__ import annotations

import re
import runpy

from ruamel.yaml import YAML

from pulllint.config import _validate
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_rule_table_is_generated_from_the_rules() -> None:
    script = runpy.run_path(str(ROOT / "scripts" / "update-readme"))
    assert script["updated"](README) == README, "run scripts/update-readme"


def test_configuration_example_is_valid() -> None:
    block = re.search(r"```yaml\n# \.pulllint\.yaml\n(.*?)```", README, re.DOTALL)
    assert block is not None
    _validate(YAML(typ="safe").load(block.group(1)), "README.md")


def test_documented_commands_exist() -> None:
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pulllint check examples/" in README
