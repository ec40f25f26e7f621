"""Kubernetes objects as plain data: what pulllint needs of them, each value with its position.

Built from YAML nodes by `pulllint.model.build`; no node is kept, so the model of a long stream stays
small. Workloads point back to their pod spec and object so a rule can go from an image to its secrets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from pulllint.diagnostics import Position, Source
from pulllint.model.facts import Platform

IGNORE_ANNOTATION = "pulllint.dev/ignore"


class Located(NamedTuple):
    """A scalar value and where it is."""

    value: str
    position: Position


class ObjectMeta(NamedTuple):
    kind: str
    api_version: str
    name: str | None
    namespace: str | None
    source: Source
    position: Position  # the document's root mapping
    # Codes from the `pulllint.dev/ignore` annotation (object or pod template), and where it is.
    ignores: frozenset[str] = frozenset()
    ignore_position: Position | None = None

    @property
    def object_id(self) -> str:
        namespace = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{namespace}{self.name or '<unnamed>'}"


class SecretEntry(NamedTuple):
    """A docker config payload of a Secret (`.dockerconfigjson` or `.dockercfg`), still encoded."""

    key: str
    value: str
    base64: bool  # from `data` (base64) rather than `stringData` (plain)
    position: Position


class SecretObject(NamedTuple):
    meta: ObjectMeta
    type: Located | None
    # Only the docker config payloads are kept: pulllint never holds other secret data.
    entries: tuple[SecretEntry, ...] = ()
    # A Secret another object makes in the cluster (a SealedSecret, an ExternalSecret): it exists, with
    # the registries its template shows (`hosts`; empty: not known). None: a Secret written as such.
    made_by: str | None = None
    hosts: tuple[str, ...] = ()


class ServiceAccount(NamedTuple):
    meta: ObjectMeta
    image_pull_secrets: tuple[Located, ...] = ()


class Container:
    """One container of a pod spec: the unit most rules judge. Compared by identity (a dict key)."""

    __slots__ = ("filled_by", "image", "image_position", "name", "pod", "position", "pull_policy", "section")

    def __init__(
        self,
        pod: PodSpec,
        # "containers", "initContainers", "ephemeralContainers", or the last key of a `kinds` path
        # ("steps", "sidecars", "container", "script" ...)
        section: str,
        name: str | None,
        position: Position,  # the container's mapping
        image: str | None,  # None when the key is absent or not a string (PL002 reports the latter)
        image_position: Position,  # the image value; the container when absent
        pull_policy: Located | None = None,
    ) -> None:
        self.pod = pod
        self.section = section
        self.name = name
        self.position = position
        self.image = image
        self.image_position = image_position
        self.pull_policy = pull_policy
        # An OpenShift image trigger that sets the image ("ImageStreamTag app:latest", where written):
        # `image` is then the trigger's pullable image, or None when it names an ImageStreamTag.
        self.filled_by: Located | None = None

    @property
    def workload(self) -> Workload:
        return self.pod.workload

    @property
    def meta(self) -> ObjectMeta:
        return self.pod.workload.meta


class PodSpec:
    """A pod spec and its containers; built field by field as the document is read."""

    __slots__ = (
        "containers",
        "image_pull_secrets",
        "path",
        "platforms",
        "position",
        "pull_credentials",
        "service_account",
        "workload",
    )

    def __init__(self, workload: Workload, path: str, position: Position) -> None:
        self.workload = workload
        self.path = path  # "spec.template.spec"
        self.position = position
        self.containers: list[Container] = []
        self.image_pull_secrets: tuple[Located, ...] = ()
        self.service_account: Located | None = None
        # Platforms the scheduler may place the pod on, from nodeSelector / required node affinity;
        # empty: any.
        self.platforms: tuple[Platform, ...] = ()
        # Whose credentials pull the images: "kubelet" (the pod's imagePullSecrets, else its
        # ServiceAccount's) or "image-import" (an OpenShift ImageStream: the image import uses every
        # docker-config Secret of the stream's namespace, not a pod's).
        self.pull_credentials = "kubelet"


class Workload:
    __slots__ = ("meta", "pod", "replicas")

    def __init__(self, meta: ObjectMeta, replicas: int | None = None) -> None:
        self.meta = meta
        self.replicas = replicas
        self.pod: PodSpec | None = None  # set right after construction; never None once built

    @property
    def is_daemonset(self) -> bool:
        return self.meta.kind == "DaemonSet"


class UnknownImageKind(NamedTuple):
    """A document holding `image` keys pulllint did not check: its kind has no `kinds` entry, or one
    that does not name where these are."""

    meta: ObjectMeta
    key: str  # how a `kinds` entry names the kind: "acme.example.com/Runner"
    image: str  # the first unchecked image
    position: Position  # of that image's value
    paths: tuple[str, ...]  # container paths a `kinds` entry would need ("spec.runners[]"), first few
    unchecked: int  # `image` values in the document that no entry covers
    # The kind has an entry that misses these images: a configured entry replaces it, so it must
    # repeat the entry's own paths (`paths` starts with its container paths).
    known: bool = False
    pod_specs: tuple[str, ...] = ()
    pod_fields: tuple[str, ...] = ()


class ShapeProblem(NamedTuple):
    """A field the kubelet or API server cannot use: reported by PL002."""

    source: Source
    position: Position
    message: str
    meta: ObjectMeta | None = None


class SyntaxFinding(NamedTuple):
    """A document or file that could not be read, or a duplicate key: reported by PL001."""

    source: Source
    position: Position
    message: str


class InlineSuppression:
    """`# pulllint: ignore[PL103,PL104]` (codes empty: every code) on `line`, covering `covers`.

    Compared by identity: the engine records which suppression was used.
    """

    __slots__ = ("codes", "column", "covers", "line", "path")

    def __init__(
        self, path: str, line: int, column: int, codes: frozenset[str], covers: tuple[int, ...]
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.codes = codes
        self.covers = covers


class Manifests:
    """Everything read from the input: the model every rule is a pure function of."""

    __slots__ = (
        "documents",
        "files",
        "inline_suppressions",
        "secrets",
        "service_accounts",
        "shape_problems",
        "syntax_problems",
        "unknown_image_kinds",
        "workloads",
    )

    def __init__(
        self,
        secrets: list[SecretObject] | None = None,
        service_accounts: list[ServiceAccount] | None = None,
    ) -> None:
        self.workloads: list[Workload] = []
        self.secrets: list[SecretObject] = secrets if secrets is not None else []
        self.service_accounts: list[ServiceAccount] = service_accounts if service_accounts is not None else []
        self.syntax_problems: list[SyntaxFinding] = []
        self.shape_problems: list[ShapeProblem] = []
        self.inline_suppressions: list[InlineSuppression] = []
        self.unknown_image_kinds: list[UnknownImageKind] = []
        self.files = 0
        self.documents = 0

    def containers(self) -> Iterator[Container]:
        for workload in self.workloads:
            if workload.pod is not None:
                yield from workload.pod.containers
