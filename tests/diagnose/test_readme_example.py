"""The README's worked example of `pulllint diagnose` is what the command prints for its input."""

from __future__ import annotations

import re

from pulllint.diagnose import diagnose_text, render
from tests.conftest import ROOT


def test_the_worked_example_is_true() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## When a pod is already failing\n", 1)[1].split("\n## ", 1)[0]
    console = re.search(r"```console\n\$ [^\n]*\| pulllint diagnose -\n(.*?)```", section, re.DOTALL)
    describe = re.search(r"```text\n(.*?)```", section, re.DOTALL)
    assert console is not None and describe is not None
    assert render(diagnose_text(describe.group(1), "-"), "text") == console.group(1)
