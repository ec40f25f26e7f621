"""PL406 rate-limited."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.model.facts import Status
from pulllint.rules import Rule, RuleContext, container_finding
from pulllint.rules._facts import containers_with


class RateLimited(Rule):
    """## What it does
    Reports, as information, an image that could not be verified because the registry kept answering
    `429 Too Many Requests` after a short retry budget that honours `Retry-After`. The message shows
    the quota the registry announced (`ratelimit-remaining`) when it sent one.

    ## Why it matters
    "Could not verify", not "not found". But it is also a warning sign: if this address is out of
    quota, so may be your nodes, and Docker Hub's anonymous limit (100 pulls per 6 hours per IPv4
    address or IPv6 /64) turns into `ErrImagePull: toomanyrequests` during a rollout.

    ## Example
    ```text
    docker.io/library/nginx:1.27: rate-limited (remaining 0;w=21600)
    ```

    ## Fix
    Authenticate pulls (a pull secret), use a pull-through mirror, or retry later. pulllint's own checks
    use HEAD requests, which Docker Hub does not count against the limit (PL404 adds at most one counted
    GET per image digest, ever: see `pulllint rule PL404`).
    """

    code = "PL406"
    name = "rate-limited"
    severity = Severity.INFO
    summary = "The registry answered 429 while verifying: could not verify, quota shown."
    needs_network = True

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container, facts in containers_with(ctx, Status.RATE_LIMITED):
            quota = []
            if facts.ratelimit_remaining:
                quota.append(f"remaining {facts.ratelimit_remaining}")
            if facts.ratelimit_limit:
                quota.append(f"limit {facts.ratelimit_limit}")
            shown = f" ({', '.join(quota)})" if quota else ""
            yield container_finding(
                container, f"could not verify {facts.reference}: the registry rate-limited the check{shown}"
            )


RULE = RateLimited
