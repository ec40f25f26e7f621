"""Point diagnostics of Helm-rendered documents at the template that rendered them (for annotations).

A document rendered by `helm template` carries `# Source: <chart>/templates/<file>` (a subchart's:
`<parent>/charts/<child>/templates/<file>`). Annotations on the rendered stream are of little use: it
is often standard input or a build artefact. `TemplateLocator` finds the template's file in the
workspace and, in it, the line of the key the diagnostic is about (`image:`, `imagePullPolicy:`), so a
GitHub annotation lands on the line a reviewer can change.

Where the template file is looked for, first match wins:

1. under each chart directory given (`--chart-dir`) whose folder name or `Chart.yaml` `name:` is a
   component of the template path (the first one, or one right after `charts/`): the rest of the path
   below that component, relative to the chart directory;
2. in the workspace, a file whose path ends with the template path without its chart name
   (`templates/deployment.yaml`), preferring one whose chart folder's `Chart.yaml` names the chart, then
   one whose folder is named like the chart; a candidate without such evidence is taken only when it is
   the only one. The workspace walk skips VCS, dependency and cache folders and stops after
   `MAX_FILES` files; it happens once, and only when step 1 found nothing.

Only files inside the workspace are used (an annotation cannot point elsewhere). In the template, the
line is the one key line when there is exactly one; among several, the one mentioning the image's
repository (its last path component, then the whole path), then the one at the same position among
the rendered document's key lines when both have as many, else the first. When neither the file nor the
line is found, the diagnostic keeps its rendered location. Every lookup is cached per template path.

This is reporting, not checking: rules never see it, and only the `github` format uses it.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from pulllint.diagnostics import Diagnostic

MAX_FILES = 200_000
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".terraform",
    }
)
# Keys whose line a diagnostic about a container can be moved to; anything else stays where it is.
MAPPED_KEYS = ("image", "imagePullPolicy")

_KEY_LINE = re.compile(r"""^[ \t]*(?:-[ \t]+)?["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?[ \t]*:(?:[ \t]|$)""")
_CHART_NAME = re.compile(r"""^name[ \t]*:[ \t]*["']?([^"'#\s]+)""", re.MULTILINE)
_SOURCE = re.compile(r"^# Source: *(\S[^\r\n]*?) *$")
_DOCUMENT_START = re.compile(r"^---(?:[ \t]|$)")


@dataclasses.dataclass(frozen=True)
class KeyLine:
    """A `key: value` line of a file: 1-based line, and the value's start and end columns."""

    line: int
    column: int
    end_column: int
    text: str


def key_lines(lines: Sequence[str], key: str) -> list[KeyLine]:
    """Every line of `lines` whose (first) mapping key is `key`, in order."""
    found: list[KeyLine] = []
    for number, text in enumerate(lines, start=1):
        match = _KEY_LINE.match(text)
        if match is None or match.group(1) != key:
            continue
        value_start = match.end()
        while value_start < len(text) and text[value_start] in " \t":
            value_start += 1
        content = text.rstrip()
        column = value_start + 1 if value_start < len(content) else match.start(1) + 1
        found.append(KeyLine(number, column, max(len(content), column), text))
    return found


def key_of(line: str) -> str | None:
    match = _KEY_LINE.match(line)
    return match.group(1) if match else None


def image_fragments(image: str | None) -> list[str]:
    """Parts of an image reference a template line may mention: last repository component, then path."""
    if not image:
        return []
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
        last = last.split(":", 1)[0]
    fragments = [last] if last else []
    if "/" in name:
        first, rest = name.split("/", 1)
        path = rest if ("." in first or ":" in first or first == "localhost") else name
        if path != last:
            fragments.append(path)
    return [fragment for fragment in fragments if len(fragment) >= 2]


def choose_line(
    candidates: Sequence[KeyLine], image: str | None, ordinal: int | None, rendered: int
) -> KeyLine:
    """The best of several key lines (see the module docstring); `candidates` is not empty."""
    if len(candidates) == 1:
        return candidates[0]
    for fragment in image_fragments(image):
        mentioning = [c for c in candidates if fragment in c.text]
        if len(mentioning) == 1:
            return mentioning[0]
    if ordinal is not None and rendered == len(candidates):
        return candidates[ordinal]
    return candidates[0]


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


class TemplateLocator:
    """Finds template files and key lines for `# Source:` paths; every answer is cached."""

    def __init__(self, chart_dirs: Iterable[str] = (), workspace: str | None = None) -> None:
        self.workspace = Path(workspace or os.getcwd()).resolve()
        self._templates: dict[str, Path | None] = {}
        self._lines: dict[Path, list[str] | None] = {}
        self._files: dict[str, list[Path]] | None = None
        self._chart_yaml_names: dict[Path, frozenset[str]] = {}
        self._charts: list[tuple[Path, frozenset[str]]] = []
        for chart_dir in chart_dirs:
            directory = Path(chart_dir).resolve()
            if directory.is_dir():
                self._charts.append((directory, frozenset({directory.name, *self._chart_names(directory)})))

    # -- the template file ------------------------------------------------------------------------

    def template_file(self, template: str) -> Path | None:
        """The file (absolute, inside the workspace) that `# Source: template` names, or None."""
        if template not in self._templates:
            self._templates[template] = self._find(template)
        return self._templates[template]

    def _chart_names(self, directory: Path) -> frozenset[str]:
        """The `name:` of the chart's Chart.yaml (empty when there is none)."""
        if directory not in self._chart_yaml_names:
            try:
                text = (directory / "Chart.yaml").read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            match = _CHART_NAME.search(text)
            self._chart_yaml_names[directory] = frozenset({match.group(1)} if match else ())
        return self._chart_yaml_names[directory]

    def _usable(self, path: Path) -> bool:
        return path.is_file() and _inside(path.resolve(), self.workspace)

    def _find(self, template: str) -> Path | None:
        parts = PurePosixPath(template.replace("\\", "/")).parts
        if len(parts) < 2 or ".." in parts or parts[0] == "/":
            return None
        for directory, names in self._charts:
            for index, part in enumerate(parts[:-1]):
                if part in names and (index == 0 or parts[index - 1] == "charts"):
                    candidate = directory.joinpath(*parts[index + 1 :])
                    if self._usable(candidate):
                        return candidate.resolve()
        return self._search(parts)

    def _search(self, parts: tuple[str, ...]) -> Path | None:
        chart, suffix = parts[0], parts[1:]
        files = self._workspace_files().get(suffix[-1], [])
        candidates = [
            path for path in files if path.parts[-len(suffix) :] == suffix and len(path.parts) > len(suffix)
        ]
        candidates = [path for path in candidates if self._usable(path)]
        if not candidates:
            return None
        roots = {path: path.parents[len(suffix) - 1] for path in candidates}
        by_chart_yaml = [path for path in candidates if chart in self._chart_names(roots[path])]
        by_folder = [path for path in candidates if roots[path].name == chart]
        for tier in (by_chart_yaml, by_folder):
            if tier:
                return min(tier, key=lambda path: (len(path.parts), str(path))).resolve()
        return candidates[0].resolve() if len(candidates) == 1 else None

    def _workspace_files(self) -> dict[str, list[Path]]:
        """Files of the workspace by name (walked once, bounded)."""
        if self._files is None:
            self._files = {}
            count = 0
            for top, dirs, names in os.walk(self.workspace):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
                for name in sorted(names):
                    self._files.setdefault(name, []).append(Path(top, name))
                    count += 1
                if count >= MAX_FILES:
                    break
        return self._files

    # -- the line ------------------------------------------------------------------------------------

    def _read(self, path: Path) -> list[str] | None:
        if path not in self._lines:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                self._lines[path] = None
            else:
                self._lines[path] = text.splitlines()
        return self._lines[path]

    def _rendered(self, diagnostic: Diagnostic) -> tuple[str | None, int | None, int]:
        """The key of the diagnostic's rendered line, its position among the rendered document's lines
        with that key, and how many there are (None, None, 0 when the rendered file cannot be read)."""
        if diagnostic.path == "-" or diagnostic.line < 1:
            return None, None, 0
        lines = self._read(Path(diagnostic.path).resolve())
        if lines is None or diagnostic.line > len(lines):
            return None, None, 0
        key = key_of(lines[diagnostic.line - 1])
        if key is None:
            return None, None, 0
        start = diagnostic.line - 1
        while start > 0 and not _DOCUMENT_START.match(lines[start - 1]):
            start -= 1
        end = diagnostic.line
        while end < len(lines) and not _DOCUMENT_START.match(lines[end]) and not _SOURCE.match(lines[end]):
            end += 1
        document = lines[start:end]
        same = [entry.line + start for entry in key_lines(document, key)]
        ordinal = same.index(diagnostic.line) if diagnostic.line in same else None
        return key, ordinal, len(same)

    def locate(self, diagnostic: Diagnostic) -> Diagnostic:
        """The diagnostic moved to its template's key line, or unchanged (see the module docstring)."""
        if not diagnostic.template or diagnostic.image is None:
            return diagnostic
        path = self.template_file(diagnostic.template)
        if path is None:
            return diagnostic
        template_lines = self._read(path)
        if template_lines is None:
            return diagnostic
        key, ordinal, rendered = self._rendered(diagnostic)
        if key is not None and key not in MAPPED_KEYS:
            return diagnostic
        candidates = key_lines(template_lines, key) if key is not None else []
        if not candidates and key != "image":
            key, ordinal, rendered = "image", None, 0
            candidates = key_lines(template_lines, "image")
        if not candidates:
            return diagnostic
        found = choose_line(candidates, diagnostic.image, ordinal, rendered)
        where = "standard input" if diagnostic.path == "-" else diagnostic.path
        return dataclasses.replace(
            diagnostic,
            path=path.relative_to(self.workspace).as_posix(),
            line=found.line,
            column=found.column,
            end_line=found.line,
            end_column=found.end_column,
            message=f"{diagnostic.message} [rendered: {where}:{diagnostic.line}:{diagnostic.column}]",
            template=None,
        )


def map_to_templates(
    diagnostics: Iterable[Diagnostic], chart_dirs: Iterable[str] = (), workspace: str | None = None
) -> list[Diagnostic]:
    """`TemplateLocator.locate` for each diagnostic (one locator, so lookups are shared)."""
    locator = TemplateLocator(chart_dirs, workspace)
    return [locator.locate(diagnostic) for diagnostic in diagnostics]
