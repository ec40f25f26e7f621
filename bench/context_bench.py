"""What the repository context costs a pre-commit run on one file, as a ratio measured in one run.

    .venv/bin/python bench/context_bench.py [FILES] [RUNS]     # default 1000 files, 9 runs each

A repository of FILES manifests (Deployments, ConfigMaps, Services; one file in 50 holds a Secret or a
ServiceAccount, and a few non-manifest JSON and YAML files) with a `.git` folder. The run checks one
staged Deployment, as pre-commit would, twice in turn: with the repository context (the default: every
other manifest is pre-filtered on its bytes, and those naming Secret or ServiceAccount are indexed) and
with `repository-context: false`. Reported: the median wall time of each and the difference and the
ratio. Target: the context adds at most 100 ms for 1,000 files.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app-{n}, namespace: shop}}
spec:
  replicas: 2
  template:
    metadata: {{labels: {{app: app-{n}}}}}
    spec:
      serviceAccountName: deployer
      containers:
        - name: app
          image: registry.example.com/shop/app-{n}:1.{n}
          ports: [{{containerPort: 8080}}]
          env: [{{name: MODE, value: production}}]
---
apiVersion: v1
kind: Service
metadata: {{name: app-{n}, namespace: shop}}
spec:
  selector: {{app: app-{n}}}
  ports: [{{port: 80, targetPort: 8080}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: app-{n}, namespace: shop}}
data:
  settings.yaml: |
    level: info
    feature: {{enabled: true}}
"""

ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata: {{name: deployer-{n}, namespace: shop}}
imagePullSecrets: [{{name: regcred}}]
---
apiVersion: v1
kind: Secret
metadata: {{name: regcred-{n}, namespace: shop}}
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '{{"auths": {{"registry.example.com": {{"auth": "cm9ib3Q6cHc="}}}}}}'
"""


def build(root: Path, files: int) -> Path:
    (root / ".git").mkdir()
    for n in range(files):
        folder = root / "services" / f"team-{n % 20}"
        folder.mkdir(parents=True, exist_ok=True)
        if n % 50 == 0:
            text = ACCOUNT.format(n=n)
        elif n % 97 == 0:
            text = '{"compilerOptions": {"strict": true}, "include": ["src"]}\n'
        else:
            text = DEPLOYMENT.format(n=n)
        (folder / f"file-{n:04}.{'json' if n % 97 == 0 and n % 50 else 'yaml'}").write_text(text)
    (root / "platform").mkdir()
    (root / "platform" / "deployer.yaml").write_text(ACCOUNT.format(n="x").replace("deployer-x", "deployer"))
    staged = root / "services" / "team-1" / "file-0001.yaml"
    return staged


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=False, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 9
    with tempfile.TemporaryDirectory() as folder:
        with_context = Path(folder) / "with"
        without = Path(folder) / "without"
        with_context.mkdir()
        without.mkdir()
        staged = build(with_context, files)
        build(without, files)
        # Both read a configuration file, so the difference is the context alone.
        (with_context / ".pulllint.yaml").write_text("repository-context: true\n")
        (without / ".pulllint.yaml").write_text("repository-context: false\n")
        command = [sys.executable, "-m", "pulllint", "check", "--offline", "--format", "json"]
        relative = str(staged.relative_to(with_context))
        timed([*command, relative], with_context)  # warm the page cache
        timed([*command, relative], without)
        a: list[float] = []
        b: list[float] = []
        for _ in range(runs):
            a.append(timed([*command, relative], with_context))
            b.append(timed([*command, relative], without))
        ratios = sorted(x / y for x, y in zip(a, b, strict=True))
        with_ms, without_ms = statistics.median(a) * 1000, statistics.median(b) * 1000
        print(f"repository of {files} files, one staged Deployment, {runs} runs each (medians)")
        print(f"  with the repository context   {with_ms:7.1f} ms")
        print(f"  repository-context: false     {without_ms:7.1f} ms")
        print(f"  context costs                 {with_ms - without_ms:7.1f} ms  (target <= 100 ms)")
        spread = f"(min {ratios[0]:.2f}, max {ratios[-1]:.2f})"
        print(f"  ratio with/without            {statistics.median(ratios):7.2f}x {spread}")


if __name__ == "__main__":
    main()
