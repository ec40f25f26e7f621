"""PL104 unrendered-template."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.images import unrendered_reason
from pulllint.rules import Rule, RuleContext, container_finding


class UnrenderedTemplate(Rule):
    """## What it does
    Reports an `image:` that still holds a template placeholder (`{{ .Values.image.tag }}`, `${TAG}`,
    `$(TAG)`), a value a template engine prints for a missing key (`<no value>`, `<nil>`, `%!s(MISSING)`),
    or that is empty, or ends in an empty tag or digest (`repo:` from `{{ .repo }}:{{ .tag }}` with no
    tag set), or starts with an empty repository.

    ## Why it matters
    The manifest was applied before (or without) rendering, or a value was never set. The kubelet
    answers `InvalidImageName` or `ErrImagePull` for a name nobody meant. An empty image is refused by
    the API server ("spec.containers[0].image: Required value").

    ## Example
    ```yaml
    image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
    image: "registry.example.com/app:"      # tag value missing at render time
    ```

    ## Fix
    Lint the rendered output (`helm template . | pulllint check -`, `kustomize build | pulllint check -`)
    and set the missing value (`--set image.tag=1.2.3`, or a default in values.yaml).
    """

    code = "PL104"
    name = "unrendered-template"
    severity = Severity.ERROR
    summary = "A template placeholder, `<no value>`, an empty image or an empty tag."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for container in ctx.manifests.containers():
            if container.image is None:
                continue
            reason = unrendered_reason(container.image)
            if reason is not None:
                yield container_finding(container, f"image {container.image!r} is not rendered: {reason}")


RULE = UnrenderedTemplate
