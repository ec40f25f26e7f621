"""OpenShift: images that image triggers fill in, ImageStream tags, and the internal registry.

- A DeploymentConfig's ImageChange trigger (``spec.triggers[].imageChangeParams``: ``containerNames`` and
  ``from``) and the ``image.openshift.io/triggers`` annotation of a Deployment, StatefulSet, DaemonSet,
  CronJob, Job, ReplicationController or Pod (a JSON list of ``{from, fieldPath, paused}``) replace the
  named containers' ``image`` (often a placeholder such as ``" "``) with the image the ImageStreamTag
  points at. That container is then judged on the trigger's image: a pullable reference when the trigger
  names one (``from.kind: DockerImage``, or the ``lastTriggeredImage`` of a DeploymentConfig read from a
  cluster), else not at all (an ImageStreamTag is not a pullable reference). A paused annotation trigger
  changes nothing, so the container keeps its own image.
- An ImageStream's ``spec.tags[].from`` of kind DockerImage is an image OpenShift imports: checked like a
  container's image, with the image import's credentials (every docker-config Secret of the stream's
  namespace, ``PodSpec.pull_credentials == "image-import"``), not a pod's.
- The internal registry (`internal_registry`) needs no declared pull secret: OpenShift gives every
  ServiceAccount a dockercfg Secret for it.
"""

from __future__ import annotations

import re
import sys
from typing import Protocol

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pulllint.diagnostics import Position
from pulllint.model.objects import Container, Located, ObjectMeta, PodSpec, Workload

__all__ = [
    "INTERNAL_REGISTRIES",
    "TRIGGERS_ANNOTATION",
    "apply_annotation_triggers",
    "apply_deployment_config_triggers",
    "internal_registry",
    "read_image_stream",
]

TRIGGERS_ANNOTATION = "image.openshift.io/triggers"
# OpenShift 4's image registry Service (and its cluster-domain form), and OpenShift 3's.
INTERNAL_REGISTRIES = frozenset(
    {
        "image-registry.openshift-image-registry.svc:5000",
        "image-registry.openshift-image-registry.svc.cluster.local:5000",
        "docker-registry.default.svc:5000",
        "docker-registry.default.svc.cluster.local:5000",
    }
)
_STR = "tag:yaml.org,2002:str"
# Compiled on first use (re's cache): most runs hold no trigger annotation.
_FIELD_PATH = (
    r"^(?P<pod>.+)\.(?P<section>containers|initContainers)"
    r"\[(?:\?\(@\.name\s*==?\s*(?P<quote>[\"'])(?P<name>.*?)(?P=quote)\)|(?P<index>[0-9]+))\]\.image$"
)
_MAX_ANNOTATION = 1_000_000


def internal_registry(domain: str) -> bool:
    """Whether an image's domain (``host:port``) is OpenShift's internal registry."""
    return domain.lower() in INTERNAL_REGISTRIES


class Reader(Protocol):
    def fields(self, node: MappingNode) -> dict[str, Node]: ...

    def position(self, node: Node) -> Position: ...


def _string(node: Node | None) -> str | None:
    if isinstance(node, ScalarNode) and node.tag == _STR:
        value: str = node.value
        return value
    return None


def _fill(container: Container, kind: str, name: str, where: Position, pullable: Located | None) -> None:
    container.filled_by = Located(f"{kind} {name}", where)
    if pullable is None:
        container.image = None
    else:
        container.image = sys.intern(pullable.value)
        container.image_position = pullable.position


def apply_deployment_config_triggers(reader: Reader, spec: Node | None, pod: PodSpec) -> None:
    """``spec.triggers[]`` of type ImageChange: the containers they name take the trigger's image."""
    if not isinstance(spec, MappingNode):
        return
    triggers = reader.fields(spec).get("triggers")
    if not isinstance(triggers, SequenceNode):
        return
    by_name = {c.name: c for c in pod.containers if c.name and c.section in ("containers", "initContainers")}
    for trigger in triggers.value:
        if not isinstance(trigger, MappingNode):
            continue
        trigger_fields = reader.fields(trigger)
        params = trigger_fields.get("imageChangeParams")
        if _string(trigger_fields.get("type")) != "ImageChange" or not isinstance(params, MappingNode):
            continue
        param_fields = reader.fields(params)
        source = param_fields.get("from")
        names = param_fields.get("containerNames")
        if not isinstance(source, MappingNode) or not isinstance(names, SequenceNode):
            continue
        source_fields = reader.fields(source)
        kind = _string(source_fields.get("kind")) or "ImageStreamTag"
        name_node = source_fields.get("name")
        name = _string(name_node)
        if name_node is None or not name:
            continue
        pullable = None
        if kind == "DockerImage":
            pullable = Located(name, reader.position(name_node))
        else:
            last = param_fields.get("lastTriggeredImage")
            last_image = _string(last)
            if last is not None and last_image and last_image.strip():
                pullable = Located(last_image, reader.position(last))
        for entry in names.value:
            container = by_name.get(_string(entry) or "")
            if container is not None:
                _fill(container, kind, name, reader.position(name_node), pullable)


def apply_annotation_triggers(reader: Reader, annotation: Node, pods: list[PodSpec]) -> None:
    """The ``image.openshift.io/triggers`` annotation: each trigger whose fieldPath names a container of
    one of `pods` fills it. A value that is not a JSON list of triggers fills nothing (OpenShift ignores
    it too), so the containers keep their own images and are judged on them."""
    text = _string(annotation)
    if text is None or len(text) > _MAX_ANNOTATION:
        return
    try:
        import json  # only for the triggers annotation, so a run without one never imports it

        triggers = json.loads(text)
    except ValueError:
        return
    if not isinstance(triggers, list):
        return
    where = reader.position(annotation)
    by_path = {pod.path: pod for pod in pods}
    for trigger in triggers:
        if not isinstance(trigger, dict):
            continue
        source, field_path = trigger.get("from"), trigger.get("fieldPath")
        if not isinstance(source, dict) or not isinstance(field_path, str):
            continue
        if trigger.get("paused") in (True, "true", "True"):
            continue
        kind, name = source.get("kind") or "ImageStreamTag", source.get("name")
        match = re.match(_FIELD_PATH, field_path.strip())
        pod = by_path.get(match.group("pod")) if match else None
        if match is None or pod is None or not isinstance(name, str) or not isinstance(kind, str):
            continue
        section = match.group("section")
        candidates = [c for c in pod.containers if c.section == section]
        if match.group("index") is not None:
            index = int(match.group("index"))
            target = candidates[index] if index < len(candidates) else None
        else:
            target = next((c for c in candidates if c.name == match.group("name")), None)
        if target is not None:
            _fill(target, kind, name, where, Located(name, where) if kind == "DockerImage" else None)


def read_image_stream(reader: Reader, meta: ObjectMeta, spec: Node | None) -> Workload | None:
    """An ImageStream's ``spec.tags[]`` whose ``from`` is a DockerImage, as containers to check."""
    if not isinstance(spec, MappingNode):
        return None
    tags = reader.fields(spec).get("tags")
    if not isinstance(tags, SequenceNode):
        return None
    workload = Workload(meta)
    pod = PodSpec(workload, "spec.tags", reader.position(tags))
    pod.pull_credentials = "image-import"
    workload.pod = pod
    for tag in tags.value:
        if not isinstance(tag, MappingNode):
            continue
        tag_fields = reader.fields(tag)
        source = tag_fields.get("from")
        if not isinstance(source, MappingNode):
            continue
        source_fields = reader.fields(source)
        name_node = source_fields.get("name")
        if _string(source_fields.get("kind")) != "DockerImage" or name_node is None:
            continue
        image = _string(name_node)
        if image is None:
            continue
        container = Container(
            pod,
            "tags",
            _string(tag_fields.get("name")),
            reader.position(tag),
            sys.intern(image),
            reader.position(name_node),
        )
        pod.containers.append(container)
    return workload
