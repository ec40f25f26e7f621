"""Every fixture manifest under tests/fixtures/ checked against its inline `# expect:` comments.

A fixture names the code prefixes it is about in a `# codes: PL0,PL1` header (default: every code);
the rules on by default under those prefixes run, plus any rule named there by its full code (so an
off-by-default rule is tested by naming it). Findings of those codes must be exactly the expected ones.
A `# config: FILE` header reads that configuration file (relative to the fixture) for the run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pulllint.config import Config, load_config
from pulllint.engine import available_rules, run
from pulllint.rules import all_rules
from tests.conftest import FIXTURES, expected_codes

_CODES_HEADER = re.compile(r"^#\s*codes:\s*([A-Z0-9, ]+)$", re.MULTILINE)
_CONFIG_HEADER = re.compile(r"^#\s*config:\s*(\S+)\s*$", re.MULTILINE)
FIXTURE_FILES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))


def _prefixes(path: Path) -> tuple[str, ...]:
    match = _CODES_HEADER.search(path.read_text(encoding="utf-8"))
    return tuple(c.strip() for c in match.group(1).split(",") if c.strip()) if match else ("PL",)


def _config(path: Path) -> Config:
    match = _CONFIG_HEADER.search(path.read_text(encoding="utf-8"))
    return load_config(str(path.parent / match.group(1))) if match else Config()


def _select(prefixes: tuple[str, ...], config: Config | None = None) -> tuple[str, ...]:
    return tuple(
        code
        for code, rule in available_rules(config or Config()).items()
        if any(code.startswith(p) for p in prefixes) and (rule.enabled_by_default or code in prefixes)
    )


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(path: Path) -> None:
    prefixes = _prefixes(path)
    config = _config(path)
    result = run([str(path)], config._replace(select=_select(prefixes, config)), offline=True)
    actual = {(d.line, d.code) for d in result.diagnostics if d.code.startswith(prefixes)}
    expected = {(line, code) for line, code in expected_codes(path) if code.startswith(prefixes)}
    assert sorted(actual) == sorted(expected), "\n".join(
        f"{path.name}:{d.line}:{d.column}: {d.code} {d.message}" for d in result.diagnostics
    )


def test_fixtures_exist_for_every_builtin_offline_rule() -> None:
    covered = {code for path in FIXTURE_FILES for _, code in expected_codes(path)}
    offline = {code for code, rule in all_rules().items() if not rule.needs_network}
    assert offline - covered == set()
