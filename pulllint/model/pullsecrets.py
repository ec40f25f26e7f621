"""Pull secrets as the kubelet sees them: which secrets a pod has, what they hold, which apply to an image.

- **Which secrets.** A pod's pull secrets are its own ``imagePullSecrets``; when it lists none (absent or
  empty), the ServiceAccount admission controller gives it those of its ServiceAccount
  (``serviceAccountName``, default ``default``). A ServiceAccount that is not in the input counts as one
  without pull secrets (a fresh namespace's ``default`` account has none).
- **Namespaces.** An object without a namespace (usual in ``helm template`` and ``kustomize build``
  output) matches any namespace: a pod in ``prod`` finds a namespace-less Secret of that name, a
  namespace-less pod finds a Secret of that name in any namespace. An exact namespace match is preferred.
- **What they hold.** Secrets of type ``kubernetes.io/dockerconfigjson`` (key ``.dockerconfigjson``,
  ``{"auths": {...}}``) and the legacy ``kubernetes.io/dockercfg`` (key ``.dockercfg``, the hosts at the
  top level), from ``data`` (base64, padded or not) or ``stringData`` (which wins over ``data``). Every
  entry is decoded like the kubelet's ``DockerConfigEntry``: ``auth`` (base64 of ``user:password``, padded
  or not) wins over ``username``/``password``; JSON keys match case-insensitively, as in Go. A secret of
  any other type is ignored by the kubelet.
- **Which apply.** `pulllint.model.keyring` matches entries to an image's repository name.

Decoded credentials live only in `RegistryCredential` objects (whose repr hides them). Problems are
described by secret, key and host, never by value.

Secrets are decoded once per run (`SecretIndex`, built by the engine) and each pod's secrets resolved once
per batch (`PullSecretIndex`), so rules can ask per container on streams of thousands of workloads.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from pulllint.diagnostics import Position, Source
from pulllint.images import reference_or_none
from pulllint.model.credentials import RegistryCredential
from pulllint.model.keyring import Keyring, display_key, normalize_key
from pulllint.model.objects import (
    Container,
    Located,
    Manifests,
    ObjectMeta,
    PodSpec,
    SecretObject,
    ServiceAccount,
)

__all__ = [
    "DOCKERCFG",
    "DOCKER_CONFIG_JSON",
    "ClusterKnowledge",
    "CredentialVerdict",
    "DecodedSecret",
    "PodPullSecrets",
    "PullSecretIndex",
    "SecretIndex",
    "SecretProblem",
    "SecretRef",
    "decode_secret",
    "effective_credentials",
    "wrong_type_problem",
]

DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson"
DOCKERCFG = "kubernetes.io/dockercfg"
_PAYLOAD_KEY = {DOCKER_CONFIG_JSON: ".dockerconfigjson", DOCKERCFG: ".dockercfg"}
_DEFAULT_SERVICE_ACCOUNT = "default"
_B64_PADDED = re.compile(r"[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_B64_RAW = re.compile(r"[A-Za-z0-9+/]*")
_WHITESPACE = re.compile(r"\s+")


# --- decoding ------------------------------------------------------------------------------------------


class SecretProblem(NamedTuple):
    """Why a Secret cannot serve as a pull secret (or serves less than it seems). Names no credential."""

    position: Position
    message: str
    # True: the kubelet gets no credentials from this secret at all (or fails the pod's pulls, or the
    # API server rejects it). False: the secret works but an entry of it gives nothing.
    fatal: bool = True


class AuthEntry(NamedTuple):
    key: str  # the registry key as written in the secret
    credential: RegistryCredential


class DecodedSecret(NamedTuple):
    """A Secret read as the kubelet would: its entries, or the problems that stop it."""

    secret: SecretObject
    entries: tuple[AuthEntry, ...] = ()
    problems: tuple[SecretProblem, ...] = ()
    # False for a Secret known to exist whose registries are not (declared without hosts, or made by a
    # SealedSecret or ExternalSecret): a pod holding it may be covered, pulllint cannot tell.
    hosts_known: bool = True

    @property
    def name(self) -> str:
        return self.secret.meta.name or "<unnamed>"

    @property
    def label(self) -> str:
        """``prod/regcred`` or ``regcred``: how messages name the secret."""
        meta = self.secret.meta
        return f"{meta.namespace}/{self.name}" if meta.namespace else self.name

    @property
    def is_docker_type(self) -> bool:
        return self.secret.type is not None and self.secret.type.value in _PAYLOAD_KEY

    @property
    def usable(self) -> bool:
        """The kubelet reads credentials from it (possibly none): a docker type without fatal problems."""
        return self.is_docker_type and not any(p.fatal for p in self.problems)

    @property
    def registry_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(entry.key for entry in self.entries))

    def describe_keys(self) -> str:
        keys = self.registry_keys
        return ", ".join(keys) if keys else "no registry"


def _secret_position(secret: SecretObject) -> Position:
    if secret.type is not None:
        return secret.type.position
    if secret.entries:
        return secret.entries[0].position
    return secret.meta.position


def wrong_type_problem(secret: SecretObject) -> SecretProblem:
    """A Secret of another type used as a pull secret: the kubelet skips it without a word."""
    secret_type = secret.type.value if secret.type is not None else None
    shown = f"type {secret_type}" if secret_type else "no type (so Opaque)"
    payloads = sorted(_payloads(secret))
    what = (
        f"holds {', '.join(payloads)} but has {shown}"
        if payloads
        else f"is used as a pull secret but has {shown}"
    )
    return SecretProblem(
        _secret_position(secret),
        f"Secret {_label(secret)} {what}: the kubelet only reads pull secrets of type "
        f"{DOCKER_CONFIG_JSON} (key .dockerconfigjson) or {DOCKERCFG} (key .dockercfg)",
    )


def decode_secret(secret: SecretObject) -> DecodedSecret:
    """Read a Secret's docker config as the kubelet would.

    A Secret of another type is not a pull secret (`DecodedSecret.usable` is False); it has a problem
    only when it holds a docker payload anyway (``.dockerconfigjson`` under type Opaque). When some
    imagePullSecrets names such a Secret, `wrong_type_problem` describes it.
    """
    if secret.made_by is not None:  # made in the cluster: known to exist, its values never seen
        label = _label(secret)
        entries = tuple(
            AuthEntry(host, RegistryCredential(f"secret {label} (made by a {secret.made_by})", host))
            for host in secret.hosts
        )
        return DecodedSecret(secret, entries, hosts_known=bool(secret.hosts))
    payloads = _payloads(secret)
    secret_type = secret.type.value if secret.type is not None else None
    expected_key = _PAYLOAD_KEY.get(secret_type or "")
    if expected_key is None:
        return DecodedSecret(secret, problems=(wrong_type_problem(secret),) if payloads else ())
    entry = payloads.get(expected_key)
    if entry is None:
        other = next(iter(payloads), None)
        hint = f" (it has {other}, which belongs to the other type)" if other else ""
        assert secret.type is not None
        return DecodedSecret(
            secret,
            problems=(
                SecretProblem(
                    secret.type.position,
                    f"Secret {_label(secret)} of type {secret_type} has no {expected_key} key in data or "
                    f"stringData{hint}: the API server rejects it",
                ),
            ),
        )
    text, problem = _payload_text(entry.value, entry.base64, expected_key)
    if problem is not None:
        return DecodedSecret(
            secret, problems=(SecretProblem(entry.position, f"Secret {_label(secret)}: {problem}"),)
        )
    assert text is not None
    entries, problems = _parse_config(text, expected_key, secret)
    located = tuple(
        SecretProblem(entry.position, f"Secret {_label(secret)}: {message}", fatal)
        for message, fatal in problems
    )
    return DecodedSecret(secret, entries if not any(p.fatal for p in located) else (), located)


def _label(secret: SecretObject) -> str:
    meta = secret.meta
    name = meta.name or "<unnamed>"
    return f"{meta.namespace}/{name}" if meta.namespace else name


def _payloads(secret: SecretObject) -> dict[str, Any]:
    """Docker payloads by key; a stringData value replaces the data value of the same key (API server)."""
    found: dict[str, Any] = {}
    for entry in secret.entries:
        if entry.key not in found or not entry.base64:
            found[entry.key] = entry
    return found


def _payload_text(value: str, is_base64: bool, key: str) -> tuple[str | None, str | None]:
    """The JSON text of a payload, or why it cannot be had."""
    if not is_base64:
        if not value.strip():
            return None, f"{key} is empty"
        return value, None
    else:
        compact = _WHITESPACE.sub("", value)
        if compact.startswith("{"):
            return (
                None,
                f"{key} under data is plain JSON, not base64: move it to stringData or base64-encode it",
            )
        decoded = _lenient_b64(compact)
        if decoded is None:
            return None, f"{key} under data is not valid base64"
        raw = decoded
    if not raw.strip():
        return None, f"{key} is empty"
    text = raw.decode("utf-8", "replace")
    if is_base64 and not text.lstrip().startswith(("{", "[")):
        again = _lenient_b64(_WHITESPACE.sub("", text))
        if again is not None and again.lstrip().startswith(b"{"):
            return None, f"{key} is base64-encoded twice: decode it once before putting it under data"
    return text, None


def _lenient_b64(text: str) -> bytes | None:
    """Standard base64 with or without padding (``data`` values and ``auth`` fields); None if invalid."""
    stripped = text.rstrip("=")
    if len(text) - len(stripped) > 2 or not _B64_RAW.fullmatch(stripped) or len(stripped) % 4 == 1:
        return None
    try:
        return binascii.a2b_base64(stripped + "=" * (-len(stripped) % 4))
    except binascii.Error:
        return None


def _go_auth_decode(value: str) -> bytes | None:
    """The kubelet's ``auth`` decoding: padded (ends in "=") with StdEncoding, else RawStdEncoding.

    Like Go's decoder, only "\\r" and "\\n" are skipped; any other stray character is an error.
    """
    compact = value.replace("\r", "").replace("\n", "")
    if value.strip().endswith("="):
        if len(compact) % 4 or not _B64_PADDED.fullmatch(compact):
            return None
        return base64.b64decode(compact)
    if len(compact) % 4 == 1 or not _B64_RAW.fullmatch(compact):
        return None
    return base64.b64decode(compact + "=" * (-len(compact) % 4))


def _fields(obj: Mapping[str, Any], name: str) -> Iterator[Any]:
    """Values of every key Go's encoding/json assigns to field `name` (exact, else case-insensitive)."""
    for key, value in obj.items():
        if key == name or key.lower() == name:
            yield value


def _parse_config(
    text: str, key: str, secret: SecretObject
) -> tuple[tuple[AuthEntry, ...], list[tuple[str, bool]]]:
    """Entries and problems (message, fatal) of a docker config payload."""
    import json

    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:  # imported here: most runs have no pull secret to read
        return (), [
            (f"{key} is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})", True)
        ]
    except RecursionError:
        return (), [(f"{key} nests too deeply", True)]
    if not isinstance(document, dict):
        return (), [(f"{key} must be a JSON object, not {_json_kind(document)}", True)]
    problems: list[tuple[str, bool]] = []
    if key == ".dockerconfigjson":
        for headers in _fields(document, "httpheaders"):
            if headers is not None and not (
                isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())
            ):
                problems.append(
                    ("HttpHeaders must map names to strings: the kubelet cannot read this secret", True)
                )
        auths: dict[str, Any] = {}
        seen = False
        for value in _fields(document, "auths"):
            seen = True
            if value is None:
                continue
            if not isinstance(value, dict):
                problems.append((f"auths must be a JSON object, not {_json_kind(value)}", True))
                continue
            auths.update(value)
        if not seen:
            looks_legacy = any(
                isinstance(v, dict) and ("auth" in v or "username" in v) for v in document.values()
            )
            hint = (
                ': the registries are at the top level (the .dockercfg layout); wrap them in {"auths": ...}'
                if looks_legacy
                else ""
            )
            problems.append(
                (f".dockerconfigjson has no auths, so the kubelet gets no credentials{hint}", True)
            )
            return (), problems
    else:
        auths = document
        if "auths" in document and isinstance(document["auths"], dict):
            problems.append(
                (
                    ".dockercfg holds an auths object (the .dockerconfigjson format): use type "
                    f"{DOCKER_CONFIG_JSON} with key .dockerconfigjson, or put the registries at the top "
                    "level",
                    True,
                )
            )
            return (), problems
    uses_store = any(k in document for k in ("credsStore", "credHelpers"))
    origin = f"secret {_label(secret)}"
    entries: list[AuthEntry] = []
    for raw_key, value in auths.items():
        parsed = _parse_entry(raw_key, value, origin, uses_store)
        if isinstance(parsed, AuthEntry):
            entries.append(parsed)
        else:
            problems.append(parsed)
    return tuple(entries), problems


def _parse_entry(raw_key: str, value: Any, origin: str, uses_store: bool) -> AuthEntry | tuple[str, bool]:
    registry = display_key(raw_key)  # a key may carry user:password@: never shown, never kept
    if value is None:
        value = {}
    if not isinstance(value, dict):
        return f"the entry for {registry!r} must be a JSON object, not {_json_kind(value)}", True
    strings: dict[str, str] = {}
    for name in ("username", "password", "email", "auth"):
        for item in _fields(value, name):
            if item is None:
                continue
            if not isinstance(item, str):
                return (
                    f"{name} of the entry for {registry!r} must be a string, not {_json_kind(item)}: the "
                    "kubelet fails the pod's pulls",
                    True,
                )
            strings[name] = item
    username, password = strings.get("username", ""), strings.get("password", "")
    auth = strings.get("auth", "")
    if auth:
        decoded = _go_auth_decode(auth)
        if decoded is None:
            return (
                f"auth of the entry for {registry!r} is not valid base64: the kubelet fails the pod's pulls",
                True,
            )
        user, colon, secret_part = decoded.decode("utf-8", "replace").partition(":")
        if not colon:
            return (
                f"auth of the entry for {registry!r} does not decode to user:password: the kubelet fails the "
                "pod's pulls",
                True,
            )
        username, password = user, secret_part
    if normalize_key(raw_key) is None:
        return f"the key {registry!r} is not a valid registry URL, so the kubelet ignores that entry", False
    if not username and not password:
        tokens = [k for k in ("identitytoken", "registrytoken") if any(True for _ in _fields(value, k))]
        if tokens:
            reason = f"only {tokens[0]}, which the kubelet does not use"
        elif uses_store:
            reason = (
                "no credentials: the docker config it came from keeps them in a credential store (credsStore)"
            )
        else:
            reason = "neither auth nor username/password"
        return f"the entry for {registry!r} has {reason}, so pulls from it are anonymous", False
    credential = RegistryCredential(origin, registry, username=username, password=password)
    return AuthEntry(registry, credential)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    return "an object"


# --- resolution ----------------------------------------------------------------------------------------


class CredentialVerdict(enum.Enum):
    """What the pod's pull secrets say about one image's registry."""

    COVERED = "covered"  # some entry of the pod's secrets matches it
    NODE = "node"  # none of the pod's secrets does, but the nodes pull that registry with their own
    NO_SECRETS = "no-secrets"  # the pod has no pull secrets at all (own or its ServiceAccount's)
    # The pod lists none and its ServiceAccount is nowhere pulllint can see: its secrets are unknown.
    ACCOUNT_UNKNOWN = "account-unknown"
    MISMATCH = "mismatch"  # every referenced secret is in the input and readable, and none matches
    UNKNOWN = "unknown"  # a referenced secret is missing from the input or unreadable: cannot tell


class ClusterKnowledge(NamedTuple):
    """What the cluster holds beyond the checked files, as plain data: the engine builds it from the
    repository's other manifests, cluster dumps and the `cluster:` configuration. Never reported on."""

    secrets: tuple[SecretObject, ...] = ()  # from context files
    service_accounts: tuple[ServiceAccount, ...] = ()
    # (namespace or None, name) -> the registry host patterns a declared Secret covers (empty: unknown).
    declared_secrets: Mapping[tuple[str | None, str], tuple[str, ...]] = MappingProxyType({})
    # (namespace or None, name) -> the pull secret names a declared ServiceAccount carries.
    declared_accounts: Mapping[tuple[str | None, str], tuple[str, ...]] = MappingProxyType({})
    node_credentials: tuple[str, ...] = ()  # host patterns the nodes pull with their own credentials


class SecretRef(NamedTuple):
    """One `imagePullSecrets` entry, where it is written, and the Secret it names (None: not in the input)."""

    name: str
    position: Position
    owner: ObjectMeta  # the workload or the ServiceAccount that lists it
    secret: DecodedSecret | None


class PodPullSecrets:
    """A pod's effective pull secrets, resolved once."""

    __slots__ = (
        "_complete",
        "_node",
        "_verdicts",
        "inherited",
        "keyring",
        "refs",
        "service_account",
        "service_account_found",
    )

    def __init__(
        self,
        refs: tuple[SecretRef, ...],
        service_account: str,
        inherited: bool,
        service_account_found: bool,
        keyring: Keyring[RegistryCredential],
        node: Keyring[str] | None = None,
        *,
        complete: bool = True,
    ) -> None:
        self.refs = refs
        self.service_account = service_account  # the ServiceAccount name the pod runs as
        self.inherited = inherited  # the refs come from the ServiceAccount (the pod lists none)
        self.service_account_found = service_account_found
        self.keyring = keyring
        self._node = node
        # False: the credentials may include some pulllint cannot see, so "none matches" is unknown.
        self._complete = complete
        self._verdicts: dict[str, CredentialVerdict] = {}

    @property
    def unknown(self) -> bool:
        return any(
            ref.secret is None or not ref.secret.usable or not ref.secret.hosts_known for ref in self.refs
        )

    def credentials(self, image_name: str) -> tuple[RegistryCredential, ...]:
        """What the kubelet would try for a repository name (``docker.io/library/nginx``), in its order.

        A Secret declared in the configuration matches like any other but holds no values: its
        credentials are empty (`RegistryCredential.is_empty`) and are never sent anywhere.
        """
        return self.keyring.lookup(image_name)

    def declared_only(self, image_name: str) -> bool:
        """The pod's credentials for this name exist in the cluster but not here (declared, or a node's)."""
        found = self.keyring.lookup(image_name)
        if found:
            return all(credential.is_empty for credential in found)
        return self._node is not None and bool(self._node.lookup(image_name))

    def verdict(self, image_name: str) -> CredentialVerdict:
        verdict = self._verdicts.get(image_name)
        if verdict is None:
            if self.keyring.lookup(image_name):
                verdict = CredentialVerdict.COVERED
            elif self._node is not None and self._node.lookup(image_name):
                verdict = CredentialVerdict.NODE
            elif not self._complete:
                verdict = CredentialVerdict.UNKNOWN
            elif not self.refs:
                verdict = (
                    CredentialVerdict.NO_SECRETS
                    if self.service_account_found or self.refs_are_own
                    else CredentialVerdict.ACCOUNT_UNKNOWN
                )
            elif self.unknown:
                verdict = CredentialVerdict.UNKNOWN
            else:
                verdict = CredentialVerdict.MISMATCH
            self._verdicts[image_name] = verdict
        return verdict

    def describe_secrets(self) -> str:
        """``'regcred' (ghcr.io), 'other' (quay.io/acme)`` for messages."""
        parts = []
        for ref in self.refs:
            keys = ref.secret.describe_keys() if ref.secret is not None else "not in the input"
            parts.append(f"{ref.name!r} ({keys})")
        return ", ".join(dict.fromkeys(parts))

    @property
    def refs_are_own(self) -> bool:
        """The pod lists imagePullSecrets itself (so its ServiceAccount's do not apply)."""
        return bool(self.refs) and not self.inherited

    def source(self) -> str:
        if self.inherited:
            return f"of its ServiceAccount {self.service_account!r}"
        return "listed in imagePullSecrets" if self.refs else ""


class _ByName:
    """Objects by (namespace, name), where a missing namespace on either side matches any namespace."""

    def __init__(self) -> None:
        self._by_name: dict[str, list[tuple[str | None, Any]]] = {}

    def add(self, namespace: str | None, name: str | None, value: Any) -> None:
        if name:
            self._by_name.setdefault(name, []).append((namespace, value))

    def get(self, namespace: str | None, name: str) -> Any:
        candidates = self._by_name.get(name)
        if not candidates:
            return None
        for candidate_ns, value in candidates:
            if candidate_ns == namespace:
                return value
        for candidate_ns, value in candidates:
            if candidate_ns is None or namespace is None:
                return value
        return None


class SecretIndex:
    """The run's Secrets and ServiceAccounts, by namespace and name: built once per run by the engine
    and shared by every batch, so each Secret is decoded once. Lives only as long as the run.

    Lookups see the checked input and the cluster's knowledge (`ClusterKnowledge`); what rules report on
    (`decoded_secrets`, `service_account_refs`) is the input's alone.
    """

    def __init__(
        self,
        secrets: Sequence[SecretObject],
        accounts: Sequence[ServiceAccount],
        knowledge: ClusterKnowledge | None = None,
    ) -> None:
        knowledge = knowledge or ClusterKnowledge()
        self.secrets = _ByName()
        self._all_secrets: list[SecretObject] = []
        self._namespaces: dict[str, set[str]] = {}
        for secret in (*secrets, *knowledge.secrets):
            self._add_secret(secret)
        self.accounts = _ByName()
        for account in (*accounts, *knowledge.service_accounts):
            self.accounts.add(account.meta.namespace, account.meta.name, account)
        self._decoded: dict[int, DecodedSecret] = {}
        for (namespace, name), hosts in knowledge.declared_secrets.items():
            declared = _declared_secret(namespace, name, hosts)
            self._add_secret(declared.secret)
            self._decoded[id(declared.secret)] = declared
        for (namespace, name), names in knowledge.declared_accounts.items():
            meta = _declared_meta("ServiceAccount", namespace, name)
            refs = tuple(Located(secret, meta.position) for secret in names)
            self.accounts.add(namespace, name, ServiceAccount(meta, refs))
        self.node = (
            Keyring((host, host) for host in knowledge.node_credentials)
            if knowledge.node_credentials
            else None
        )
        self.decoded_secrets = tuple(self.decoded(secret) for secret in secrets)
        self.service_account_refs = tuple(
            SecretRef(ref.value, ref.position, account.meta, self.secret(account.meta.namespace, ref.value))
            for account in accounts
            for ref in account.image_pull_secrets
        )

    def _add_secret(self, secret: SecretObject) -> None:
        self._all_secrets.append(secret)
        self.secrets.add(secret.meta.namespace, secret.meta.name, secret)
        if secret.meta.name and secret.meta.namespace:
            self._namespaces.setdefault(secret.meta.name, set()).add(secret.meta.namespace)

    def decoded(self, secret: SecretObject) -> DecodedSecret:
        result = self._decoded.get(id(secret))
        if result is None:
            result = decode_secret(secret)
            self._decoded[id(secret)] = result
        return result

    def secret(self, namespace: str | None, name: str) -> DecodedSecret | None:
        found: SecretObject | None = self.secrets.get(namespace, name)
        return None if found is None else self.decoded(found)

    def docker_secrets(self, namespace: str | None) -> tuple[DecodedSecret, ...]:
        """Every readable docker-config Secret of a namespace (None: of any), in input order."""
        found = []
        for secret in self._all_secrets:
            if namespace is None or secret.meta.namespace in (None, namespace):
                decoded = self.decoded(secret)
                if decoded.usable:
                    found.append(decoded)
        return tuple(found)

    def namespaces_of(self, name: str) -> tuple[str, ...]:
        """The namespaces that hold a Secret of this name (those that name one), sorted."""
        return tuple(sorted(self._namespaces.get(name, ())))


DECLARED_SOURCE = "<cluster configuration>"


def _declared_meta(kind: str, namespace: str | None, name: str) -> ObjectMeta:
    return ObjectMeta(kind, "v1", name, namespace, Source(DECLARED_SOURCE), Position.point(1, 1))


def _declared_secret(namespace: str | None, name: str, hosts: tuple[str, ...]) -> DecodedSecret:
    """A Secret the configuration says the cluster holds: its hosts, never any value."""
    meta = _declared_meta("Secret", namespace, name)
    secret = SecretObject(meta, Located(DOCKER_CONFIG_JSON, meta.position))
    label = f"{namespace}/{name}" if namespace else name
    entries = tuple(
        AuthEntry(host, RegistryCredential(f"cluster secret {label} (declared)", host)) for host in hosts
    )
    return DecodedSecret(secret, entries, hosts_known=bool(hosts))


class PullSecretIndex:
    """Pull secrets of one `Manifests` (a batch of the input): its Secrets, ServiceAccounts and pods.

    Secrets and ServiceAccounts are indexed and decoded once per run (the engine gives every batch the
    same lists); each pod's resolution is computed once.
    """

    def __init__(self, manifests: Manifests, shared: SecretIndex | None = None) -> None:
        self._shared = shared or SecretIndex(manifests.secrets, manifests.service_accounts)
        self._manifests = manifests
        self._pods: dict[PodSpec, PodPullSecrets] = {}

    @property
    def secrets(self) -> tuple[DecodedSecret, ...]:
        """Every Secret of the input, decoded (non-pull secrets included: `usable` tells them apart)."""
        return self._shared.decoded_secrets

    @property
    def service_account_refs(self) -> tuple[SecretRef, ...]:
        """Every ServiceAccount's imagePullSecrets entry, resolved."""
        return self._shared.service_account_refs

    def secret(self, namespace: str | None, name: str) -> DecodedSecret | None:
        return self._shared.secret(namespace, name)

    def service_account(self, namespace: str | None, name: str) -> ServiceAccount | None:
        found: ServiceAccount | None = self._shared.accounts.get(namespace, name)
        return found

    def namespaces_of(self, name: str) -> tuple[str, ...]:
        """The namespaces that hold a Secret of this name (input or cluster knowledge)."""
        return self._shared.namespaces_of(name)

    def _ref(self, ref: Located, owner: ObjectMeta, namespace: str | None) -> SecretRef:
        return SecretRef(ref.value, ref.position, owner, self.secret(namespace, ref.value))

    def pod(self, pod: PodSpec) -> PodPullSecrets:
        """The pod's effective pull secrets (its own, else its ServiceAccount's), resolved once per pod."""
        resolved = self._pods.get(pod)
        if resolved is not None:
            return resolved
        meta = pod.workload.meta
        if pod.pull_credentials == "image-import":
            resolved = self._image_import(pod)
            self._pods[pod] = resolved
            return resolved
        account_name = pod.service_account.value if pod.service_account else _DEFAULT_SERVICE_ACCOUNT
        account = self.service_account(meta.namespace, account_name)
        if pod.image_pull_secrets:
            refs = tuple(self._ref(ref, meta, meta.namespace) for ref in pod.image_pull_secrets)
            inherited = False
        elif account is not None:
            namespace = meta.namespace or account.meta.namespace
            refs = tuple(self._ref(ref, account.meta, namespace) for ref in account.image_pull_secrets)
            inherited = bool(refs)
        else:
            refs, inherited = (), False
        used: dict[int, DecodedSecret] = {}
        for ref in refs:
            if ref.secret is not None and ref.secret.usable:
                used.setdefault(id(ref.secret), ref.secret)
        keyring: Keyring[RegistryCredential] = Keyring(
            (entry.key, entry.credential) for secret in used.values() for entry in secret.entries
        )
        resolved = PodPullSecrets(
            refs, account_name, inherited, account is not None, keyring, self._shared.node
        )
        self._pods[pod] = resolved
        return resolved

    def _image_import(self, pod: PodSpec) -> PodPullSecrets:
        """OpenShift imports an ImageStream's tags with every docker-config Secret of its namespace."""
        meta = pod.workload.meta
        found = self._shared.docker_secrets(meta.namespace)
        refs = tuple(SecretRef(secret.name, meta.position, meta, secret) for secret in found)
        keyring: Keyring[RegistryCredential] = Keyring(
            (entry.key, entry.credential) for secret in found for entry in secret.entries
        )
        # The namespace may hold more Secrets than the input shows: a match is known, a miss is not.
        return PodPullSecrets(refs, "image import", False, True, keyring, self._shared.node, complete=False)

    def pod_refs(self) -> Iterator[SecretRef]:
        """Every pod's own imagePullSecrets entry, resolved (ServiceAccounts' are `service_account_refs`)."""
        for workload in self._manifests.workloads:
            if workload.pod is not None:
                meta = workload.meta
                for ref in workload.pod.image_pull_secrets:
                    yield self._ref(ref, meta, meta.namespace)


def effective_credentials(container: Container, index: PullSecretIndex) -> tuple[RegistryCredential, ...]:
    """The decoded, host-matching credentials the kubelet would try for the container's image, in order.

    Each credential's origin is ``secret <namespace>/<name>`` (``secret <name>`` without a namespace).
    Empty when the image is invalid or no pull secret of the pod covers its registry (an anonymous pull,
    apart from the node's own credentials, which pulllint cannot see).
    """
    ref = reference_or_none(container.image)
    if ref is None:
        return ()
    # A declared Secret's entries hold no values: nothing to send.
    return tuple(c for c in index.pod(container.pod).credentials(ref.name) if not c.is_empty)
