"""End to end: every offline rule code, produced by `pulllint check` in a real process at its line:column.

One manifest per code, each with the inline expectation the fixtures use (`# expect: PL101@14`: the code
on this line, at this column). One `pulllint check --offline` run over all of them selects every offline
rule (off-by-default ones too) with a configuration that gives PL206 and PL302 something to judge; in
each manifest, the findings of its own code must be exactly the expected ones, as the text report prints
them. The registry codes (PL4xx) have their end-to-end tests against loopback registries in
tests/registry/.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from pulllint.rules import all_rules
from tests.conftest import Expected, expected_findings

DIGEST = "@sha256:" + "0" * 64


def _metadata(name: str, namespace: str | None) -> str:
    return f"metadata:\n  name: {name}\n" + (f"  namespace: {namespace}\n" if namespace else "")


def pod(name: str, namespace: str | None = None) -> str:
    return "apiVersion: v1\nkind: Pod\n" + _metadata(name, namespace) + "spec:\n"


def pull_secret(name: str, host: str, namespace: str | None = None) -> str:
    config = f'{{"auths": {{"{host}": {{"username": "u", "password": "p"}}}}}}'
    return (
        "apiVersion: v1\nkind: Secret\n"
        + _metadata(name, namespace)
        + f"type: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{config}'\n---\n"
    )


CONFIG = """\
allowed-registries:
  - quay.io/org
  - registry.example.com
  - docker.io/library
  - "*.dkr.ecr.*.amazonaws.com"
  - k8s.gcr.io
  - "127.0.0.2:5000"
cloud:
  aws-account-ids: ["111111111111"]
"""

MANIFESTS = {
    "PL001": pod("broken")
    + "  containers:\n    - name: app\n      image: quay.io/org/app:1.0\n     ports: []  # expect: PL001@6\n",
    "PL002": pod("shape") + "  containers: quay.io/org/app:1.0  # expect: PL002@15\n",
    "PL003": pod("stale-suppression")
    + "  containers:\n    - name: app\n"
    + f"      image: quay.io/org/app:1.0{DIGEST}  # pulllint: ignore[PL103]  # expect: PL003@107\n",
    "PL004": "apiVersion: ci.acme.example.com/v1\nkind: Runner\nmetadata:\n  name: runner\nspec:\n"
    + "  steps:\n    - name: build\n      image: quay.io/org/builder:2.1  # expect: PL004@14\n",
    "PL101": pod("invalid")
    + "  containers:\n    - name: app\n      image: quay.io/Org/App:1.0  # expect: PL101@14\n",
    "PL102": pod("untagged")
    + "  containers:\n    - name: app\n      image: quay.io/org/app  # expect: PL102@14\n",
    "PL103": pod("latest")
    + "  initContainers:\n    - name: init\n      image: quay.io/org/app:latest  # expect: PL103@14\n"
    + "  containers:\n    - name: app\n      image: quay.io/org/app:1.0\n",
    "PL104": pod("template")
    + "  containers:\n    - name: app\n      image: quay.io/org/app:${TAG}  # expect: PL104@14\n",
    "PL105": pod("never")
    + "  containers:\n    - name: local\n      image: 127.0.0.2:5000/app:1.0\n      imagePullPolicy: Never\n"
    + "    - name: remote\n      image: quay.io/org/app:1.0\n"
    + "      imagePullPolicy: Never  # expect: PL105@24\n",
    "PL106": pod("unpinned")
    + f"  containers:\n    - name: pinned\n      image: quay.io/org/app:1.0{DIGEST}\n"
    + "    - name: app\n      image: quay.io/org/app:1.0  # expect: PL106@14\n",
    "PL201": "apiVersion: v1\nkind: ServiceAccount\n"
    + _metadata("builder", None)
    + "---\n"
    + pod("no-secret")
    + "  serviceAccountName: builder\n"
    + "  containers:\n    - name: app\n      image: registry.example.com/app:1.0  # expect: PL201@14\n",
    "PL202": pod("undefined-secret")
    + "  imagePullSecrets:\n    - name: absent  # expect: PL202@13\n"
    + "  containers:\n    - name: app\n      image: quay.io/org/app:1.0\n",
    "PL203": "apiVersion: v1\nkind: Secret\n"
    + _metadata("broken", None)
    + "type: kubernetes.io/dockerconfigjson\n"
    + 'data:\n  .dockerconfigjson: "not base64!"  # expect: PL203@22\n',
    "PL204": pull_secret("other-host", "other.example.com")
    + pod("mismatch")
    + "  imagePullSecrets:\n    - name: other-host\n"
    + "  containers:\n    - name: app\n      image: registry.example.com/app:1.0  # expect: PL204@14\n",
    "PL205": pod("ecr")
    + "  containers:\n    - name: app\n"
    + "      image: 111111111111.dkr.ecr.us-east-1.amazonaws.com/app:1.0  # expect: PL205@14\n",
    "PL206": pod("cross-account")
    + "  containers:\n    - name: own\n      image: 111111111111.dkr.ecr.us-east-1.amazonaws.com/app:1.0\n"
    + "    - name: other\n"
    + "      image: 222222222222.dkr.ecr.us-east-1.amazonaws.com/app:1.0  # expect: PL206@14\n",
    "PL207": pull_secret("regcred", "registry.example.com", namespace="ci")
    + pod("other-namespace", namespace="prod")
    + "  imagePullSecrets:\n    - name: regcred  # expect: PL207@13\n"
    + "  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
    "PL301": pod("anonymous-hub")
    + "  containers:\n    - name: app\n      image: nginx:1.27  # expect: PL301@14\n",
    "PL302": pod("not-allowed")
    + "  containers:\n    - name: allowed\n      image: quay.io/org/app:1.0\n"
    + "    - name: app\n      image: quay.io/other/app:1.0  # expect: PL302@14\n",
    "PL303": pod("deprecated")
    + "  containers:\n    - name: app\n      image: k8s.gcr.io/pause:3.9  # expect: PL303@14\n",
}
_REPORTED = re.compile(
    r"^(?P<file>[^:\s]+):(?P<line>\d+):(?P<column>\d+): (?P<code>[A-Z]+\d+) (?P<severity>[a-z]+) ",
    re.MULTILINE,
)


def test_every_offline_rule_code_at_its_line_and_column(tmp_path: Path) -> None:
    offline = sorted(code for code, rule in all_rules().items() if not rule.needs_network)
    assert sorted(MANIFESTS) == offline, "every offline rule needs a manifest here"
    for code, text in MANIFESTS.items():
        (tmp_path / f"{code.lower()}.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "pulllint.yaml").write_text(CONFIG, encoding="utf-8")
    files = [f"{code.lower()}.yaml" for code in MANIFESTS]
    command = ["check", "--offline", "--config", "pulllint.yaml", "--select", ",".join(offline), *files]
    done = subprocess.run(
        [sys.executable, "-m", "pulllint", *command],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # errors among them: exit 1
    assert "Traceback" not in done.stderr
    reported: dict[str, list[Expected]] = {}
    severities: dict[str, set[str]] = {}
    for match in _REPORTED.finditer(done.stdout):
        found = Expected(int(match["line"]), int(match["column"]), match["code"])
        reported.setdefault(match["file"], []).append(found)
        severities.setdefault(match["code"], set()).add(match["severity"])
    for code in MANIFESTS:
        name = f"{code.lower()}.yaml"
        expected = expected_findings(tmp_path / name)
        assert {e.code for e in expected} == {code}, name
        actual = sorted(found for found in reported.get(name, []) if found.code == code)
        assert actual == sorted(expected), f"{name}:\n{done.stdout}"
    # PL303's severity comes from the pack entry (k8s.gcr.io is frozen: a warning); the others' are defaults.
    assert {code: severities[code] for code in MANIFESTS} == {
        code: {"warning" if code == "PL303" else all_rules()[code].severity.label} for code in MANIFESTS
    }
