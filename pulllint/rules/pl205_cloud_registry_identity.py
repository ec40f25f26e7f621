"""PL205 cloud-registry-identity."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.model.hosts import HostKind
from pulllint.model.pullsecrets import CredentialVerdict
from pulllint.rules import Rule, RuleContext, container_finding
from pulllint.rules._credentials import NO_MATCHING_SECRET, images_on


class CloudRegistryIdentity(Rule):
    """## What it does
    Reports, for information, an image on a cloud registry that no pull secret of the pod covers, so the
    node pulls it with its own cloud identity (the kubelet's credential provider), and names the exact
    permission that identity needs:

    - Amazon ECR (`<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`, and the other AWS partitions):
      `ecr:GetAuthorizationToken`, `ecr:BatchGetImage` and `ecr:GetDownloadUrlForLayer` on the node's
      IAM role (the managed policy `AmazonEC2ContainerRegistryReadOnly`);
    - Azure Container Registry (`*.azurecr.io`, `*.azurecr.cn`, `*.azurecr.us`, `*.azurecr.de` and the
      air-gapped clouds' suffixes): the `AcrPull` role for the cluster's kubelet identity on that
      registry (`az aks update --attach-acr <registry>`);
    - Google Artifact Registry (`<location>-docker.pkg.dev`) and Container Registry hosts (`gcr.io`,
      `us.gcr.io` ..., now served by Artifact Registry): `roles/artifactregistry.reader` for the node's
      service account on the project.

    Known public repositories on those hosts (Google's samples, Kubernetes' own images) are left alone.
    When `cloud` in the configuration names the cluster's accounts, a pull from another one is PL206.

    ## Why it matters
    The manifest carries no credentials for these images: the pull works only where the node's identity
    has the permission, and fails with 401/403 (ImagePullBackOff) on a cluster in another account or
    outside that cloud.

    ## Example
    ```yaml
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.4
    ```

    ## Fix
    Grant the named permission to the node identity, or add a pull secret for the registry. Silence the
    rule (`ignore: [PL205]`) once your clusters are set up.
    """

    code = "PL205"
    name = "cloud-registry-identity"
    severity = Severity.INFO
    summary = "A cloud registry's image pulled with the node's identity: which permission that needs."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for image in images_on(ctx, HostKind.CLOUD):
            container, ref, cloud = image.container, image.ref, image.host.cloud
            # Node credentials declared for the registry still need the permission on the node.
            if cloud is None or image.verdict not in (*NO_MATCHING_SECRET, CredentialVerdict.NODE):
                continue
            yield container_finding(
                container,
                f"image {container.image!r} is on {cloud.describe()} and no pull secret of the pod covers "
                f"it, so the node pulls it with its own identity: {cloud.permission()}",
                fix=f"grant it to the node identity, or add a pull secret for {ref.domain}",
            )


RULE = CloudRegistryIdentity
