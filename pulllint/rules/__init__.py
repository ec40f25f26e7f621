"""The rule registry: built-in rules, one module each, and third-party rules from entry points.

A rule is a class with its code, name, default severity, options and documentation (its docstring, in
Markdown with the headings What it does / Why it matters / Example / Fix), and a pure `check` that turns
the model (and, for network rules, registry facts) into findings. Rules never do I/O.

Third-party packages add rules through the entry-point group `pulllint.rules`; each entry point names a
`Rule` subclass. Codes are stable: a retired code is never reused.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import os
import re
import sys
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from pulllint.diagnostics import Finding, Position, Severity
from pulllint.model.facts import ImageFacts, Platform
from pulllint.model.hosts import RegistryPolicy
from pulllint.model.objects import Container, Manifests, ObjectMeta
from pulllint.model.pullsecrets import PullSecretIndex

if TYPE_CHECKING:
    from pulllint.rulepacks import PackEntry
    from pulllint.suppression import UnusedSuppression

_EMPTY: Mapping[str, Any] = MappingProxyType({})
ENTRY_POINT_GROUP = "pulllint.rules"
_CODE = re.compile(r"^[A-Z]+[0-9]+$")

# Built-in rule modules, in catalogue order. Explicit, so `pulllint rules` needs no directory scan.
BUILTIN_RULE_MODULES = (
    "pl001_yaml_syntax",
    "pl002_invalid_manifest_shape",
    "pl003_unused_suppression",
    "pl004_unknown_image_kind",
    "pl101_invalid_image_reference",
    "pl102_missing_tag",
    "pl103_latest_tag",
    "pl104_unrendered_template",
    "pl105_pull_policy_conflict",
    "pl106_tag_not_pinned",
    "pl201_missing_pull_secret",
    "pl202_undefined_pull_secret",
    "pl203_malformed_pull_secret",
    "pl204_pull_secret_host_mismatch",
    "pl205_cloud_registry_identity",
    "pl206_cross_account_registry",
    "pl207_pull_secret_other_namespace",
    "pl301_dockerhub_anonymous",
    "pl302_registry_not_allowed",
    "pl303_deprecated_image",
    "pl401_tag_not_found",
    "pl402_repository_not_found",
    "pl403_pull_unauthorized",
    "pl404_platform_missing",
    "pl405_registry_unreachable",
    "pl406_rate_limited",
)


class RuleOption(NamedTuple):
    """An option a rule reads from `rules: {CODE: {name: value}}` in the configuration.

    `type` is the value's type; for a list, `items` is the type of its elements.
    """

    default: Any
    type: builtins.type
    description: str
    items: builtins.type | None = None


class RegistryNeed(NamedTuple):
    """What a network rule needs the registry to be asked. The engine builds the queries from these.

    Every network rule needs the manifest's existence; `platforms` asks for the platform list too:
    the platforms a pod that pins none must run on (empty: the platform is not needed).
    """

    platforms: tuple[Platform, ...] = ()


class RuleContext(NamedTuple):
    """Everything a rule may read: one batch of the model and the run's knowledge, as plain data.

    The engine builds it; rules stay pure and unit-testable with hand-built values.
    """

    manifests: Manifests
    options: Mapping[str, Any] = _EMPTY  # this rule's own options, defaults filled and validated
    policy: RegistryPolicy = RegistryPolicy()
    # The pull secrets every pod of the batch would have (built from the run's Secret index).
    pull_secrets: PullSecretIndex | None = None
    facts: Mapping[Container, ImageFacts] = MappingProxyType({})
    # Filled only for post-suppression rules (PL003): suppressions that matched nothing.
    unused_suppressions: tuple[UnusedSuppression, ...] = ()
    # Filled only for pack rules (PL303 and the user's packs): the entries of this rule's code.
    pack_entries: tuple[PackEntry, ...] = ()
    # The cluster's platforms (`cluster.platforms`, Nodes of the context); empty: not declared.
    platforms: tuple[Platform, ...] = ()

    @property
    def secrets(self) -> PullSecretIndex:
        """The batch's pull-secret index (built from the batch alone when a test gives none)."""
        return self.pull_secrets if self.pull_secrets is not None else PullSecretIndex(self.manifests)


class Rule:
    """Base class of every rule. Subclasses set the class attributes and implement `check`."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    enabled_by_default: ClassVar[bool] = True
    needs_network: ClassVar[bool] = False
    # Runs after suppression (only PL003, which reports suppressions that matched nothing).
    after_suppression: ClassVar[bool] = False
    options: ClassVar[Mapping[str, RuleOption]] = {}

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def registry_need(cls, options: Mapping[str, Any]) -> RegistryNeed | None:
        """What this rule needs asked of the registry (None: nothing; it judges the model alone).

        Raises ValueError for an option value it cannot use; the engine names the option.
        """
        return RegistryNeed() if cls.needs_network else None

    @classmethod
    def documentation(cls) -> str:
        """The rule's page: a heading line, then its docstring (Markdown)."""
        status = "" if cls.enabled_by_default else ", off by default"
        network = ", needs the registry" if cls.needs_network else ""
        lines = [
            f"# {cls.code} {cls.name}",
            "",
            f"Default severity: {cls.severity.label}{status}{network}.",
            "",
        ]
        import inspect

        lines.append(inspect.cleandoc(cls.__doc__ or cls.summary))
        if cls.options:
            lines += ["", "## Options", ""]
            for option_name, option in cls.options.items():
                lines.append(f"- `{option_name}` (default `{option.default!r}`): {option.description}")
        return "\n".join(lines) + "\n"


def container_finding(
    container: Container, message: str, *, fix: str | None = None, position: Position | None = None
) -> Finding:
    """A finding at a container's `image:` value (or `position`), with its object and image."""
    meta = container.meta
    return Finding(
        meta.source,
        position or container.image_position,
        message,
        image=container.image,
        object_id=meta.object_id,
        object_ignores=meta.ignores,
        fix=fix,
    )


def object_finding(meta: ObjectMeta, position: Position, message: str, *, fix: str | None = None) -> Finding:
    return Finding(
        meta.source, position, message, object_id=meta.object_id, object_ignores=meta.ignores, fix=fix
    )


class RuleLoadError(Exception):
    """A third-party rule that cannot be loaded or breaks the rule contract."""


def all_rules() -> dict[str, type[Rule]]:
    """Every installed rule by code: built-ins, then entry points (which may not redefine a code).

    The rules of the configuration's rule packs come on top (`pulllint.engine.available_rules`).
    """
    return dict(_installed_rules())


@functools.cache
def _installed_rules() -> Mapping[str, type[Rule]]:
    """Built-ins first, then entry points. Cached: classes, the same for the whole process."""
    rules: dict[str, type[Rule]] = {}
    for module_name in BUILTIN_RULE_MODULES:
        module = importlib.import_module(f"{__name__}.{module_name}")
        rule_class: type[Rule] = module.RULE
        rules[rule_class.code] = rule_class
    for rule_class in _entry_point_rules():
        if rule_class.code in rules:
            raise RuleLoadError(f"rule {rule_class.code} from a plugin redefines an existing code")
        rules[rule_class.code] = rule_class
    return MappingProxyType(rules)


def _plugins_installed() -> bool:
    """Whether any installed distribution declares the entry-point group, without importlib.metadata.

    Scanning entry points through importlib.metadata costs ~40 ms, more than the rest of a pre-commit
    run on one file; reading the few entry_points.txt files on sys.path costs ~1 ms.
    """
    marker = f"[{ENTRY_POINT_GROUP}]"
    for entry in sys.path:
        try:
            names = [n for n in os.listdir(entry or ".") if n.endswith((".dist-info", ".egg-info"))]
        except OSError:
            continue
        for name in names:
            try:
                with open(os.path.join(entry or ".", name, "entry_points.txt"), encoding="utf-8") as handle:
                    if marker in handle.read():
                        return True
            except OSError:
                continue
    return False


def _entry_point_rules() -> Iterator[type[Rule]]:
    if not _plugins_installed():
        return
    from importlib.metadata import entry_points

    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry_point.load()
        except Exception as error:  # a broken plugin is reported, not a traceback
            raise RuleLoadError(f"cannot load rule plugin {entry_point.name!r}: {error}") from error
        if not (isinstance(loaded, type) and issubclass(loaded, Rule)):
            raise RuleLoadError(f"rule plugin {entry_point.name!r} is not a pulllint.rules.Rule subclass")
        for attribute in ("code", "name", "severity", "summary"):
            if not hasattr(loaded, attribute):
                raise RuleLoadError(f"rule plugin {entry_point.name!r} has no {attribute}")
        if not _CODE.match(loaded.code):
            raise RuleLoadError(f"rule plugin {entry_point.name!r} has an invalid code {loaded.code!r}")
        yield loaded
