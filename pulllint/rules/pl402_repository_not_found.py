"""PL402 repository-not-found."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.model.facts import Status
from pulllint.rules import Rule, RuleContext, container_finding
from pulllint.rules._facts import cached_note, containers_with


class RepositoryNotFound(Rule):
    """## What it does
    Reports an image whose repository the registry says does not exist (`404 NAME_UNKNOWN`, or a 404
    to both the manifest and the tag list from a registry that answers without bodies), or that Docker
    Hub will not show anonymously: Docker Hub answers `401 insufficient_scope` both for a repository that
    does not exist and for a private one, so pulllint says exactly that. Any other registry that refuses
    an anonymous pod has said "credentials required": that is PL201 (missing-pull-secret), confirmed by
    the registry, not this rule.

    ## Why it matters
    The kubelet fails with `ErrImagePull` ("pull access denied ... repository does not exist or may
    require 'docker login'"). Typically a misspelt organisation or repository, a repository that was
    renamed or deleted, or a private repository pulled without a secret.

    ## Example
    ```yaml
    image: bitnami/postgress:16.4.0   # misspelt repository
    ```

    ## Fix
    Correct the repository name; for a private repository, add an `imagePullSecrets` entry whose
    registry matches the image's host (see PL201).
    """

    code = "PL402"
    name = "repository-not-found"
    severity = Severity.ERROR
    summary = "The repository does not exist, or is not readable anonymously (Docker Hub answers both alike)."
    needs_network = True

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container, facts in containers_with(ctx, Status.REPOSITORY_NOT_FOUND, Status.MISSING_OR_PRIVATE):
            if facts.status is Status.REPOSITORY_NOT_FOUND:
                message = f"repository of {facts.reference} does not exist (name unknown)"
            else:
                message = (
                    f"repository of {facts.reference} does not exist or is private: Docker Hub refuses "
                    "anonymous access and answers both cases alike"
                )
            yield container_finding(container, message + cached_note(facts))


RULE = RepositoryNotFound
