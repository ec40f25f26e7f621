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
   the only one. For a subchart's template, then the same with the path below the subchart. The
   workspace walk skips VCS, dependency and cache folders and stops after `MAX_FILES` files; it
   happens once, and only when step 1 found nothing.

Only files inside the workspace are used (an annotation cannot point elsewhere). In the template, the
line is the one key line when there is exactly one; among several, the one mentioning the image's
repository (its last path component, then the whole path), then the one at the same position among
the rendered document's key lines when both have as many, else the first. When neither the file nor the
line is found, the diagnostic keeps its rendered location. Every lookup is cached per template path.

This is reporting, not checking: rules never see it. The formats that land in a repository (github,
gitlab, junit, markdown, sarif) use it when they are given the repository root.
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
# The last captured character is not a space, so the match never rescans trailing spaces: linear time.
_SOURCE = re.compile(r"^# Source: *(\S(?:[^\r\n]*[^ \r\n])?) *$")
_DOCUMENT_START = re.compile(r"^---(?:[ \t]|$)")


@dataclasses.dataclass(frozen=True)
class KeyLine:
    """A `key: value` line of a file: 1-based line, the value's first column and the column after it."""

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
        found.append(KeyLine(number, column, max(len(content), column) + 1, text))
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

    def __init__(
        self, chart_dirs: Iterable[str] = (), workspace: str | None = None, stdin: str | None = None
    ) -> None:
        """`stdin`: the text read from standard input ("-"), when the caller kept a copy."""
        self.workspace = Path(workspace or os.getcwd()).resolve()
        self._stdin = stdin.splitlines() if stdin is not None else None
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
        # The whole path below the top chart first; then, for a subchart's template, the path below the
        # subchart (a subchart kept in its own folder, e.g. a `file://` dependency), innermost first.
        splits = [0] + [i for i in range(len(parts) - 2, 0, -1) if parts[i - 1] == "charts"]
        for index in splits:
            found = self._search_suffix(parts[index], parts[index + 1 :])
            if found is not None:
                return found
        return None

    def _search_suffix(self, chart: str, suffix: tuple[str, ...]) -> Path | None:
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

    def _rendered_document(self, diagnostic: Diagnostic) -> tuple[list[str], int] | None:
        """The lines of the rendered document holding the diagnostic, and the 0-based index of its
        first line in the file (None when the rendered input cannot be read)."""
        if diagnostic.line < 1:
            return None
        lines = self._stdin if diagnostic.path == "-" else self._read(Path(diagnostic.path).resolve())
        if lines is None or diagnostic.line > len(lines):
            return None
        start = diagnostic.line - 1
        while start > 0 and not _DOCUMENT_START.match(lines[start - 1]):
            start -= 1
        end = diagnostic.line
        while end < len(lines) and not _DOCUMENT_START.match(lines[end]) and not _SOURCE.match(lines[end]):
            end += 1
        return lines[start:end], start

    def _wanted(self, diagnostic: Diagnostic) -> list[tuple[str, int | None, int]] | None:
        """The keys to look for in the template, best first, each with the diagnostic's position among
        the rendered document's lines with that key and their number (None: do not move it)."""
        found = self._rendered_document(diagnostic)
        if found is None:
            return [("image", None, 0)]  # about an image; where exactly is unknown
        document, start = found
        line = diagnostic.line - start  # 1-based within the document
        key = key_of(document[line - 1])
        if key not in MAPPED_KEYS:
            return None
        images = key_lines(document, "image")
        if key == "image":
            numbers = [entry.line for entry in images]
            return [("image", numbers.index(line) if line in numbers else None, len(images))]
        policies = [entry.line for entry in key_lines(document, key)]
        # The container's image line: the one with this image, the nearest before the diagnostic.
        same_image = [i for i, entry in enumerate(images) if _value(entry.text) == diagnostic.image]
        before = [i for i in same_image if images[i].line < line]
        image_ordinal = before[-1] if before else (same_image[0] if same_image else None)
        return [
            (key, policies.index(line) if line in policies else None, len(policies)),
            ("image", image_ordinal, len(images)),
        ]

    def find(self, diagnostic: Diagnostic) -> tuple[Path, KeyLine] | None:
        """The template file (absolute) and its key line for `diagnostic`, or None (see the module
        docstring)."""
        if not diagnostic.template or diagnostic.image is None:
            return None
        path = self.template_file(diagnostic.template)
        template_lines = self._read(path) if path is not None else None
        wanted = self._wanted(diagnostic) if template_lines is not None else None
        if path is None or template_lines is None or wanted is None:
            return None
        for key, ordinal, rendered in wanted:
            candidates = key_lines(template_lines, key)
            if candidates:
                return path, choose_line(candidates, diagnostic.image, ordinal, rendered)
        return None

    def locate(self, diagnostic: Diagnostic) -> Diagnostic:
        """The diagnostic moved to its template's key line (path relative to the workspace, the rendered
        position appended to the message), or unchanged."""
        found = self.find(diagnostic)
        if found is None:
            return diagnostic
        path, line = found
        where = "standard input" if diagnostic.path == "-" else diagnostic.path
        return moved(diagnostic, path.relative_to(self.workspace).as_posix(), line, where)


def moved(diagnostic: Diagnostic, path: str, line: KeyLine, rendered_at: str) -> Diagnostic:
    """`diagnostic` at `line` of the template file `path`; the message ends with where it was rendered."""
    return diagnostic._replace(
        path=path,
        line=line.line,
        column=line.column,
        end_line=line.line,
        end_column=line.end_column,
        message=f"{diagnostic.message} [rendered: {rendered_at}:{diagnostic.line}:{diagnostic.column}]",
        template=None,
    )


def _value(line: str) -> str:
    """The scalar value of a `key: value` line, without quotes or a trailing comment."""
    value = line.split(":", 1)[1].strip() if ":" in line else ""
    if value[:1] in ("'", '"') and len(value) >= 2:
        return value[1 : value.index(value[0], 1)] if value[0] in value[1:] else value[1:]
    return value.split(" #", 1)[0].strip()


def map_to_templates(
    diagnostics: Iterable[Diagnostic],
    chart_dirs: Iterable[str] = (),
    workspace: str | None = None,
    stdin: str | None = None,
) -> list[Diagnostic]:
    """`TemplateLocator.locate` for each diagnostic (one locator, so lookups are shared)."""
    locator = TemplateLocator(chart_dirs, workspace, stdin)
    return [locator.locate(diagnostic) for diagnostic in diagnostics]
