"""Kinds as data: the shipped table, a team's own entries, and images found at the exact line and column."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from pulllint.config import ConfigError, load_config
from pulllint.model.build import add_text
from pulllint.model.kinds import BUILTIN_KINDS_FILE, KindError, kind_key, load_kinds, parse_path
from pulllint.model.objects import Manifests
from tests.conftest import FIXTURES, ROOT, expected_findings

SCHEMA = ROOT / "pulllint" / "schemas" / "kinds.schema.json"
DECLARED = FIXTURES / "kinds"


def build(text: str, extra: dict[str, object] | None = None) -> Manifests:
    manifests = Manifests()
    add_text(manifests, "m.yaml", text, load_kinds(extra) if extra is not None else None)
    return manifests


def images(manifests: Manifests) -> list[tuple[str, str | None, int, int]]:
    return [
        (c.section, c.image, c.image_position.line, c.image_position.column) for c in manifests.containers()
    ]


def test_the_shipped_table_follows_its_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads(Path(BUILTIN_KINDS_FILE).read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(document)]
    assert errors == []
    table = load_kinds()
    for key in (
        "tekton.dev/Task",
        "tekton.dev/ClusterTask",
        "tekton.dev/Pipeline",
        "tekton.dev/TaskRun",
        "tekton.dev/PipelineRun",
        "argoproj.io/Workflow",
        "argoproj.io/WorkflowTemplate",
        "argoproj.io/ClusterWorkflowTemplate",
        "argoproj.io/CronWorkflow",
        "keda.sh/ScaledJob",
        "Deployment",
        "CronJob",
    ):
        assert key in table


def test_the_config_fragment_accepts_what_the_loader_accepts() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    fragment = {"$defs": schema["$defs"], **schema["$defs"]["kinds"]}
    validator = jsonschema.Draft202012Validator(fragment)
    good: dict[str, object] = {
        "ci.acme.example.com/Runner": {"containers": ["spec.steps[]"], "pod-fields": ["spec"]},
        "Foo": None,
    }
    assert list(validator.iter_errors(good)) == []
    load_kinds(good)
    bads: tuple[dict[str, object], ...] = (
        {"ci.acme.example.com/Runner": {"containers": "spec.steps[]"}},
        {"ci.acme.example.com/Runner": {"container": ["spec.steps[]"]}},
        {"ci.acme.example.com/Runner": {"containers": ["spec..steps"]}},
        {"ci.acme.example.com/Runner": {"containers": ["spec.steps[0]"]}},
        {"not a kind": {}},
    )
    for bad in bads:
        assert list(validator.iter_errors(bad)), bad
        with pytest.raises(KindError):
            load_kinds(bad)


def test_errors_name_the_key_path() -> None:
    with pytest.raises(KindError, match=r"kinds\.acme\.example\.com/Runner\.containers\[1\]: 'spec\.\[\]'"):
        load_kinds({"acme.example.com/Runner": {"containers": ["spec.steps[]", "spec.[]"]}})
    with pytest.raises(KindError, match=r"unknown key 'container'"):
        load_kinds({"Runner": {"container": ["spec"]}})


def test_group_qualified_entries_win_over_bare_kinds() -> None:
    table = load_kinds({"Service": {"containers": ["spec.image-holder"]}})
    assert table.lookup("serving.knative.dev/v1", "Service") is not None
    table = load_kinds({"Service": {}, "serving.knative.dev/Service": {"pod-specs": ["spec.template.spec"]}})
    knative = table.lookup("serving.knative.dev/v1", "Service")
    assert knative is not None and knative.holds_images
    core = table.lookup("v1", "Service")
    assert core is not None and not core.holds_images
    assert kind_key("tekton.dev/v1", "Task") == "tekton.dev/Task"
    assert kind_key("v1", "Pod") == "Pod"


def test_paths() -> None:
    path = parse_path("spec.tasks[].taskSpec.steps[]")
    assert [(s.key, s.each) for s in path.steps] == [
        ("spec", False),
        ("tasks", True),
        ("taskSpec", False),
        ("steps", True),
    ]
    assert path.is_list and path.last_key == "steps"
    assert not parse_path("spec.templates[].script").is_list


TASK = """\
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: t, namespace: ci}
spec:
  stepTemplate:
    image: ubuntu:22.04
  steps:
    - name: a
      image: "alpine:3.20"
    - {name: b, image: 'busybox:1.36'}
  sidecars:
    - name: s
      image:   docker:24-dind
"""


def test_containers_outside_pod_specs_carry_the_image_value_position() -> None:
    manifests = build(TASK)
    assert images(manifests) == [
        ("steps", "alpine:3.20", 9, 14),
        ("steps", "busybox:1.36", 10, 24),
        ("sidecars", "docker:24-dind", 13, 16),
        ("stepTemplate", "ubuntu:22.04", 6, 12),
    ]
    (workload,) = manifests.workloads
    assert workload.meta.object_id == "Task/ci/t"
    assert manifests.unknown_image_kinds == []


def test_every_fixture_image_is_found_where_its_expectation_points() -> None:
    """The PL1 expectations of the Tekton, Argo Workflows and KEDA fixtures sit on images only the kinds
    table finds: each is a container image at exactly that line and column."""
    for name in ("tekton.yaml", "argo.yaml", "keda.yaml"):
        path = FIXTURES / "kinds" / name
        manifests = Manifests()
        add_text(manifests, str(path), path.read_text(encoding="utf-8"))
        found = {(line, column) for _, _, line, column in images(manifests)}
        expected = {(e.line, e.column) for e in expected_findings(path) if e.code.startswith("PL1")}
        assert expected and expected <= found, name


def test_pod_fields_come_from_the_first_mapping_that_has_them() -> None:
    text = """\
apiVersion: tekton.dev/v1beta1
kind: PipelineRun
metadata: {name: r}
spec:
  serviceAccountName: old-style
  podTemplate:
    imagePullSecrets: [{name: regcred}]
    nodeSelector: {kubernetes.io/arch: arm64}
  pipelineSpec:
    tasks:
      - name: t
        taskSpec:
          steps: [{name: s, image: "alpine:3.20"}]
"""
    (workload,) = build(text).workloads
    pod = workload.pod
    assert pod is not None
    assert pod.service_account is not None and pod.service_account.value == "old-style"
    assert [ref.value for ref in pod.image_pull_secrets] == ["regcred"]
    assert {p.architecture for p in pod.platforms} == {"arm64"}
    argo = """\
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: c}
spec:
  schedule: "0 * * * *"
  workflowSpec:
    serviceAccountName: runner
    templates:
      - name: main
        containerSet:
          containers: [{name: a, image: "alpine:3.20"}, {name: b, image: "alpine:3.21"}]
"""
    manifests = build(argo)
    (workload,) = manifests.workloads
    assert workload.pod is not None and workload.pod.service_account is not None
    assert workload.pod.service_account.value == "runner"
    assert [c.image for c in manifests.containers()] == ["alpine:3.20", "alpine:3.21"]


def test_a_keda_scaled_job_is_a_pod_template() -> None:
    text = """\
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: consumer}
spec:
  jobTargetRef:
    template:
      metadata:
        annotations: {pulllint.dev/ignore: PL103}
      spec:
        imagePullSecrets: [{name: regcred}]
        containers: [{name: c, image: "ghcr.io/kedacore/rabbitmq-client:latest"}]
"""
    (workload,) = build(text).workloads
    assert workload.pod is not None and workload.pod.path == "spec.jobTargetRef.template.spec"
    assert workload.meta.ignores == frozenset({"PL103"})
    assert [ref.value for ref in workload.pod.image_pull_secrets] == ["regcred"]


def test_wrong_shapes_are_shape_problems() -> None:
    text = """\
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: t}
spec:
  steps: {name: a, image: "alpine:3.20"}
  sidecars: [just-a-string]
  stepTemplate: ~
"""
    manifests = build(text)
    assert [(p.position.line, p.message) for p in manifests.shape_problems] == [
        (5, "spec.steps must be a list of containers"),
        (6, "each of spec.sidecars must be a mapping (a container)"),
    ]


def test_a_unknown_kind_holding_images_is_recorded_once_with_the_paths_to_declare() -> None:
    text = """\
apiVersion: ci.acme.example.com/v1
kind: Runner
metadata: {name: nightly}
spec:
  steps:
    - {name: build, image: "registry.acme.example.com/builder:2.1"}
    - {name: test, image: "registry.acme.example.com/tester:2.1"}
  notifier:
    image: registry.acme.example.com/notify:1.0
  values:
    image: {repository: ghcr.io/acme/app, tag: "1.0"}
  annotations:
    acme.example.com/image: registry.acme.example.com/other:1.0
"""
    manifests = build(text)
    assert manifests.workloads == []
    (unknown,) = manifests.unknown_image_kinds
    assert unknown.key == "ci.acme.example.com/Runner"
    assert unknown.image == "registry.acme.example.com/builder:2.1"
    assert (unknown.position.line, unknown.position.column) == (6, 28)
    assert unknown.paths == ("spec.steps[]", "spec.notifier")
    assert unknown.unchecked == 3


def test_a_declared_kind_is_checked_where_the_configuration_says() -> None:
    config = YAML(typ="safe").load((DECLARED / "declared-kinds.config").read_text(encoding="utf-8"))
    path = DECLARED / "declared-kinds.yaml"
    text = path.read_text(encoding="utf-8")
    undeclared = build(text)
    keys = [u.key for u in undeclared.unknown_image_kinds]
    assert keys == ["ci.acme.example.com/Runner", "ml.acme.example.com/TrainJob"]
    declared = build(text, config["kinds"])
    assert declared.unknown_image_kinds == []
    found = {(line, column) for _, _, line, column in images(declared)}
    assert found == {(e.line, e.column) for e in expected_findings(path)}
    paths = sorted(w.pod.path for w in declared.workloads if w.pod is not None)
    assert paths == [
        "spec",
        "spec.roles.PS.template.spec",
        "spec.roles.Worker.template.spec",
    ]


def test_a_configured_entry_replaces_the_built_in_one() -> None:
    quiet = build(TASK, {"tekton.dev/Task": {}})
    assert list(quiet.containers()) == [] and quiet.unknown_image_kinds == []


def test_aliases_are_walked_once() -> None:
    # Each level refers to the previous one nine times: expanded, 9**7 steps; walked by identity, a few.
    lines = ["apiVersion: ci.acme.example.com/v1", "kind: Runner", "metadata: {name: bomb}", "spec:"]
    lines.append('  l0: &l0 {image: "alpine:3.20"}')
    for level in range(1, 8):
        lines.append(f"  l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]")
    lines.append("  steps: *l7")
    text = "\n".join(lines) + "\n"
    started = time.perf_counter()
    unknown = build(text).unknown_image_kinds
    declared = build(text, {"ci.acme.example.com/Runner": {"containers": ["spec.steps[]"]}})
    assert time.perf_counter() - started < 2
    assert [u.unchecked for u in unknown] == [1]
    assert declared.shape_problems[0].message == "each of spec.steps must be a mapping (a container)"


def test_pl004_tells_the_entry_to_paste_and_the_entry_works() -> None:
    from pulllint.config import Config
    from pulllint.engine import run

    path = FIXTURES / "kinds" / "unknown-kinds.yaml"
    result = run([str(path)], Config(select=("PL004",)), offline=True)
    runner = next(d for d in result.diagnostics if d.line == 12)
    assert runner.severity.label == "info"
    assert "'registry.acme.example.com/builder:2.1' and 2 other images" in runner.message
    assert "declare them under `kinds` in the configuration" in runner.message
    assert runner.fix is not None
    pasted = YAML(typ="safe").load(runner.fix)
    entry = {"containers": ["spec.steps[]", "spec.notifier"]}
    assert pasted == {"kinds": {"ci.acme.example.com/Runner": entry}}
    declared = Manifests()
    add_text(declared, str(path), path.read_text(encoding="utf-8"), load_kinds(pasted["kinds"]))
    assert [u.key for u in declared.unknown_image_kinds] == ["apps.acme.example.com/Canary"]


def test_operator_kinds_with_images_in_their_spec() -> None:
    text = """\
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: monitoring}
spec:
  image: quay.io/prometheus/prometheus:v3.1.0
  imagePullSecrets: [{name: mirror}]
  serviceAccountName: prometheus-k8s
  thanos:
    image: quay.io/thanos/thanos:v0.37.2
  containers:
    - name: prometheus  # a patch of the operator's container: no image of its own
      startupProbe: {failureThreshold: 60}
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: pass}
spec:
  metrics:
    - name: pass
      provider:
        job:
          spec:
            template:
              spec:
                containers: [{name: sleep, image: "alpine:3.20"}]
                restartPolicy: Never
"""
    manifests = build(text)
    assert images(manifests) == [
        ("spec", "quay.io/prometheus/prometheus:v3.1.0", 5, 10),
        ("thanos", "quay.io/thanos/thanos:v0.37.2", 9, 12),
        ("containers", None, 11, 7),
        ("containers", "alpine:3.20", 25, 51),
    ]
    prometheus = manifests.workloads[0].pod
    assert prometheus is not None and [r.value for r in prometheus.image_pull_secrets] == ["mirror"]
    assert manifests.unknown_image_kinds == []


def test_argo_inline_templates_and_template_defaults() -> None:
    text = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: inline-}
spec:
  entrypoint: main
  templateDefaults:
    script: {image: "python:3.12"}
  templates:
    - name: main
      steps:
        - - name: a
            inline:
              container: {image: "alpine:3.20"}
          - name: b
            inline:
              script: {image: "alpine:3.21", source: "echo b"}
    - name: graph
      dag:
        tasks:
          - name: c
            inline:
              container: {image: "alpine:3.22"}
"""
    manifests = build(text)
    assert sorted(c.image or "" for c in manifests.containers()) == [
        "alpine:3.20",
        "alpine:3.21",
        "alpine:3.22",
        "python:3.12",
    ]
    assert manifests.unknown_image_kinds == []


def test_a_known_kind_with_an_image_its_entry_misses_gets_the_whole_entry_to_paste() -> None:
    text = """\
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: t}
spec:
  steps: [{name: a, image: "alpine:3.20"}]
  debugger:
    image: registry.acme.example.com/debug:1.0
status:
  steps: [{name: a, image: "alpine:3.20"}]
"""
    (unknown,) = build(text).unknown_image_kinds
    assert unknown.known and unknown.key == "tekton.dev/Task"
    assert (unknown.position.line, unknown.position.column) == (7, 12)
    assert unknown.paths == ("spec.steps[]", "spec.sidecars[]", "spec.stepTemplate", "spec.debugger")
    assert unknown.unchecked == 1


def test_images_a_cluster_observed_are_not_unchecked_images() -> None:
    text = """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  containers: [{name: app, image: "nginx:1.27"}]
status:
  containerStatuses:
    - name: app
      image: docker.io/library/nginx:1.27
      imageID: docker.io/library/nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000
"""
    assert build(text).unknown_image_kinds == []


def test_the_configuration_takes_what_the_loader_takes() -> None:
    """config.schema.json's `kinds` accepts exactly the keys and paths the loader accepts."""
    schema = json.loads((ROOT / "pulllint" / "schemas" / "config.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    keys = ("Runner", "acme.example.com/Runner", "a/B1", "Acme.example.com/Runner", "acme/", "1Runner")
    paths = ("spec", "spec.steps[]", "spec.steps[][].inline", "spec.*.template.spec", "spec..x", "spec.x[0]")
    for key in keys:
        for path in paths:
            entry: dict[str, object] = {key: {"containers": [path]}}
            by_schema = not list(validator.iter_errors({"kinds": entry}))
            try:
                load_kinds(entry)
                by_loader = True
            except KindError:
                by_loader = False
            assert by_schema == by_loader, (key, path)
    assert load_config(str(DECLARED / "declared-kinds.config")).kinds


def test_a_bad_kinds_entry_in_the_configuration_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / ".pulllint.yaml"
    config.write_text("kinds:\n  acme.example.com/Runner:\n    containers: [{path: spec.steps}]\n")
    with pytest.raises(ConfigError, match=r"kinds\.acme\.example\.com/Runner\.containers\[0\]"):
        load_config(str(config))


def test_an_argo_events_sensor_container_with_its_pod_fields() -> None:
    text = """\
apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: webhook}
spec:
  template:
    serviceAccountName: operate-workflow-sa
    imagePullSecrets: [{name: mirror}]
    container:
      image: registry.acme.example.com/argo-events/sensor:v1.9.2
  dependencies:
    - {name: test-dep, eventSourceName: webhook, eventName: example}
"""
    manifests = build(text)
    assert images(manifests) == [("container", "registry.acme.example.com/argo-events/sensor:v1.9.2", 9, 14)]
    pod = manifests.workloads[0].pod
    assert pod is not None and pod.service_account is not None
    assert pod.service_account.value == "operate-workflow-sa"
    assert [r.value for r in pod.image_pull_secrets] == ["mirror"]


def test_batch_and_training_operators_hold_pod_templates() -> None:
    text = """\
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: raycluster}
spec:
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        containers: [{name: ray-head, image: "rayproject/ray:2.41.0"}]
  workerGroupSpecs:
    - groupName: small
      template:
        spec:
          containers: [{name: ray-worker, image: "rayproject/ray:2.41.0-gpu"}]
---
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: mnist}
spec:
  pytorchReplicaSpecs:
    Master:
      template:
        spec:
          containers: [{name: pytorch, image: "docker.io/kubeflowkatib/pytorch-mnist:v1beta1-45c5727"}]
    Worker:
      replicas: 2
      template:
        spec:
          containers: [{name: pytorch, image: "docker.io/kubeflowkatib/pytorch-mnist:v1beta1-45c5727"}]
---
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: js}
spec:
  replicatedJobs:
    - name: workers
      template:
        spec:
          template:
            spec:
              containers: [{name: w, image: "busybox:1.36"}]
"""
    manifests = build(text)
    paths = [w.pod.path for w in manifests.workloads if w.pod is not None]
    assert paths == [
        "spec.headGroupSpec.template.spec",
        "spec.workerGroupSpecs[0].template.spec",
        "spec.pytorchReplicaSpecs.Master.template.spec",
        "spec.pytorchReplicaSpecs.Worker.template.spec",
        "spec.replicatedJobs[0].template.spec.template.spec",
    ]
    assert len(list(manifests.containers())) == 5 and manifests.unknown_image_kinds == []
