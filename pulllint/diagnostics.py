"""What a check reports: plain data shared by rules, engine and reporters.

Rules yield `Finding`s (where and what); the engine turns them into `Diagnostic`s by adding the rule's
code and the effective severity. Reporters only ever see `Diagnostic`s, so they know nothing of rules.
"""

from __future__ import annotations

import enum
from typing import NamedTuple


class Severity(enum.IntEnum):
    """Ordered so that `severity >= fail_on` decides the exit code."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or info)") from None


class Position(NamedTuple):
    """A 1-based span in the file that was read (line and column of the node, and where it ends)."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, line: int, column: int) -> Position:
        return cls(line, column, line, column)


class Source(NamedTuple):
    """Where a document came from: the physical path read, and Helm's `# Source:` template if any."""

    path: str
    template: str | None = None


class Finding(NamedTuple):
    """What a rule yields: the location, the message and, when it is about one, the image and object."""

    source: Source
    position: Position
    message: str
    image: str | None = None
    # "Kind/namespace/name" of the object the finding is about, for reports and annotations.
    object_id: str | None = None
    # Codes ignored by the object's `pulllint.dev/ignore` annotation (set by the model, used by the engine).
    object_ignores: frozenset[str] = frozenset()
    fix: str | None = None
    # The finding's own default severity when its rule has several (a rule pack's entries carry theirs);
    # None: the rule's. A `severity` in the configuration wins over both.
    severity: Severity | None = None


class Diagnostic(NamedTuple):
    """A finding of one rule with its effective severity: the unit every reporter formats."""

    code: str
    rule_name: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    template: str | None = None
    image: str | None = None
    object_id: str | None = None
    fix: str | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)
