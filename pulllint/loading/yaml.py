"""YAML and JSON documents with a line and column on every node, one document at a time.

The stream is split on document markers *before* parsing, so a syntax error in one document is reported
at its line and the documents after it are still read. Each piece is composed by ruamel's C parser
(libyaml scanner, parser and composer in C): nodes carry `start_mark`/`end_mark`, relative to the piece;
`Document.line_offset` turns them into lines of the file. Nothing is constructed into Python objects:
the model reads the nodes it needs and drops the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from _ruamel_yaml import CParser
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import Node, ScalarNode
from ruamel.yaml.resolver import Resolver

# libyaml's composer recurses in C: a few tens of thousands of nested collections overflow the stack.
# Pieces shorter than this many characters cannot nest that deep; longer ones are measured first.
_SAFE_PIECE_CHARS = 16_000
MAX_DEPTH = 1_000

_DOCUMENT_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)
_HELM_SOURCE = re.compile(r"^# Source: *(\S[^\r\n]*?) *\r?$", re.MULTILINE)
_NON_BLANK = re.compile(r"^[ \t]*[^ \t\r\n#]", re.MULTILINE)
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


class Document(NamedTuple):
    """One document of a stream: its root node (None when it failed), and where it sits in the file."""

    root: Node | None
    line_offset: int  # 0-based line of the piece's first line in the file
    helm_source: str | None
    problem: SyntaxProblem | None = None


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
        if _NON_BLANK.search(piece) is None:
            continue  # comments and blank lines only: no document
        source_match = _HELM_SOURCE.search(piece)
        helm_source = source_match.group(1) if source_match else None
        yield from _compose_piece(piece, line_offset + offset, helm_source)


def _compose_piece(piece: str, offset: int, helm_source: str | None) -> Iterator[Document]:
    if len(piece) > _SAFE_PIECE_CHARS:
        too_deep = _first_too_deep(piece)
        if too_deep is not None:
            yield Document(None, offset, helm_source, _shift(too_deep, offset))
            return
    composer = _Composer(piece)
    try:
        while composer.check_node():
            root = composer.get_node()
            if root is not None and not (isinstance(root, ScalarNode) and root.value == ""):
                yield Document(root, offset, helm_source)
    except MarkedYAMLError as error:
        yield Document(None, offset, helm_source, _problem_from(error, offset))
    except YAMLError as error:  # unmarked: reader errors and the like
        yield Document(None, offset, helm_source, SyntaxProblem(offset + 1, 1, str(error).strip()))
    finally:
        composer.dispose()


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


def _problem_from(error: MarkedYAMLError, offset: int) -> SyntaxProblem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    message = error.problem or error.context or "invalid YAML"
    if error.context and error.problem:
        context = error.context.removeprefix("while ")
        if error.context_mark is not None:
            context += f" that started at line {error.context_mark.line + 1 + offset}"
        message += f" ({context})"
    return SyntaxProblem(line + offset, column, message)


def node_span(node: Node, offset: int) -> tuple[int, int, int, int]:
    """1-based (line, column, end line, end column) of a node in the file."""
    start, end = node.start_mark, node.end_mark
    return start.line + 1 + offset, start.column + 1, end.line + 1 + offset, end.column + 1
