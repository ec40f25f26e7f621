"""PL206 cross-account-registry."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.model.hosts import CloudRegistry, HostKind
from pulllint.rules import Rule, RuleContext, container_finding
from pulllint.rules._credentials import NO_MATCHING_SECRET, images_on

_CONFIG_KEY = {"aws": "cloud.aws-account-ids", "azure": "cloud.azure-registries", "gcp": "cloud.gcp-projects"}


class CrossAccountRegistry(Rule):
    """## What it does
    Needs `cloud` in the configuration. Reports an image pulled with the node's cloud identity (no pull
    secret of the pod covers it, see PL205) from an account other than the cluster's own:

    ```yaml
    # .pulllint.yaml
    cloud:
      aws-account-ids: ["123456789012"]   # the cluster's AWS accounts
      azure-registries: [acmeprod]        # the ACR registries attached to the cluster
      gcp-projects: [acme-prod]           # the cluster's Google Cloud projects
    ```

    Only the providers you list are judged.

    ## Why it matters
    The node's identity reaches another account only if that account grants it: an ECR repository policy
    allowing the node role (`ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer`), an `AcrPull` role
    assignment on the other registry, or `roles/artifactregistry.reader` on the other project. Without the
    grant the pull fails with 403 and the pod sits in ImagePullBackOff, although the same manifest works
    in the account that owns the registry.

    ## Example
    ```yaml
    image: 999999999999.dkr.ecr.us-east-1.amazonaws.com/shared/base:1.0   # not one of ours
    ```

    ## Fix
    Grant the cross-account pull on the registry's side, replicate the image into your own registry, or
    add a pull secret for it.
    """

    code = "PL206"
    name = "cross-account-registry"
    severity = Severity.WARNING
    summary = "A cloud registry of another account than the cluster's (needs `cloud` in the config)."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        policy = ctx.policy
        if policy.aws_account_ids is None and policy.azure_registries is None and policy.gcp_projects is None:
            return
        for image in images_on(ctx, HostKind.CLOUD):
            container, cloud = image.container, image.host.cloud
            if cloud is None or image.verdict not in NO_MATCHING_SECRET:
                continue
            own = policy.foreign_account(cloud)
            if own is None:
                continue
            yield container_finding(
                container,
                f"image {container.image!r} is in {cloud.describe()}, not one of the cluster's "
                f"({_CONFIG_KEY[cloud.provider]}: {', '.join(sorted(own))}): {_grant(cloud)}",
                fix=(
                    f"grant the cluster's node identity read access in {cloud.account_label} "
                    f"{cloud.account}, or copy the image into your own registry"
                ),
            )


def _grant(cloud: CloudRegistry) -> str:
    if cloud.provider == "aws":
        return (
            f"the repository policy in account {cloud.account} must allow ecr:BatchGetImage and "
            "ecr:GetDownloadUrlForLayer to the node role (which also needs ecr:GetAuthorizationToken)"
        )
    if cloud.provider == "azure":
        return (
            f"the kubelet identity needs an AcrPull role assignment on the registry {cloud.account} "
            "(across subscriptions: az role assignment create --role AcrPull --scope <registry id> "
            "--assignee <kubelet identity>)"
        )
    return (
        f"the node's service account needs roles/artifactregistry.reader granted in project {cloud.account}"
    )


RULE = CrossAccountRegistry
