"""PL401 tag-not-found."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.model.facts import Status
from pulllint.rules import Rule, RuleContext, container_finding
from pulllint.rules._facts import cached_note, containers_with


class TagNotFound(Rule):
    """## What it does
    Asks the image's registry for the manifest (`HEAD /v2/<name>/manifests/<tag>`, the request the
    container runtime makes first) and reports a tag or digest the registry answers with
    `404 MANIFEST_UNKNOWN` (or `TAG_INVALID`, Harbor's `NOT_FOUND`), listing the existing tags nearest
    to the one asked for. A registry that answers 404 without any body counts only when its `/v2/`
    answered like a registry; a 404 with an HTML page (a proxy, a wrong port) is PL405, never this rule.

    ## Why it matters
    This is the most common `ErrImagePull`: "manifest for app:1.4.2 not found: manifest unknown". A typo
    in a tag, a tag never pushed because CI failed, a tag deleted by a retention policy. Only the
    registry knows; pulllint reports it before the rollout instead of during it. A registry that cannot
    be asked is PL405 ("could not verify"), never this rule.

    ## Example
    ```yaml
    image: quay.io/prometheus/node-exporter:v1.8.9   # nearest tags: v1.8.2, v1.8.1, v1.8.0
    ```

    ## Fix
    Use an existing tag (the message lists the nearest), or push the missing one.
    """

    code = "PL401"
    name = "tag-not-found"
    severity = Severity.ERROR
    summary = "The registry has no such tag or digest (manifest unknown); suggests the nearest tags."
    needs_network = True

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container, facts in containers_with(ctx, Status.TAG_NOT_FOUND):
            nearest = (
                f"; nearest existing tags: {', '.join(facts.nearest_tags)}" if facts.nearest_tags else ""
            )
            said = "manifest unknown" if "MANIFEST_UNKNOWN" in facts.detail else "404 for the manifest"
            yield container_finding(
                container,
                f"{facts.reference} does not exist: the registry answered {said}{nearest}"
                f"{cached_note(facts)}",
                fix=f"use an existing tag, e.g. {facts.nearest_tags[0]}" if facts.nearest_tags else None,
            )


RULE = TagNotFound
