"""PL202 undefined-pull-secret."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.model.pullsecrets import SecretRef
from pulllint.rules import Rule, RuleContext, object_finding


class UndefinedPullSecret(Rule):
    """## What it does
    Reports an `imagePullSecrets` entry (of a pod or of a ServiceAccount) that names a Secret which is
    not in the input. Objects without a namespace match any namespace.

    Off by default: pull secrets are often created outside the manifests (by a secrets operator, a
    platform team or `kubectl create secret`). Turn it on when your input is meant to be complete.

    ## Why it matters
    The kubelet cannot read a Secret that does not exist: it records a `FailedToRetrieveImagePullSecret`
    event and pulls without it, so a private image fails with ImagePullBackOff. It also means pulllint
    cannot tell which registries the secret covers, so PL201 and PL204 stay silent for that pod.

    ## Example
    ```yaml
    spec:
      imagePullSecrets:
        - name: regcred   # no Secret regcred in the input
    ```

    ## Fix
    Add the Secret to the input, fix the name, or leave this rule off if secrets come from elsewhere.
    """

    code = "PL202"
    name = "undefined-pull-secret"
    severity = Severity.INFO
    summary = "An imagePullSecrets entry names a Secret that is not in the input."
    enabled_by_default = False

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        index = ctx.secrets
        for ref in (*index.service_account_refs, *index.pod_refs()):
            if ref.secret is None:
                yield _finding(ref)


def _finding(ref: SecretRef) -> Finding:
    owner = ref.owner
    where = f" (namespace {owner.namespace})" if owner.namespace else ""
    return object_finding(
        owner,
        ref.position,
        f"imagePullSecrets of {owner.kind} {owner.name or '<unnamed>'!r} names the Secret {ref.name!r}, "
        f"which is not in the input{where}: pulllint cannot tell which registries it covers, and if it "
        "does not exist in the cluster the kubelet pulls without it",
        fix=f"add the Secret {ref.name!r} (type kubernetes.io/dockerconfigjson) or correct the name",
    )


RULE = UndefinedPullSecret
