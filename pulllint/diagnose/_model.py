"""The records of a diagnosis, as plain data."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Diagnosis", "PodContext"]


class Diagnosis(NamedTuple):
    """One failing container (or message line): what happened, why, how to fix it, how to confirm it."""

    line: int | None
    pod: str | None
    namespace: str | None
    container: str | None
    image: str | None
    runtime: str
    cause: str
    rule: str | None
    klass: str | None
    explanation: str
    fix: str
    triage: str
    message: str  # the message that decided, credentials masked
    source: str = ""  # the input's name ("-" for stdin, "kubectl")
    node: str | None = None
    notes: tuple[str, ...] = ()  # what the cluster or the registry says (--kubectl, --verify)


class PodContext(NamedTuple):
    """What the cluster says about a failing pod (``--kubectl``)."""

    note: str  # e.g. "the pod has no pull secret ...", shown with the diagnosis
    anonymous: bool  # no usable pull secret: the kubelet pulled without credentials
    secrets: tuple[str, ...] = ()  # the names of the pull secrets the kubelet could use
