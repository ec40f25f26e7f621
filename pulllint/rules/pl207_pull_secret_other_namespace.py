"""PL207 pull-secret-other-namespace."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.rules import Rule, RuleContext, object_finding


class PullSecretOtherNamespace(Rule):
    """## What it does
    Reports an `imagePullSecrets` entry (of a pod or of its ServiceAccount) that names a Secret which
    exists only in other namespaces than the pod's: in the input, the repository or the cluster context.

    ## Why it matters
    The kubelet reads pull secrets from the pod's own namespace only. A Secret of that name in another
    namespace is never used: the pull goes out without it, the registry refuses it, and the pod sits in
    ImagePullBackOff, although `kubectl get secrets -A` shows the Secret.

    Objects without a namespace (Helm and kustomize output) match any namespace, so they never raise
    this finding.

    ## Example
    ```yaml
    apiVersion: v1
    kind: Secret
    metadata: {name: regcred, namespace: ci}
    type: kubernetes.io/dockerconfigjson
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: app, namespace: prod}
    spec:
      imagePullSecrets: [{name: regcred}]   # only in namespace ci
    ```

    ## Fix
    Create the Secret in the pod's namespace as well (or copy it there with your secret manager).
    """

    code = "PL207"
    name = "pull-secret-other-namespace"
    severity = Severity.ERROR
    summary = "A pull secret that exists only in another namespace than the pod's."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        index = ctx.secrets
        for workload in ctx.manifests.workloads:
            pod, meta = workload.pod, workload.meta
            if pod is None or meta.namespace is None:
                continue
            refs = index.pod(pod).refs
            for ref in refs:
                if ref.secret is not None:
                    continue
                elsewhere = [ns for ns in index.namespaces_of(ref.name) if ns != meta.namespace]
                if not elsewhere:
                    continue
                where = "namespace" if len(elsewhere) == 1 else "namespaces"
                via = "" if ref.owner is meta else f" (through its ServiceAccount {ref.owner.name!r})"
                # At the pod's own entry; for its ServiceAccount's, at serviceAccountName (or the object).
                account = pod.service_account
                position = (
                    ref.position if ref.owner is meta else (account.position if account else meta.position)
                )
                yield object_finding(
                    meta,
                    position,
                    f"{meta.kind} {meta.name or '<unnamed>'!r} runs in namespace {meta.namespace!r} and "
                    f"pulls with the Secret {ref.name!r}{via}, which exists only in {where} "
                    f"{', '.join(repr(ns) for ns in elsewhere)}: the kubelet reads pull secrets from the "
                    "pod's namespace only",
                    fix=f"create {ref.name!r} in namespace {meta.namespace!r}",
                )


RULE = PullSecretOtherNamespace
