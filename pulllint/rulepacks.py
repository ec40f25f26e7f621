"""Rule packs as data: reading, validating and walking the YAML packs that name dead or moved images.

The built-in packs are the YAML files of the top-level ``rules/`` folder, shipped as the package data
``pulllint.packs``; their entries report as PL303. Users add packs of their own with ``rule-packs`` in
the configuration (files or folders, relative to the configuration file); their entries carry codes of
their own (the pack's ``code`` or the entry's), and each code becomes a rule like any other
(`pulllint.rules._packs`).

The engine reads the packs once per run, before any document; a pack with an error stops the run with
exit code 2 and a message naming the file and the key path (``pulllint/schemas/rulepack.schema.json``).
Nothing here runs at import.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pulllint.config import ConfigError, schema_errors
from pulllint.diagnostics import Severity
from pulllint.images import ImageRef
from pulllint.loading.yaml import read_documents
from pulllint.model.hosts import RepoPattern

__all__ = [
    "BUILTIN_CODE",
    "Pack",
    "PackEntry",
    "PackError",
    "builtin_entries",
    "builtin_packs",
    "entries_by_code",
    "load_pack_file",
    "load_pack_text",
    "load_packs",
    "validate_pack",
]

BUILTIN_CODE = "PL303"
_NULL_TAG = "tag:yaml.org,2002:null"
_RESERVED_PREFIX = "PL"
_PLACEHOLDERS = frozenset({"rest", "path", "repo", "name", "tag", "ref"})
_IMAGE_LIKE = re.compile(r"^[a-z0-9][^\s]*$")
_MAX_PACK_BYTES = 16_000_000


class PackError(ConfigError):
    """A rule pack that cannot be read or breaks the pack schema: exit code 2."""


class PackEntry(NamedTuple):
    """One entry of a pack: which images it covers and what to tell about them."""

    pack: str
    id: str
    code: str
    rule_name: str
    images: tuple[RepoPattern, ...]
    exclude: tuple[RepoPattern, ...]
    tags: tuple[str, ...]  # tag globs
    exclude_tags: tuple[str, ...]
    status: str
    severity: Severity
    date: str
    summary: str
    source: str
    replacement: str | None = None
    note: str | None = None
    origin: str = ""  # the file it came from, for messages about the pack itself

    @property
    def label(self) -> str:
        return f"{self.pack}/{self.id}"

    def match(self, ref: ImageRef) -> str | None:
        """The repository path below the matching pattern (for {rest}); None when the entry does not apply."""
        rest = None
        for pattern in self.images:
            rest = pattern.rest(ref)
            if rest is not None:
                break
        if rest is None or any(p.matches(ref) for p in self.exclude):
            return None
        tag = ref.tag if ref.tag is not None else (None if ref.digest else "latest")
        if self.tags and (tag is None or not any(_tag_pattern(t).fullmatch(tag) for t in self.tags)):
            return None
        if tag is not None and any(_tag_pattern(t).fullmatch(tag) for t in self.exclude_tags):
            return None
        return rest

    def replacement_for(self, ref: ImageRef, rest: str) -> str | None:
        if self.replacement is None:
            return None
        suffix = f"@{ref.digest}" if ref.digest else f":{ref.tag}" if ref.tag else ""
        return self.replacement.format(
            rest=rest,
            path=ref.path,
            repo=ref.path.rsplit("/", 1)[-1],
            name=ref.familiar_name,
            tag=ref.tag or "latest",
            ref=suffix,
        )

    def message(self, image: str, ref: ImageRef, rest: str) -> tuple[str, str | None]:
        """The finding's message and fix for one image."""
        text = f"image {image!r} ({self.status} {self.date}): {self.summary}"
        if self.note:
            text += f" {self.note}"
        replacement = self.replacement_for(ref, rest)
        fix = None
        if replacement is not None:
            looks_like_image = _IMAGE_LIKE.match(replacement) is not None and " " not in replacement
            text += f" Use {replacement} instead." if looks_like_image else f" Instead: {replacement}."
            fix = f"image: {replacement}" if looks_like_image else replacement
        text += f" (source: {self.source}; pack entry {self.label})"
        return text, fix


class Pack(NamedTuple):
    id: str
    origin: str
    description: str
    code: str | None
    name: str | None
    entries: tuple[PackEntry, ...]


# --- loading -------------------------------------------------------------------------------------------


def _read_yaml(text: str, origin: str) -> Any:
    """One YAML document as plain data: mappings, lists, and scalars as the strings written (null: None).

    Composed with the same C parser as the manifests (no constructor: a date stays the text written).
    """
    documents = list(read_documents(text, split=False))
    if len(documents) != 1:
        raise PackError(f"{origin}: a rule pack is one YAML document, found {len(documents)}")
    document = documents[0]
    if document.skipped is not None:  # the loader skips what is not a manifest; a pack is not one
        raise PackError(
            f"{origin}:{document.skipped.line}: invalid YAML or a template: {document.skipped.message}"
        )
    if document.problem is not None:
        problem = document.problem
        raise PackError(f"{origin}:{problem.line}:{problem.column}: invalid YAML: {problem.message}")
    try:
        return _plain(document.root, origin)
    except RecursionError:
        raise PackError(f"{origin}: the YAML nests too deeply") from None


def _plain(node: Node | None, origin: str) -> Any:
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        for key, value in node.value:
            name = str(_plain(key, origin))
            if name in result:
                line = key.start_mark.line + 1
                raise PackError(f"{origin}:{line}: duplicate key {name!r}")
            result[name] = _plain(value, origin)
        return result
    if isinstance(node, SequenceNode):
        return [_plain(item, origin) for item in node.value]
    if isinstance(node, ScalarNode):
        return None if node.tag == _NULL_TAG else node.value
    return None


@functools.lru_cache(maxsize=256)
def _tag_pattern(glob: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob))


def load_pack_text(text: str, origin: str, *, builtin: bool = False) -> Pack:
    """Parse and validate one pack; raises PackError naming `origin` and the key path."""
    document = _read_yaml(text, origin)
    if not builtin:  # the built-in packs are validated by the tests: start-up does not import jsonschema
        validate_pack(document, origin)
    pack_id: str = document["pack"]
    pack_code: str | None = document.get("code")
    pack_name: str | None = document.get("name")
    entries: list[PackEntry] = []
    seen: set[str] = set()
    for number, raw in enumerate(document["entries"]):
        where = f"{origin}: entries[{number}]"
        code = raw.get("code") or pack_code
        if code is None:
            raise PackError(f"{where}: no code: give the pack or the entry a `code` (e.g. ACME1)")
        if not builtin and code.startswith(_RESERVED_PREFIX):
            raise PackError(
                f"{where}.code: {code!r}: codes starting with {_RESERVED_PREFIX} are pulllint's own"
            )
        if raw["id"] in seen:
            raise PackError(f"{where}.id: {raw['id']!r} is used twice in this pack")
        seen.add(raw["id"])
        replacement = raw.get("replacement")
        if replacement is not None:
            _check_placeholders(replacement, f"{where}.replacement")
        entries.append(
            PackEntry(
                pack=pack_id,
                id=raw["id"],
                code=code,
                rule_name=raw.get("name")
                or (pack_name or pack_id if code == pack_code else f"{pack_id}-{raw['id']}"),
                images=tuple(RepoPattern.parse(p) for p in raw["images"]),
                exclude=tuple(RepoPattern.parse(p) for p in raw.get("exclude", ())),
                tags=tuple(raw.get("tags", ())),
                exclude_tags=tuple(raw.get("exclude-tags", ())),
                status=raw["status"],
                severity=Severity.parse(raw["severity"]),
                date=raw["date"],
                summary=raw["summary"].strip(),
                source=raw["source"],
                replacement=replacement,
                note=(raw.get("note") or "").strip() or None,
                origin=origin,
            )
        )
    return Pack(
        pack_id, origin, (document.get("description") or "").strip(), pack_code, pack_name, tuple(entries)
    )


def validate_pack(document: Any, origin: str) -> None:
    """Raise PackError listing every schema violation of a pack document, by key path."""
    lines = schema_errors(document, "rulepack.schema.json", origin)
    if lines:
        raise PackError("invalid rule pack:\n  " + "\n  ".join(lines))


def _check_placeholders(template: str, where: str) -> None:
    import string

    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as error:
        raise PackError(f"{where}: {error} (write {{{{ and }}}} for literal braces)") from error
    unknown = sorted(set(fields) - _PLACEHOLDERS)
    if unknown:
        known = ", ".join(f"{{{name}}}" for name in sorted(_PLACEHOLDERS))
        raise PackError(f"{where}: unknown placeholder {{{unknown[0]}}} (known: {known})")


def load_pack_file(path: str, origin: str | None = None) -> Pack:
    """A user pack from a file; raises PackError naming `origin` (default: the path)."""
    name = origin or path
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(_MAX_PACK_BYTES + 1)
    except (OSError, UnicodeDecodeError) as error:
        raise PackError(f"{name}: cannot read rule pack: {error}") from error
    if len(text) > _MAX_PACK_BYTES:
        raise PackError(f"{name}: a rule pack is at most {_MAX_PACK_BYTES // 1_000_000} MB")
    return load_pack_text(text, name)


@functools.cache
def builtin_packs() -> tuple[Pack, ...]:
    """The packs shipped in ``pulllint.packs``, in file-name order."""
    # A plain folder of data, mapped from rules/ by pyproject.toml; importlib.resources would cost more
    # (its imports) than parsing the packs does.
    folder = os.path.dirname(importlib.import_module("pulllint.packs").__file__ or "")
    packs = []
    for name in sorted(os.listdir(folder)):
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                packs.append(load_pack_text(handle.read(), f"pulllint.packs/{name}", builtin=True))
    return tuple(packs)


def builtin_entries() -> tuple[PackEntry, ...]:
    return tuple(entry for pack in builtin_packs() for entry in pack.entries if entry.code == BUILTIN_CODE)


def _pack_paths(paths: Sequence[str], names: Sequence[str]) -> Iterator[tuple[str, str]]:
    """(path, how messages name it) for each pack file of `rule-packs`, in order."""
    for number, (path, given) in enumerate(zip(paths, names, strict=True)):
        if os.path.isdir(path):
            files = sorted(n for n in os.listdir(path) if n.endswith((".yaml", ".yml")))
            if not files:
                raise PackError(f"rule-packs[{number}]: {given}: the folder holds no .yaml pack")
            for name in files:
                yield os.path.join(path, name), os.path.join(given, name)
        elif os.path.exists(path):
            yield path, given
        else:
            raise PackError(f"rule-packs[{number}]: {given}: no such file or folder ({path})")


def load_packs(paths: Sequence[str], names: Sequence[str] | None = None) -> tuple[Pack, ...]:
    """The user's packs (`rule-packs`: files or folders of .yaml packs), read and validated."""
    return tuple(load_pack_file(path, origin) for path, origin in _pack_paths(paths, names or paths))


def entries_by_code(packs: Sequence[Pack], taken: frozenset[str]) -> dict[str, tuple[PackEntry, ...]]:
    """The packs' entries grouped by code, in pack order; a code that is already a rule is an error."""
    by_code: dict[str, list[PackEntry]] = {}
    for pack in packs:
        for entry in pack.entries:
            if entry.code in taken:
                raise PackError(f"{entry.origin}: {entry.label}: code {entry.code} is already a rule")
            by_code.setdefault(entry.code, []).append(entry)
    return {code: tuple(entries) for code, entries in by_code.items()}
