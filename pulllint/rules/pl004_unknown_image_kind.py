"""PL004 unknown-image-kind."""

from __future__ import annotations

from collections.abc import Iterator

from pulllint.diagnostics import Finding, Severity
from pulllint.model.objects import UnknownImageKind
from pulllint.rules import Rule, RuleContext, object_finding


class UnknownImageKindRule(Rule):
    """## What it does
    Reports, once per document, an object holding `image` keys with string values that pulllint did not
    check: a custom resource of a kind it does not know, whose containers live somewhere other than a
    pod template (`spec.template.spec`), or a known kind with an image where its entry does not look.
    The finding points at the first such image, counts the others and gives the `kinds` entry that would
    cover them. Images under `status` (what a cluster observed) are not counted.

    pulllint knows the Kubernetes workloads, OpenShift's DeploymentConfig and ImageStream, Tekton (Task,
    ClusterTask, Pipeline, TaskRun, PipelineRun, StepAction), Argo Workflows (Workflow, WorkflowTemplate,
    ClusterWorkflowTemplate, CronWorkflow), Argo Rollouts' analysis templates, Argo Events' Sensor and
    EventSource, the Prometheus Operator's Prometheus, PrometheusAgent, Alertmanager and ThanosRuler,
    KEDA's ScaledJob, Kubeflow's training jobs, KubeRay, Volcano's Job, JobSet and LeaderWorkerSet, and
    any kind whose pod spec is at `spec.template.spec` or
    `spec.jobTemplate.spec.template.spec` (Argo Rollouts, Knative Services ...).

    ## Why it matters
    An image pulllint cannot place is an image nobody checked: a typo, a `latest` tag or a private registry
    without a pull secret there fails in the cluster while the lint run stays green.

    ## Example
    ```yaml
    apiVersion: ci.acme.example.com/v1
    kind: Runner
    spec:
      steps:
        - name: build
          image: registry.acme.example.com/builder:2.1
    ```

    ## Fix
    Tell pulllint where the kind keeps its containers, in `.pulllint.yaml`:

    ```yaml
    kinds:
      ci.acme.example.com/Runner:        # group/Kind, or a bare Kind for any group
        containers: ["spec.steps[]"]     # key[] is each item of a list; a path without [] is one container
        pod-specs: []                    # paths to whole pod specs, if the kind has any
        pod-fields: [spec]               # where imagePullSecrets / serviceAccountName of those containers are
    ```

    Quote a path that holds `[]` inside a flow list (`[...]`), or write the list one path per line. An
    entry with no paths (`ci.acme.example.com/Runner: {}`) says the kind holds no image to check.
    """

    code = "PL004"
    name = "unknown-image-kind"
    severity = Severity.INFO
    summary = "An object of a kind pulllint does not know holds images it did not check."

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for unknown in ctx.manifests.unknown_image_kinds:
            yield object_finding(
                unknown.meta, unknown.position, _message(unknown), fix=f"kinds: {{{_entry(unknown)}}}"
            )


def _message(unknown: UnknownImageKind) -> str:
    others = unknown.unchecked - 1
    more = f" and {others} other image{'s' if others != 1 else ''}" if others else ""
    if unknown.known:
        why = (
            f"pulllint's entry for kind {unknown.meta.kind} does not say where it is; declare the kind "
            "under `kinds` in the configuration (that entry replaces the built-in one: it repeats its paths)"
        )
    else:
        why = (
            f"it does not know where kind {unknown.meta.kind} keeps its containers; declare them under "
            "`kinds` in the configuration"
        )
    return f"{unknown.key} holds image {unknown.image!r}{more} that pulllint did not check: {why}"


def _entry(unknown: UnknownImageKind) -> str:
    parts = []
    for name, paths in (
        ("pod-specs", unknown.pod_specs),
        ("containers", unknown.paths),
        ("pod-fields", unknown.pod_fields),
    ):
        if paths:
            parts.append(f"{name}: [{', '.join(_quoted(p) for p in paths)}]")
    if not unknown.paths:
        parts.append("containers: [<path to the containers>]")
    return f"{unknown.key}: {{{', '.join(parts)}}}"


def _quoted(path: str) -> str:
    return f'"{path}"' if "[" in path or "*" in path else path


RULE = UnknownImageKindRule
