"""PL405 registry-unreachable."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.model.facts import Status
from pulllint.rules import Rule, RuleContext, container_finding
from pulllint.rules._facts import containers_with

# How an engineer triages each class: where to look first.
_TRIAGE = {
    "timeout": "the network path to the registry (firewall, proxy, VPN)",
    "dns": "the registry's host name or your resolver",
    "refused": "the registry's address and port; is it running?",
    "tls": "the registry's certificate or your CA bundle (ca-file in the config)",
    "http-on-https": "a plain-HTTP registry: list it under insecure-registries if that is intended",
    "connection-reset": "a proxy or load balancer between you and the registry",
    "not-a-registry": "the registry's address and port: something else answers there (a proxy, a web page)",
    "auth-unsupported": "how the registry authenticates: pulllint answers Basic and Bearer challenges",
    "insecure-token-realm": "the registry's token service: it is plain HTTP on another host",
    "oversized": "the registry or a proxy in front of it: it sent far more than a registry answer",
    "budget": "the registry's speed, or raise the run's budget; the images were not asked",
}


class RegistryUnreachable(Rule):
    """## What it does
    Reports, as information, an image pulllint could not verify because the registry could not be
    asked, or did not answer like a registry: a timeout, a DNS failure, a refused connection, a TLS
    failure (naming the x509 problem), a plain-HTTP answer on HTTPS, a server error after the retry
    budget, a 404 with an HTML page ("not-a-registry": a proxy or a wrong port), a 401 whose challenge
    pulllint cannot answer ("auth-unsupported"), an answer too big or too slow. The class says where to
    look.

    Every wait is bounded: a connect and read timeout (`registry-timeout`), a deadline for each whole
    request (twice that), a budget for the whole run, and a per-host circuit breaker: once a host timed
    out, its remaining images are reported at once ("not tried: ... timed out earlier in this run"), so
    a thousand images on a hanging host cost about one timeout.

    ## Why it matters
    "Could not verify" is not "not found": pulllint never reports a missing image it did not see
    missing. It is info by default so a network problem never fails a build; choose otherwise with
    `--fail-on info` or a severity override. If the nodes cannot reach the registry either, the
    kubelet will fail the same way.

    ## Example
    ```text
    registry.internal:5000/app:1.0: could not verify (tls): certificate verify failed: self-signed
    certificate in certificate chain
    ```

    ## Fix
    Triage by class: timeout = network path, dns = name, tls = certificate or `ca-file`, http-on-https =
    `insecure-registries`. Or run with `--offline` where the registry is out of reach on purpose.
    """

    code = "PL405"
    name = "registry-unreachable"
    severity = Severity.INFO
    summary = "Could not verify: timeout, DNS, TLS, refused, plain-HTTP registry."
    needs_network = True

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container, facts in containers_with(ctx, Status.UNREACHABLE):
            error_class = facts.error_class or "error"
            hint = _TRIAGE.get(error_class)
            if hint is None and error_class.startswith("status-"):
                hint = "the registry itself: it answered with a server error"
            where = f"; check {hint}" if hint else ""
            yield container_finding(
                container, f"could not verify {facts.reference} ({error_class}): {facts.detail}{where}"
            )


RULE = RegistryUnreachable
