"""The loader: positions, document splitting, and bad input that must never raise."""

from __future__ import annotations

import time
from pathlib import Path

from pulllint.loading.inputs import InputFile, discover
from pulllint.loading.yaml import MAX_DEPTH, read_documents, split_pieces


def test_pieces_keep_line_offsets() -> None:
    text = "a: 1\n---\nb: 2\n--- # c\nc: 3\n"
    assert [(line, piece.splitlines()[0]) for line, piece in split_pieces(text)] == [
        (0, "a: 1"),
        (1, "---"),
        (3, "--- # c"),
    ]


def test_positions_are_lines_of_the_file() -> None:
    text = "a: 1\n---\nkind: Pod\nimage: nginx\n"
    documents = list(read_documents(text))
    root = documents[1].root
    assert root is not None
    value = root.value[1][1]
    assert value.start_mark.line + 1 + documents[1].line_offset == 4
    assert value.start_mark.column + 1 == 8


def test_syntax_error_is_located_and_later_documents_survive() -> None:
    text = "a: 1\n---\nb: [1,\n---\nc: 3\n"
    documents = list(read_documents(text))
    assert [d.problem is None for d in documents] == [True, False, True]
    problem = documents[1].problem
    assert problem is not None and problem.line in (3, 4)


def test_comment_only_pieces_are_not_documents() -> None:
    assert list(read_documents("# nothing\n---\n# still nothing\n")) == []


def test_helm_source_comment_attaches_to_its_document() -> None:
    text = "---\n# Source: chart/templates/a.yaml\nkind: A\n---\n# Source: chart/templates/b.yaml\nkind: B\n"
    assert [d.helm_source for d in read_documents(text)] == [
        "chart/templates/a.yaml",
        "chart/templates/b.yaml",
    ]


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    depth = MAX_DEPTH * 30
    documents = list(read_documents("a: " + "[" * depth + "]" * depth + "\n"))
    assert len(documents) == 1 and documents[0].problem is not None
    assert "deeper" in documents[0].problem.message


def test_alias_bomb_is_not_expanded() -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 30):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    started = time.perf_counter()
    documents = list(read_documents("\n".join(lines) + "\n"))
    assert documents[0].root is not None
    assert time.perf_counter() - started < 2


def test_directory_walk_skips_chart_templates(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("name: chart\n")
    (chart / "templates" / "deployment.yaml").write_text("{{ .Values }}\n")
    (chart / "values.yaml").write_text("image: {}\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "plain.yaml").write_text("kind: Pod\n")
    found = sorted(Path(p).relative_to(tmp_path).as_posix() for p in discover([str(tmp_path)]))
    assert found == ["chart/Chart.yaml", "chart/values.yaml", "templates/plain.yaml"]


def test_directives_stay_with_their_document() -> None:
    text = "%YAML 1.1\n---\nkind: Pod\n---\n# comment only\n---\nkind: Service\n"
    documents = list(read_documents(text))
    assert [d.problem for d in documents] == [None, None]
    assert [d.line_offset for d in documents] == [0, 5]
    data = text.encode()
    assert [offset for offset, _ in InputFile("s.yaml", data).raw_pieces()] == [0, 3, 5]
