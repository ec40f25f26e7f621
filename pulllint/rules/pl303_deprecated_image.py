"""PL303 deprecated-image."""

from __future__ import annotations

from pulllint.diagnostics import Severity
from pulllint.rulepacks import PackEntry, builtin_entries
from pulllint.rules._packs import PackRule


class DeprecatedImage(PackRule):
    """## What it does
    Reports an image on a registry or repository that is gone, frozen or moved, from the declarative
    rule packs shipped with pulllint (the top-level `rules/` folder, installed as `pulllint.packs`):
    k8s.gcr.io (frozen on 3 April 2023, use registry.k8s.io), gcr.io after the Container Registry
    shutdown of 2025 (Google-owned images keep working), the Helm 2 Tiller image (gone since 2021, on
    ghcr.io/helm/tiller), gcr.io/kubebuilder, docker.io/bitnami (moved to docker.io/bitnamilegacy from
    28 August 2025 and deleted from 29 September 2025; old-distribution tags were never copied) and
    public.ecr.aws/bitnami (removed on 10 June 2026). Each entry carries its own severity: error for
    images that are gone, warning for frozen or moving ones. The message names the date, the source and
    the replacement.

    ## Why it matters
    Manifests outlive registries. A dead registry fails every pod start that needs to pull (a new node, a
    rollout, an eviction) with ImagePullBackOff, long after the manifest last changed; a frozen one
    silently stops receiving security fixes.

    ## Example
    ```yaml
    image: k8s.gcr.io/ingress-nginx/controller:v1.2.1
    image: bitnami/postgresql:11.14.0-debian-10-r22
    ```

    ## Fix
    Use the replacement the message names (`registry.k8s.io/ingress-nginx/controller:v1.2.1`), or mirror
    the image into a registry you control.

    ## Rule packs of your own
    List YAML packs in the configuration: `rule-packs: [policies/dead-registries.yaml]` (files or
    folders, relative to the configuration file). A pack is validated against
    `pulllint/schemas/rulepack.schema.json`; an error stops the run (exit code 2) naming the file and the
    key path. Your entries report under codes of their own, never PL303: give the pack a `code` (letters
    then digits, not starting with `PL`, e.g. `ACME1`) or each entry one; every code becomes a rule that
    `select`, `ignore`, `severity`, `per-file-ignores` and `# pulllint: ignore[ACME1]` treat like any
    other. Within a code, the first matching entry reports an image.

    ```yaml
    pack: acme-registries
    code: ACME1
    name: retired-registry
    entries:
      - id: old-harbor
        images: ["harbor.old.acme.example"]    # host[:port][/path]; * ? ** globs; covers what is below
        exclude: ["harbor.old.acme.example/keep"]
        tags: ["*"]                             # optional tag globs; exclude-tags too
        status: gone                            # gone | frozen | moved | deprecated
        severity: error                         # error | warning | info
        date: "2026-01-31"
        summary: The old Harbor was switched off.
        source: https://wiki.acme.example/registries
        replacement: "harbor.acme.example/{rest}{ref}"   # {rest} {path} {repo} {name} {tag} {ref}
    ```
    """

    code = "PL303"
    name = "deprecated-image"
    severity = Severity.ERROR
    summary = "The image's registry or repository is gone, frozen or moved (k8s.gcr.io, gcr.io, Bitnami ...)."

    @classmethod
    def documented_entries(cls) -> tuple[PackEntry, ...]:
        return builtin_entries()  # read when the page is asked for, never at import


RULE = DeprecatedImage
