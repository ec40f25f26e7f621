"""Kubernetes objects as plain data: what pulllint needs of them, each value with its position.

Built from YAML nodes by `pulllint.model.build`; no node is kept, so the model of a long stream stays
small. Workloads point back to their pod spec and object so a rule can go from an image to its secrets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pulllint.diagnostics import Position, Source
from pulllint.model.facts import Platform

IGNORE_ANNOTATION = "pulllint.dev/ignore"


@dataclass(slots=True)
class Located:
    """A scalar value and where it is."""

    value: str
    position: Position


@dataclass(slots=True)
class ObjectMeta:
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


@dataclass(slots=True)
class SecretEntry:
    """A docker config payload of a Secret (`.dockerconfigjson` or `.dockercfg`), still encoded."""

    key: str
    value: str
    base64: bool  # from `data` (base64) rather than `stringData` (plain)
    position: Position


@dataclass(slots=True)
class SecretObject:
    meta: ObjectMeta
    type: Located | None
    # Only the docker config payloads are kept: pulllint never holds other secret data.
    entries: tuple[SecretEntry, ...] = ()


@dataclass(slots=True)
class ServiceAccount:
    meta: ObjectMeta
    image_pull_secrets: tuple[Located, ...] = ()


@dataclass(eq=False, slots=True)
class Container:
    """One container of a pod spec: the unit most rules judge."""

    pod: PodSpec
    section: str  # "containers", "initContainers" or "ephemeralContainers"
    name: str | None
    position: Position  # the container's mapping
    image: str | None  # None when the key is absent or not a string (PL002 reports the latter)
    image_position: Position  # the image value; the container when absent
    pull_policy: Located | None = None

    @property
    def workload(self) -> Workload:
        return self.pod.workload

    @property
    def meta(self) -> ObjectMeta:
        return self.pod.workload.meta


@dataclass(eq=False, slots=True)
class PodSpec:
    workload: Workload
    path: str  # "spec.template.spec"
    position: Position
    containers: list[Container] = field(default_factory=list)
    image_pull_secrets: tuple[Located, ...] = ()
    has_image_pull_secrets: bool = False  # the key is present (even when empty)
    service_account: Located | None = None
    # Platforms the scheduler may place the pod on, from nodeSelector / required node affinity; empty: any.
    platforms: tuple[Platform, ...] = ()


@dataclass(eq=False, slots=True)
class Workload:
    meta: ObjectMeta
    replicas: int | None = None
    pod: PodSpec | None = None  # set right after construction; never None once built

    @property
    def is_daemonset(self) -> bool:
        return self.meta.kind == "DaemonSet"


@dataclass(slots=True)
class ShapeProblem:
    """A field the kubelet or API server cannot use: reported by PL002."""

    source: Source
    position: Position
    message: str
    meta: ObjectMeta | None = None


@dataclass(slots=True)
class SyntaxFinding:
    """A document or file that could not be read, or a duplicate key: reported by PL001."""

    source: Source
    position: Position
    message: str


@dataclass(eq=False, slots=True)
class InlineSuppression:
    """`# pulllint: ignore[PL103,PL104]` (codes empty: every code) on `line`, covering `covers`."""

    path: str
    line: int
    column: int
    codes: frozenset[str]
    covers: tuple[int, ...]


@dataclass(slots=True)
class Manifests:
    """Everything read from the input: the model every rule is a pure function of."""

    workloads: list[Workload] = field(default_factory=list)
    secrets: list[SecretObject] = field(default_factory=list)
    service_accounts: list[ServiceAccount] = field(default_factory=list)
    syntax_problems: list[SyntaxFinding] = field(default_factory=list)
    shape_problems: list[ShapeProblem] = field(default_factory=list)
    inline_suppressions: list[InlineSuppression] = field(default_factory=list)
    files: int = 0
    documents: int = 0

    def containers(self) -> Iterator[Container]:
        for workload in self.workloads:
            if workload.pod is not None:
                yield from workload.pod.containers
