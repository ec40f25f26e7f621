"""Suppression: per-file ignores from the configuration, object annotations and inline comments.

Every suppression that exists is tracked, so the ones that suppressed nothing can be reported (PL003).
A code counts as unused only when its rule ran: an offline run does not call registry suppressions stale.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from pulllint.diagnostics import Finding, Position, Source
from pulllint.model.objects import InlineSuppression, Manifests, ObjectMeta


class UnusedSuppression(NamedTuple):
    """A suppression (or some codes of it) that suppressed nothing: what PL003 reports."""

    source: Source
    position: Position
    codes: frozenset[str]  # the codes that suppressed nothing (empty: a bare ignore)
    kind: str  # "inline", "annotation" or "baseline"
    unknown: frozenset[str] = frozenset()  # codes that name no rule at all
    meta: ObjectMeta | None = None
    inline: InlineSuppression | None = None


def _matches(code: str, prefixes: Iterable[str]) -> str | None:
    """The prefix (or the empty 'every code' marker) that covers `code`, longest first."""
    best: str | None = None
    for prefix in prefixes:
        if code.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return best


class Suppressor:
    """Decides, finding by finding, whether a suppression applies, and remembers which ones did."""

    def __init__(self, per_file_ignores: Mapping[str, tuple[str, ...]], root: str) -> None:
        self.per_file_ignores = per_file_ignores
        self.root = root
        self._inline: dict[tuple[str, int], list[InlineSuppression]] = {}
        self._all_inline: list[InlineSuppression] = []
        self._used: set[tuple[object, str]] = set()

    def add(self, manifests: Manifests) -> None:
        """Learn the inline suppressions of one batch (they are few; the batch itself is not kept)."""
        for suppression in manifests.inline_suppressions:
            self._all_inline.append(suppression)
            for line in suppression.covers:
                self._inline.setdefault((suppression.path, line), []).append(suppression)

    def suppressed(self, code: str, finding: Finding) -> bool:
        if self._file_ignored(code, finding.source.path):
            return True
        if finding.object_ignores:
            prefix = _matches(code, finding.object_ignores)
            if prefix is not None:
                self._used.add(((finding.source.path, finding.object_id, "annotation"), prefix))
                return True
        for suppression in self._inline.get((finding.source.path, finding.position.line), ()):
            if not suppression.codes:
                self._used.add((suppression, ""))
                return True
            prefix = _matches(code, suppression.codes)
            if prefix is not None:
                self._used.add((suppression, prefix))
                return True
        return False

    def _file_ignored(self, code: str, path: str) -> bool:
        if not self.per_file_ignores or path == "-":
            return False
        relative = os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/")
        for pattern, codes in self.per_file_ignores.items():
            if (fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(path, pattern)) and _matches(
                code, codes
            ):
                return True
        return False

    def unused(
        self, annotated: Iterable[ObjectMeta], ran: frozenset[str], known: frozenset[str]
    ) -> list[UnusedSuppression]:
        """Suppressions (or codes in them) that suppressed nothing, among codes whose rule ran."""
        found: list[UnusedSuppression] = []
        for suppression in self._all_inline:
            source = Source(suppression.path)
            position = Position.point(suppression.line, suppression.column)
            if not suppression.codes:
                if (suppression, "") not in self._used:
                    found.append(
                        UnusedSuppression(source, position, frozenset(), "inline", inline=suppression)
                    )
                continue
            stale, unknown = self._stale(suppression, suppression.codes, ran, known)
            if stale or unknown:
                found.append(
                    UnusedSuppression(source, position, stale | unknown, "inline", unknown, None, suppression)
                )
        seen: set[tuple[str, Position]] = set()
        for meta in annotated:
            assert meta.ignore_position is not None
            key = (meta.source.path, meta.ignore_position)
            if key in seen:
                continue
            seen.add(key)
            owner = (meta.source.path, meta.object_id, "annotation")
            stale, unknown = self._stale(owner, meta.ignores, ran, known)
            if stale or unknown:
                found.append(
                    UnusedSuppression(
                        meta.source, meta.ignore_position, stale | unknown, "annotation", unknown, meta
                    )
                )
        return found

    def _stale(
        self, owner: object, codes: frozenset[str], ran: frozenset[str], known: frozenset[str]
    ) -> tuple[frozenset[str], frozenset[str]]:
        unknown = frozenset(c for c in codes if not any(k.startswith(c) for k in known))
        stale = frozenset(
            c
            for c in codes - unknown
            if (owner, c) not in self._used
            and any(r.startswith(c) for r in ran)
            # A prefix is stale only when every rule it covers ran.
            and all(k in ran for k in known if k.startswith(c))
        )
        return stale, unknown
