"""Baselines: adopt pulllint on a repository with known findings, and fail only on new ones.

`pulllint check --baseline FILE --update-baseline` records the current findings; later runs with
`--baseline FILE` leave out every finding the file records. A finding is matched by a fingerprint that
survives lines moving and messages being reworded: its code, its file (relative to the repository
root), its object (`Kind/namespace/name`), its image and its Helm template. Findings that share a
fingerprint are counted, so a second copy of a known problem is new. An entry that matches nothing any
more is reported like an unused suppression (PL003), at its line in the file, so stale entries get
removed.

The file is JSON with one entry per line (stable positions, readable diffs); it holds no credentials:
messages are not stored, only what the fingerprint is made of.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from pulllint.diagnostics import Diagnostic

VERSION = 1
_MAX_BYTES = 64 * 1024 * 1024


class BaselineError(Exception):
    """An unreadable or invalid baseline file: exit code 2."""


class Entry(NamedTuple):
    code: str
    file: str
    object: str | None
    image: str | None
    template: str | None
    line: int  # where the entry is written in the baseline file (1-based), for PL003

    @property
    def fingerprint(self) -> str:
        return _fingerprint(self.code, self.file, self.object, self.image, self.template)


def _fingerprint(code: str, file: str, obj: str | None, image: str | None, template: str | None) -> str:
    text = "\x1f".join((code, file, obj or "", image or "", template or ""))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _relative(path: str, root: str) -> str:
    if path == "-":
        return path
    relative = os.path.relpath(os.path.abspath(path), root)
    return relative.replace(os.sep, "/")


class Baseline:
    """The entries of one baseline file, matched against one run's diagnostics."""

    def __init__(self, path: str, root: str, entries: Sequence[Entry]) -> None:
        self.path = path
        self.root = root
        self.entries = tuple(entries)

    @classmethod
    def load(cls, path: str, root: str) -> Baseline:
        try:
            with open(path, "rb") as handle:
                data = handle.read(_MAX_BYTES + 1)
        except FileNotFoundError:
            raise BaselineError(
                f"{path}: no such baseline (write one with --baseline {path} --update-baseline)"
            ) from None
        except OSError as error:
            raise BaselineError(f"{path}: cannot read the baseline: {error.strerror or error}") from None
        if len(data) > _MAX_BYTES:
            raise BaselineError(f"{path}: the baseline is larger than {_MAX_BYTES // 2**20} MiB")
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise BaselineError(f"{path}: not a pulllint baseline (invalid JSON: {error})") from None
        if not isinstance(document, dict) or document.get("version") != VERSION:
            raise BaselineError(f"{path}: not a pulllint baseline of version {VERSION}")
        findings = document.get("findings")
        if not isinstance(findings, list):
            raise BaselineError(f"{path}: 'findings' must be a list")
        lines = _entry_lines(data)
        entries = []
        for number, raw in enumerate(findings):
            if (
                not isinstance(raw, dict)
                or not isinstance(raw.get("code"), str)
                or not isinstance(raw.get("file"), str)
            ):
                raise BaselineError(f"{path}: findings[{number}]: needs a code and a file")
            entries.append(
                Entry(
                    raw["code"],
                    raw["file"],
                    _optional(raw.get("object")),
                    _optional(raw.get("image")),
                    _optional(raw.get("template")),
                    lines[number] if number < len(lines) else 1,
                )
            )
        return cls(path, root, entries)

    def split(
        self, diagnostics: Iterable[Diagnostic], checked: Iterable[str]
    ) -> tuple[list[Diagnostic], int, list[Entry]]:
        """(new diagnostics, how many the baseline left out, entries that matched nothing).

        Only entries of the `checked` files can be stale: a run on some files (pre-commit's) says
        nothing about the others.
        """
        files = {_relative(path, self.root) for path in checked}
        remaining: Counter[str] = Counter(entry.fingerprint for entry in self.entries)
        new: list[Diagnostic] = []
        known = 0
        for diagnostic in diagnostics:
            key = fingerprint(diagnostic, self.root)
            if remaining[key] > 0:
                remaining[key] -= 1
                known += 1
            else:
                new.append(diagnostic)
        stale: list[Entry] = []
        for entry in reversed(self.entries):  # the last copies of a fingerprint are the unmatched ones
            if remaining[entry.fingerprint] > 0:
                remaining[entry.fingerprint] -= 1
                if entry.file in files:
                    stale.append(entry)
        return new, known, sorted(stale, key=lambda e: e.line)


def _optional(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _entry_lines(data: bytes) -> list[int]:
    """The 1-based line of each entry: written one per line, each starting with `{"code"`."""
    return [
        number
        for number, line in enumerate(data.splitlines(), start=1)
        if line.lstrip().startswith(b'{"code"')
    ]


def fingerprint(diagnostic: Diagnostic, root: str) -> str:
    return _fingerprint(
        diagnostic.code,
        _relative(diagnostic.path, root),
        diagnostic.object_id,
        diagnostic.image,
        diagnostic.template,
    )


def write(path: str, diagnostics: Iterable[Diagnostic], root: str) -> int:
    """Record `diagnostics` in `path` (replacing it); returns the number of entries."""
    rows = sorted(
        (
            {
                "code": d.code,
                "file": _relative(d.path, root),
                "object": d.object_id,
                "image": d.image,
                "template": d.template,
            }
            for d in diagnostics
        ),
        key=lambda row: (row["file"] or "", row["code"] or "", row["object"] or "", row["image"] or ""),
    )
    lines = [json.dumps(row, ensure_ascii=True) for row in rows]
    body = ",\n    ".join(lines)
    text = (
        "{\n"
        f'  "version": {VERSION},\n'
        '  "tool": "pulllint",\n'
        '  "comment": "Known findings, left out by `pulllint check --baseline`; '
        'rewrite with --update-baseline.",\n'
        f'  "findings": [{chr(10) + "    " + body + chr(10) + "  " if lines else ""}]\n'
        "}\n"
    )
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)
    return len(rows)
