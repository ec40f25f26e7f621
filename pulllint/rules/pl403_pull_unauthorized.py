"""PL403 pull-unauthorized."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.model.facts import Status
from pulllint.rules import Rule, RuleContext, container_finding
from pulllint.rules._facts import containers_with


class PullUnauthorized(Rule):
    """## What it does
    Tries the registry with exactly the credentials the pod would have — its `imagePullSecrets`, or its
    ServiceAccount's, matched to the image's host the way the kubelet matches them — and reports when
    every one of them was sent and refused (401 or 403). The message names the secret and the host,
    never the credential itself. Credentials pulllint could not present (a token realm over plain HTTP
    on another host, an authentication scheme other than Basic and Bearer) were refused by nobody:
    that is PL405, "could not verify".

    ## Why it matters
    An expired token, a robot account removed, a password rotated in the registry but not in the
    cluster: the kubelet fails with `ErrImagePull` ("unauthorized: authentication required") on every
    node. Images pulled with the node's cloud identity (ECR, ACR, Artifact Registry) cannot be checked
    from here and are left unverified.

    ## Example
    ```yaml
    imagePullSecrets: [{name: regcred}]      # its token was revoked
    containers:
      - image: registry.example.com/team/app:1.4
    ```

    ## Fix
    Renew the credentials in the Secret (`kubectl create secret docker-registry ... --dry-run=client -o
    yaml`), or grant the account pull access to the repository.
    """

    code = "PL403"
    name = "pull-unauthorized"
    severity = Severity.ERROR
    summary = "The registry refuses the credentials the pod would have."
    needs_network = True

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container, facts in containers_with(ctx, Status.UNAUTHORIZED):
            who = facts.credential_label or "the pod's pull secrets"
            detail = f" ({facts.detail})" if facts.detail else ""
            yield container_finding(
                container, f"{who} refused for {facts.reference}: the kubelet's pull will fail{detail}"
            )


RULE = PullUnauthorized
