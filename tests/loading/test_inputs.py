"""Inputs: one bounded read of every source, walks that skip what is not a manifest file, notices."""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from pulllint.loading.inputs import (
    EMPTY_STDIN,
    InputError,
    InputFile,
    Notices,
    discover,
    display_path,
)
from pulllint.model.build import add_piece
from pulllint.model.objects import Manifests

POD = "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n"
POD += "  containers:\n    - {{name: c, image: '{image}'}}\n"


def model(source: InputFile) -> Manifests:
    manifests = Manifests()
    for piece in source.pieces():
        add_piece(manifests, piece)
    return manifests


def images(source: InputFile) -> list[str | None]:
    return [container.image for container in model(source).containers()]


def test_a_pipe_is_read_once_and_both_passes_see_it_whole() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "wb") as writer:
        writer.write(POD.format(name="a", image="Nginx:1").encode())
    try:
        source = InputFile(f"/dev/fd/{read_end}")
        first = b"".join(data for _, data in source.raw_pieces())
        assert b"Nginx:1" in first
        assert images(source) == ["Nginx:1"]  # the second pass: the pipe itself is empty by now
        assert images(source) == ["Nginx:1"]
    finally:
        os.close(read_end)


def test_a_named_fifo_is_read_when_named(tmp_path: Path) -> None:
    fifo = tmp_path / "stream.yaml"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "w", encoding="utf-8") as handle:
            handle.write(POD.format(name="a", image="nginx:1.27"))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert images(InputFile(str(fifo))) == ["nginx:1.27"]
    finally:
        writer.join(10)


def test_a_fifo_nobody_writes_to_is_a_bounded_wait(tmp_path: Path) -> None:
    fifo = tmp_path / "silent.yaml"
    os.mkfifo(fifo)
    started = time.monotonic()
    manifests = model(InputFile(str(fifo), idle_seconds=0.3))
    assert time.monotonic() - started < 5
    assert [p.message for p in manifests.syntax_problems] == [
        "cannot read file: no data for 0.3 s; stopped waiting (is anything writing to it?)"
    ]


def test_walking_skips_a_fifo_with_a_notice(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "pod.yaml").write_text(POD.format(name="a", image="nginx:1.27"))
    notices = Notices()
    started = time.monotonic()
    found = list(discover([str(tmp_path)], notices))
    assert time.monotonic() - started < 5
    assert found == [str(tmp_path / "pod.yaml")]
    assert [(Path(n.path).name, n.kind) for n in notices] == [("pipe.yaml", "fifo")]
    assert "name it on the command line" in next(iter(notices)).message


def test_size_cap_is_a_clear_problem(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("---\n".join([POD.format(name="a", image="nginx:1.27")] * 100))
    manifests = model(InputFile(str(path), max_bytes=1024))
    [problem] = manifests.syntax_problems
    assert problem.message.startswith("cannot read file: input is larger than the size cap of 1 KiB")
    assert "PULLLINT_MAX_FILE_SIZE" in problem.message
    assert images(InputFile(str(path))) == ["nginx:1.27"] * 100  # the default cap is generous


def test_size_cap_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULLLINT_MAX_FILE_SIZE", "1K")
    path = tmp_path / "big.yaml"
    path.write_text("a: b\n" * 400)
    assert "size cap of 1 KiB" in model(InputFile(str(path))).syntax_problems[0].message


def test_a_device_that_never_ends_stops_at_the_cap() -> None:
    started = time.monotonic()
    manifests = model(InputFile("/dev/zero", max_bytes=1 << 20))
    assert time.monotonic() - started < 10
    [problem] = manifests.syntax_problems
    assert "size cap of 1 MiB" in problem.message


def test_stdin_is_spooled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    data = POD.format(name="a", image="Nginx:1").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    source = InputFile("-")
    assert list(source.raw_pieces()) == [(0, data)]
    assert images(source) == ["Nginx:1"]
    assert [piece.path for piece in source.pieces()] == ["-"]


@pytest.mark.parametrize("data", [b"", b"\n  \n"])
def test_an_empty_stdin_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    with pytest.raises(InputError, match="no input on stdin: did the command before the pipe fail"):
        InputFile("-")
    assert EMPTY_STDIN == "no input on stdin: did the command before the pipe fail?"


def test_an_empty_pipe_is_a_warning() -> None:
    read_end, write_end = os.pipe()
    os.close(write_end)
    try:
        source = InputFile(f"/dev/fd/{read_end}")
        assert images(source) == []
        assert [(n.level, n.kind) for n in source.notices] == [("warning", "empty")]
    finally:
        os.close(read_end)


def test_a_directory_without_manifests_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# nothing\n")
    notices = Notices()
    assert list(discover([str(tmp_path)], notices)) == []
    [notice] = notices
    assert notice.level == "warning" and notice.kind == "no-manifests"
    assert str(notice) == f"{tmp_path}: warning: {notice.message}"
    assert "no manifest files found" in notice.message


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        list(discover([str(tmp_path / "nope.yaml")]))


def _chart(root: Path) -> Path:
    chart = root / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: chart\nversion: 0.1.0\n")
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - name: app\n"
        '          image: "{{ .Values.image }}"\n'
    )
    (chart / "values.yaml").write_text("image: nginx\n")
    return chart


def test_a_chart_template_named_explicitly_is_a_notice_not_a_manifest(tmp_path: Path) -> None:
    chart = _chart(tmp_path)
    template = chart / "templates" / "deployment.yaml"
    assert list(discover([str(template)])) == [str(template)]
    source = InputFile(str(template))
    assert source.is_template
    assert list(source.raw_pieces()) == []
    manifests = model(source)
    assert manifests.documents == 0 and not manifests.syntax_problems and not manifests.shape_problems
    [notice] = source.notices
    assert notice.kind == "template" and notice.level == "info"
    assert f"helm template {chart} | pulllint check -" in notice.message


def test_walking_a_chart_says_once_that_its_templates_are_skipped(tmp_path: Path) -> None:
    chart = _chart(tmp_path)
    notices = Notices()
    found = sorted(Path(p).name for p in discover([str(tmp_path)], notices))
    assert found == ["Chart.yaml", "values.yaml"]
    assert [(n.path, n.kind) for n in notices] == [(str(chart / "templates"), "template")]


def test_a_template_outside_a_chart_is_a_notice(tmp_path: Path) -> None:
    path = tmp_path / "plugin.yaml"
    path.write_text(
        "apiVersion: krew.googlecontainers.github.io/v1alpha2\nkind: Plugin\nmetadata: {name: x}\n"
        "spec:\n  platforms:\n    - uri: https://example.com/{{ .TagName }}/x.tar.gz\n"
        "  version: {{ .TagName }}\n"
    )
    source = InputFile(str(path))
    manifests = model(source)
    assert not manifests.syntax_problems
    # The action at the start of a value makes it a template; the one inside the URI is text.
    assert [(n.line, n.kind) for n in source.notices] == [(7, "template")]


def test_a_broken_file_that_is_no_manifest_is_at_most_one_notice(tmp_path: Path) -> None:
    path = tmp_path / "tsconfig.json"
    path.write_text('{\n  // comments\n  "compilerOptions": {"strict": true,},\n}\n')
    source = InputFile(str(path))
    manifests = model(source)
    assert not manifests.syntax_problems
    [notice] = source.notices
    assert notice.kind == "not-manifest" and notice.level == "info"
    assert notice.message.startswith("skipped: not a Kubernetes manifest")
    lock = tmp_path / "pnpm-lock.yaml"
    lock.write_text("a: [\n---\nb: {\n---\nc: 'x\n")
    source = InputFile(str(lock))
    assert not model(source).syntax_problems
    assert len(source.notices) == 1


def test_file_names_that_are_not_utf8_are_kept_and_printed_escaped(tmp_path: Path) -> None:
    raw = os.fsencode(str(tmp_path)) + b"/bad\xff\xfename.yaml"
    with open(raw, "w", encoding="utf-8") as handle:
        handle.write(POD.format(name="a", image="Nginx:1"))
    os.mkfifo(os.fsencode(str(tmp_path)) + b"/pipe\xff.yaml")
    notices = Notices()
    [path] = list(discover([str(tmp_path)], notices))
    assert path == os.fsdecode(raw)  # the real name: it opens, and reporters escape it
    source = InputFile(path)
    [piece] = list(source.pieces())
    assert piece.path == path
    assert images(source) == ["Nginx:1"]
    [notice] = notices
    assert str(notice).startswith(f"{tmp_path}/pipe\\xff.yaml: info: skipped")
    str(notice).encode("utf-8")
    assert display_path("plain/ü.yaml") == "plain/ü.yaml"


def test_read_stdin_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulllint.loading.inputs import read_stdin

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"kind: Pod\n")))
    assert read_stdin() == b"kind: Pod\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x" * 4096)))
    with pytest.raises(InputError, match="stdin: input is larger than the size cap of 1 KiB"):
        read_stdin(max_bytes=1024)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b" \n")))
    with pytest.raises(InputError, match="no input on stdin"):
        read_stdin()
