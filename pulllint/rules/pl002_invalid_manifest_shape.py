"""PL002 invalid-manifest-shape."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.rules import Rule, RuleContext, object_finding

_POLICIES = ("Always", "IfNotPresent", "Never")


class InvalidManifestShape(Rule):
    """## What it does
    Reports pod-spec fields the API server would reject before any pull is tried: `containers` that is
    not a list, an `image` that is not a string (`image: 1.0` is a number in YAML), an `imagePullSecrets`
    that is not a list of `{name: ...}`, and an `imagePullPolicy` other than `Always`, `IfNotPresent` or
    `Never` (the value is case-sensitive).

    ## Why it matters
    The object is refused by the API server ("Unsupported value", "cannot unmarshal number into Go struct
    field Container.image of type string"), so the workload never starts, and other rules cannot judge
    the field.

    ## Example
    ```yaml
    containers:
      - name: app
        image: 1.0
        imagePullPolicy: always
    imagePullSecrets: regcred
    ```

    ## Fix
    Quote values YAML would read as numbers or booleans, use the exact enum spelling, and write
    `imagePullSecrets: [{name: regcred}]`.
    """

    code = "PL002"
    name = "invalid-manifest-shape"
    severity = Severity.ERROR
    summary = "A pod-spec field of the wrong shape: containers, image, imagePullSecrets, imagePullPolicy."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for problem in ctx.manifests.shape_problems:
            if problem.meta is not None:
                yield object_finding(problem.meta, problem.position, problem.message)
            else:
                yield Finding(problem.source, problem.position, problem.message)
        for container in ctx.manifests.containers():
            policy = container.pull_policy
            if policy is not None and policy.value not in _POLICIES:
                hint = next((p for p in _POLICIES if p.lower() == policy.value.lower()), None)
                suggestion = f"; did you mean {hint}?" if hint else ""
                yield object_finding(
                    container.meta,
                    policy.position,
                    f"imagePullPolicy {policy.value!r} is not one of Always, IfNotPresent, Never{suggestion}",
                    fix=f"imagePullPolicy: {hint}" if hint else None,
                )


RULE = InvalidManifestShape
