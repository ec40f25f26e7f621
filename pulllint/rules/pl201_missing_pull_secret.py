"""PL201 missing-pull-secret."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.model.hosts import HostKind
from pulllint.model.pullsecrets import CredentialVerdict, PodPullSecrets
from pulllint.rules import Rule, RuleContext, container_finding
from pulllint.rules._credentials import images_on
from pulllint.rules._facts import pulls_anonymously


class MissingPullSecret(Rule):
    """## What it does
    Reports an image on a private registry when the pod has no pull secrets at all: no
    `imagePullSecrets` of its own and none on its ServiceAccount (`serviceAccountName`, default
    `default`), which the admission controller copies into a pod that lists none.

    A registry is private unless it is Docker Hub (PL301), a known public registry (quay.io, ghcr.io,
    registry.k8s.io, mcr.microsoft.com, public.ecr.aws, registry.gitlab.com, gcr.io's Google-owned
    projects ...), a loopback registry, a cloud registry pulled with the node's identity (PL205), or
    listed in `public-registries`. `private-registries` makes a registry or repository private even
    where it would be public (`quay.io/acme`, `docker.io/acme`).

    A ServiceAccount that is not in the input counts as one without pull secrets; objects without a
    namespace (Helm and kustomize output) match any namespace.

    Online, the registry's answer replaces the presumption: an image the registry serves without any
    credentials is public, and is not reported.

    ## Why it matters
    Without credentials the kubelet pulls anonymously, the registry answers 401 or 403, and the pod
    sits in ErrImagePull / ImagePullBackOff.

    ## Example
    ```yaml
    spec:
      containers:
        - name: app
          image: registry.example.com/team/app:1.4
    ```

    ## Fix
    Create a `kubernetes.io/dockerconfigjson` Secret for the registry
    (`kubectl create secret docker-registry regcred --docker-server=registry.example.com ...`) and list
    it under `imagePullSecrets` of the pod or of its ServiceAccount. If the registry serves anonymous
    pulls, add it to `public-registries` in `.pulllint.yaml`.
    """

    code = "PL201"
    name = "missing-pull-secret"
    severity = Severity.ERROR
    summary = "A private registry's image, and the pod has no pull secret (own or its ServiceAccount's)."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for image in images_on(ctx, HostKind.PRIVATE):
            container, ref, host, secrets = image.container, image.ref, image.host, image.secrets
            if image.verdict is not CredentialVerdict.NO_SECRETS or pulls_anonymously(ctx, container):
                continue  # online, an anonymous answer shows the image is public after all
            yield container_finding(
                container,
                f"image {container.image!r} is on {ref.domain} ({host.reason}) and the pod has no pull "
                f"secret: {_why_none(secrets)}, so the kubelet pulls anonymously and the registry refuses it",
                fix=(
                    "imagePullSecrets: [{name: <secret>}] with a kubernetes.io/dockerconfigjson Secret "
                    f"for {ref.domain} (or list {ref.domain} in public-registries if it allows anonymous "
                    "pulls)"
                ),
            )


def _why_none(secrets: PodPullSecrets) -> str:
    account = secrets.service_account
    if secrets.service_account_found:
        return f"no imagePullSecrets, and its ServiceAccount {account!r} lists none"
    return (
        f"no imagePullSecrets, and its ServiceAccount {account!r} is not in the input (taken as having none)"
    )


RULE = MissingPullSecret
