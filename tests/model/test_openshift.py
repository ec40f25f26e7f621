"""OpenShift in the model: image triggers fill containers, ImageStream tags are images, internal registry."""

from __future__ import annotations

from pulllint.model.build import add_text
from pulllint.model.objects import Container, Manifests
from pulllint.model.openshift import internal_registry
from tests.conftest import FIXTURES


def build(text: str) -> Manifests:
    manifests = Manifests()
    add_text(manifests, "m.yaml", text)
    return manifests


def by_name(manifests: Manifests) -> dict[str | None, Container]:
    return {c.name: c for c in manifests.containers()}


DEPLOYMENT_CONFIG = """\
apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata:
  name: frontend
spec:
  template:
    spec:
      initContainers:
      - image: ' '
        name: migrate
      containers:
      - image: ' '
        name: frontend
      - image: ' '
        name: helper
  triggers:
  - type: ConfigChange
  - imageChangeParams:
      automatic: false
      containerNames:
      - frontend
      - migrate
      - no-such-container
      from:
        kind: ImageStreamTag
        name: frontend:latest
    type: ImageChange
  - imageChangeParams:
      containerNames: [helper]
      from: {kind: DockerImage, name: "quay.io/acme/helper:2.0"}
    type: ImageChange
"""


def test_a_deployment_config_trigger_fills_the_containers_it_names() -> None:
    containers = by_name(build(DEPLOYMENT_CONFIG))
    frontend, migrate, helper = containers["frontend"], containers["migrate"], containers["helper"]
    for filled in (frontend, migrate):
        assert filled.image is None  # an ImageStreamTag: nothing pullable to check
        assert filled.filled_by is not None
        assert filled.filled_by.value == "ImageStreamTag frontend:latest"
        assert filled.filled_by.position[:2] == (26, 15)
    assert helper.image == "quay.io/acme/helper:2.0"
    assert helper.image_position[:2] == (30, 39)


def test_a_deployment_config_read_from_a_cluster_is_checked_on_its_last_triggered_image() -> None:
    path = FIXTURES / "openshift" / "triggers.yaml"
    manifests = Manifests()
    add_text(manifests, str(path), path.read_text(encoding="utf-8"))
    backend = by_name(manifests)["backend"]
    assert backend.image == "k8s.gcr.io/echoserver:1.10"
    assert backend.image_position[:2] == (72, 27)  # the trigger's lastTriggeredImage
    assert by_name(manifests)["not-triggered"].image == " "


def _annotated(
    annotation: str, containers: str = "[{name: web, image: ' '}, {name: side, image: ' '}]"
) -> str:
    return f"""\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
  annotations:
    image.openshift.io/triggers: '{annotation}'
spec:
  template:
    spec:
      containers: {containers}
"""


def test_the_triggers_annotation_fills_containers_by_name_or_index() -> None:
    text = _annotated(
        '[{"from":{"kind":"ImageStreamTag","name":"web:1"},'
        '"fieldPath":"spec.template.spec.containers[?(@.name==\\"web\\")].image"},'
        '{"from":{"kind":"DockerImage","name":"quay.io/acme/side:3"},'
        '"fieldPath":"spec.template.spec.containers[1].image"}]'
    )
    containers = by_name(build(text))
    assert containers["web"].image is None
    assert containers["web"].filled_by is not None
    assert containers["web"].filled_by.value == "ImageStreamTag web:1"
    assert containers["side"].image == "quay.io/acme/side:3"
    assert containers["side"].image_position[:2] == (6, 34)  # the annotation's value


def test_a_trigger_that_does_not_apply_leaves_the_container_its_own_image() -> None:
    for annotation in (
        "not json",
        '{"from": {"kind": "ImageStreamTag", "name": "web:1"}}',
        '[{"from":{"kind":"ImageStreamTag","name":"web:1"},"paused":true,'
        '"fieldPath":"spec.template.spec.containers[0].image"}]',
        '[{"from":{"kind":"ImageStreamTag","name":"web:1"},"paused":"true",'
        '"fieldPath":"spec.template.spec.containers[0].image"}]',
        '[{"from":{"kind":"ImageStreamTag","name":"web:1"},"fieldPath":"spec.containers[0].image"}]',
        '[{"from":{"kind":"ImageStreamTag","name":"web:1"},"fieldPath":"spec.template.spec.containers[7].image"}]',
        '[{"from":{"kind":"ImageStreamTag","name":"web:1"},'
        '"fieldPath":"spec.template.spec.initContainers[0].image"}]',
    ):
        containers = by_name(build(_annotated(annotation)))
        assert containers["web"].image == " " and containers["web"].filled_by is None, annotation


def test_a_pod_trigger_uses_the_pod_spec_path() -> None:
    text = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    image.openshift.io/triggers: >-
      [{"from": {"kind": "ImageStreamTag", "name": "web:1"},
      "fieldPath": "spec.containers[?(@.name='web')].image"}]
spec:
  containers: [{name: web, image: ' '}]
"""
    assert by_name(build(text))["web"].image is None


def test_image_stream_tags_from_docker_images_are_images_of_the_import() -> None:
    path = FIXTURES / "openshift" / "imagestreams.yaml"
    manifests = Manifests()
    add_text(manifests, str(path), path.read_text(encoding="utf-8"))
    (stream,) = manifests.workloads
    assert stream.meta.object_id == "ImageStream/openshift/ruby"
    assert stream.pod is not None and stream.pod.pull_credentials == "image-import"
    tags = [(c.name, c.image, c.image_position.line, c.image_position.column) for c in manifests.containers()]
    assert tags == [
        ("3.3-ubi9", "registry.access.redhat.com/ubi9/ruby-33:latest", 22, 13),
        ("pause", "k8s.gcr.io/pause:3.9", 40, 13),
        ("fedora", "quay.io/fedora/fedora", 46, 13),
    ]
    assert manifests.unknown_image_kinds == []


def test_pods_pull_with_the_kubelets_credentials() -> None:
    (workload,) = build(DEPLOYMENT_CONFIG).workloads
    assert workload.pod is not None and workload.pod.pull_credentials == "kubelet"


def test_the_internal_registry() -> None:
    assert internal_registry("image-registry.openshift-image-registry.svc:5000")
    assert internal_registry("Image-Registry.openshift-image-registry.svc.cluster.local:5000")
    assert internal_registry("docker-registry.default.svc:5000")
    assert not internal_registry("image-registry.openshift-image-registry.svc")
    assert not internal_registry("registry.example.com:5000")
