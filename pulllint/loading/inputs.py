"""Input files: paths and directories (recursively *.yaml, *.yml, *.json) or `-` for stdin.

Reading never raises: an unreadable, binary or non-UTF-8 input becomes an `InputFile` with a problem
that the engine reports as PL001, and every other input is still read.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pulllint.loading.yaml import SyntaxProblem

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"
# Directories nobody wants linted; a path named explicitly is always read.
_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox"})


@dataclass(slots=True)
class InputFile:
    path: str  # as the user will read it: relative when given relative, "-" for stdin
    text: str | None
    problem: SyntaxProblem | None = None

    @property
    def is_json(self) -> bool:
        return self.path.endswith(".json")


class InputError(Exception):
    """A path that does not exist: a usage error (exit 2), not a finding."""


def discover(paths: Iterable[str]) -> Iterator[str]:
    """Expand directories to their manifest files, sorted, so output is stable across machines."""
    for path in paths:
        if path == STDIN:
            yield path
        elif os.path.isdir(path):
            yield from _walk(path)
        elif os.path.exists(path):
            yield path
        else:
            raise InputError(f"{path}: no such file or directory")


def _walk(root: str) -> Iterator[str]:
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS)
        for name in sorted(filenames):
            if name.endswith(MANIFEST_SUFFIXES):
                yield os.path.join(directory, name)


def read_input(path: str) -> InputFile:
    try:
        data = sys.stdin.buffer.read() if path == STDIN else _read_bytes(path)
    except OSError as error:
        return InputFile(path, None, SyntaxProblem(1, 1, f"cannot read file: {error.strerror or error}"))
    return decode(path, data)


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def decode(path: str, data: bytes) -> InputFile:
    """UTF-8 (with or without BOM) only, as the API server; say where the first bad byte is."""
    if b"\x00" in data[:8192]:
        return InputFile(path, None, SyntaxProblem(1, 1, "binary file (contains NUL bytes), not a manifest"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        return InputFile(
            path,
            None,
            SyntaxProblem(line, column, f"not UTF-8: byte 0x{data[error.start]:02x} cannot be decoded"),
        )
    return InputFile(path, text)
