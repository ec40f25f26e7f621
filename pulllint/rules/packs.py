"""Declarative rule packs: YAML data naming registries and images that are gone, frozen or moved.

The built-in packs are the YAML files of the top-level ``rules/`` folder, shipped as the package data
``pulllint.packs``; their entries report as PL303 (`pl303_deprecated_image`). Users add packs of their
own with ``rule-packs`` in the configuration (files or folders, relative to the configuration file);
their entries carry codes of their own (the pack's ``code`` or the entry's), and each code becomes a
rule like any other: selectable, ignorable, with a severity override and suppressions.

Packs are read and validated (``pulllint/schemas/rulepack.schema.json``) when the rules are loaded, at
start-up; a pack with an error stops the run with exit code 2 and a message naming the file and the key
path. `PackRule.check` only matches the loaded entries against the model: no I/O.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pulllint.config import ConfigError, schema_errors
from pulllint.diagnostics import Finding, Severity
from pulllint.images import ImageRef
from pulllint.loading.yaml import read_documents
from pulllint.model.hosts import RepoPattern
from pulllint.rules import Rule, RuleContext, container_finding
from pulllint.rules._images import valid_reference

if TYPE_CHECKING:
    from pulllint.config import Config

__all__ = [
    "BUILTIN_CODE",
    "Pack",
    "PackEntry",
    "PackError",
    "PackRule",
    "builtin_entries",
    "builtin_packs",
    "load_pack_file",
    "load_pack_text",
    "pack_rules",
    "validate_pack",
]

BUILTIN_CODE = "PL303"
_NULL_TAG = "tag:yaml.org,2002:null"
_RESERVED_PREFIX = "PL"
_PLACEHOLDERS = frozenset({"rest", "path", "repo", "name", "tag", "ref"})
_IMAGE_LIKE = re.compile(r"^[a-z0-9][^\s]*$")


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


@functools.cache
def _read_yaml(text: str, origin: str) -> Any:
    """One YAML document as plain data: mappings, lists, and scalars as the strings written (null: None).

    Composed with the same C parser as the manifests (no constructor: a date stays the text written).
    """
    documents = list(read_documents(text, split=False))
    if len(documents) != 1:
        raise PackError(f"{origin}: a rule pack is one YAML document, found {len(documents)}")
    document = documents[0]
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


@functools.lru_cache(maxsize=64)
def _load_file(path: str, mtime_ns: int, origin: str) -> Pack:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PackError(f"{origin}: cannot read rule pack: {error}") from error
    return load_pack_text(text, origin)


def load_pack_file(path: str, origin: str | None = None) -> Pack:
    """A user pack from a file (cached while the file is unchanged)."""
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError as error:
        raise PackError(f"{origin or path}: cannot read rule pack: {error}") from error
    return _load_file(path, mtime, origin or path)


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


def _pack_paths(config: Config) -> Iterator[tuple[str, str]]:
    """(path, how messages name it) for each pack file the configuration names, in order."""
    for number, given in enumerate(config.raw.get("rule-packs", ())):
        path = given if os.path.isabs(given) else os.path.join(config.root, given)
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.endswith((".yaml", ".yml")))
            if not names:
                raise PackError(f"rule-packs[{number}]: {given}: the folder holds no .yaml pack")
            for name in names:
                yield os.path.join(path, name), os.path.join(given, name)
        elif os.path.exists(path):
            yield path, given
        else:
            raise PackError(
                f"rule-packs[{number}]: {given}: no such file or folder (relative to {config.root})"
            )


# --- rules ---------------------------------------------------------------------------------------------


class PackRule(Rule):
    """A rule whose findings come from pack entries: the first entry that matches an image reports it."""

    entries: ClassVar[tuple[PackEntry, ...]] = ()

    def __init__(self) -> None:
        # By identity (findings are mutable, so unhashable); the finding is kept so its id stays unique.
        self._severities: dict[int, tuple[Finding, Severity]] = {}

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        entries = type(self).entries
        if not entries:
            return
        decided: dict[str, tuple[PackEntry, str] | None] = {}
        for container in ctx.manifests.containers():
            image = container.image
            ref = valid_reference(image)
            if ref is None or image is None:
                continue
            if image in decided:
                hit = decided[image]
            else:
                hit = decided[image] = _first_match(entries, ref)
            if hit is None:
                continue
            entry, rest = hit
            message, fix = entry.message(image, ref, rest)
            finding = container_finding(container, message, fix=fix)
            self._severities[id(finding)] = (finding, entry.severity)
            yield finding

    def severity_of(self, finding: Finding) -> Severity | None:
        known = self._severities.get(id(finding))
        return known[1] if known is not None and known[0] is finding else None

    @classmethod
    def entries_documentation(cls) -> str:
        lines = ["## Entries", ""]
        for entry in cls.entries:
            patterns = ", ".join(f"`{p.text}`" for p in entry.images)
            tags = f" (tags {', '.join(f'`{t}`' for t in entry.tags)})" if entry.tags else ""
            lines.append(
                f"- **{entry.label}** ({entry.severity.label}, {entry.status} {entry.date}): "
                f"{patterns}{tags}. {entry.summary} Source: {entry.source}"
            )
        return "\n".join(lines)

    @classmethod
    def documentation(cls) -> str:
        return super().documentation().rstrip("\n") + "\n\n" + cls.entries_documentation() + "\n"


def _first_match(entries: Sequence[PackEntry], ref: ImageRef) -> tuple[PackEntry, str] | None:
    for entry in entries:
        rest = entry.match(ref)
        if rest is not None:
            return entry, rest
    return None


def _user_rule(code: str, entries: Sequence[PackEntry]) -> type[PackRule]:
    first = entries[0]
    severity = max(entry.severity for entry in entries)
    packs = ", ".join(dict.fromkeys(f"{e.pack} ({e.origin})" for e in entries))
    doc = (
        f"## What it does\nReports images that the rule pack {packs} lists as gone, frozen, moved or "
        "deprecated; the first matching entry speaks.\n\n"
        "## Why it matters\nA registry or repository that stops serving fails every pod start that needs "
        "to pull (ImagePullBackOff), often long after the manifest was written.\n\n"
        f"## Example\n```yaml\nimage: {first.images[0].text.replace('*', 'app')}:1.0\n```\n\n"
        "## Fix\nUse the replacement the entry names, or mirror the image into a registry you control."
    )
    attributes: dict[str, Any] = {
        "__doc__": doc,
        "__module__": __name__,
        "code": code,
        "name": first.rule_name,
        "severity": severity,
        "summary": f"Image listed by the rule pack {first.pack} as gone, frozen or moved.",
        "entries": tuple(entries),
    }
    return type(f"PackRule{code}", (PackRule,), attributes)


@functools.lru_cache(maxsize=16)
def _rules_for(packs: tuple[Pack, ...], taken: frozenset[str]) -> tuple[type[PackRule], ...]:
    by_code: dict[str, list[PackEntry]] = {}
    for pack in packs:
        for entry in pack.entries:
            if entry.code in taken:
                raise PackError(f"{entry.origin}: {entry.label}: code {entry.code} is already a rule")
            by_code.setdefault(entry.code, []).append(entry)
    return tuple(_user_rule(code, entries) for code, entries in by_code.items())


def pack_rules(config: Config, taken: frozenset[str] = frozenset()) -> tuple[type[PackRule], ...]:
    """One rule per code declared by the packs the configuration names (`rule-packs`)."""
    packs = tuple(load_pack_file(path, origin) for path, origin in _pack_paths(config))
    return _rules_for(packs, taken)
