"""Every fixture manifest under tests/fixtures/ checked against its inline `# expect:` comments.

The one fixture runner. A fixture says what it expects on the line a finding must point at:
`# expect: PL103@18` (PL103 at column 18 of this line), several separated by commas
(`# expect: PL201@18, PL302@18`). Headers at the top:

- `# codes: PL0,PL1` names the code prefixes the fixture is about (default: every code). The rules on by
  default under those prefixes run, plus any rule named there by its full code (so an off-by-default rule
  is tested by naming it). Findings of those codes must be exactly the expected ones, line and column.
- `# config: FILE` reads that configuration file (relative to the fixture) for the run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pulllint.config import Config, load_config
from pulllint.engine import available_rules, run
from pulllint.rules import all_rules
from tests.conftest import FIXTURES, Expected, expected_findings

_CODES_HEADER = re.compile(r"^#\s*codes:\s*([A-Z0-9, ]+)$", re.MULTILINE)
_CONFIG_HEADER = re.compile(r"^#\s*config:\s*(\S+)\s*$", re.MULTILINE)
FIXTURE_FILES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))


def _prefixes(path: Path) -> tuple[str, ...]:
    match = _CODES_HEADER.search(path.read_text(encoding="utf-8"))
    return tuple(c.strip() for c in match.group(1).split(",") if c.strip()) if match else ("PL",)


def _config(path: Path) -> Config:
    match = _CONFIG_HEADER.search(path.read_text(encoding="utf-8"))
    return load_config(str(path.parent / match.group(1))) if match else Config()


def _select(prefixes: tuple[str, ...], config: Config) -> tuple[str, ...]:
    return tuple(
        code
        for code, rule in available_rules(config).items()
        if code.startswith(prefixes) and (rule.enabled_by_default or code in prefixes)
    )


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(path: Path) -> None:
    prefixes = _prefixes(path)
    config = _config(path)
    result = run([str(path)], config._replace(select=_select(prefixes, config)), offline=True)
    found = result.diagnostics
    actual = sorted(Expected(d.line, d.column, d.code) for d in found if d.code.startswith(prefixes))
    expected = sorted(e for e in expected_findings(path) if e.code.startswith(prefixes))
    assert actual == expected, "\n".join(
        f"{path.name}:{d.line}:{d.column}: {d.code} {d.message}" for d in found
    )


def test_every_builtin_offline_rule_has_a_fixture() -> None:
    covered = {e.code for path in FIXTURE_FILES for e in expected_findings(path)}
    offline = {code for code, rule in all_rules().items() if not rule.needs_network}
    assert offline - covered == set()


def test_an_expectation_without_its_column_is_refused(tmp_path: Path) -> None:
    fixture = tmp_path / "old-style.yaml"
    fixture.write_text("image: nginx  # expect: PL102\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"old-style.yaml:1: write an expectation as CODE@COLUMN"):
        expected_findings(fixture)
