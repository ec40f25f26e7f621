"""PL204 pull-secret-host-mismatch."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.images import ImageRef
from pulllint.model.hosts import HostKind
from pulllint.model.keyring import explain_miss
from pulllint.model.pullsecrets import CredentialVerdict, PodPullSecrets
from pulllint.rules import Rule, RuleContext, container_finding
from pulllint.rules._credentials import images_on
from pulllint.rules._facts import pulls_anonymously


class PullSecretHostMismatch(Rule):
    """## What it does
    Reports an image on a private registry when the pod does have pull secrets (its own or its
    ServiceAccount's), every one of them is in the input and readable, and no entry of any of them covers
    the image's registry by the kubelet's rules:

    - the scheme is ignored, and a `/v1/` or `/v2/` path means just the host
      (`https://index.docker.io/v1/` is `index.docker.io`);
    - the port must be the same (`registry.example.com:443` does not cover `registry.example.com`);
    - the host must have as many labels as the key, each matching as a glob: `*.example.com` covers
      `a.example.com`, not `example.com` nor `a.b.example.com`;
    - a key with a path covers only images under it (`quay.io/team` covers `quay.io/team/app`).

    When a key nearly matches, the message says why it does not. The Secrets are looked up in the input,
    the repository's other manifests and the cluster context (`--context` dumps; `cluster.pull-secrets`,
    where a Secret made outside the repository is declared with the registries it covers). A pod whose
    secrets are not all known (PL202), not readable (PL203), made by a SealedSecret or ExternalSecret
    whose template does not show its registries, or declared without registries is not judged: a
    mismatch needs knowledge. Registries the nodes pull with their own credentials
    (`cluster.node-credentials`) need no entry.

    ## Why it matters
    The kubelet finds no credentials for the host, pulls anonymously, and the registry refuses: the pod
    sits in ImagePullBackOff although "the secret is there".

    ## Example
    ```yaml
    # Secret regcred has auths for "registry.example.com:5000"
    spec:
      imagePullSecrets: [{name: regcred}]
      containers:
        - image: registry.example.com/team/app:1.4   # no port: regcred does not apply
    ```

    ## Fix
    Add an entry for the image's registry (host, and port if the image names one) to one of the pod's
    pull secrets, or reference a Secret that has one.
    """

    code = "PL204"
    name = "pull-secret-host-mismatch"
    severity = Severity.ERROR
    summary = "The pod has pull secrets, but none covers the image's registry (kubelet matching rules)."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for image in images_on(ctx, HostKind.PRIVATE):
            container, ref, secrets = image.container, image.ref, image.secrets
            if image.verdict is not CredentialVerdict.MISMATCH or pulls_anonymously(ctx, container):
                continue  # online, an anonymous answer shows the image is public after all
            yield container_finding(
                container,
                f"no pull secret of the pod covers {ref.domain} for image {container.image!r}: "
                f"{secrets.describe_secrets()} {secrets.source()}{_near_miss(secrets, ref)}; the kubelet "
                "pulls anonymously and the registry refuses it",
                fix=f"add an entry for {ref.domain} to one of these Secrets, or reference one that has it",
            )


def _near_miss(secrets: PodPullSecrets, ref: ImageRef) -> str:
    for secret_ref in secrets.refs:
        if secret_ref.secret is None:
            continue
        for key in secret_ref.secret.registry_keys:
            reason = explain_miss(key, ref.name)
            if reason is not None:
                return f" ({reason})"
    return ""


RULE = PullSecretHostMismatch
