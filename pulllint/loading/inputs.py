"""Input files: paths and directories (recursively *.yaml, *.yml, *.json) or `-` for stdin.

A file is read as a stream of *pieces*, one per `---` document marker, so a long stream never sits in
memory whole and a syntax error stays inside its piece. Reading never raises: an unreadable, binary or
non-UTF-8 input becomes a piece with a problem that the engine reports as PL001, and every other input
is still read. Stdin is spooled (to memory, or to disk when large) because the engine reads inputs twice.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import IO, NamedTuple

from pulllint.loading.yaml import SyntaxProblem

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"
# Directories nobody wants linted; a path named explicitly is always read.
_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox"})
_SPOOL_IN_MEMORY = 16 * 1024 * 1024


class InputError(Exception):
    """A path that does not exist: a usage error (exit 2), not a finding."""


class Piece(NamedTuple):
    """Part of a file: one or more documents, or the problem that stopped the file from being read."""

    path: str
    line_offset: int  # 0-based line of the piece's first line in the file
    text: str | None
    problem: SyntaxProblem | None = None

    @property
    def is_json(self) -> bool:
        return self.path.endswith(".json")


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
        skipped = _SKIPPED_DIRS
        if "Chart.yaml" in filenames:
            # A Helm chart's templates are Go templates, not manifests: lint `helm template` output.
            skipped = skipped | {"templates"}
        dirnames[:] = sorted(d for d in dirnames if d not in skipped)
        for name in sorted(filenames):
            if name.endswith(MANIFEST_SUFFIXES):
                yield os.path.join(directory, name)


class InputFile:
    """One input; `raw_pieces()` and `pieces()` may be iterated more than once."""

    def __init__(self, path: str, data: bytes | None = None) -> None:
        self.path = path
        self._data = data  # given in tests and for small stdin
        self._spool: IO[bytes] | None = None
        if path == STDIN and data is None:
            import tempfile

            self._spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 (kept open)
            while chunk := sys.stdin.buffer.read(1 << 20):
                self._spool.write(chunk)

    def _open(self) -> AbstractContextManager[IO[bytes]]:
        if self._data is not None:
            import io

            return io.BytesIO(self._data)
        if self._spool is not None:
            self._spool.seek(0)
            return nullcontext(self._spool)  # the spool must outlive one pass
        return open(self.path, "rb")

    def raw_pieces(self) -> Iterator[tuple[int, bytes]]:
        """(0-based first line, bytes) per piece; JSON files are one piece. Raises OSError."""
        with self._open() as handle:
            if self.path.endswith(".json"):
                yield 0, handle.read()
                return
            lines: list[bytes] = []
            start = 0
            # Directives (%YAML) and comments before a `---` belong to the document that follows.
            has_content = False
            for line, raw in enumerate(handle):
                if raw.startswith(b"---") and (len(raw) == 3 or raw[3] in b" \t\r\n") and has_content:
                    yield start, b"".join(lines)
                    lines = []
                    start = line
                    has_content = False
                lines.append(raw)
                if not has_content:
                    stripped = raw.lstrip()
                    has_content = bool(stripped) and not stripped.startswith((b"#", b"%"))
            if lines:
                yield start, b"".join(lines)

    def pieces(self) -> Iterator[Piece]:
        """Decoded pieces; the first problem (unreadable, binary, not UTF-8) ends the file."""
        try:
            for offset, data in self.raw_pieces():
                piece = decode(self.path, offset, data, first=offset == 0)
                yield piece
                if piece.problem is not None:
                    return
        except OSError as error:
            yield Piece(
                self.path, 0, None, SyntaxProblem(1, 1, f"cannot read file: {error.strerror or error}")
            )


def decode(path: str, offset: int, data: bytes, *, first: bool = True) -> Piece:
    """UTF-8 (a BOM allowed at the start of the file) only, as the API server; locate the bad byte."""
    if b"\x00" in data[:8192]:
        return Piece(
            path,
            offset,
            None,
            SyntaxProblem(offset + 1, 1, "binary file (contains NUL bytes), not a manifest"),
        )
    try:
        text = data.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        problem = SyntaxProblem(
            offset + line, column, f"not UTF-8: byte 0x{data[error.start]:02x} cannot be decoded"
        )
        return Piece(path, offset, None, problem)
    return Piece(path, offset, text)
