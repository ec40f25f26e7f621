"""The loader: positions, document splitting, and bad input that must never raise."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulllint.loading import yaml as yaml_module
from pulllint.loading.inputs import InputFile, discover
from pulllint.loading.sniff import helm_source, looks_like_manifest, template_line
from pulllint.loading.yaml import MAX_DEPTH, Document, read_documents, split_pieces


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
    text = "a: 1\n---\napiVersion: v1\nkind: Pod\nb: [1,\n---\nc: 3\n"
    documents = list(read_documents(text))
    assert [d.problem is None for d in documents] == [True, False, True]
    problem = documents[1].problem
    # Where the unclosed bracket opens, inside the broken document, not at the next `---`.
    assert problem is not None and problem.line == 5


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
    documents = list(read_documents("kind: Pod\napiVersion: v1\na: " + "[" * depth + "]" * depth + "\n"))
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


def test_valid_yaml_that_libyaml_0_1_refuses_is_read_with_the_same_positions() -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {annotations: {docs: https://example.com/x}}\n"
        "spec:\n  containers:\n    - {name: c, image: 'nginx:1.27'}\n"
    )
    [document] = list(read_documents(text, line_offset=10))
    assert document.problem is None and document.root is not None
    spec = document.root.value[3][1]
    image = spec.value[0][1].value[0].value[1][1]
    assert image.value == "nginx:1.27"
    assert (image.start_mark.line + 1 + document.line_offset, image.start_mark.column + 1) == (16, 24)
    clean = text.replace("https://example.com/x", "x")
    [same] = list(read_documents(clean, line_offset=10))
    assert same.root is not None
    clean_image = same.root.value[3][1].value[0][1].value[0].value[1][1]
    assert (clean_image.start_mark.line, clean_image.start_mark.column) == (
        image.start_mark.line,
        image.start_mark.column,
    )


def test_input_without_errors_never_reaches_the_fallback_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> Iterator[Document]:
        raise AssertionError("the pure parser ran on valid input")

    monkeypatch.setattr(yaml_module, "_compose_pure", refuse)
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\n"
    assert [d.problem for d in read_documents(text)] == [None, None]


def test_an_unterminated_quote_is_reported_inside_its_document() -> None:
    text = (
        'apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: "broken\n'
        "  labels: {}\n---\napiVersion: v1\nkind: Service\n"
    )
    documents = list(read_documents(text))
    assert [d.problem is None for d in documents] == [True, False, True]
    problem = documents[1].problem
    assert problem is not None and (problem.line, problem.column) == (7, 9)
    assert documents[2].root is not None and documents[2].line_offset == 8


def test_a_byte_order_mark_may_start_any_document() -> None:
    text = "apiVersion: v1\nkind: Pod\n\ufeff---\napiVersion: v1\nkind: Service\n"
    documents = list(read_documents(text))
    assert [d.problem for d in documents] == [None, None]
    assert [d.line_offset for d in documents] == [0, 2]
    [only] = list(read_documents("\ufeffapiVersion: v1\nkind: Pod\n"))
    assert only.problem is None


def test_a_broken_document_that_is_not_a_manifest_is_skipped() -> None:
    [document] = list(read_documents("lockfileVersion: '9.0'\npackages: {a: [\n"))
    assert document.problem is None and document.root is None
    assert document.skipped is not None and document.skipped.kind == "not-manifest"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n", 4),
        ("{{- if .Values.enabled }}\napiVersion: v1\nkind: Pod\n{{- end }}\n", 1),
        ("apiVersion: v1\nkind: Pod\nspec:\n  x: {a: {{ .b }}}\n", 4),
        ("apiVersion: v1\nkind: Pod\nspec:\n  args: [{{ .x }}]\n", 4),
        ("apiVersion: v1\nkind: Pod\nspec:\n  args:\n    - {{ .x }}\n", 5),
    ],
)
def test_template_actions_in_the_yaml_structure_make_a_template(text: str, line: int) -> None:
    assert template_line(text) == line - 1
    [document] = list(read_documents(text))
    assert document.skipped is not None and document.skipped.kind == "template"
    assert document.skipped.line == line


@pytest.mark.parametrize(
    "text",
    [
        'kind: Pod\nimage: "{{ .Values.image }}"\n',  # an unrendered value: PL104 reports it
        "kind: Pod\nimage: '{{ .Values.image }}:it''s'\n",
        "kind: Pod\n# image: {{ .Values.image }}\n",
        "kind: Pod\nimage: nginx  # {{ not this }}\n",
        'kind: ConfigMap\ndata:\n  alert.tmpl: |\n    {{ define "x" }}{{ .Labels }}{{ end }}\n  other: y\n',
        "kind: PrometheusRule\nspec:\n  - annotations:\n      summary: >-\n        {{ $labels.instance }}\n",
        'kind: ConfigMap\ndata:\n  a: "line one\n    {{ $labels.x }} line two"\n',
    ],
)
def test_template_text_inside_values_and_comments_is_not_a_template(text: str) -> None:
    assert template_line(text) is None


@pytest.mark.parametrize(
    "line",
    [
        "description: Alertmanager {{ $labels.namespace }}/{{ $labels.pod}} failed, {{ $value }} left.",
        'description: failed to send {{ printf "%.1f" $value }}% to {{ $labels.name}}:{{ $labels.url }}',
        "name: vttablet-{{uid}}",
        "image: vitess/lite:{{tag}}",
        "summary: a - {b} - c",
    ],
)
def test_template_text_inside_a_plain_scalar_leaves_a_manifest(line: str) -> None:
    """Prometheus and Alertmanager rules, and example manifests, hold `{{ }}` as text YAML reads as it
    is: the document is judged (an image with one is PL104), not skipped as a template."""
    text = f"apiVersion: v1\nkind: PrometheusRule\nspec:\n  {line}\n"
    assert template_line(text) is None
    [document] = list(read_documents(text))
    assert document.skipped is None and document.problem is None and document.root is not None


def test_templates_of_other_tools_are_no_manifests_and_no_notice_when_they_parse() -> None:
    workflow = "on: push\njobs:\n  a:\n    steps:\n      - run: echo ${{ github.sha }}\n"
    assert template_line(workflow) is None  # a GitHub Actions expression
    playbook = (
        "- hosts: all\n  tasks:\n    - debug: msg=hello {{ name }}\n    - debug:\n        msg: {{ name }}\n"
    )
    assert template_line(playbook) == 4
    [document] = list(read_documents(playbook))
    assert document.skipped is None and document.problem is None  # parsed; the model skips it


def test_helm_source_and_manifest_sniffing() -> None:
    assert helm_source("---\n# Source: chart/templates/a.yaml  \r\nkind: A\n") == "chart/templates/a.yaml"
    assert helm_source("#  Source: no\nx: '# Source: not at line start'\n") is None
    assert looks_like_manifest("apiVersion: v1\nkind: Pod\nspec: [\n")
    assert looks_like_manifest('{"kind": "Pod", "apiVersion": "v1", "spec": [}')
    assert not looks_like_manifest("spec:\n  kind: Pod\n  apiVersion: v1\n")
    assert not looks_like_manifest("kind: Pod\n")


def test_sniffing_is_linear_on_long_lines() -> None:
    hostile = "# Source: " + " " * 200_000 + "x" + " " * 200_000 + "\n"
    started = time.perf_counter()
    assert helm_source(hostile) == "x"
    assert template_line("a: " + "'{{' " * 50_000 + "\n" + "b: '" + "{{ " * 50_000 + "'\n") is None
    assert not looks_like_manifest("apiVersion" + " " * 200_000 + "\n")
    assert time.perf_counter() - started < 1
