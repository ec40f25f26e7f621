"""Shared test helpers: the fixture-expectation convention and the optional shared corpus."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("PULLLINT_SHARED", ROOT.parent / "shared"))

_EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)")


def expected_codes(path: Path) -> set[tuple[int, str]]:
    """(line, code) pairs from `# expect: PL103, PL105` comments: the finding is on that line."""
    found: set[tuple[int, str]] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            found.update((number, code.strip()) for code in match.group(1).split(",") if code.strip())
    return found


def shared_path(*parts: str) -> Path:
    """A path in ../shared (corpus, tools, schemas); skips the test on a machine without it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (the shared corpus is optional)")
    return path
