"""From YAML nodes to the model: workloads and their pod specs, Secrets and ServiceAccounts.

Only the paths pulllint needs are visited, so the nodes of a document can be dropped as soon as it
is read, and aliases are followed only where kubectl's decoder would expand them on those paths: merge
keys (`<<: *base`) are applied, as go-yaml applies them, and `kind: List` items are read through
aliases. Both have a budget per document (`MAX_ALIASED_OBJECTS`, `MAX_MERGED_KEYS`): a document that
expands beyond it is one PL001 "alias expansion too large", what it added to the model is dropped,
and the rest of the stream is still read.
"""

from __future__ import annotations

import re
import sys

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pulllint.diagnostics import Position, Source
from pulllint.loading.inputs import INFO, Notice, Piece
from pulllint.loading.yaml import Document, node_span, read_documents
from pulllint.model import locate, openshift
from pulllint.model.facts import Platform
from pulllint.model.kinds import KindSpec, KindTable, builtin_kinds, kind_key
from pulllint.model.objects import (
    IGNORE_ANNOTATION,
    Container,
    InlineSuppression,
    Located,
    Manifests,
    ObjectMeta,
    PodSpec,
    SecretEntry,
    SecretObject,
    ServiceAccount,
    ShapeProblem,
    SyntaxFinding,
    UnknownImageKind,
    Workload,
)

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"
_MERGE = "tag:yaml.org,2002:merge"
# Objects read again through an alias (a List item aliasing another List ...), per document.
MAX_ALIASED_OBJECTS = 10_000
# Keys copied into mappings by merge keys, per document.
MAX_MERGED_KEYS = 100_000
# The lists of the model a document adds to, dropped again when the document is over its budget.
_MODEL_LISTS = (
    "workloads",
    "secrets",
    "service_accounts",
    "shape_problems",
    "syntax_problems",
    "unknown_image_kinds",
)
_CONTAINER_SECTIONS = ("containers", "initContainers", "ephemeralContainers")
_DOCKER_SECRET_KEYS = (".dockerconfigjson", ".dockercfg")
_DOCKER_SECRET_TYPES = ("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg")
# Objects that make a Secret in the cluster, by kind, with the API groups that define them.
_SECRET_MAKERS = {"SealedSecret": ("bitnami.com",), "ExternalSecret": ("external-secrets.io",)}
# Registry keys in a templated docker config: `"registry.example.com": {` (values are templated).
_TEMPLATE_HOSTS = re.compile(r'"([A-Za-z0-9][A-Za-z0-9.:\-\[\]/*]*)"\s*:\s*\{')
# Where each kind keeps its pod specs and containers is data (`pulllint.model.kinds`); a kind without an
# entry is a workload when one of these paths holds a pod spec with containers (Argo Rollouts, Knative
# Services, OpenKruise, ...), and its other `image` keys are reported as unchecked (PL004).
_GENERIC_POD_SPEC_PATHS = (("spec", "template", "spec"), ("spec", "jobTemplate", "spec", "template", "spec"))
_OPENSHIFT_IMAGE_GROUPS = ("image.openshift.io", "")
_ARCH_KEYS = ("kubernetes.io/arch", "beta.kubernetes.io/arch")
_OS_KEYS = ("kubernetes.io/os", "beta.kubernetes.io/os")
# Within one line; the code list stops at the next `#`, so no match can rescan a long line.
_INLINE_IGNORE = re.compile(r"#[ \t]*pulllint:[ \t]*ignore(?:\[([^\]\r\n#]*)\])?")
_CODE_LIST = re.compile(r"[A-Za-z]+[0-9]*")


def add_piece(manifests: Manifests, piece: Piece, kinds: KindTable | None = None) -> None:
    """Read every document of one piece of an input file into `manifests`.

    `kinds` says where each kind keeps its pod specs and containers (`pulllint.model.kinds.load_kinds`,
    once per run); None: the built-in table.
    """
    if piece.text is None:
        problem = piece.problem
        if problem is None:
            return  # skipped by the loader, which told the piece's notices
        position = Position.point(problem.line, problem.column)
        manifests.syntax_problems.append(SyntaxFinding(Source(piece.path), position, problem.message))
        return
    text = piece.text
    is_json = piece.is_json or text.lstrip()[:1] in ("{", "[")
    if is_json:
        # JSON allows tabs wherever it allows spaces, YAML does not; a tab is one column either way.
        text = text.replace("\t", " ")
    if "pulllint:" in text:
        manifests.inline_suppressions.extend(_inline_suppressions(piece.path, text, piece.line_offset))
    # How many `image` keys the text can hold at most (every one spells `image`; imagePullPolicy and
    # imagePullSecrets are not one): when the containers read claim as many, PL004's scan of the
    # document's other nodes would find nothing. Anchors (and so aliases) make it unsure.
    image_keys = None if "&" in text else text.count("image") - text.count("imagePull")
    for document in read_documents(text, split=not is_json, line_offset=piece.line_offset):
        skipped = document.skipped
        if skipped is not None:
            if piece.notices is not None:
                piece.notices.add(Notice(piece.path, skipped.line, skipped.message, INFO, skipped.kind))
            continue
        manifests.documents += 1
        source = Source(piece.path, document.helm_source)
        if document.problem is not None:
            problem = document.problem
            position = Position.point(problem.line, problem.column)
            manifests.syntax_problems.append(SyntaxFinding(source, position, problem.message))
            continue
        marks = [(name, len(getattr(manifests, name))) for name in _MODEL_LISTS if hasattr(manifests, name)]
        try:
            _DocumentReader(manifests, document, source, kinds or builtin_kinds(), image_keys).read()
        except (RecursionError, _ExpansionTooLarge) as error:
            # Our own walk is shallow, but a pathological key or value may still be deep; and an
            # expansion over budget is refused whole: nothing of the document stays in the model.
            for name, length in marks:
                del getattr(manifests, name)[length:]
            root = document.root
            line = document.line_offset + 1 + (root.start_mark.line if root is not None else 0)
            message = str(error) if isinstance(error, _ExpansionTooLarge) else "document nests too deeply"
            manifests.syntax_problems.append(SyntaxFinding(source, Position.point(line, 1), message))


def add_text(manifests: Manifests, path: str, text: str, kinds: KindTable | None = None) -> None:
    """Read a whole file given as text (tests, small inputs)."""
    manifests.files += 1
    add_piece(manifests, Piece(path, 0, text), kinds)


def _inline_suppressions(path: str, text: str, line_offset: int) -> list[InlineSuppression]:
    """Every `# pulllint: ignore[...]` comment, in one pass: lines are counted from the previous match,
    and only the first comment of a line can be alone on it, so every character is looked at once."""
    found: list[InlineSuppression] = []
    line = 1 + line_offset
    line_start = 0
    scanned = 0
    for match in _INLINE_IGNORE.finditer(text):
        at = match.start()
        newlines = text.count("\n", scanned, at)
        first_on_line = newlines > 0 or not found
        if newlines:
            line += newlines
            line_start = text.rfind("\n", scanned, at) + 1
        scanned = at
        column = at - line_start + 1
        codes = frozenset(code.upper() for code in _CODE_LIST.findall(match.group(1) or ""))
        own_line = first_on_line and text[line_start:at].strip() == ""
        # A comment alone on its line covers the next line; a trailing comment covers its own line.
        covers = (line, line + 1) if own_line else (line,)
        found.append(InlineSuppression(path, line, column, codes, covers))
    return found


class _ExpansionTooLarge(Exception):
    """A document that expands, through aliases, beyond its budget."""


class _DocumentReader:
    """Reads one document's root node into the model."""

    __slots__ = (
        "aliased",
        "claimed",
        "document",
        "duplicates_seen",
        "image_keys",
        "kinds",
        "manifests",
        "merged",
        "merged_keys",
        "merging",
        "objects_seen",
        "offset",
        "pod_nodes",
        "source",
    )

    def __init__(
        self,
        manifests: Manifests,
        document: Document,
        source: Source,
        kinds: KindTable,
        image_keys: int | None = None,
    ) -> None:
        self.manifests = manifests
        self.image_keys = image_keys
        self.kinds = kinds
        self.document = document
        self.offset = document.line_offset
        self.source = source
        self.duplicates_seen: set[tuple[int, int]] = set()
        # (line, column) marks of the `image` values read as containers' images, for PL004's scan
        self.claimed: set[tuple[int, int]] = set()
        self.pod_nodes: set[int] = set()  # the pod specs read, which PL004's scan does not enter
        self.objects_seen: set[int] = set()
        self.aliased = 0
        self.merged: dict[int, dict[str, Node]] = {}  # a merged mapping's fields, by node identity
        self.merging: set[int] = set()  # merged mappings being read (a merge key aliasing itself)
        self.merged_keys = 0

    def position(self, node: Node) -> Position:
        return Position(*node_span(node, self.offset))

    def read(self) -> None:
        root = self.document.root
        if isinstance(root, MappingNode):
            self.read_object(root)

    def fields(self, node: MappingNode, report: bool = True) -> dict[str, Node]:
        """A mapping's string keys, merge keys applied (its own keys win over merged ones); a duplicate
        key is PL001 when `report` (kubectl rejects it), the last one wins."""
        result: dict[str, Node] = {}
        merges: list[Node] | None = None
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                name = key.value
                # A merge key is `<<` with the merge tag: compare the text first (`tag` is costly).
                if name == "<<" and key.tag == _MERGE:
                    if merges is None:
                        merges = []
                    merges.append(value)
                    continue
                if (
                    report
                    and name in result
                    and (key.start_mark.line, key.start_mark.column) not in self.duplicates_seen
                ):
                    self.duplicates_seen.add((key.start_mark.line, key.start_mark.column))
                    self.manifests.syntax_problems.append(
                        SyntaxFinding(
                            self.source,
                            self.position(key),
                            f"duplicate key {name!r}: kubectl rejects this document",
                        )
                    )
                result[name] = value
        if merges is not None:
            for name, value in self.merge(merges).items():
                result.setdefault(name, value)
        return result

    def merge(self, values: list[Node]) -> dict[str, Node]:
        """The fields that `<<: *a` or `<<: [*a, *b]` brings in (earlier mappings win)."""
        result: dict[str, Node] = {}
        for value in values:
            sources = value.value if isinstance(value, SequenceNode) else [value]
            for source in sources:
                if not isinstance(source, MappingNode) or id(source) in self.merging:
                    continue
                found = self.merged.get(id(source))
                if found is None:
                    self.merging.add(id(source))
                    try:
                        found = self.fields(source, report=False)
                    finally:
                        self.merging.discard(id(source))
                    self.merged[id(source)] = found
                self.merged_keys += len(found)
                if self.merged_keys > MAX_MERGED_KEYS:
                    raise _ExpansionTooLarge(
                        f"alias expansion too large: merge keys copy more than {MAX_MERGED_KEYS} keys "
                        "in one document"
                    )
                for name, node in found.items():
                    result.setdefault(name, node)
        return result

    def read_object(self, root: MappingNode) -> None:
        top = self.fields(root, report=False)
        kind = _string(top.get("kind"))
        api_version = _string(top.get("apiVersion"))
        if kind is None or api_version is None:
            return  # not a Kubernetes object: values.yaml, CI workflows, docker-compose ...
        if len(top) < len(root.value):
            top = self.fields(root)  # a duplicate or merge key: now that it is an object, say so
        items = top.get("items")
        if kind.endswith("List") and isinstance(items, SequenceNode):
            for item in items.value:
                if isinstance(item, MappingNode):
                    if id(item) in self.objects_seen:
                        self.aliased += 1
                        if self.aliased > MAX_ALIASED_OBJECTS:
                            raise _ExpansionTooLarge(
                                "alias expansion too large: the list's items expand to more than "
                                f"{MAX_ALIASED_OBJECTS} objects through aliases"
                            )
                    else:
                        self.objects_seen.add(id(item))
                    self.read_object(item)
            return
        meta = self.read_meta(kind, api_version, root, top)
        if kind == "Secret":
            self.read_secret(meta, top)
        elif kind in _SECRET_MAKERS and api_version.split("/", 1)[0] in _SECRET_MAKERS[kind]:
            self.read_made_secret(meta, top)
        elif kind == "ServiceAccount":
            self.manifests.service_accounts.append(
                ServiceAccount(meta, self.read_name_refs(top.get("imagePullSecrets"), meta))
            )
        else:
            self.read_workload(meta, top, root)

    def read_meta(self, kind: str, api_version: str, root: MappingNode, top: dict[str, Node]) -> ObjectMeta:
        metadata = top.get("metadata")
        name = namespace = None
        ignores: frozenset[str] = frozenset()
        ignore_position = None
        if isinstance(metadata, MappingNode):
            meta_fields = self.fields(metadata)
            name = _string(meta_fields.get("name"))
            namespace = _string(meta_fields.get("namespace"))
            ignores, ignore_position = self.read_ignore_annotation(meta_fields)
        return ObjectMeta(
            kind, api_version, name, namespace, self.source, self.position(root), ignores, ignore_position
        )

    def read_ignore_annotation(self, meta_fields: dict[str, Node]) -> tuple[frozenset[str], Position | None]:
        annotations = meta_fields.get("annotations")
        if not isinstance(annotations, MappingNode):
            return frozenset(), None
        value = self.fields(annotations).get(IGNORE_ANNOTATION)
        text = _string(value)
        if value is None or text is None:
            return frozenset(), None
        return frozenset(code.upper() for code in _CODE_LIST.findall(text)), self.position(value)

    def read_made_secret(self, meta: ObjectMeta, top: dict[str, Node]) -> None:
        """A SealedSecret or ExternalSecret that makes a docker-config Secret: the Secret will exist."""
        spec_node = top.get("spec")
        spec = self.fields(spec_node) if isinstance(spec_node, MappingNode) else {}
        if meta.kind == "SealedSecret":
            template = spec.get("template")
            encrypted = spec.get("encryptedData")
            keys = set(self.fields(encrypted)) if isinstance(encrypted, MappingNode) else set()
        else:  # ExternalSecret: spec.target names the Secret and may template it
            target = spec.get("target")
            target_fields = self.fields(target) if isinstance(target, MappingNode) else {}
            template = target_fields.get("template")
            keys = set()
        template_fields = self.fields(template) if isinstance(template, MappingNode) else {}
        secret_type = _string(template_fields.get("type"))
        data = template_fields.get("data")
        data_fields = self.fields(data) if isinstance(data, MappingNode) else {}
        keys |= set(data_fields)
        if secret_type not in _DOCKER_SECRET_TYPES and not keys & set(_DOCKER_SECRET_KEYS):
            return  # some other Secret: not a pull secret
        name, namespace = meta.name, meta.namespace
        if meta.kind == "ExternalSecret":
            name = _string(target_fields.get("name")) or name
        template_meta = template_fields.get("metadata")
        if isinstance(template_meta, MappingNode):
            fields = self.fields(template_meta)
            name = _string(fields.get("name")) or name
            namespace = _string(fields.get("namespace")) or namespace
        hosts: list[str] = []
        for key in _DOCKER_SECRET_KEYS:
            text = _string(data_fields.get(key))
            if text:
                hosts += _TEMPLATE_HOSTS.findall(
                    text.split("auths", 1)[-1] if key == ".dockerconfigjson" else text
                )
        secret_meta = meta._replace(kind="Secret", name=name, namespace=namespace)
        located_type = Located(secret_type or "kubernetes.io/dockerconfigjson", meta.position)
        self.manifests.secrets.append(
            SecretObject(secret_meta, located_type, (), made_by=meta.kind, hosts=tuple(dict.fromkeys(hosts)))
        )

    def read_secret(self, meta: ObjectMeta, top: dict[str, Node]) -> None:
        type_node = top.get("type")
        secret_type = _string(type_node)
        located_type = Located(secret_type, self.position(type_node)) if type_node and secret_type else None
        entries: list[SecretEntry] = []
        for section, is_base64 in (("data", True), ("stringData", False)):
            data = top.get(section)
            if not isinstance(data, MappingNode):
                continue
            for key, value in self.fields(data).items():
                text = _string(value)
                if key in _DOCKER_SECRET_KEYS and text is not None:
                    entries.append(SecretEntry(key, text, is_base64, self.position(value)))
        self.manifests.secrets.append(SecretObject(meta, located_type, tuple(entries)))

    def read_name_refs(self, node: Node | None, meta: ObjectMeta) -> tuple[Located, ...]:
        """`imagePullSecrets`: a list of `{name: ...}`; anything else is PL002."""
        if node is None or _is_null(node):
            return ()
        if not isinstance(node, SequenceNode):
            self.shape(node, "imagePullSecrets must be a list of {name: ...}", meta)
            return ()
        refs: list[Located] = []
        for entry in node.value:
            name_node = self.fields(entry).get("name") if isinstance(entry, MappingNode) else None
            name = _string(name_node)
            if name_node is None or name is None or not name:
                self.shape(
                    entry, "imagePullSecrets entry must be a mapping with a non-empty string name", meta
                )
                continue
            refs.append(Located(name, self.position(name_node)))
        return tuple(refs)

    def shape(self, node: Node, message: str, meta: ObjectMeta | None) -> None:
        self.manifests.shape_problems.append(ShapeProblem(self.source, self.position(node), message, meta))

    def read_workload(self, meta: ObjectMeta, top: dict[str, Node], root: MappingNode) -> None:
        """The object's pod specs and containers, where its `kinds` entry says they are."""
        group = meta.api_version.rpartition("/")[0]
        if meta.kind == "ImageStream" and group in _OPENSHIFT_IMAGE_GROUPS:
            stream = openshift.read_image_stream(self, meta, top.get("spec"))
            if stream is not None:
                self.manifests.workloads.append(stream)
            return
        entry = self.kinds.lookup(meta.api_version, meta.kind)
        if entry is None:
            self.read_unknown_kind(meta, top, root)
            return
        pods: list[PodSpec] = []
        for path in entry.pod_specs:
            for selected in locate.select(root, path, self.fields):
                if isinstance(selected.node, MappingNode):
                    pods.append(self.read_pod(meta, top, selected))
        if entry.containers:
            pods.append(self.read_container_group(meta, root, entry))
        if pods:
            self.apply_triggers(meta, top, pods)
        if entry.holds_images:
            self.record_unclaimed(meta, root, entry)

    def read_pod(self, meta: ObjectMeta, top: dict[str, Node], selected: locate.Selected) -> PodSpec:
        """A pod spec: its containers and pod-level fields. A pod template's `pulllint.dev/ignore`
        annotation (the metadata beside a nested `spec`) counts as the object's."""
        assert isinstance(selected.node, MappingNode)
        metadata = selected.parent.get("metadata") if "." in selected.path else None
        if selected.path.endswith("spec") and isinstance(metadata, MappingNode):
            extra, extra_position = self.read_ignore_annotation(self.fields(metadata))
            if extra:
                meta = ObjectMeta(
                    meta.kind,
                    meta.api_version,
                    meta.name,
                    meta.namespace,
                    meta.source,
                    meta.position,
                    meta.ignores | extra,
                    meta.ignore_position or extra_position,
                )
        pod_fields = self.fields(selected.node)
        self.pod_nodes.add(id(selected.node))
        workload = Workload(meta, _replicas(top.get("spec")))
        pod = PodSpec(workload, selected.path, self.position(selected.node))
        workload.pod = pod
        for section in _CONTAINER_SECTIONS:
            node = pod_fields.get(section)
            if node is None or _is_null(node):
                continue
            if not isinstance(node, SequenceNode):
                self.shape(node, f"{section} must be a list of containers", meta)
                continue
            for entry in node.value:
                if not isinstance(entry, MappingNode):
                    self.shape(entry, f"each of {section} must be a mapping", meta)
                    continue
                pod.containers.append(self.read_container(pod, section, entry, meta))
        self.read_pod_level(pod, pod_fields, meta)
        self.manifests.workloads.append(workload)
        return pod

    def read_container_group(self, meta: ObjectMeta, root: MappingNode, entry: KindSpec) -> PodSpec:
        """Containers outside a pod spec (Tekton steps, Argo templates ...), as one pod whose pod-level
        fields come from the entry's `pod-fields` mappings (the first that has a field wins)."""
        pod_fields: dict[str, Node] = {}
        path, position = "spec", self.position(root)
        for field_path in entry.pod_fields:
            for selected in locate.select(root, field_path, self.fields):
                if isinstance(selected.node, MappingNode):
                    if not pod_fields:
                        path, position = selected.path, self.position(selected.node)
                    for key, value in self.fields(selected.node).items():
                        pod_fields.setdefault(key, value)
                    break
        workload = Workload(meta)
        pod = PodSpec(workload, path, position)
        workload.pod = pod
        seen: set[int] = set()
        for field_path in entry.containers:
            for selected in locate.select(root, field_path, self.fields):
                node = selected.node
                if _is_null(node):
                    continue
                if field_path.is_list and not isinstance(node, SequenceNode):
                    self.shape(node, f"{selected.path} must be a list of containers", meta)
                    continue
                items = node.value if isinstance(node, SequenceNode) and field_path.is_list else [node]
                for item in items:
                    if id(item) in seen:
                        continue
                    seen.add(id(item))
                    if not isinstance(item, MappingNode):
                        what = f"each of {selected.path}" if field_path.is_list else selected.path
                        self.shape(item, f"{what} must be a mapping (a container)", meta)
                        continue
                    pod.containers.append(self.read_container(pod, field_path.last_key, item, meta))
        self.read_pod_level(pod, pod_fields, meta)
        self.manifests.workloads.append(workload)
        return pod

    def read_pod_level(self, pod: PodSpec, pod_fields: dict[str, Node], meta: ObjectMeta) -> None:
        secrets_node = pod_fields.get("imagePullSecrets")
        pod.image_pull_secrets = self.read_name_refs(secrets_node, meta)
        account = pod_fields.get("serviceAccountName") or pod_fields.get("serviceAccount")
        account_name = _string(account)
        if account is not None and account_name:
            pod.service_account = Located(account_name, self.position(account))
        pod.platforms = self.read_platforms(pod_fields)

    def apply_triggers(self, meta: ObjectMeta, top: dict[str, Node], pods: list[PodSpec]) -> None:
        """OpenShift image triggers: the containers they fill are judged on the trigger's image."""
        if meta.kind == "DeploymentConfig":
            for pod in pods:
                openshift.apply_deployment_config_triggers(self, top.get("spec"), pod)
        annotation = _path(self, top.get("metadata"), ("annotations", openshift.TRIGGERS_ANNOTATION))
        if annotation is not None:
            openshift.apply_annotation_triggers(self, annotation, pods)

    def read_unknown_kind(self, meta: ObjectMeta, top: dict[str, Node], root: MappingNode) -> None:
        """A kind without a `kinds` entry: a pod spec at a generic path is read; any other `image` key is
        recorded (PL004), so an image pulllint cannot place is never a silent pass."""
        found = self.find_pod_spec(top)
        if found is not None:
            pod = self.read_pod(meta, top, found)
            self.apply_triggers(meta, top, [pod])
        self.record_unclaimed(meta, root, None)

    def record_unclaimed(self, meta: ObjectMeta, root: MappingNode, entry: KindSpec | None) -> None:
        """`image` values outside `status` that no container took: the kind's entry (or the lack of one)
        does not say where they are."""
        if self.image_keys is not None and self.image_keys <= len(self.claimed):
            return  # every `image` key of the text is a container's image already read
        unclaimed = locate.find_images(root, self.claimed, self.pod_nodes)
        if not unclaimed:
            return
        first = unclaimed[0]
        found = tuple(dict.fromkeys(u.container_path for u in unclaimed if u.container_path))[:3]
        known = () if entry is None else tuple(path.text for path in entry.containers)
        self.manifests.unknown_image_kinds.append(
            UnknownImageKind(
                meta,
                kind_key(meta.api_version, meta.kind),
                first.image,
                self.position(first.node),
                tuple(dict.fromkeys((*known, *found))),
                len(unclaimed),
                entry is not None,
                () if entry is None else tuple(path.text for path in entry.pod_specs),
                () if entry is None else tuple(path.text for path in entry.pod_fields),
            )
        )

    def find_pod_spec(self, top: dict[str, Node]) -> locate.Selected | None:
        """The first generic path that holds a pod spec with containers."""
        for candidate in _GENERIC_POD_SPEC_PATHS:
            parent: dict[str, Node] | None = top
            node: Node | None = None
            for step in candidate:
                if parent is None:
                    break
                holder = parent
                node = parent.get(step)
                parent = self.fields(node) if isinstance(node, MappingNode) else None
            if parent is None or not isinstance(node, MappingNode):
                continue
            if any(section in parent for section in _CONTAINER_SECTIONS):
                return locate.Selected(node, ".".join(candidate), holder)
        return None

    def read_container(self, pod: PodSpec, section: str, node: MappingNode, meta: ObjectMeta) -> Container:
        container_fields = self.fields(node)
        name = _string(container_fields.get("name"))
        image_node = container_fields.get("image")
        image: str | None = None
        image_position = self.position(node)
        if image_node is not None:
            image_position = self.position(image_node)
            self.claimed.add((image_node.start_mark.line, image_node.start_mark.column))
            if _is_null(image_node):
                image = ""
            elif isinstance(image_node, ScalarNode) and image_node.tag == _STR:
                image = sys.intern(image_node.value)
            else:
                self.shape(image_node, f"image must be a string, not {_describe(image_node)}", meta)
        policy_node = container_fields.get("imagePullPolicy")
        policy_text = _string(policy_node)
        policy = None
        if policy_node is not None and policy_text is not None:
            policy = Located(policy_text, self.position(policy_node))
        return Container(pod, section, name, self.position(node), image, image_position, policy)

    def read_platforms(self, pod_fields: dict[str, Node]) -> tuple[Platform, ...]:
        """What nodeSelector and required node affinity (terms are OR-ed) pin, os and arch each on its
        own: a part the pod does not pin is left empty (``Platform("linux", "")``), for the engine to
        fill from the cluster's platforms or PL404's default (`pulllint.model.facts.fill_platforms`)."""
        selector = pod_fields.get("nodeSelector")
        archs: set[str] = set()
        systems: set[str] = set()
        if isinstance(selector, MappingNode):
            labels = self.fields(selector)
            archs.update(v for k in _ARCH_KEYS if (v := _string(labels.get(k))))
            systems.update(v for k in _OS_KEYS if (v := _string(labels.get(k))))
        term_archs, term_systems = self.affinity_values(pod_fields.get("affinity"))
        if not archs:
            archs = term_archs
        if not systems:
            systems = term_systems
        if not archs and not systems:
            return ()
        return tuple(
            Platform(os_name, arch) for os_name in sorted(systems or {""}) for arch in sorted(archs or {""})
        )

    def affinity_values(self, affinity: Node | None) -> tuple[set[str], set[str]]:
        """arch and os values the required node affinity allows; empty when some term leaves one open."""
        terms = _path(self, affinity, ("nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"))
        terms_node = self.fields(terms).get("nodeSelectorTerms") if isinstance(terms, MappingNode) else None
        if not isinstance(terms_node, SequenceNode) or not terms_node.value:
            return set(), set()
        archs: set[str] = set()
        systems: set[str] = set()
        arch_open = os_open = False
        for term in terms_node.value:
            term_archs, term_systems = self.term_values(term)
            arch_open |= not term_archs
            os_open |= not term_systems
            archs |= term_archs
            systems |= term_systems
        return (set() if arch_open else archs), (set() if os_open else systems)

    def term_values(self, term: Node) -> tuple[set[str], set[str]]:
        archs: set[str] = set()
        systems: set[str] = set()
        expressions = self.fields(term).get("matchExpressions") if isinstance(term, MappingNode) else None
        if not isinstance(expressions, SequenceNode):
            return archs, systems
        for expression in expressions.value:
            if not isinstance(expression, MappingNode):
                continue
            expr = self.fields(expression)
            key, operator, values = (
                _string(expr.get("key")),
                _string(expr.get("operator")),
                expr.get("values"),
            )
            if operator != "In" or not isinstance(values, SequenceNode):
                continue
            strings = {v for node in values.value if (v := _string(node))}
            if key in _ARCH_KEYS:
                archs |= strings
            elif key in _OS_KEYS:
                systems |= strings
        return archs, systems


def _path(reader: _DocumentReader, node: Node | None, steps: tuple[str, ...]) -> Node | None:
    for step in steps:
        if not isinstance(node, MappingNode):
            return None
        node = reader.fields(node).get(step)
    return node


def _string(node: Node | None) -> str | None:
    if isinstance(node, ScalarNode) and node.tag == _STR:
        value: str = node.value
        return value
    return None


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def _replicas(spec: Node | None) -> int | None:
    if not isinstance(spec, MappingNode):
        return None
    for key, value in spec.value:
        if key.value == "replicas" and isinstance(value, ScalarNode) and value.tag == _INT:
            try:
                return int(value.value)
            except ValueError:
                return None
    return None


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    kind = str(node.tag).rsplit(":", 1)[-1]
    return {"int": "a number", "float": "a number", "bool": "a boolean"}.get(kind, kind)
