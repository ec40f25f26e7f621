"""PL001 yaml-syntax."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.rules import Rule, RuleContext


class YamlSyntax(Rule):
    """## What it does
    Reports a document that cannot be read: a YAML or JSON syntax error, a duplicate key, a file that is
    not UTF-8 or is binary, or nesting deeper than any manifest needs. The position is the one the
    parser stopped at.

    ## Why it matters
    `kubectl apply` and Helm reject the whole document, so none of its images is ever deployed, and a
    multi-document stream may be applied only in part. pulllint splits streams on `---` before parsing:
    every other document of the same file is still checked.

    ## Example
    ```yaml
    spec:
      containers:
        - name: app
          image: nginx:1.27
         ports: []        # bad indentation
    ```

    ## Fix
    Correct the syntax at the reported line. For duplicate keys, keep one.
    """

    code = "PL001"
    name = "yaml-syntax"
    severity = Severity.ERROR
    summary = "A document that cannot be parsed (other documents are still checked)."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for problem in ctx.manifests.syntax_problems:
            yield Finding(problem.source, problem.position, problem.message)


RULE = YamlSyntax
