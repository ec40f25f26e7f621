"""YAML and JSON documents with a line and column on every node, one document at a time.

The stream is split on document markers *before* parsing, so a syntax error in one document is reported
at its line and the documents after it are still read. Each piece is composed by ruamel's C parser
(libyaml scanner, parser and composer in C): nodes carry `start_mark`/`end_mark`, relative to the piece;
`Document.line_offset` turns them into lines of the file. Nothing is constructed into Python objects:
the model reads the nodes it needs and drops the rest.

The bundled libyaml is 0.1.x, which refuses some valid YAML (a plain scalar holding `:` inside a flow
mapping, such as `{docs: https://example.com/x}`). A piece it rejects is parsed again by ruamel's pure
YAML 1.2 parser, and only a piece both reject is a problem; input without errors never pays for it. A
piece that is a Go/Helm template (`{{ }}` as YAML structure), or that is broken and is not a Kubernetes
object, is not a problem either: it becomes a `Skipped` document that the caller turns into a notice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from _ruamel_yaml import CParser
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import Node, ScalarNode
from ruamel.yaml.resolver import Resolver

from pulllint.loading.sniff import helm_source, looks_like_manifest, template_line

# libyaml's composer recurses in C: a few tens of thousands of nested collections overflow the stack.
# Pieces shorter than this many characters cannot nest that deep; longer ones are measured first.
_SAFE_PIECE_CHARS = 16_000
MAX_DEPTH = 1_000

_DOCUMENT_START = re.compile(r"^\ufeff?---(?=[ \t\r\n]|$)", re.MULTILINE)
_NON_BLANK = re.compile(r"^[ \t]*[^ \t\r\n#]", re.MULTILINE)
_LINE_BREAK = r"\r\n|\r|\n"  # compiled on first use: only broken documents need it
_CONTENT = re.compile(r"^[ \t]*[^ \t\r\n#%]", re.MULTILINE)


class _Composer(CParser, Resolver):  # type: ignore[misc]
    """CParser composes in C; the (YAML 1.2) resolver only tags plain scalars."""

    def __init__(self, text: str) -> None:
        CParser.__init__(self, text)
        Resolver.__init__(self, loadumper=self)


class SyntaxProblem(NamedTuple):
    """A document that could not be read: 1-based line and column in the file."""

    line: int
    column: int
    message: str


class Skipped(NamedTuple):
    """A piece that is not judged: what it is (`template`, `not-manifest`), where, and why."""

    kind: str
    line: int  # 1-based line in the file
    message: str


class Document(NamedTuple):
    """One document of a stream: its root node (None when it failed), and where it sits in the file."""

    root: Node | None
    line_offset: int  # 0-based line of the piece's first line in the file
    helm_source: str | None
    problem: SyntaxProblem | None = None
    skipped: Skipped | None = None


def split_pieces(text: str) -> Iterator[tuple[int, str]]:
    """Yield (0-based first line, text) for each piece of a multi-document stream.

    Directives (%YAML) and comments before a `---` stay with the document that follows.
    """
    line = 0
    start = 0
    for match in _DOCUMENT_START.finditer(text):
        at = match.start()
        if _CONTENT.search(text, start, at):
            yield line, text[start:at]
            line += text.count("\n", start, at)
            start = at
    yield line, text[start:]


def read_documents(text: str, *, split: bool = True, line_offset: int = 0) -> Iterator[Document]:
    """Compose every document of `text`; a broken piece yields a Document with a problem instead."""
    pieces = split_pieces(text) if split else iter([(0, text)])
    for offset, piece in pieces:
        if piece[:1] == "\ufeff":
            piece = piece[1:]  # a byte order mark may start any document
        if _NON_BLANK.search(piece) is None:
            continue  # comments and blank lines only: no document
        yield from _compose_piece(piece, line_offset + offset, helm_source(piece))


def _compose_piece(piece: str, offset: int, source: str | None) -> Iterator[Document]:
    template = template_line(piece)
    # A template of something else (an Ansible playbook, a CI workflow) is no manifest either way: it is
    # parsed like any other YAML, and skipped silently, or with a notice when it does not parse.
    if template is not None and looks_like_manifest(piece):
        message = (
            "skipped: a template ({{ }} outside quotes and comments: Helm, Go or Jinja), not a manifest; "
            "check what it renders instead, e.g. helm template CHART | pulllint check -"
        )
        yield Document(None, offset, source, None, Skipped("template", offset + template + 1, message))
        return
    if len(piece) > _SAFE_PIECE_CHARS:
        too_deep = _first_too_deep(piece)
        if too_deep is not None:
            yield _broken(piece, offset, source, _shift(too_deep, offset))
            return
    composer = _Composer(piece)
    composed = 0
    try:
        while composer.check_node():
            root = composer.get_node()
            composed += 1
            if root is not None and not (isinstance(root, ScalarNode) and root.value == ""):
                yield Document(root, offset, source)
    except YAMLError as error:
        # libyaml 0.1 refuses some valid YAML: ask the YAML 1.2 parser before calling it broken.
        yield from _compose_pure(piece, offset, source, composed, _problem_of(error, piece, offset))
    finally:
        composer.dispose()


def _compose_pure(
    piece: str, offset: int, source: str | None, skip: int, refused: SyntaxProblem
) -> Iterator[Document]:
    """The documents of `piece` after the first `skip`, by ruamel's pure YAML 1.2 parser.

    When it refuses the piece too, the C parser's problem (`refused`) is reported, unless the pure
    parser got further: then libyaml stopped at something valid, and the real problem is later.
    """
    from ruamel.yaml import YAML

    loader = YAML(typ="safe", pure=True)
    index = 0
    try:
        for root in loader.compose_all(piece):
            index += 1
            if index <= skip:
                continue
            if root is not None and not (isinstance(root, ScalarNode) and root.value == ""):
                yield Document(root, offset, source)
    except YAMLError as error:
        problem = _problem_of(error, piece, offset)
        later = (problem.line, problem.column) > (refused.line, refused.column)
        yield _broken(piece, offset, source, problem if later else refused)
    except RecursionError:
        yield _broken(piece, offset, source, refused)


def _broken(piece: str, offset: int, source: str | None, problem: SyntaxProblem) -> Document:
    """A piece that does not parse: a problem when it is a Kubernetes object, else a skipped piece."""
    if looks_like_manifest(piece):
        return Document(None, offset, source, problem)
    message = f"skipped: not a Kubernetes manifest, and not valid YAML either ({problem.message})"
    return Document(None, offset, source, None, Skipped("not-manifest", problem.line, message))


def _first_too_deep(piece: str) -> SyntaxProblem | None:
    """Walk the event stream (libyaml's parser is iterative) and stop at the first level over MAX_DEPTH."""
    parser = _Composer(piece)
    depth = 0
    try:
        while True:
            event = parser.get_event()
            if event is None:
                return None
            name = type(event).__name__
            if name in ("MappingStartEvent", "SequenceStartEvent"):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    return SyntaxProblem(
                        mark.line + 1, mark.column + 1, f"nesting is deeper than {MAX_DEPTH} levels"
                    )
            elif name in ("MappingEndEvent", "SequenceEndEvent"):
                depth -= 1
            elif name == "StreamEndEvent":
                return None
    except YAMLError:
        return None  # the composer reports it with its position
    finally:
        parser.dispose()


def _shift(problem: SyntaxProblem, offset: int) -> SyntaxProblem:
    return SyntaxProblem(problem.line + offset, problem.column, problem.message)


def _last_content_line(piece: str) -> tuple[int, int]:
    """0-based line of the piece's last line that is not blank, and its length; a line ends at `\n`,
    `\r\n` or a lone `\r`, as the parser counts lines."""
    lines = re.split(_LINE_BREAK, piece.rstrip(" \t\r\n"))
    return len(lines) - 1, len(lines[-1])


def _problem_of(error: YAMLError, piece: str, offset: int) -> SyntaxProblem:
    """The problem at the line where it starts, inside the broken document."""
    if not isinstance(error, MarkedYAMLError):
        position = getattr(error, "position", None)  # a ReaderError: a character that YAML forbids
        if isinstance(position, int) and 0 <= position <= len(piece):
            line = piece.count("\n", 0, position)
            column = position - (piece.rfind("\n", 0, position) + 1) + 1
            reason = getattr(error, "reason", None) or "character that YAML does not allow"
            character = getattr(error, "character", None)
            shown = f" {character!r}" if isinstance(character, str) else ""
            return SyntaxProblem(offset + line + 1, column, f"{reason}{shown}")
        return SyntaxProblem(offset + 1, 1, str(error).strip() or "invalid YAML")
    last, last_length = _last_content_line(piece)
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line, mark.column + 1) if mark is not None else (0, 1)
    message = error.problem or error.context or "invalid YAML"
    context_mark = error.context_mark
    if line > last:
        # The parser ran to the end of the piece (an unclosed quote or bracket): the problem starts
        # where the unclosed construct does, not at the next document's `---`.
        if context_mark is not None and context_mark.line <= last:
            line, column = context_mark.line, context_mark.column + 1
        else:
            line, column = last, last_length + 1
    if error.context and error.problem:
        context = error.context.removeprefix("while ")
        if context_mark is not None and context_mark.line <= last:
            context += f" that started at line {context_mark.line + 1 + offset}"
        message += f" ({context})"
    return SyntaxProblem(line + 1 + offset, column, message)


def node_span(node: Node, offset: int) -> tuple[int, int, int, int]:
    """1-based (line, column, end line, end column) of a node in the file."""
    start, end = node.start_mark, node.end_mark
    return start.line + 1 + offset, start.column + 1, end.line + 1 + offset, end.column + 1
