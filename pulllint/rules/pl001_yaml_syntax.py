"""PL001 yaml-syntax."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.rules import Rule, RuleContext


class YamlSyntax(Rule):
    """## What it does
    Reports a Kubernetes document that kubectl would refuse: a YAML or JSON syntax error, a duplicate
    key, a NUL or a byte that is not UTF-8, an alias expansion or nesting beyond any manifest's needs,
    or a file over the size cap. The position is the line where the problem starts, inside the broken
    document (an unclosed quote is reported where it opens, not at the next `---`).

    Only Kubernetes objects are judged. A document without a top-level `apiVersion` and `kind` is
    skipped (values.yaml, CI workflows, lock files); when it is also unparseable, that is one info
    notice per file, never this error. A Helm chart template (a file under a chart's `templates/`) and
    a Kubernetes object with `{{ }}` template actions outside quotes and comments (Go, Helm, Jinja; a
    GitHub Actions `${{ }}` is no such action) are not parsed either: a notice says to check what they
    render (`helm template . | pulllint check -`).

    Where pulllint and kubectl agree: YAML 1.2, as kubectl's go-yaml reads it (a document the bundled
    libyaml 0.1 refuses, such as `{docs: https://example.com/x}`, is parsed again by a YAML 1.2 parser
    and is an error only when both refuse it); merge keys (`<<: *base`) are applied; a byte order mark
    may start any document (what `cat` of files saved on Windows gives); an alias expansion too large
    is refused (go-yaml refuses "excessive aliasing").

    Where pulllint is stricter or looser on purpose:
    - Duplicate keys are always this error. kubectl's default strict field validation refuses them
      too, but with `--validate=false` the last one silently wins.
    - JSON is read as YAML (JSON is YAML 1.2), so a trailing comma in a JSON object or array is
      accepted, and tabs are allowed wherever JSON allows spaces; kubectl's JSON decoder refuses a
      trailing comma. Comments (`//`) are refused by both.
    - A NUL, a byte that is not UTF-8 or a syntax error costs its own document only: kubectl stops
      the stream there; pulllint reports it and checks every later document at its real line.
    - Nesting deeper than 1000 levels, more than 10000 objects through aliases in a `kind: List`,
      merge keys copying more than 100000 keys, and files over 256 MiB (`PULLLINT_MAX_FILE_SIZE`) are
      refused: limits no real manifest reaches, so that hostile input cannot stall a CI job.

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
