"""Where each kind keeps its pod specs and containers: data, read once per run.

The built-in table is ``pulllint/kinds/kinds.json`` (validated by ``pulllint/schemas/kinds.schema.json`` in
the tests, so start-up imports no JSON Schema validator): Kubernetes' workload kinds, OpenShift's
DeploymentConfig, Tekton (Task, ClusterTask, Pipeline, TaskRun, PipelineRun, StepAction), Argo Workflows
(Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow), Argo Rollouts' analysis templates, the
Prometheus Operator's servers and KEDA's ScaledJob, plus a few kinds known to hold no image to check (CRDs,
RBAC, Kyverno policies ...), which are then not scanned for `image` keys either. A team adds its own
CRDs in the configuration under ``kinds``, in the same shape; an entry there replaces the built-in entry
of the same key::

    kinds:
      acme.example.com/Runner:          # group/Kind (apiVersion acme.example.com/v1), or a bare Kind
        pod-specs: [spec.podTemplate.spec]
        containers: ["spec.steps[]", spec.sidecar]
        pod-fields: [spec]              # where imagePullSecrets, serviceAccountName ... of `containers` are

A path is dot-separated keys; ``key[]`` means each item of the list at ``key`` (``key[][]`` each item of
each of its lists: Argo's ``steps``) and ``*`` each value of a mapping. A `containers` path ending in
``[]`` names a list of containers, any other a single container (a mapping with ``image``). An entry with
no paths at all says the kind holds no image to check. Inside a YAML flow list (``[...]``) quote a path
that holds ``[]``.

`load_kinds` does the reading (one small file) and is called once per run by the engine; nothing is read
when this module is imported.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

__all__ = [
    "BUILTIN_KINDS_FILE",
    "FieldPath",
    "KindError",
    "KindSpec",
    "KindTable",
    "builtin_kinds",
    "kind_key",
    "load_kinds",
    "parse_path",
]

BUILTIN_KINDS_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "kinds", "kinds.json")
_FIELDS = ("pod-specs", "containers", "pod-fields")
# Compiled on first use (re's cache), so importing this module compiles nothing.
_STEP = r"^(?:[A-Za-z0-9_$-]+|\*)(?:\[\]){0,3}$"
_KEY = r"^(?:[a-z0-9]([a-z0-9.-]*[a-z0-9])?/)?[A-Za-z][A-Za-z0-9]*$"
_MAX_ENTRIES = 10_000
_MAX_PATHS = 100


class KindError(ValueError):
    """A `kinds` entry that cannot be used; the message names the key path (the engine makes it exit 2)."""


class Step(NamedTuple):
    key: str  # a mapping key, or "*" for every value of a mapping
    each: int  # list levels: 0 the value itself, 1 each item of a list, 2 each item of each item ...


class FieldPath(NamedTuple):
    """A parsed path such as ``spec.templates[].container``."""

    text: str
    steps: tuple[Step, ...]

    @property
    def is_list(self) -> bool:
        """A `containers` path that names a list of containers rather than one container."""
        return self.steps[-1].each > 0

    @property
    def last_key(self) -> str:
        return self.steps[-1].key


class KindSpec(NamedTuple):
    key: str  # as written: "tekton.dev/Task" or "Deployment"
    pod_specs: tuple[FieldPath, ...] = ()
    containers: tuple[FieldPath, ...] = ()
    pod_fields: tuple[FieldPath, ...] = ()
    origin: str = "built-in"  # "built-in" or "configuration"

    @property
    def holds_images(self) -> bool:
        return bool(self.pod_specs or self.containers)


class KindTable:
    """Kind entries by ``group/Kind`` and by bare ``Kind``; immutable once built."""

    __slots__ = ("_entries",)

    def __init__(self, entries: Iterable[KindSpec]) -> None:
        self._entries = {entry.key: entry for entry in entries}

    def lookup(self, api_version: str, kind: str) -> KindSpec | None:
        """The entry for an object: ``group/Kind`` first, then the bare ``Kind``."""
        group = api_version.rpartition("/")[0]
        if group:
            found = self._entries.get(f"{group}/{kind}")
            if found is not None:
                return found
        return self._entries.get(kind)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self) -> tuple[str, ...]:
        return tuple(self._entries)


def kind_key(api_version: str, kind: str) -> str:
    """How a `kinds` entry names this object's kind: ``group/Kind``, or ``Kind`` for the core group."""
    group = api_version.rpartition("/")[0]
    return f"{group}/{kind}" if group else kind


def parse_path(text: str, where: str = "path") -> FieldPath:
    """``spec.tasks[].taskSpec.steps[]`` -> steps; raises KindError naming `where`."""
    if not isinstance(text, str) or not text:
        raise KindError(f"{where}: a path is a non-empty string such as spec.steps[]")
    steps: list[Step] = []
    for part in text.split("."):
        if not re.match(_STEP, part):
            raise KindError(
                f"{where}: {text!r}: each step is a key, `key[]` (each item of a list) or `*` (each value "
                "of a mapping)"
            )
        key = part.rstrip("[]")
        steps.append(Step(key, (len(part) - len(key)) // 2))
    return FieldPath(text, tuple(steps))


def _entry(key: str, raw: Any, origin: str, where: str) -> KindSpec:
    if not re.match(_KEY, key):
        raise KindError(f"{where}: {key!r}: a kind is `Kind` or `group/Kind` (acme.example.com/Runner)")
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise KindError(f"{where}: expected a mapping with pod-specs, containers or pod-fields")
    unknown = sorted(set(raw) - {*_FIELDS, "source"})
    if unknown:
        raise KindError(f"{where}: unknown key {', '.join(map(repr, unknown))} (known: {', '.join(_FIELDS)})")
    paths: dict[str, tuple[FieldPath, ...]] = {}
    for field in _FIELDS:
        values = raw.get(field) or ()
        if isinstance(values, str) or not isinstance(values, (list, tuple)):
            raise KindError(f"{where}.{field}: expected a list of paths")
        if len(values) > _MAX_PATHS:
            raise KindError(f"{where}.{field}: at most {_MAX_PATHS} paths")
        paths[field] = tuple(parse_path(v, f"{where}.{field}[{n}]") for n, v in enumerate(values))
    return KindSpec(key, paths["pod-specs"], paths["containers"], paths["pod-fields"], origin)


def _entries(raw: Any, origin: str, prefix: str) -> list[KindSpec]:
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        raise KindError(f"{prefix}: expected a mapping of kinds (Kind or group/Kind) to their paths")
    if len(raw) > _MAX_ENTRIES:
        raise KindError(f"{prefix}: at most {_MAX_ENTRIES} kinds")
    return [_entry(str(key), value, origin, f"{prefix}.{key}") for key, value in raw.items()]


def _read_builtin(path: str) -> list[KindSpec]:
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    return _entries(document["kinds"], "built-in", "kinds")


def load_kinds(
    extra: Mapping[str, Any] | None = None, *, builtin_file: str = BUILTIN_KINDS_FILE
) -> KindTable:
    """The built-in table plus the configuration's `kinds` (`extra`), whose entries replace built-in ones.

    Reads one small file; call it once per run and pass the table down. Raises KindError for an unusable
    `extra` entry (the message names its key path, e.g. ``kinds.acme.example.com/Runner.containers[0]``).
    """
    entries = _read_builtin(builtin_file)
    entries += _entries(extra, "configuration", "kinds")
    return KindTable(entries)


@functools.cache
def builtin_kinds() -> KindTable:
    """The built-in table alone, read on first use: for callers that build a model without a run
    (tests, `load_manifests`). Immutable, so sharing it is safe."""
    return load_kinds()
