"""Pull failures out of whatever the user has at hand; the format is detected from the text.

- ``kubectl describe pod`` output (one or many pods): the Containers/Init Containers sections (image,
  waiting reason) and the Events table (new ``Type Reason Age From Message`` and old
  ``FirstSeen ... SubObjectPath`` columns, messages that continue on the next lines);
- ``kubectl get events|pods -o json|yaml`` (also single objects, ``List`` and mixed lists):
  ``containerStatuses``, ``initContainerStatuses`` and ``ephemeralContainerStatuses`` waiting in
  ErrImagePull / ImagePullBackOff / InvalidImageName / ErrImageNeverPull, and the pods' pull events
  (``involvedObject`` of core/v1 Events, ``regarding``/``note`` of events.k8s.io/v1);
- kubelet, containerd, CRI-O and dockerd journal lines (``journalctl -u kubelet``, klog headers, klog
  structured ``"msg" err="..." image="..."`` and logfmt ``level=error msg=... error=...``);
- plain text: each line holding a pull-failure message (an event, a status message, an issue text, a
  ``kubectl get events`` table row).

Every failure keeps the 1-based line where its message starts. Failures of one container carry the same
``group`` so the caller can keep the most telling message of each. Pure: text in, records out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from types import MappingProxyType
from typing import NamedTuple

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pulllint.loading.yaml import read_documents

__all__ = [
    "STUCK_REASONS",
    "Failure",
    "InputFormatError",
    "detect_format",
    "objects_failures",
    "parse_text",
]

STUCK_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})


class InputFormatError(ValueError):
    """Structured input (JSON/YAML) that cannot be read: a usage error."""


class Failure(NamedTuple):
    """One pull-failure message and what is known about the container it concerns."""

    message: str
    line: int | None
    pod: str | None = None
    namespace: str | None = None
    container: str | None = None
    image: str | None = None
    node: str | None = None
    runtime_hint: str | None = None  # from a journal's unit name
    group: tuple[str | int | None, ...] | None = None  # same group: same failing container
    # "failure", or "secrets-missing": the kubelet's notice that it could not read the pod's pull
    # secrets (FailedToRetrieveImagePullSecret), so it pulls without them
    kind: str = "failure"


_SECRETS_MISSING = re.compile(r"Unable to retrieve (?:some image )?pull secrets? \(?([^);]*)", re.IGNORECASE)


def secrets_missing(message: str) -> str | None:
    """The Secret names of a FailedToRetrieveImagePullSecret notice ("" when it names none), else None."""
    match = _SECRETS_MISSING.search(message)
    return match.group(1).strip() if match else None


# A message that reports a failed pull (or the kubelet's notice of one).
_FAILURE = re.compile(
    r"Failed to pull image|Back-off pulling image|\bErrImagePull\b|\bImagePullBackOff\b|InvalidImageName"
    r"|ErrImageNeverPull|is not present with pull policy|Failed to apply default image tag"
    r"|couldn't parse image reference|Failed to inspect image|PullImage .{0,400}failed|failed to pull"
    r"|image pull failed|pull access denied|Error response from daemon|rpc error: code",
    re.IGNORECASE,
)
_NOT_FAILURE = re.compile(
    r"Successfully pulled|Successfully assigned|^\W*Pulling image|\bPulling\s+pulling image"
    r"|already present on machine|Created container|Started container",
    re.IGNORECASE,
)
# A plain line is a failure message when it says something of the kind (the cause table's vocabulary).
_PULLISH = re.compile(
    r"pull|image|manifest|registry|reference|platform|x509|certificate|tls|dial tcp|lookup |no such host"
    r"|name resolution|refused|no route|unreachable|reset by peer|EOF|timeout|timed out|deadline"
    r"|unauthorized|authentication|credentials|denied|forbidden|insufficient_scope|toomanyrequests"
    r"|too many requests|rate limit|\b429\b|not found|no space left|disk quota",
    re.IGNORECASE,
)
_MESSAGE_START = re.compile(
    r'"?Failed to pull image|Back-off pulling image|Container image "|Failed to apply default image tag'
    r"|Error: |ErrImagePull: |Error syncing pod|PullImage |failed to pull and unpack image|rpc error: "
    r"|Error response from daemon|Failed to inspect image",
    re.IGNORECASE,
)
_POD_PREFIX = re.compile(r"(?:^|\s)pods?/([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?=\s|:|$)")
_EVENTS_TABLE_ROW = re.compile(
    r"^(?:([a-z0-9][a-z0-9-]*)\s+)?(?:<unknown>|\S+)\s+(Warning|Normal)\s+(\S+)\s+pods?/([a-z0-9][a-z0-9.-]*)\s"
)
_FIELD_PATH = re.compile(r"spec\.(?:initContainers|containers|ephemeralContainers)\{([^}]+)\}")
_START_CONTAINER = re.compile(r'failed to "StartContainer" for "([^"\\]+)\\?"')
_OLD_SYNC_POD = re.compile(r'Error syncing pod [0-9a-f-]+ \(\\?"([^_"]+)_([^(\\"]+)\(')


# --- format detection ----------------------------------------------------------------------------------

_JOURNAL = re.compile(
    r"^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT[\d:.,+-]+)\s+(\S+)\s+"
    r"([A-Za-z0-9_.@-]+?)(?:\[\d+\])?: (.*)$"
)
_KLOG = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [\w.-]+:\d+\] (.*)$")
_LOGFMT_LEVEL = re.compile(r'^time="[^"]*" level=(\w+) ')
_DESCRIBE_NAME = re.compile(r"^Name:\s+\S", re.MULTILINE)
_DESCRIBE_SECTION = re.compile(r"^(?:Events|Containers|Init Containers):", re.MULTILINE)
_YAML_OBJECT = re.compile(r"^(?:apiVersion|kind|items):", re.MULTILINE)


def detect_format(text: str) -> str:
    """ "json", "yaml", "describe", "journal" or "text"."""
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        return "json"
    if _YAML_OBJECT.search(text) and re.search(r"^\s*kind:", text, re.MULTILINE):
        return "yaml"
    if _DESCRIBE_NAME.search(text) and _DESCRIBE_SECTION.search(text):
        return "describe"
    lines = [line for line in text.splitlines()[:200] if line.strip()]
    if lines and any(
        _JOURNAL.match(line) or _KLOG.match(line) or _LOGFMT_LEVEL.match(line) for line in lines
    ):
        return "journal"
    return "text"


def parse_text(text: str) -> tuple[str, list[Failure]]:
    """(format, failures) of one input."""
    fmt = detect_format(text)
    if fmt in ("json", "yaml"):
        return fmt, _objects(text, fmt)
    if fmt == "describe":
        return fmt, list(_describe(text))
    if fmt == "journal":
        return fmt, list(_journal(text))
    return fmt, list(_plain(text))


# --- plain text ----------------------------------------------------------------------------------------


def _message_of(line: str) -> str:
    match = _MESSAGE_START.search(line)
    return line[match.start() :].strip() if match else line.strip()


def _plain(text: str) -> Iterator[Failure]:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or _NOT_FAILURE.search(stripped):
            continue
        if not (_FAILURE.search(stripped) or _PULLISH.search(stripped)):
            continue  # a line about something else (a table header, a log line of another kind)
        if re.fullmatch(
            r"[-\s]+|(?:NAMESPACE\s+)?LAST SEEN\s+TYPE\s+REASON.*|Type\s+Reason\s+Age.*", stripped
        ):
            continue
        row = _EVENTS_TABLE_ROW.match(stripped)  # kubectl get events [-A] [-o wide]
        pod = _POD_PREFIX.search(stripped)
        sub = _FIELD_PATH.search(stripped)
        yield Failure(
            _message_of(stripped),
            number,
            pod=row.group(4) if row else pod.group(1) if pod else None,
            namespace=row.group(1) if row else None,
            container=sub.group(1) if sub else None,
        )


# --- journal lines -------------------------------------------------------------------------------------

_KV = re.compile(r'([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|\S+)')
_GO_ESCAPE = re.compile(r'\\(["\\/abfnrtv]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})')
_GO_SIMPLE = MappingProxyType({"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"})
_UNIT_RUNTIME = MappingProxyType(
    {"containerd": "containerd", "crio": "cri-o", "dockerd": "docker", "docker": "docker"}
)


def _unquote(value: str) -> str:
    """A Go-quoted string's value (logfmt and klog quote values with strconv.Quote)."""
    if len(value) < 2 or not (value.startswith('"') and value.endswith('"')):
        return value

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "xuU":
            return chr(int(code[1:], 16))
        return _GO_SIMPLE.get(code, code)

    return _GO_ESCAPE.sub(replace, value[1:-1])


def _journal(text: str) -> Iterator[Failure]:
    for number, line in enumerate(text.splitlines(), start=1):
        unit = None
        rest = line.strip()
        match = _JOURNAL.match(rest)
        if match:
            unit, rest = match.group(2).lower(), match.group(3)
        klog = _KLOG.match(rest)
        level_error = False
        if klog:
            level_error = rest[0] in "EW"
            rest = klog.group(1)
        values: dict[str, str] = {}
        lead = ""
        if rest.startswith('"'):
            end = re.match(r'"(?:[^"\\]|\\.)*"', rest)
            if end:
                lead = _unquote(end.group(0))
                values = {k: _unquote(v) for k, v in _KV.findall(rest[end.end() :])}
        elif _LOGFMT_LEVEL.match(rest) or " msg=" in rest:
            values = {k: _unquote(v) for k, v in _KV.findall(rest)}
            lead = values.get("msg", "")
            level_error = values.get("level", "") in ("error", "warning", "fatal")
        message = values.get("err") or values.get("error") or ""
        if message and lead and re.match(r"(Failed to pull image|PullImage)", lead, re.IGNORECASE):
            image = values.get("image")
            prefix = f'Failed to pull image "{image}": ' if image else ""
            message = prefix + message
        elif not message:
            message = lead or rest
        if not (_FAILURE.search(message) or (level_error and _FAILURE.search(rest))):
            continue
        if _NOT_FAILURE.search(message):
            continue
        pod = namespace = None
        if "pod" in values and "/" in values["pod"]:
            namespace, pod = values["pod"].split("/", 1)
        else:
            old = _OLD_SYNC_POD.search(rest)
            if old:
                pod, namespace = old.groups()
        container = _START_CONTAINER.search(message)
        image = values.get("image")
        yield Failure(
            _message_of(message) if not values else message,
            number,
            pod=pod,
            namespace=namespace,
            container=container.group(1) if container else None,
            image=image,
            runtime_hint=_UNIT_RUNTIME.get(unit or ""),
            group=("journal",),  # regrouped by image by the caller
        )


# --- kubectl describe ----------------------------------------------------------------------------------

_EVENT_ROW = re.compile(r"^  \S")
_CONTAINER_HEADER = re.compile(r"^  ([A-Za-z0-9][\w.-]*):\s*$")
_FIELD = re.compile(r"^\s+(Image|Reason|Message|State):\s*(.*)$")


class _DescribedContainer(NamedTuple):
    name: str
    image: str | None
    reason: str | None
    reason_line: int
    message: str | None


class _Building:
    """A container of the describe output, read field by field."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.image: str | None = None
        self.reason: str | None = None
        self.reason_line = 0
        self.message: str | None = None
        self.in_waiting = False

    def read(self, line: str, index: int) -> None:
        field = _FIELD.match(line)
        indent = len(line) - len(line.lstrip())
        if field is None:
            if indent <= 4:
                self.in_waiting = False
            return
        name, value = field.group(1), field.group(2).strip()
        if indent == 4:
            self.in_waiting = name == "State" and value == "Waiting"
            if name == "Image":
                self.image = value or None
        elif indent == 6 and self.in_waiting:
            if name == "Reason":
                self.reason, self.reason_line = value, index
            elif name == "Message":
                self.message = value or None

    def done(self) -> _DescribedContainer:
        return _DescribedContainer(self.name, self.image, self.reason, self.reason_line, self.message)


def _describe(text: str) -> Iterator[Failure]:
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"^Name:\s+\S", line)]
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        yield from _describe_pod(lines, start, end)


def _describe_pod(lines: list[str], start: int, end: int) -> Iterator[Failure]:
    pod = lines[start].split(":", 1)[1].strip()
    namespace = node = None
    containers: list[_DescribedContainer] = []
    events: list[tuple[int, str]] = []  # (0-based line, message)
    section = ""
    current: _Building | None = None

    def close() -> None:
        nonlocal current
        if current is not None:
            containers.append(current.done())
        current = None

    for i in range(start, end):
        line = lines[i]
        stripped = line.strip()
        if section == "Events":
            if not stripped:
                section = ""
                continue
            if not re.match(r"^[A-Z][A-Za-z ]*:(\s|$)", line):
                if re.fullmatch(r"[-\s]+", stripped) or re.match(
                    r"(?:Type\s+Reason|FirstSeen\s+LastSeen)\b", stripped
                ):
                    continue
                if _EVENT_ROW.match(line) or not events:
                    events.append((i, stripped))
                else:  # a message that goes on over several lines
                    j, message = events[-1]
                    events[-1] = (j, f"{message}\n{stripped}")
                continue
        if line and not line[0].isspace():
            close()
            key, _, value = line.partition(":")
            section = key
            if key == "Namespace":
                namespace = value.strip() or None
            elif key == "Node":
                node = value.strip().split("/", 1)[0] or None
                node = None if node == "<none>" else node
            continue
        if section not in ("Containers", "Init Containers", "Ephemeral Containers"):
            continue
        header = _CONTAINER_HEADER.match(line)
        if header:
            close()
            current = _Building(header.group(1))
            continue
        if current is not None:
            current.read(line, i)
    close()
    by_image: dict[str, list[_DescribedContainer]] = {}
    for container in containers:
        if container.image:
            by_image.setdefault(container.image, []).append(container)
    for i, row in events:
        if secrets_missing(row) is not None:
            found = _SECRETS_MISSING.search(row)
            notice = row[found.start() :] if found else row
            yield Failure(notice, i + 1, pod=pod, namespace=namespace, kind="secrets-missing")
            continue
        if not _FAILURE.search(row) or _NOT_FAILURE.search(row.split("\n", 1)[0]):
            continue
        message = _message_of(row)
        sub = _FIELD_PATH.search(row)
        target: _DescribedContainer | None = None
        if sub:
            target = next((c for c in containers if c.name == sub.group(1)), None)
        else:
            named = re.search(r'(?:image|Container image) "([^"]+)"', message)
            candidates = by_image.get(named.group(1), []) if named else []
            stuck = [c for c in candidates if c.reason in STUCK_REASONS]
            target = (stuck or candidates)[0] if (stuck or candidates) else None
            if target is None and not named:
                # "Error: ErrImagePull": the single stuck container, if there is exactly one
                stuck_all = [c for c in containers if c.reason in STUCK_REASONS]
                target = stuck_all[0] if len(stuck_all) == 1 else None
        name = target.name if target else None
        yield Failure(
            message,
            i + 1,
            pod=pod,
            namespace=namespace,
            container=name,
            image=target.image if target else None,
            node=node,
            group=("describe", namespace, pod, name or message),
        )
    for container in containers:
        if container.reason in STUCK_REASONS:
            yield Failure(
                container.message or container.reason or "",
                container.reason_line + 1,
                pod=pod,
                namespace=namespace,
                container=container.name,
                image=container.image,
                node=node,
                group=("describe", namespace, pod, container.name),
            )


# --- JSON and YAML objects -----------------------------------------------------------------------------


def _mapping(node: Node | None) -> dict[str, Node]:
    if not isinstance(node, MappingNode):
        return {}
    return {k.value: v for k, v in node.value if isinstance(k, ScalarNode)}


def _sequence(node: Node | None) -> list[Node]:
    return list(node.value) if isinstance(node, SequenceNode) else []


def _string(node: Node | None) -> str | None:
    if isinstance(node, ScalarNode):
        value = node.value
        return value if isinstance(value, str) and value != "" else None
    return None


class _Reader:
    def __init__(self, offset: int) -> None:
        self.offset = offset

    def line(self, node: Node) -> int:
        return int(node.start_mark.line) + 1 + self.offset


def objects_failures(texts: Sequence[str]) -> list[Failure]:
    """The failures of several JSON documents read together (pods and their events)."""
    failures: list[Failure] = []
    for text in texts:
        failures.extend(_read_objects(text, "json"))
    return _attach_events(failures)


def _objects(text: str, fmt: str) -> list[Failure]:
    return _attach_events(_read_objects(text, fmt))


def _read_objects(text: str, fmt: str) -> list[Failure]:
    if fmt == "json":
        try:
            json.loads(text)
        except ValueError as error:
            raise InputFormatError(f"not valid JSON: {error}") from None
        text = text.replace("\t", " ")
    failures: list[Failure] = []
    for document in read_documents(text, split=fmt == "yaml"):
        if document.problem is not None:
            problem = document.problem
            raise InputFormatError(f"line {problem.line}, column {problem.column}: {problem.message}")
        if document.root is None:
            skipped = getattr(document, "skipped", None)  # a piece the loader would not judge
            if skipped is not None:
                raise InputFormatError(f"line {skipped.line}: {skipped.message.removeprefix('skipped: ')}")
            continue
        reader = _Reader(document.line_offset)
        for obj in _flatten(document.root, 0):
            failures.extend(_object(obj, reader))
    return failures


def _flatten(node: Node, depth: int) -> Iterator[dict[str, Node]]:
    if isinstance(node, SequenceNode):
        for item in node.value:
            yield from _flatten(item, depth + 1) if depth < 3 else iter(())
        return
    obj = _mapping(node)
    if "items" in obj and isinstance(obj["items"], SequenceNode) and depth < 3:
        for item in obj["items"].value:
            yield from _flatten(item, depth + 1)
        return
    if obj:
        yield obj


def _object(obj: dict[str, Node], reader: _Reader) -> Iterator[Failure]:
    kind = _string(obj.get("kind"))
    if kind == "Event" or "involvedObject" in obj or "regarding" in obj:
        yield from _event(obj, reader)
    elif kind in (None, "Pod") and "status" in obj:
        yield from _pod(obj, reader)


def _event(obj: dict[str, Node], reader: _Reader) -> Iterator[Failure]:
    involved = _mapping(obj.get("involvedObject") or obj.get("regarding"))
    if _string(involved.get("kind")) not in (None, "Pod"):
        return
    node = obj.get("message") or obj.get("note")
    message = _string(node)
    pod = _string(involved.get("name"))
    namespace = _string(involved.get("namespace")) or _string(_mapping(obj.get("metadata")).get("namespace"))
    if node is not None and message is not None and secrets_missing(message) is not None:
        yield Failure(message, reader.line(node), pod=pod, namespace=namespace, kind="secrets-missing")
        return
    if node is None or message is None or not _FAILURE.search(message) or _NOT_FAILURE.search(message):
        return
    field_path = _string(involved.get("fieldPath")) or ""
    sub = _FIELD_PATH.search(field_path)
    container = sub.group(1) if sub else None
    source = _mapping(obj.get("source"))
    host = _string(source.get("host")) or _string(obj.get("reportingInstance"))
    yield Failure(
        message,
        reader.line(node),
        pod=pod,
        namespace=namespace,
        container=container,
        node=host,
        group=("object", namespace, pod, container),
    )


def _pod(obj: dict[str, Node], reader: _Reader) -> Iterator[Failure]:
    meta = _mapping(obj.get("metadata"))
    pod = _string(meta.get("name"))
    namespace = _string(meta.get("namespace"))
    spec = _mapping(obj.get("spec"))
    node = _string(spec.get("nodeName"))
    images: dict[str, str] = {}
    for section in ("initContainers", "containers", "ephemeralContainers"):
        for item in _sequence(spec.get(section)):
            fields = _mapping(item)
            name, image = _string(fields.get("name")), _string(fields.get("image"))
            if name and image:
                images[name] = image
    status = _mapping(obj.get("status"))
    for section in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"):
        for item in _sequence(status.get(section)):
            fields = _mapping(item)
            name = _string(fields.get("name"))
            waiting = _mapping(_mapping(fields.get("state")).get("waiting"))
            reason_node, message_node = waiting.get("reason"), waiting.get("message")
            reason, message = _string(reason_node), _string(message_node)
            if reason not in STUCK_REASONS and not (message and _FAILURE.search(message)):
                continue
            at = message_node if message and message_node is not None else reason_node
            yield Failure(
                message or reason or "",
                reader.line(at) if at is not None else None,
                pod=pod,
                namespace=namespace,
                container=name,
                image=images.get(name or "") or _string(fields.get("image")),
                node=node,
                group=("object", namespace, pod, name),
            )


def _attach_events(failures: list[Failure]) -> list[Failure]:
    """Events without a container (no fieldPath) join the container of their pod that has their image."""
    containers: dict[tuple[str | None, str | None], list[Failure]] = {}
    for failure in failures:
        if failure.container is not None and failure.image is not None:
            containers.setdefault((failure.namespace, failure.pod), []).append(failure)
    attached: list[Failure] = []
    for failure in failures:
        if failure.container is None:
            named = re.search(r'(?:image|Container image) "([^"]+)"', failure.message)
            peers = containers.get((failure.namespace, failure.pod), [])
            match = next((p for p in peers if named and p.image == named.group(1)), None)
            if match is None and len({p.container for p in peers}) == 1 and not named:
                match = peers[0]
            if match is not None:
                failure = failure._replace(
                    container=match.container,
                    image=match.image,
                    node=failure.node or match.node,
                    group=match.group,
                )
        elif failure.image is None:
            peer = next(
                (
                    p
                    for p in containers.get((failure.namespace, failure.pod), [])
                    if p.container == failure.container
                ),
                None,
            )
            if peer is not None:
                failure = failure._replace(image=peer.image, node=failure.node or peer.node)
        attached.append(failure)
    return attached
