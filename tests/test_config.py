"""Configuration discovery, validation (errors name the key path) and selection semantics."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulllint.config import Config, ConfigError, find_config, load_config
from pulllint.diagnostics import Severity
from pulllint.engine import select_rules
from pulllint.rules import all_rules


def test_found_by_walking_up_to_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".pulllint.yaml").write_text("fail-on: warning\n")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    found = find_config(str(nested))
    assert found == str(tmp_path / ".pulllint.yaml")
    assert load_config(found).fail_on is Severity.WARNING


def test_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / ".pulllint.yaml").write_text("fail-on: warning\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert find_config(str(repo)) is None


def test_pyproject_section(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pulllint]\nignore = ["PL103"]\n[tool.pulllint.severity]\nPL102 = "error"\n'
    )
    config = load_config(find_config(str(tmp_path)))
    assert config.ignore == ("PL103",) and config.severity == {"PL102": Severity.ERROR}


def test_pyproject_without_section_is_skipped(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.other]\n")
    assert find_config(str(tmp_path)) is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("selct: [PL1]\n", "(top level): unknown key 'selct'"),
        ("fail-on: fatal\n", "fail-on: 'fatal' is not one of"),
        ("severity: {PL102: loud}\n", "severity.PL102"),
        ("per-file-ignores: {'charts/**': PL103}\n", "per-file-ignores.charts/**"),
        ("rules: {PL103: {mutable-tags: [1]}}\n", None),
        ("select: [PL1\n", "invalid YAML"),
    ],
)
def test_errors_name_the_key_path(tmp_path: Path, text: str, fragment: str | None) -> None:
    path = tmp_path / ".pulllint.yaml"
    path.write_text(text)
    if fragment is None:
        load_config(str(path))  # valid for the schema; option types are checked by the engine
        return
    with pytest.raises(ConfigError) as error:
        load_config(str(path))
    assert fragment in str(error.value)


def test_selection_longest_prefix_wins() -> None:
    rules = all_rules()
    default = set(select_rules(rules, Config()))
    assert "PL103" in default and "PL106" not in default
    assert set(select_rules(rules, Config(select=("PL1",)))) == {"PL101", "PL102", "PL103", "PL104", "PL105"}
    assert "PL106" in select_rules(rules, Config(select=("PL1", "PL106")))
    assert "PL106" in select_rules(rules, Config(extend_select=("PL106",)))
    chosen = select_rules(rules, Config(ignore=("PL1",), extend_select=("PL103",)))
    assert "PL103" in chosen and "PL102" not in chosen
    assert "PL103" not in select_rules(rules, Config(select=("PL103",), ignore=("PL103",)))


def test_unknown_selector_is_an_error() -> None:
    with pytest.raises(ConfigError, match="PL999"):
        select_rules(all_rules(), Config(select=("PL999",)))
