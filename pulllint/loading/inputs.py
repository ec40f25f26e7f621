"""Input files: paths and directories (recursively *.yaml, *.yml, *.json) or `-` for stdin.

A file is read as a stream of *pieces*, one per `---` document marker, so a long stream never sits in
memory whole and a syntax error stays inside its piece. Reading never raises: an unreadable input, or a
document with a NUL or a byte that is not UTF-8, becomes a piece with a problem (PL001) and every other
document and input is still read. Every source goes through one bounded reader (`pulllint.loading.
reader`): a pipe, `/dev/fd/N` or stdin is spooled once, so the engine's two passes both see it whole,
and a size cap bounds each file.

What is skipped instead of judged is said, as data: `Notice`s collected per input (`InputFile.notices`)
and per walk (`discover(paths, notices)`): a Helm chart template, a document with `{{ }}` template
actions, a broken document that is not a Kubernetes object, a FIFO met while walking, an empty pipe, a
directory without manifests. The caller prints them.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator
from typing import IO, NamedTuple, Protocol

from pulllint.loading import reader
from pulllint.loading.sniff import chart_of_template, looks_like_manifest
from pulllint.loading.yaml import SyntaxProblem

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"
EMPTY_STDIN = "no input on stdin: did the command before the pipe fail?"
# Directories nobody wants linted; a path named explicitly is always read.
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox"})
_BOM = b"\xef\xbb\xbf"

INFO = "info"
WARNING = "warning"


class InputError(Exception):
    """A path that does not exist, or an empty stdin: a usage error (exit 2), not a finding."""


class Notice(NamedTuple):
    """Something the user should know that is not a finding: what was skipped, or not there at all."""

    path: str  # as given or found (a name that is not UTF-8 keeps its surrogates; `str()` escapes them)
    line: int  # 1-based; 0 when about the whole file or directory
    message: str
    level: str = INFO  # "info" or "warning"
    kind: str = ""  # "template", "not-manifest", "fifo", "special-file", "empty", "no-manifests"

    def __str__(self) -> str:
        path = display_path(self.path)
        where = f"{path}:{self.line}" if self.line else path
        return f"{where}: {self.level}: {self.message}"


class Notices:
    """The notices of a run or of one input: at most one of each kind per path."""

    __slots__ = ("_items", "_seen")

    def __init__(self) -> None:
        self._items: list[Notice] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, notice: Notice) -> None:
        key = (notice.path, notice.kind or notice.message)
        if key not in self._seen:
            self._seen.add(key)
            self._items.append(notice)

    def extend(self, notices: Iterable[Notice]) -> None:
        for notice in notices:
            self.add(notice)

    def __iter__(self) -> Iterator[Notice]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)


class Piece(NamedTuple):
    """Part of a file: one or more documents, or the problem that stopped it from being read."""

    path: str  # as given or found: reporters escape what is not UTF-8
    line_offset: int  # 0-based line of the piece's first line in the file
    text: str | None
    problem: SyntaxProblem | None = None
    # Where the model puts what it skips in this piece (templates, broken non-manifests): the input's.
    notices: Notices | None = None

    @property
    def is_json(self) -> bool:
        return self.path.endswith(".json")


def display_path(path: str) -> str:
    """`path` as text that encodes to UTF-8: bytes a file name may hold that are not UTF-8 (decoded by
    Python with surrogateescape) are written `\\xNN`, as `ls -b` and `git` quote them."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return path


def discover(paths: Iterable[str], notices: Notices | None = None) -> Iterator[str]:
    """Expand directories to their manifest files, sorted, so output is stable across machines.

    A path named explicitly is always yielded (a FIFO too: it is read). While walking, chart
    templates, FIFOs and other special files are skipped, and `notices` (when given) hears of it and
    of a directory that holds no manifest file at all.
    """
    sink = notices if notices is not None else Notices()
    for path in paths:
        if path == STDIN:
            yield path
        elif os.path.isdir(path):
            found = False
            for name in _walk(path, sink):
                found = True
                yield name
            if not found:
                sink.add(
                    Notice(
                        path,
                        0,
                        "no manifest files found (*.yaml, *.yml, *.json); nothing was checked here",
                        WARNING,
                        "no-manifests",
                    )
                )
        elif os.path.exists(path):
            yield path
        else:
            raise InputError(f"{display_path(path)}: no such file or directory")


def _walk(root: str, notices: Notices) -> Iterator[str]:
    pending = [root]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:
            continue
        names = {entry.name for entry in entries}
        is_chart = "Chart.yaml" in names
        subdirectories: list[str] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if entry.name in SKIPPED_DIRS:
                    continue
                if is_chart and entry.name == "templates":
                    # A Helm chart's templates are Go templates, not manifests: lint `helm template` output.
                    notices.add(_chart_notice(directory, entry.path))
                    continue
                subdirectories.append(entry.path)
            elif entry.name.endswith(MANIFEST_SUFFIXES):
                try:
                    if entry.is_file():
                        yield entry.path
                        continue
                    mode = entry.stat().st_mode
                except OSError:
                    continue
                if stat.S_ISDIR(mode):
                    continue  # a symbolic link to a directory: not followed, as os.walk
                what = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "not a regular file"
                notices.add(
                    Notice(
                        entry.path,
                        0,
                        f"skipped: {what}; name it on the command line to read it",
                        INFO,
                        "fifo" if stat.S_ISFIFO(mode) else "special-file",
                    )
                )
        pending.extend(reversed(subdirectories))


def _chart_notice(chart: str, templates: str) -> Notice:
    return Notice(
        templates,
        0,
        "skipped: Helm chart templates are not manifests; check the rendered chart: "
        f"helm template {display_path(chart)} | pulllint check -",
        INFO,
        "template",
    )


class InputFile:
    """One input; `raw_pieces()` and `pieces()` may be iterated more than once, and read the same bytes.

    A regular file is re-opened for each pass; stdin and anything that is not a regular file is read
    once, into a spool. `max_bytes` caps the size of the input (default: `PULLLINT_MAX_FILE_SIZE` or
    256 MiB); `idle_seconds` bounds every wait for the next byte of a pipe.
    """

    def __init__(
        self,
        path: str,
        data: bytes | None = None,
        *,
        max_bytes: int | None = None,
        idle_seconds: float = reader.DEFAULT_IDLE_SECONDS,
    ) -> None:
        self.path = path
        self.name = path  # the name diagnostics carry (reporters escape bytes that are not UTF-8)
        self.notices = Notices()
        self.max_bytes = max_bytes if max_bytes is not None else reader.max_bytes_from_environment()
        self.idle_seconds = idle_seconds
        self._data = data  # given in tests
        self._spool: IO[bytes] | None = None
        self._spooled = False
        self._problem: OSError | None = None
        self._chart: str | None = None
        if data is None and path != STDIN:
            self._chart = chart_of_template(path)
        if data is not None and len(data) > self.max_bytes:
            self._problem = reader.too_large(self.max_bytes)
        if path == STDIN and data is None:
            self._spool_once()
            if self._problem is None and self._spool is not None and _blank(self._spool):
                raise InputError(EMPTY_STDIN)

    def _spool_once(self) -> None:
        """Read stdin into the spool (once)."""
        if self._spooled:
            return
        self._spooled = True
        try:
            self._spool = reader.spool_stream(sys.stdin.buffer, self.max_bytes, self.idle_seconds)
        except OSError as error:
            self._problem = error

    def _open(self) -> _Handle:
        """A handle at the start of the input's bytes; raises OSError (ReadProblem past the bounds)."""
        if self._problem is not None:
            raise self._problem
        if self._data is not None:
            import io

            return io.BytesIO(self._data)
        if not self._spooled:
            try:
                handle, spooled = reader.open_input(self.path, self.max_bytes, self.idle_seconds)
            except OSError as error:
                if isinstance(error, reader.ReadProblem):
                    self._problem = error  # the same answer for the next pass, without waiting again
                raise
            if not spooled:
                return handle
            self._spooled = True
            self._spool = handle
            if _blank(handle):
                self.notices.add(
                    Notice(
                        self.name,
                        0,
                        "no input from this pipe: did the command that writes it fail?",
                        WARNING,
                        "empty",
                    )
                )
        assert self._spool is not None
        self._spool.seek(0)
        return _Unclosed(self._spool)  # the spool outlives one pass

    @property
    def is_template(self) -> bool:
        """A file under a Helm chart's `templates/`: never parsed as a manifest."""
        return self._chart is not None

    def raw_pieces(self) -> Iterator[tuple[int, bytes]]:
        """(0-based first line, bytes) per piece; JSON files are one piece. Raises OSError.

        A UTF-8 byte order mark at the start of a line (a document start, as `cat` of files saved on
        Windows gives) is dropped, so the `---` after it still separates documents.
        """
        if self._chart is not None:
            return
        handle = self._open()
        try:
            if self.path.endswith(".json"):
                data = handle.read()
                yield 0, data[3:] if data.startswith(_BOM) else data
                return
            lines: list[bytes] = []
            start = 0
            # Directives (%YAML) and comments before a `---` belong to the document that follows.
            has_content = False
            for line, raw in enumerate(handle):
                if raw.startswith(_BOM):
                    raw = raw[3:]
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
        finally:
            handle.close()

    def pieces(self) -> Iterator[Piece]:
        """Decoded pieces; a piece that cannot be decoded costs that piece only."""
        if self._chart is not None:
            self.notices.add(_template_file_notice(self.name, self._chart))
            return
        try:
            for offset, data in self.raw_pieces():
                piece = decode(self.path, offset, data, first=offset == 0, notices=self.notices)
                if piece.text is not None or piece.problem is not None:
                    yield piece
        except reader.ReadProblem as error:
            yield Piece(self.name, 0, None, SyntaxProblem(1, 1, f"cannot read file: {error}"))
        except OSError as error:
            yield Piece(
                self.name, 0, None, SyntaxProblem(1, 1, f"cannot read file: {error.strerror or error}")
            )


def read_stdin(max_bytes: int | None = None, idle_seconds: float = reader.DEFAULT_IDLE_SECONDS) -> bytes:
    """All of standard input through the bounded reader, for a caller that needs its bytes as well as
    the check (the CI formats map Helm output back to its templates); put them back with
    `sys.stdin = io.TextIOWrapper(io.BytesIO(data))` for `InputFile("-")`. Raises InputError when stdin
    is empty, larger than the size cap, or silent for longer than `idle_seconds`."""
    limit = max_bytes if max_bytes is not None else reader.max_bytes_from_environment()
    try:
        spool = reader.spool_stream(sys.stdin.buffer, limit, idle_seconds)
    except OSError as error:
        raise InputError(f"stdin: {error}") from None
    with spool:
        if _blank(spool):
            raise InputError(EMPTY_STDIN)
        return spool.read()


def _template_file_notice(name: str, chart: str) -> Notice:
    return Notice(
        name,
        0,
        "skipped: a Helm chart template is not a manifest; check the rendered chart: "
        f"helm template {display_path(chart)} | pulllint check -",
        INFO,
        "template",
    )


class _Handle(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def __iter__(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class _Unclosed:
    """A handle whose close() leaves the spool open for the next pass."""

    __slots__ = ("_handle",)

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle

    def read(self, size: int = -1) -> bytes:
        return self._handle.read(size)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._handle)

    def close(self) -> None:
        return None


def _blank(spool: IO[bytes]) -> bool:
    spool.seek(0)
    head = spool.read(1 << 16)
    while head and not head.strip():
        head = spool.read(1 << 16)
    spool.seek(0)
    return not head.strip()


def _position(data: bytes, at: int) -> tuple[int, int]:
    """0-based line and 1-based column of byte `at`."""
    line = data.count(b"\n", 0, at)
    column = at - (data.rfind(b"\n", 0, at) + 1) + 1
    return line, column


def decode(
    path: str, offset: int, data: bytes, *, first: bool = True, notices: Notices | None = None
) -> Piece:
    """UTF-8 only, as the API server (a BOM allowed at the start of each document).

    A NUL or an undecodable byte is a problem at its line when the piece is a Kubernetes object, and
    otherwise a notice: a binary or foreign file is not judged. `first` is kept for callers; a BOM is
    accepted at any document start.
    """
    name = path
    if data.startswith(_BOM):
        data = data[3:]
    problem: SyntaxProblem | None = None
    nul = data.find(b"\x00")
    text: str | None = None
    if nul >= 0:
        line, column = _position(data, nul)
        problem = SyntaxProblem(offset + line + 1, column, "NUL byte: binary data, not YAML")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line, column = _position(data, error.start)
            problem = SyntaxProblem(
                offset + line + 1, column, f"not UTF-8: byte 0x{data[error.start]:02x} cannot be decoded"
            )
    if problem is None:
        return Piece(name, offset, text, None, notices)
    if looks_like_manifest(data.decode("utf-8", "replace")):
        return Piece(name, offset, None, problem, notices)
    if notices is not None:
        notices.add(
            Notice(
                name,
                problem.line,
                f"skipped: not a Kubernetes manifest ({problem.message})",
                INFO,
                "not-manifest",
            )
        )
    return Piece(name, offset, None, None, notices)
