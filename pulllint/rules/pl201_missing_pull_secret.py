"""PL201 missing-pull-secret."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.model.facts import Status
from pulllint.model.hosts import HostKind
from pulllint.model.objects import Container
from pulllint.model.pullsecrets import CredentialVerdict
from pulllint.rules import Rule, RuleContext, container_finding
from pulllint.rules._credentials import ImageCredentials, images_on
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

    The ServiceAccount is looked up in the input, then in the repository's other manifests (pre-commit
    passes only the staged files), then in the cluster context (`--context` dumps, `cluster.service-accounts`
    in the configuration). When it is found nowhere, its pull secrets are unknown: the finding is a
    **warning** that says so and how to declare them, never an error. Objects without a namespace (Helm
    and kustomize output) match any namespace. Registries the nodes pull with their own credentials
    (`cluster.node-credentials`) need no pull secret, and OpenShift's internal registry needs none either.

    Online, the registry's answer replaces the presumption: an image the registry serves without any
    credentials is public, and is not reported; a registry other than Docker Hub that refuses the
    anonymous request has confirmed the finding, and the message says so.

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
        for image in (*images_on(ctx, HostKind.PRIVATE), *_confirmed_elsewhere(ctx)):
            container, ref, host, secrets = image.container, image.ref, image.host, image.secrets
            verdict = image.verdict
            if verdict not in _NONE or pulls_anonymously(ctx, container):
                continue  # online, an anonymous answer shows the image is public after all
            confirmed = _confirmed(ctx, container)
            fix = (
                "imagePullSecrets: [{name: <secret>}] with a kubernetes.io/dockerconfigjson Secret "
                f"for {ref.domain} (or list {ref.domain} in public-registries if it allows anonymous pulls)"
            )
            if verdict is CredentialVerdict.ACCOUNT_UNKNOWN:
                account = secrets.service_account
                said = "; the registry refused an anonymous request" if confirmed else ""
                yield container_finding(
                    container,
                    f"image {container.image!r} on {ref.domain} may have no pull secret: its ServiceAccount "
                    f"{account!r} is not in the input, the repository or the cluster context, so its pull "
                    f"secrets are unknown (the pod lists no imagePullSecrets; {ref.domain} is {host.reason})"
                    f"{said}",
                    fix=(
                        "declare what the cluster holds in .pulllint.yaml: cluster.service-accounts: "
                        f"{{{account}: [<secret>]}} and cluster.pull-secrets: {{<secret>: [{ref.domain}]}}, "
                        "or pass a dump with --context"
                    ),
                )._replace(severity=Severity.WARNING)
                continue
            said = "; the registry confirmed it: it refused the anonymous request" if confirmed else ""
            yield container_finding(
                container,
                f"image {container.image!r} on {ref.domain} has no pull secret: the pod lists no "
                f"imagePullSecrets and its ServiceAccount {secrets.service_account!r} lists none, so the "
                "kubelet pulls anonymously and the registry refuses it "
                f"({ref.domain} is {host.reason}){said}",
                fix=fix,
            )


_NONE = (CredentialVerdict.NO_SECRETS, CredentialVerdict.ACCOUNT_UNKNOWN)


def _confirmed_elsewhere(ctx: RuleContext) -> Iterator[ImageCredentials]:
    """Images on hosts presumed public or local that the registry, asked online, says need credentials."""
    for kind in (HostKind.PUBLIC, HostKind.LOCAL):
        yield from (image for image in images_on(ctx, kind) if _confirmed(ctx, image.container))


def _confirmed(ctx: RuleContext, container: Container) -> bool:
    facts = ctx.facts.get(container)
    return facts is not None and facts.status is Status.CREDENTIALS_REQUIRED


RULE = MissingPullSecret
