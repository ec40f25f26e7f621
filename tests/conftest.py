"""Shared test helpers: the fixture-expectation convention and the optional shared corpus."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("PULLLINT_SHARED", ROOT.parent / "shared"))

_EXPECT = re.compile(r"#\s*expect:\s*(.*?)\s*$")
_EXPECTED = re.compile(r"([A-Z][A-Z0-9]*)@([0-9]+)")


class Expected(NamedTuple):
    line: int
    column: int
    code: str


def expected_findings(path: Path) -> list[Expected]:
    """The findings a fixture expects: ``# expect: PL103@18, PL105@11`` says that PL103 is reported on this
    line at column 18 and PL105 at column 11 (1-based, as pulllint prints them). A code without its
    column is an error in the fixture."""
    found: list[Expected] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _EXPECT.search(line)
        if match is None:
            continue
        for item in filter(None, (part.strip() for part in match.group(1).split(","))):
            expected = _EXPECTED.fullmatch(item)
            if expected is None:
                raise ValueError(f"{path}:{number}: write an expectation as CODE@COLUMN, not {item!r}")
            found.append(Expected(number, int(expected.group(2)), expected.group(1)))
    return found


def shared_path(*parts: str) -> Path:
    """A path in ../shared (corpus, tools, schemas); skips the test on a machine without it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (the shared corpus is optional)")
    return path
