"""Offline speed and memory of `pulllint check --offline`, as ratios measured in one run.

    .venv/bin/python bench/offline_bench.py [N]      # N workloads in the stream, default 5000

1. Stream: N workloads from ../shared/tools/gen-stream.py (or a built-in copy of its shape when
   ../shared is absent). Baseline: composing the same file with ruamel's C parser through
   `YAML(typ="safe", pure=False).compose_all` and visiting every node — the floor for any linter that
   reports lines. Target: pulllint at most 1.0x the baseline (it composes each document once, with
   the same parser, and visits only the nodes it needs).
   The same stream where 1 document in 100 holds valid YAML that the bundled libyaml 0.1 refuses (a
   `:` in a plain scalar inside a flow mapping), so pulllint re-parses those with the pure YAML 1.2
   parser: what the fallback costs when it is needed. Without such documents it never runs.
2. One small file, as pre-commit runs it: the whole `pulllint check --offline` process against
   `python -c "import ruamel.yaml"`. Target: at most 2x.
3. Peak memory (max RSS of the process) for streams of N/5, N and 4N workloads: flat in the length
   of the stream (documents are checked in batches); what grows is the list of findings reported.
4. Hostile input, each a whole process with its CPU time: a `kind: List` alias bomb of 10^9 objects
   in under 1.5 KB, a `# Source:` line of 100k spaces, 100k inline suppressions in one document
   (rules PL001 and PL1 only, so that the time is the loader's, not that of reporting 100k PL003).
   Target: each well under the time of the 5000-workload stream (they used to take 37 s to forever).
Each command runs in its own process; the median CPU time (user + system) of several runs is reported.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT.parent / "shared" / "tools" / "gen-stream.py"
PULLLINT = [sys.executable, "-m", "pulllint", "check", "--offline", "--format", "json"]
BASELINE = """
import sys
from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, SequenceNode
count = 0
with open(sys.argv[1], encoding="utf-8") as handle:
    for root in YAML(typ="safe", pure=False).compose_all(handle):
        stack = [root]
        while stack:
            node = stack.pop()
            count += 1
            if isinstance(node, MappingNode):
                for key, value in node.value:
                    stack.append(key)
                    stack.append(value)
            elif isinstance(node, SequenceNode):
                stack.extend(node.value)
print(count)
"""
# The floor for a stream some of whose documents libyaml 0.1 refuses: each document composed by the C
# parser, the refused ones again by the pure parser, and every node visited (as BASELINE).
BASELINE_PURE_FALLBACK = """
import sys
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, SequenceNode
c_parser, pure_parser = YAML(typ="safe", pure=False), YAML(typ="safe", pure=True)
count = 0
text = open(sys.argv[1], encoding="utf-8").read()
for document in text.split("\\n---\\n"):
    try:
        roots = list(c_parser.compose_all(document))
    except YAMLError:
        roots = list(pure_parser.compose_all(document))
    stack = list(roots)
    while stack:
        node = stack.pop()
        count += 1
        if isinstance(node, MappingNode):
            for key, value in node.value:
                stack.append(key)
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
print(count)
"""
SMALL = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27.2
"""


def _stream(n: int, directory: Path) -> Path:
    path = directory / f"stream-{n}.yaml"
    if not path.exists():
        if GENERATOR.exists():
            with path.open("w", encoding="utf-8") as handle:
                subprocess.run([sys.executable, str(GENERATOR), str(n)], stdout=handle, check=True)
        else:
            path.write_text("".join(_fallback_document(i) for i in range(n)), encoding="utf-8")
    return path


def _fallback_document(i: int) -> str:
    image = ("nginx", "nginx:latest", "quay.io/prometheus/node-exporter:v1.8.2", "busybox")[i % 4]
    return (
        f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: ns-{i % 17}\n"
        f"spec:\n  replicas: {1 + i % 5}\n  template:\n    spec:\n      containers:\n        - name: app\n"
        f"          image: {image}\n          env:\n            - name: INDEX\n              value: '{i}'\n"
    )


def _with_fallback(path: Path, directory: Path) -> Path:
    """The stream with 1 document in 100 annotated `{docs: https://...}` (libyaml 0.1 refuses it)."""
    target = directory / f"fallback-{path.name}"
    if not target.exists():
        documents = path.read_text(encoding="utf-8").split("\n---\n")
        for index in range(0, len(documents), 100):
            documents[index] += "\nx-bench: {docs: https://example.com/x}"
        target.write_text("\n---\n".join(documents), encoding="utf-8")
    return target


def _hostile(directory: Path) -> dict[str, Path]:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        "  containers:\n    - {name: c, image: 'nginx:1.27.2'}\n"
    )
    obj = "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}"
    bomb = ["apiVersion: v1", "kind: List", "items:"]
    bomb.append("- &l0 {apiVersion: v1, kind: List, items: [&p " + obj + ", *p" * 9 + "]}")
    for level in range(1, 9):
        items = ", ".join([f"*l{level - 1}"] * 10)
        bomb.append(f"- &l{level} {{apiVersion: v1, kind: List, items: [{items}]}}")
    cases = {
        "List alias bomb (10^9 objects)": "\n".join(bomb) + "\n",
        "# Source: line of 100k spaces": "---\n# Source: c/templates/a.yaml" + " " * 100_000 + "x\n" + pod,
        "100k inline suppressions": pod + "  # pulllint: ignore[PL102]\n" * 100_000,
    }
    paths: dict[str, Path] = {}
    for number, (label, text) in enumerate(cases.items()):
        paths[label] = directory / f"hostile-{number}.yaml"
        paths[label].write_text(text, encoding="utf-8")
    return paths


def _run(command: list[str], runs: int) -> tuple[float, int]:
    """Median CPU time (user + system) and the largest max-RSS (KiB) of `runs` runs, each in a fresh
    process. CPU time, not wall time: on a shared machine it is what stays put from run to run."""
    times: list[float] = []
    peak = 0
    for _ in range(runs):
        wrapper = (
            "import resource, subprocess, sys\n"
            "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False)\n"
            "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
            "print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", wrapper, *command], capture_output=True, text=True, check=True
        )
        elapsed, rss = done.stdout.split()
        times.append(float(elapsed))
        peak = max(peak, int(rss))
    return statistics.median(times), peak


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # measure with bytecode caches, as installed
    # This checkout's pulllint, run from the temporary folder: no repository around the stream, so the
    # check reads the stream alone (in a repository, its other manifests are read as context too).
    os.environ["PYTHONPATH"] = str(ROOT)
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        os.chdir(directory)
        stream = _stream(n, directory)
        lines = stream.read_text(encoding="utf-8").count("\n")
        baseline, baseline_rss = _run([sys.executable, "-c", BASELINE, str(stream)], 3)
        checked, checked_rss = _run([*PULLLINT, str(stream)], 3)
        print(f"stream: {n} workloads, {lines} lines")
        print(f"  baseline compose+visit   {baseline:6.2f} s")
        print(
            f"  pulllint check --offline {checked:6.2f} s   ratio {checked / baseline:.2f}x (target <= 1.0x)"
        )
        fallback = _with_fallback(stream, directory)
        fallback_base, _ = _run([sys.executable, "-c", BASELINE_PURE_FALLBACK, str(fallback)], 3)
        fallback_checked, _ = _run([*PULLLINT, str(fallback)], 3)
        print("  1 document in 100 needs the YAML 1.2 parser (libyaml 0.1 refuses it):")
        print(f"    baseline, C then pure on those {fallback_base:6.2f} s")
        print(
            f"    pulllint check --offline      {fallback_checked:6.2f} s   "
            f"ratio {fallback_checked / fallback_base:.2f}x"
        )

        small = directory / "small.yaml"
        small.write_text(SMALL, encoding="utf-8")
        text_check = [*PULLLINT[:-2], str(small)]  # as pre-commit runs it: text output
        _run(text_check, 2)  # warm the bytecode caches
        import_only, _ = _run([sys.executable, "-c", "import ruamel.yaml"], 15)
        one_file, _ = _run(text_check, 15)
        print("one small file (pre-commit):")
        print(f"  python -c 'import ruamel.yaml' {import_only * 1000:6.1f} ms")
        ratio = one_file / import_only
        print(f"  pulllint check --offline       {one_file * 1000:6.1f} ms   ratio {ratio:.2f}x (<= 2x)")

        print("peak memory (max RSS; 'model only' selects a rule with no finding in the stream):")
        for size in (max(1, n // 5), n, 4 * n):
            path = _stream(size, directory)
            _, rss = _run([*PULLLINT, str(path)], 1)
            _, model_rss = _run([*PULLLINT, "--select", "PL101", str(path)], 1)
            _, base_rss = _run([sys.executable, "-c", BASELINE, str(path)], 1)
            print(
                f"  {size:6d} workloads  pulllint {rss / 1024:6.1f} MiB"
                f"   model only {model_rss / 1024:6.1f} MiB   baseline {base_rss / 1024:6.1f} MiB"
            )
        del baseline_rss, checked_rss

        # PL001 and PL1 only: 100k unused suppressions would otherwise time the JSON encoding of 100k
        # PL003 findings, not the loader.
        print("hostile input (whole process, CPU time; --select PL001,PL1):")
        for label, path in _hostile(directory).items():
            elapsed, rss = _run([*PULLLINT[:-2], "--select", "PL001,PL1", "--format", "json", str(path)], 1)
            print(f"  {label:32s} {elapsed:6.2f} s  {rss / 1024:6.1f} MiB")


if __name__ == "__main__":
    main()
