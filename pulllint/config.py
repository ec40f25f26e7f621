"""Configuration: `.pulllint.yaml` or `[tool.pulllint]` in pyproject.toml, validated by a JSON Schema.

Found by walking up from the working directory to the repository root (the first folder holding
`.git`); `--config` names one. Errors name the key path and end in exit code 2.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from pulllint.diagnostics import Severity

CONFIG_NAMES = (".pulllint.yaml", ".pulllint.yml", "pyproject.toml")


_EMPTY: Mapping[str, Any] = MappingProxyType({})


class ConfigError(Exception):
    """An unreadable or invalid configuration: exit code 2."""


class RegistrySection(NamedTuple):
    """How pulllint talks to registries (`insecure-registries`, `ca-file`, `cache-ttl` ...)."""

    insecure_registries: tuple[str, ...] = ()
    ca_file: str | None = None  # absolute: resolved against the configuration's folder
    cache_ttl_seconds: float = 3600.0
    negative_cache_ttl_seconds: float = 300.0
    timeout_seconds: float = 10.0


class CloudSection(NamedTuple):
    """The cluster's own cloud accounts (`cloud:`); None: not configured."""

    aws_account_ids: tuple[str, ...] | None = None
    azure_registries: tuple[str, ...] | None = None
    gcp_projects: tuple[str, ...] | None = None


class PolicySection(NamedTuple):
    """Which registries are public, private or allowed (`public-registries`, `allowed-registries` ...)."""

    public_registries: tuple[str, ...] = ()
    private_registries: tuple[str, ...] = ()
    allowed_registries: tuple[str, ...] | None = None  # None: no allowlist
    dockerhub_mirror: str | None = None
    cloud: CloudSection = CloudSection()


class ClusterSection(NamedTuple):
    """What the cluster holds that the repository does not (`cluster:`)."""

    context: tuple[str, ...] = ()  # absolute paths of cluster dumps (files or folders)
    # "NAME" or "NAMESPACE/NAME" -> host patterns (pull-secrets) or secret names (service-accounts).
    pull_secrets: Mapping[str, tuple[str, ...]] = MappingProxyType({})
    service_accounts: Mapping[str, tuple[str, ...]] = MappingProxyType({})
    node_credentials: tuple[str, ...] = ()
    registry_mirrors: Mapping[str, str] = MappingProxyType({})
    platforms: tuple[str, ...] = ()
    runtime: str = "containerd"


class Config(NamedTuple):
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = _EMPTY
    per_file_ignores: Mapping[str, tuple[str, ...]] = _EMPTY
    fail_on: Severity = Severity.ERROR
    rule_options: Mapping[str, Mapping[str, Any]] = _EMPTY
    path: str | None = None  # the file read, None for defaults
    root: str = "."  # per-file-ignores globs are relative to this folder
    policy: PolicySection = PolicySection()
    registry: RegistrySection = RegistrySection()
    rule_packs: tuple[str, ...] = ()  # absolute paths of pack files or folders, in the order given
    rule_pack_names: tuple[str, ...] = ()  # the same, as written in the configuration (for messages)
    cluster: ClusterSection = ClusterSection()
    # Your own kinds: where their pod specs and containers are (`pulllint.model.kinds`'s entry shape).
    kinds: Mapping[str, Any] = _EMPTY
    # Absolute globs of files and folders never checked (`exclude` plus `extend-exclude`).
    exclude: tuple[str, ...] = ()
    # Context of the repository: True (every manifest under the root), globs relative to it, or off.
    repository_context: bool | tuple[str, ...] = True


def git_root(start: str) -> str | None:
    """The nearest folder from `start` up that holds a `.git` entry (a folder, or the file of a
    worktree or submodule); None outside any repository."""
    folder = os.path.abspath(start)
    while True:  # bounded by the depth of the path
        if os.path.lexists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def find_config(start: str) -> str | None:
    """The nearest configuration file from `start` up to the repository root."""
    directory = os.path.abspath(start)
    while True:
        for name in CONFIG_NAMES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate) and (name != "pyproject.toml" or _pyproject_has_section(candidate)):
                return candidate
        parent = os.path.dirname(directory)
        # Any `.git` entry ends the walk: a worktree's or a submodule's is a file.
        if os.path.exists(os.path.join(directory, ".git")) or parent == directory:
            return None
        directory = parent


def load_config(path: str | None) -> Config:
    """Read and validate a configuration file (None: the defaults), with what it `extends`."""
    if path is None:
        return Config()
    return _from_document(_extended(path, ()), path)


# Keys whose values are mappings merged key by key with the base's (the others replace the base's).
_MERGED = ("rules", "severity", "per-file-ignores", "cluster", "kinds")
# Keys holding paths relative to the file that writes them.
_PATH_LISTS = ("rule-packs", "exclude", "extend-exclude")


def _extended(path: str, chain: tuple[str, ...]) -> dict[str, Any]:
    """The document of `path` on top of the one it `extends` (recursively; a cycle is an error)."""
    real = os.path.realpath(path)
    if real in chain:
        raise ConfigError(f"{path}: extends itself (through {' -> '.join(chain)})")
    document = _read_document(path)
    _validate(document, path)
    document = _absolute_paths(dict(document), os.path.dirname(os.path.abspath(path)))
    base_name = document.pop("extends", None)
    if base_name is None:
        return document
    if not os.path.isfile(base_name):
        raise ConfigError(f"{path}: extends: {base_name}: no such file")
    base = _extended(base_name, (*chain, real))
    merged = {**base, **document}
    for key in _MERGED:
        if key in base and key in document:
            merged[key] = {**base[key], **document[key]}
    if "extend-exclude" in base and "extend-exclude" in document:
        merged["extend-exclude"] = [*base["extend-exclude"], *document["extend-exclude"]]
    return merged


def _absolute_paths(document: dict[str, Any], folder: str) -> dict[str, Any]:
    """Paths written in a file are relative to its folder: make them absolute before merging."""
    for key in _PATH_LISTS:
        if key in document:
            document[key] = [os.path.normpath(os.path.join(folder, value)) for value in document[key]]
    for key in ("ca-file", "extends"):
        if key in document:
            document[key] = os.path.normpath(os.path.join(folder, document[key]))
    cluster = document.get("cluster")
    if isinstance(cluster, dict) and "context" in cluster:
        paths = [os.path.normpath(os.path.join(folder, v)) for v in cluster["context"]]
        document["cluster"] = {**cluster, "context": paths}
    return document


def parse_config(document: Mapping[str, Any], origin: str = "<configuration>", root: str = ".") -> Config:
    """A configuration from a document already read (`.pulllint.yaml`'s keys); relative paths in it are
    relative to `root`. Raises ConfigError like `load_config`."""
    _validate(document, origin)
    return _from_document(document, os.path.join(root, os.path.basename(origin)))._replace(
        path=None if origin.startswith("<") else origin
    )


def _pyproject_has_section(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            if "pulllint" not in handle.read():
                return False  # skip the TOML parser (and its import) for most projects
    except OSError:
        return False
    try:
        return "pulllint" in _read_toml(path).get("tool", {})
    except ConfigError:
        return True  # report the broken file rather than silently skipping it


def _read_toml(path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            document: dict[str, Any] = tomllib.load(handle)
            return document
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from error


def _read_document(path: str) -> Any:
    if path.endswith(".toml"):
        section = _read_toml(path).get("tool", {}).get("pulllint")
        if section is None:
            raise ConfigError(f"{path}: no [tool.pulllint] section")
        return section
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        with open(path, encoding="utf-8") as handle:
            document = YAML(typ="safe", pure=False).load(handle)
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from error
    except YAMLError as error:
        raise ConfigError(f"{path}: invalid YAML: {error}") from error
    return {} if document is None else document


def schema(name: str = "config.schema.json") -> dict[str, Any]:
    """One of the package's JSON Schemas (config.schema.json, rulepack.schema.json)."""
    import json
    from importlib import resources

    text = resources.files("pulllint.schemas").joinpath(name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def schema_errors(document: Any, schema_name: str, origin: str) -> list[str]:
    """Every violation of a schema, one line each, led by the key path a user can find in the file."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema(schema_name))
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{origin}: {key_path(e.absolute_path) or '(top level)'}: {_explain(e)}" for e in errors]


def _validate(document: Any, path: str) -> None:
    lines = schema_errors(document, "config.schema.json", path)
    if lines:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))


def key_path(parts: Sequence[Any]) -> str:
    """`rules.PL103.mutable-tags[0]`: how a user finds the key in the file."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _explain(error: Any) -> str:
    if error.validator == "additionalProperties":
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"unknown key {', '.join(map(repr, unknown))}"
    message: str = error.message
    return message


def _account_id(value: Any) -> str:
    """An AWS account ID; YAML reads an unquoted one as a number (and drops its leading zeros)."""
    return str(value).zfill(12) if isinstance(value, int) else str(value)


def _strings(values: Any) -> tuple[str, ...] | None:
    return None if values is None else tuple(str(v) for v in values)


def _policy(document: Mapping[str, Any]) -> PolicySection:
    cloud = document.get("cloud") or {}
    aws = cloud.get("aws-account-ids")
    return PolicySection(
        public_registries=tuple(document.get("public-registries", ())),
        private_registries=tuple(document.get("private-registries", ())),
        allowed_registries=_strings(document.get("allowed-registries")),
        dockerhub_mirror=document.get("dockerhub-mirror") or None,
        cloud=CloudSection(
            aws_account_ids=None if aws is None else tuple(_account_id(a) for a in aws),
            azure_registries=_strings(cloud.get("azure-registries")),
            gcp_projects=_strings(cloud.get("gcp-projects")),
        ),
    )


def _registry(document: Mapping[str, Any], root: str) -> RegistrySection:
    defaults = RegistrySection()
    ca_file = document.get("ca-file")
    return RegistrySection(
        insecure_registries=tuple(document.get("insecure-registries", ())),
        ca_file=None if ca_file is None else os.path.join(root, ca_file),
        cache_ttl_seconds=float(document.get("cache-ttl", defaults.cache_ttl_seconds)),
        negative_cache_ttl_seconds=float(
            document.get("negative-cache-ttl", defaults.negative_cache_ttl_seconds)
        ),
        timeout_seconds=float(document.get("registry-timeout", defaults.timeout_seconds)),
    )


def _cluster(document: Mapping[str, Any], root: str) -> ClusterSection:
    section = document.get("cluster") or {}
    return ClusterSection(
        context=tuple(os.path.join(root, given) for given in section.get("context", ())),
        pull_secrets=MappingProxyType({k: tuple(v) for k, v in section.get("pull-secrets", {}).items()}),
        service_accounts=MappingProxyType(
            {k: tuple(v) for k, v in section.get("service-accounts", {}).items()}
        ),
        node_credentials=tuple(section.get("node-credentials", ())),
        registry_mirrors=MappingProxyType(dict(section.get("registry-mirrors", {}))),
        platforms=tuple(section.get("platforms", ())),
        runtime=section.get("runtime", "containerd"),
    )


def _from_document(document: Mapping[str, Any], path: str) -> Config:
    def codes(key: str) -> tuple[str, ...]:
        return tuple(code.upper() for code in document.get(key, ()))

    root = os.path.dirname(os.path.abspath(path))
    packs = tuple(document.get("rule-packs", ()))
    return Config(
        select=codes("select") if "select" in document else None,
        extend_select=codes("extend-select"),
        ignore=codes("ignore"),
        severity={k.upper(): Severity.parse(v) for k, v in document.get("severity", {}).items()},
        per_file_ignores={
            glob: tuple(c.upper() for c in cs) for glob, cs in document.get("per-file-ignores", {}).items()
        },
        fail_on=Severity.parse(document.get("fail-on", "error")),
        rule_options={code.upper(): dict(opts) for code, opts in document.get("rules", {}).items()},
        path=path,
        root=root,
        policy=_policy(document),
        registry=_registry(document, root),
        rule_packs=tuple(os.path.join(root, given) for given in packs),
        rule_pack_names=packs,
        cluster=_cluster(document, root),
        kinds=MappingProxyType(dict(document.get("kinds") or {})),
        exclude=tuple(
            os.path.join(root, glob)
            for glob in (*document.get("exclude", ()), *document.get("extend-exclude", ()))
        ),
        repository_context=_repository_context(document.get("repository-context", True)),
    )


def _repository_context(value: bool | list[str]) -> bool | tuple[str, ...]:
    return value if isinstance(value, bool) else tuple(value)
