"""`--kubectl`: find every container stuck pulling its image, the way a troubleshooting script does.

Read-only kubectl calls, each with a bounded wait (``--request-timeout`` and a process timeout):

- ``kubectl get pods -o json`` and ``kubectl get events -o json`` (one namespace, or ``-A``);
- for the namespaces of stuck pods: ``get serviceaccounts -o json`` and the Secrets' names and types
  only (``-o custom-columns``), to tell "no pull secret" from "a pull secret that was refused";
- with ``--verify`` only: the pod's own pull secrets (``get secret NAME -o json``), decoded in memory as
  the kubelet would (`pulllint.model`) and handed to the registry wing, never printed nor stored; and the
  node's platform when a platform failure does not name it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from typing import Any, NamedTuple

from pulllint.diagnose._parse import Failure, objects_failures

__all__ = ["Cluster", "KubectlError", "PodSecrets", "collect"]

DEFAULT_TIMEOUT = 30.0
_DOCKER_SECRET_TYPES = ("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg")
_MAX_OUTPUT = 512 * 1024 * 1024


class KubectlError(Exception):
    """kubectl is missing, failed or did not answer in time: exit code 2."""


class PodSecrets(NamedTuple):
    """The pull secrets a pod has, as the kubelet resolves them (names and types only)."""

    service_account: str
    inherited: bool  # the names come from the ServiceAccount (the pod lists none)
    names: tuple[str, ...]
    missing: tuple[str, ...]  # named but absent from the namespace
    wrong_type: tuple[str, ...]  # present, but not a docker config Secret

    @property
    def usable(self) -> tuple[str, ...]:
        return tuple(n for n in self.names if n not in self.missing and n not in self.wrong_type)

    def describe(self) -> str:
        owner = f"its ServiceAccount {self.service_account}'s" if self.inherited else "its own"
        if not self.names:
            return (
                f"the pod has no pull secret (neither its own imagePullSecrets nor its ServiceAccount "
                f"{self.service_account}'s): the kubelet pulled anonymously"
            )
        parts = [f"pull secrets ({owner}): {', '.join(self.names)}"]
        if self.missing:
            parts.append(f"missing from the namespace: {', '.join(self.missing)}")
        if self.wrong_type:
            parts.append(f"not of type kubernetes.io/dockerconfigjson: {', '.join(self.wrong_type)}")
        if not self.usable:
            parts.append("so the kubelet pulled anonymously")
        return "; ".join(parts)


class Cluster(NamedTuple):
    """What --kubectl found: the failures and, by (namespace, pod), the pod's pull secrets and object."""

    failures: list[Failure]
    secrets: dict[tuple[str | None, str | None], PodSecrets]
    pods: dict[tuple[str | None, str | None], dict[str, Any]]


class Kubectl:
    def __init__(self, binary: str, context: str | None, timeout: float) -> None:
        self.binary = binary
        self.context = context
        self.timeout = timeout

    def run(self, *args: str) -> str:
        command = [self.binary]
        if self.context:
            command += ["--context", self.context]
        command += [*args, f"--request-timeout={max(int(self.timeout), 1)}s"]
        shown = " ".join(["kubectl", *args])
        try:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self.timeout + min(self.timeout, 5.0),
                check=False,
            )
        except FileNotFoundError:
            raise KubectlError(
                f"kubectl not found ({self.binary}): install it or put it on PATH, or give the messages as "
                "files or on stdin (kubectl describe pod ... | pulllint diagnose -)"
            ) from None
        except subprocess.TimeoutExpired:
            waited = self.timeout + min(self.timeout, 5.0)
            raise KubectlError(f"`{shown}` did not answer within {waited:g} s") from None
        except OSError as error:
            raise KubectlError(f"cannot run kubectl: {error}") from None
        if done.returncode != 0:
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = reason[-1] if reason else f"exit code {done.returncode}"
            raise KubectlError(f"`{shown}` failed: {detail[:500]}")
        if len(done.stdout) > _MAX_OUTPUT:
            raise KubectlError(f"`{shown}` answered more than {_MAX_OUTPUT // 2**20} MiB")
        return done.stdout.decode("utf-8", "replace")

    def json(self, *args: str) -> dict[str, Any]:
        text = self.run(*args, "-o", "json")
        try:
            value = json.loads(text)
        except ValueError:
            raise KubectlError(f"`kubectl {' '.join(args)} -o json` did not answer JSON") from None
        if not isinstance(value, dict):
            raise KubectlError(f"`kubectl {' '.join(args)} -o json` did not answer an object")
        return value


def _scope(namespace: str | None, all_namespaces: bool) -> list[str]:
    if all_namespaces:
        return ["--all-namespaces"]
    return ["--namespace", namespace] if namespace else []


def _items(doc: dict[str, Any]) -> list[dict[str, Any]]:
    items = doc.get("items")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _meta(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    namespace, name = meta.get("namespace"), meta.get("name")
    return (namespace if isinstance(namespace, str) else None, name if isinstance(name, str) else None)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        i["name"] for i in value if isinstance(i, dict) and isinstance(i.get("name"), str) and i["name"]
    )


def collect(
    binary: str = "kubectl",
    *,
    namespace: str | None = None,
    all_namespaces: bool = False,
    context: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[Kubectl, Cluster]:
    """Every stuck container of the scope, its events, and its pod's pull secrets (names and types)."""
    kubectl = Kubectl(binary, context, timeout)
    scope = _scope(namespace, all_namespaces)
    pods_doc = kubectl.json("get", "pods", *scope)
    pod_failures = objects_failures([json.dumps(pods_doc)])
    stuck = {(f.namespace, f.pod) for f in pod_failures}
    if not stuck:
        return kubectl, Cluster([], {}, {})
    events_doc = kubectl.json("get", "events", *scope, "--field-selector", "involvedObject.kind=Pod")
    events_doc["items"] = [
        e
        for e in _items(events_doc)
        if isinstance(e.get("involvedObject"), dict)
        and (e["involvedObject"].get("namespace"), e["involvedObject"].get("name")) in stuck
    ]
    failures = objects_failures([json.dumps(pods_doc), json.dumps(events_doc)])
    failures = [f._replace(line=None) for f in failures if (f.namespace, f.pod) in stuck]
    pods = {_meta(p): p for p in _items(pods_doc) if _meta(p) in stuck}
    per_namespace: dict[str | None, tuple[dict[str, tuple[str, ...]], dict[str, str]]] = {}
    for ns in sorted({ns for ns, _ in stuck}, key=lambda v: v or ""):
        where = ["--namespace", ns] if ns else []
        accounts = {
            _meta(sa)[1] or "": _names(sa.get("imagePullSecrets"))
            for sa in _items(kubectl.json("get", "serviceaccounts", *where))
        }
        listing = kubectl.run(
            "get", "secrets", *where, "-o", "custom-columns=NAME:.metadata.name,TYPE:.type", "--no-headers"
        )
        types = {}
        for row in listing.splitlines():
            parts = row.split()
            if len(parts) >= 2:
                types[parts[0]] = parts[1]
        per_namespace[ns] = (accounts, types)
    secrets: dict[tuple[str | None, str | None], PodSecrets] = {}
    for key, pod in pods.items():
        accounts, types = per_namespace.get(key[0], ({}, {}))
        spec = pod.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        own = _names(spec.get("imagePullSecrets"))
        names = own or accounts.get(str(account), ())
        secrets[key] = PodSecrets(
            str(account),
            not own,
            names,
            tuple(n for n in names if n not in types),
            tuple(n for n in names if n in types and types[n] not in _DOCKER_SECRET_TYPES),
        )
    return kubectl, Cluster(failures, secrets, pods)


def pull_secret_documents(
    kubectl: Kubectl, namespace: str | None, pod: dict[str, Any], secrets: PodSecrets
) -> str:
    """A ``List`` of the pod and its usable pull secrets (read now, kept in memory only)."""
    items: list[dict[str, Any]] = [pod]
    where = ["--namespace", namespace] if namespace else []
    for name in secrets.usable:
        items.append(kubectl.json("get", "secret", name, *where))
    if secrets.inherited:
        items.append(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": secrets.service_account, "namespace": namespace},
                "imagePullSecrets": [{"name": n} for n in secrets.names],
            }
        )
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


def node_platform(kubectl: Kubectl, node: str) -> str | None:
    """``os/arch`` of a node, from its labels or its nodeInfo."""
    doc = kubectl.json("get", "node", node)
    labels = _dict(_dict(doc.get("metadata")).get("labels"))
    info = _dict(_dict(doc.get("status")).get("nodeInfo"))
    arch = labels.get("kubernetes.io/arch") or info.get("architecture")
    os_name = labels.get("kubernetes.io/os") or info.get("operatingSystem")
    if isinstance(arch, str) and isinstance(os_name, str) and arch and os_name:
        return f"{os_name}/{arch}"
    return None


def container_credentials(
    documents: str, namespace: str | None, pod: str | None, container: str | None
) -> Sequence[Any]:
    """The credentials the kubelet would try for the container's image (decoded in memory)."""
    from pulllint.model.build import add_text
    from pulllint.model.objects import Manifests
    from pulllint.model.pullsecrets import PullSecretIndex, effective_credentials

    manifests = Manifests()
    add_text(manifests, "kubectl", documents)
    index = PullSecretIndex(manifests)
    for item in manifests.containers():
        meta = item.pod.workload.meta
        if meta.name == pod and meta.namespace == namespace and item.name == container:
            return effective_credentials(item, index)
    return ()
