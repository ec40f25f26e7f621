"""Hostile and unusual input, end to end in a real `pulllint check --offline` process.

One test per class of input that used to lie (a false error, or a silent pass) or to run unbounded:
alias bombs through `kind: List`, FIFOs, pipes and `/dev/fd`, a BOM or a NUL in the middle of a stream,
merge keys, file names that are not UTF-8 in every output format, and the linear-time scans. Each
process runs with a time bound, and the alias bombs also with a memory limit.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT

POD = "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n"
POD += "  containers:\n    - {{name: c, image: '{image}'}}\n"
FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit", "markdown")
MEMORY_LIMIT = 1 << 30  # address space of the checking process, for the alias bombs


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def check(
    *args: str,
    cwd: Path,
    stdin: bytes | None = None,
    timeout: float = 60,
    env: dict[str, str] | None = None,
    pass_fds: tuple[int, ...] = (),
    memory_limit: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", **(env or {})}
    environment.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        [sys.executable, "-m", "pulllint", "check", "--offline", *args],
        cwd=cwd,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=timeout,
        env=environment,
        pass_fds=pass_fds,
        preexec_fn=_limit_memory if memory_limit else None,
        check=False,
    )


def _no_traceback(done: subprocess.CompletedProcess[bytes]) -> None:
    assert b"Traceback" not in done.stderr and b"internal error" not in done.stderr, done.stderr


def _list_bomb(levels: int, kind: str) -> str:
    if kind == "Pod":
        obj = "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}"
    else:
        obj = "{apiVersion: v1, kind: Secret, metadata: {name: s}, type: Opaque}"
    lines = ["apiVersion: v1", "kind: List", "items:"]
    lines.append("- &l0 {apiVersion: v1, kind: List, items: [&p " + obj + ", *p" * 9 + "]}")
    for level in range(1, levels):
        items = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"- &l{level} {{apiVersion: v1, kind: List, items: [{items}]}}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", ["Pod", "Secret"])
def test_a_list_alias_bomb_is_one_problem_in_bounded_time_and_memory(tmp_path: Path, kind: str) -> None:
    # 10^9 objects if expanded, from a file of about 1 KB; a Secret bomb hits the index pass too.
    bomb = _list_bomb(9, kind) + "---\n" + POD.format(name="after", image="Nginx:1")
    (tmp_path / "bomb.yaml").write_text(bomb)
    assert len(bomb) < 1500
    started = time.monotonic()
    done = check("--format", "json", "bomb.yaml", cwd=tmp_path, timeout=60, memory_limit=True)
    assert time.monotonic() - started < 30
    _no_traceback(done)
    assert done.returncode == 1, done.stderr
    found = [(d["code"], d["line"], d["message"]) for d in json.loads(done.stdout)["diagnostics"]]
    assert ("PL001", 1) in [(code, line) for code, line, _ in found]
    assert any("alias expansion too large" in message for code, _, message in found if code == "PL001")
    assert ("PL101", 19) in [(code, line) for code, line, _ in found]  # the stream goes on


def test_a_fifo_in_a_walked_directory_is_skipped_not_waited_for(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "pod.yaml").write_text(POD.format(name="a", image="Nginx:1"))
    done = check(".", cwd=tmp_path, timeout=30)
    _no_traceback(done)
    assert done.returncode == 1
    assert b"pod.yaml:6:24: PL101" in done.stdout


def test_a_named_fifo_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "stream.yaml"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "w", encoding="utf-8") as handle:
            handle.write(POD.format(name="a", image="Nginx:1"))

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    done = check("stream.yaml", cwd=tmp_path, timeout=30)
    writer.join(10)
    _no_traceback(done)
    assert done.returncode == 1 and b"stream.yaml:6:24: PL101" in done.stdout


def test_process_substitution_is_read_once_and_checked(tmp_path: Path) -> None:
    # `pulllint check <(helm template .)`: a pipe behind /dev/fd/N, readable only once.
    read_end, write_end = os.pipe()
    data = ("---\n".join(POD.format(name=f"p{i}", image="Nginx:1") for i in range(50))).encode()

    def write() -> None:
        with os.fdopen(write_end, "wb") as writer:
            writer.write(data)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        done = check("--format", "json", f"/dev/fd/{read_end}", cwd=tmp_path, pass_fds=(read_end,))
    finally:
        writer.join(10)
        os.close(read_end)
    _no_traceback(done)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert [d["code"] for d in report["diagnostics"]].count("PL101") == 50


def test_stdin_is_read_once_and_an_empty_stdin_is_an_error(tmp_path: Path) -> None:
    data = "\n---\n".join(POD.format(name=f"p{i}", image="Nginx:1") for i in range(3)).encode()
    done = check("-", cwd=tmp_path, stdin=data)
    _no_traceback(done)
    assert done.returncode == 1 and done.stdout.count(b"PL101") == 3
    empty = check("-", cwd=tmp_path, stdin=b"")
    _no_traceback(empty)
    assert empty.returncode == 2
    assert b"no input on stdin: did the command before the pipe fail?" in empty.stderr


def test_a_device_without_end_stops_at_the_size_cap(tmp_path: Path) -> None:
    done = check("/dev/zero", cwd=tmp_path, env={"PULLLINT_MAX_FILE_SIZE": "4M"}, timeout=30)
    _no_traceback(done)
    assert done.returncode == 1
    assert b"/dev/zero:1:1: PL001" in done.stdout and b"size cap of 4 MiB" in done.stdout


def test_a_bom_and_a_nul_cost_one_document_each(tmp_path: Path) -> None:
    first = POD.format(name="a", image="First:1")  # lines 1-6
    nul = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: b\x00}\n"  # lines 7-10
    bom = "\ufeff---\n" + POD.format(name="c", image="Third:1")  # lines 11-17, as `cat` of a Windows file
    (tmp_path / "stream.yaml").write_bytes((first + nul + bom).encode())
    done = check("--format", "json", "stream.yaml", cwd=tmp_path)
    _no_traceback(done)
    found = sorted((d["code"], d["line"]) for d in json.loads(done.stdout)["diagnostics"])
    assert found == [("PL001", 10), ("PL101", 6), ("PL101", 17)]


def test_invalid_utf8_mid_stream_costs_one_document(tmp_path: Path) -> None:
    data = POD.format(name="a", image="First:1").encode() + b"---\napiVersion: v1\nkind: Pod\nx: caf\xe9\n"
    data += b"---\n" + POD.format(name="c", image="Third:1").encode()
    (tmp_path / "stream.yaml").write_bytes(data)
    done = check("--format", "json", "stream.yaml", cwd=tmp_path)
    found = sorted((d["code"], d["line"], d["column"]) for d in json.loads(done.stdout)["diagnostics"])
    assert found == [("PL001", 10, 7), ("PL101", 6, 24), ("PL101", 17, 24)]


def test_an_image_through_a_merge_key_is_checked(tmp_path: Path) -> None:
    (tmp_path / "merge.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nspec:\n  containers:\n"
        "    - &base {name: a, image: 'nginx:1.27'}\n    - <<: *base\n      name: b\n      image: 'Bad:1'\n"
        "---\nbase: &tpl {image: 'Worse:1'}\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - <<: *tpl\n          name: c\n"
    )
    done = check("--select", "PL0,PL1", "--format", "json", "merge.yaml", cwd=tmp_path)
    found = sorted((d["code"], d["line"], d["image"]) for d in json.loads(done.stdout)["diagnostics"])
    assert found == [("PL101", 9, "Bad:1"), ("PL101", 11, "Worse:1")]


def test_valid_yaml_that_the_bundled_libyaml_refuses_is_no_error(tmp_path: Path) -> None:
    (tmp_path / "flow.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, annotations: {docs: https://example.com/x}}\n"
        "spec:\n  containers:\n    - {name: c, image: 'nginx:1.27.2'}\n"
    )
    (tmp_path / "pnpm-lock.yaml").write_text(
        "lockfileVersion: '9.0'\nimporters:\n  .: {dependencies: {a: {specifier: https://x/y, version: 1}}}\n"
    )
    done = check("--select", "PL0,PL1", "--format", "json", ".", cwd=tmp_path)
    _no_traceback(done)
    assert done.returncode == 0, done.stdout
    assert json.loads(done.stdout)["diagnostics"] == []


def test_templates_jsonc_and_jinja_are_not_judged(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: chart\nversion: 0.1.0\n")
    template = chart / "templates" / "deployment.yaml"
    template.write_text(
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include "x" . }}\nspec:\n'
        "  template:\n    spec:\n      containers:\n        - name: app\n"
        '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n'
        "{{- if .Values.extra }}\n  extra: {{ toYaml .Values.extra | nindent 4 }}\n{{- end }}\n"
    )
    (tmp_path / "tsconfig.json").write_text('{\n  // comment\n  "compilerOptions": {"strict": true,},\n}\n')
    (tmp_path / "site.yml").write_text(
        "- hosts: all\n  tasks:\n    - name: greet\n      debug: msg=hello {{ user }}\n"
        '    - copy: {src: "{{ item }}", dest: /etc/x}\n      loop: "{{ files }}"\n'
    )
    named = check("--format", "json", str(template), "tsconfig.json", "site.yml", ".", cwd=tmp_path)
    _no_traceback(named)
    assert named.returncode == 0, named.stdout
    assert json.loads(named.stdout)["diagnostics"] == []


def test_long_lines_and_many_suppressions_are_linear(tmp_path: Path) -> None:
    source = "---\n# Source: chart/templates/a.yaml" + " " * 100_000 + "x\n"
    source += POD.format(name="a", image="Bad:1")
    (tmp_path / "source.yaml").write_text(source)
    many = POD.format(name="b", image="nginx")
    many += "".join("# pulllint: ignore[PL102]\n" for _ in range(30_000))
    many += "".join("# pulllint: ignore[PL1 " for _ in range(20_000)) + "\n"
    (tmp_path / "many.yaml").write_text(many)
    started = time.monotonic()
    done = check("--format", "json", "source.yaml", "many.yaml", cwd=tmp_path, timeout=120)
    assert time.monotonic() - started < 30
    _no_traceback(done)
    codes = {(Path(d["file"]).name, d["code"]) for d in json.loads(done.stdout)["diagnostics"]}
    assert ("source.yaml", "PL101") in codes


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_name_that_is_not_utf8_in_every_format(tmp_path: Path, fmt: str) -> None:
    name = b"caf\xe9-\xff.yaml"
    with open(os.fsencode(str(tmp_path)) + b"/" + name, "w", encoding="utf-8") as handle:
        handle.write(POD.format(name="a", image="Nginx:1"))
    done = check("--format", fmt, "--output", f"report.{fmt}", ".", cwd=tmp_path)
    _no_traceback(done)
    assert done.returncode == 1, done.stderr
    output = (tmp_path / f"report.{fmt}").read_bytes().decode("utf-8")  # strict
    if fmt == "sarif":  # a URI: the name's bytes percent-encoded, as they are on disk
        assert "caf%E9-%FF.yaml" in output
    else:
        assert "xe9" in output and "xff" in output
    if fmt in ("json", "sarif", "gitlab"):
        json.loads(output)
    stdout = check("--format", fmt, ".", cwd=tmp_path).stdout
    stdout.decode("utf-8")


# -- property-based: whatever the bytes, exit 0 or 1, no traceback, no hang ---------------------------------

_FRAGMENTS = st.sampled_from(
    [
        "apiVersion: v1\n",
        "kind: Pod\n",
        "kind: List\nitems:\n",
        "- &a {apiVersion: v1, kind: Pod}\n",
        "- *a\n",
        "<<: *a\n",
        "spec:\n  containers:\n    - image: ",
        "nginx:1.27\n",
        "Bad:1\n",
        "'{{ .Values.x }}'\n",
        "{{- if .x }}\n",
        "---\n",
        "\ufeff---\n",
        "# Source: c/templates/a.yaml\n",
        "# pulllint: ignore[PL1\n",
        "metadata: {name: a, annotations: {u: https://x/y}}\n",
        "[",
        "]",
        "{",
        "}",
        ": ",
        "\t",
        '"',
        "'",
        "%YAML 1.1\n",
        "\x00",
        "\udcff",
        "é",
        "\n",
    ]
)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(_FRAGMENTS, max_size=30), raw=st.binary(max_size=40), json_name=st.booleans())
def test_the_loader_never_crashes_or_hangs(parts: list[str], raw: bytes, json_name: bool) -> None:
    from pulllint.cli import main

    data = "".join(parts).encode("utf-8", "surrogateescape") + raw
    with tempfile.TemporaryDirectory() as temp:
        path = Path(temp) / ("input.json" if json_name else "input.yaml")
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        started = time.monotonic()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["check", "--offline", "--format", "json", str(path)])
        assert time.monotonic() - started < 10
        assert code in (0, 1), err.getvalue()
        assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue()
        json.loads(out.getvalue())


# -- what is skipped or missing is said on stderr --------------------------------------------


def test_nothing_to_check_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("nothing here\n")
    done = check(".", cwd=tmp_path)
    assert done.returncode == 0
    assert b"warning" in done.stderr and b"no manifest files found" in done.stderr


def test_skipped_inputs_are_told_on_stderr(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: chart\nversion: 0.1.0\n")
    (chart / "templates" / "pod.yaml").write_text("kind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n")
    (tmp_path / "tsconfig.json").write_text('{\n  // comment\n  "compilerOptions": {"strict": true},\n}\n')
    os.mkfifo(tmp_path / "pipe.yaml")
    done = check(".", str(chart / "templates" / "pod.yaml"), cwd=tmp_path)
    assert done.returncode == 0
    assert b"helm template" in done.stderr and b"| pulllint check -" in done.stderr
    assert b"tsconfig.json:3: info: skipped: not a Kubernetes manifest" in done.stderr
    assert b"pipe.yaml: info: skipped: a named pipe (FIFO)" in done.stderr


def test_a_long_source_line_is_linear_for_annotations_too(tmp_path: Path) -> None:
    # The CI formats map Helm output back to its templates, reading `# Source:` lines of stdin.
    spaces = " " * 100_000
    stream = f"---\n# Source: chart/templates/a.yaml{spaces}x{spaces}\n" + POD.format(name="a", image="Bad:1")
    started = time.monotonic()
    done = check("--format", "github", "-", cwd=tmp_path, stdin=stream.encode(), timeout=120)
    assert time.monotonic() - started < 30
    _no_traceback(done)
    assert done.returncode == 1 and b"PL101" in done.stdout
