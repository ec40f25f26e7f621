"""The one place that knows both wings: load -> model -> rules (-> registry facts) -> suppress.

The flow goes one way. `prepare` builds the run's knowledge once (the selected rules with their
validated options, the registry policy, the rule packs' entries, the query plan the network rules
declare); `run` adds the index of the input's Secrets and ServiceAccounts and hands it all down, batch by
batch. Rules are pure; everything slow (the registry) happens behind a `FactsProvider`, which the CLI
builds from `pulllint.registry` only when a network rule is selected and the run is not offline.
Nothing of a run outlives it.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from pulllint.config import Config, ConfigError, PolicySection
from pulllint.context import index_source, load_context
from pulllint.diagnostics import Diagnostic, Finding, Position, Severity, Source
from pulllint.images import valid_reference
from pulllint.loading.inputs import InputFile, Notice, Notices, discover
from pulllint.model.build import add_piece
from pulllint.model.facts import ImageFacts, ImageQuery, Platform, fill_platforms
from pulllint.model.hosts import RegistryPolicy
from pulllint.model.kinds import KindError, KindTable, load_kinds
from pulllint.model.objects import Container, Manifests, ObjectMeta
from pulllint.model.pullsecrets import PullSecretIndex, SecretIndex, effective_credentials
from pulllint.rulepacks import PackEntry, builtin_entries, entries_by_code, load_packs
from pulllint.rules import RegistryNeed, Rule, RuleContext, RuleOption, all_rules
from pulllint.rules._packs import PackRule, pack_rule
from pulllint.suppression import Suppressor, UnusedSuppression

if TYPE_CHECKING:
    from pulllint.baseline import Baseline

# The resolver seam: the run's unique questions in, the registry's answers out. The CLI passes the
# registry's (`pulllint.registry.facts_provider`); tests pass their own.
FactsProvider = Callable[[Sequence[ImageQuery]], Mapping[ImageQuery, ImageFacts]]


class Result(NamedTuple):
    diagnostics: list[Diagnostic]
    rules: dict[str, type[Rule]]  # the rules that ran, by code
    files: int
    images: int
    documents: int = 0
    suppressed: int = 0
    baselined: int = 0  # findings the baseline left out
    notices: tuple[Notice, ...] = ()  # what was skipped instead of checked, and empty inputs

    def exit_code(self, fail_on: Severity) -> int:
        return 1 if any(d.severity >= fail_on for d in self.diagnostics) else 0


class SelectedRule(NamedTuple):
    """A rule that runs, with what the engine decided for it once per run."""

    rule: type[Rule]
    options: Mapping[str, Any]
    severity: Severity
    # A `severity` in the configuration covers the code: a finding's own severity does not apply.
    severity_configured: bool
    pack_entries: tuple[PackEntry, ...] = ()


class QueryPlan(NamedTuple):
    """What the selected network rules need asked of the registry, merged."""

    # The platforms a pod that pins none is checked for (empty: platforms are not asked for).
    platforms: tuple[Platform, ...] = ()


class RunPlan(NamedTuple):
    """The run's knowledge that needs no input: built once by `prepare`, read by every batch."""

    rules: Mapping[str, SelectedRule]
    known_codes: frozenset[str]  # every rule that exists, run or not (for unknown-code suppressions)
    policy: RegistryPolicy
    plan: QueryPlan | None  # None: the registry is not asked
    kinds: KindTable  # where each kind keeps its pod specs and containers (built-in and configured)


def _longest_match(code: str, prefixes: Iterable[str]) -> int:
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)


def available_rules(config: Config) -> dict[str, type[Rule]]:
    """Every rule by code: built-ins, entry points, then one per code of the configured rule packs."""
    rules = all_rules()
    user = entries_by_code(load_packs(config.rule_packs, config.rule_pack_names), frozenset(rules))
    return {**rules, **{code: pack_rule(code, entries) for code, entries in user.items()}}


def select_rules(rules: Mapping[str, type[Rule]], config: Config) -> dict[str, type[Rule]]:
    """Enable rules by code prefix: the longest matching prefix of select/ignore wins, ignore on ties.

    Without `select`, the rules on by default are on. A rule off by default is enabled only by its
    full code, so a prefix never turns on a rule that is off by default.
    """
    for prefix in (*(config.select or ()), *config.extend_select, *config.ignore):
        if not any(code.startswith(prefix) for code in rules):
            raise ConfigError(f"unknown rule selector {prefix!r} (see `pulllint rules`)")
    chosen: dict[str, type[Rule]] = {}
    for code, rule in rules.items():
        positives = [*(config.select or ()), *config.extend_select]
        if not rule.enabled_by_default:
            positives = [p for p in positives if p == code]
        positive = _longest_match(code, positives)
        if config.select is None and rule.enabled_by_default:
            positive = max(positive, 0)
        if positive >= 0 and positive > _longest_match(code, config.ignore):
            chosen[code] = rule
    return chosen


def effective_severity(rule: type[Rule], config: Config) -> Severity:
    best: tuple[int, Severity] = (-1, rule.severity)
    for prefix, severity in config.severity.items():
        if rule.code.startswith(prefix) and len(prefix) > best[0]:
            best = (len(prefix), severity)
    return best[1]


def _type_name(kind: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list"}.get(
        kind, kind.__name__
    )


def _check_option(code: str, name: str, option: RuleOption, value: Any) -> None:
    where = f"rules.{code}.{name}"
    # bool is an int in Python, not in YAML: `true` is not a number.
    wrong = isinstance(value, bool) and option.type is not bool
    if wrong or not isinstance(value, option.type):
        raise ConfigError(f"{where}: expected {_type_name(option.type)}, got {value!r}")
    if option.items is not None and isinstance(value, list):
        for number, item in enumerate(value):
            if (isinstance(item, bool) and option.items is not bool) or not isinstance(item, option.items):
                raise ConfigError(f"{where}[{number}]: expected {_type_name(option.items)}, got {item!r}")


def rule_options(rule: type[Rule], config: Config) -> dict[str, object]:
    """The rule's options: its defaults, then the configuration's values, each checked by type."""
    given = config.rule_options.get(rule.code, {})
    options: dict[str, object] = {name: option.default for name, option in rule.options.items()}
    for name, value in given.items():
        option = rule.options.get(name)
        if option is None:
            known = ", ".join(rule.options) or "none"
            raise ConfigError(
                f"rules.{rule.code}.{name}: unknown option of {rule.code} {rule.name} (options: {known})"
            )
        _check_option(rule.code, name, option, value)
        options[name] = value
    return options


def registry_policy(section: PolicySection, mirrors: Mapping[str, str] | None = None) -> RegistryPolicy:
    cloud = section.cloud
    return RegistryPolicy.from_lists(
        public=section.public_registries,
        private=section.private_registries,
        allowed=section.allowed_registries,
        dockerhub_mirror=section.dockerhub_mirror,
        aws_account_ids=cloud.aws_account_ids,
        azure_registries=cloud.azure_registries,
        gcp_projects=cloud.gcp_projects,
        mirrors=mirrors,
    )


def prepare(config: Config, *, online: bool) -> RunPlan:
    """The run's rules, options, policy and query plan; raises ConfigError (exit 2) for any mistake.

    Every rule's options are validated, selected or not, so a typo never waits for the day its rule
    is turned on. `online`: network rules run (a facts provider is given and the run is not offline).
    """
    available = available_rules(config)
    for code in config.rule_options:
        if code not in available:
            raise ConfigError(f"rules.{code}: unknown rule (see `pulllint rules`)")
    for prefix in config.severity:
        if not any(code.startswith(prefix) for code in available):
            raise ConfigError(f"severity.{prefix}: names no rule (see `pulllint rules`)")
    for glob, prefixes in config.per_file_ignores.items():
        for prefix in prefixes:
            if not any(code.startswith(prefix) for code in available):
                raise ConfigError(f"per-file-ignores.{glob}: {prefix!r} names no rule (see `pulllint rules`)")
    options = {code: MappingProxyType(rule_options(rule, config)) for code, rule in available.items()}
    chosen = select_rules(available, config)
    if not online:
        chosen = {code: rule for code, rule in chosen.items() if not rule.needs_network}
    builtin = builtin_entries() if any(issubclass(r, PackRule) for r in chosen.values()) else ()
    selected: dict[str, SelectedRule] = {}
    platforms: tuple[Platform, ...] = ()
    asks = False
    needs: dict[str, RegistryNeed | None] = {}
    for code, rule in available.items():  # option values too are checked for every rule
        try:
            needs[code] = rule.registry_need(options[code])
        except ValueError as error:
            raise ConfigError(f"rules.{code}: {error}") from None
    for code, rule in chosen.items():
        need = needs[code]
        if need is not None:
            asks = True
            platforms = platforms or need.platforms
        entries: tuple[PackEntry, ...] = ()
        if issubclass(rule, PackRule):
            entries = rule.entries or tuple(e for e in builtin if e.code == code)
        selected[code] = SelectedRule(
            rule,
            options[code],
            effective_severity(rule, config),
            any(code.startswith(p) for p in config.severity),
            entries,
        )
    try:
        kinds = load_kinds(config.kinds)
    except KindError as error:
        raise ConfigError(str(error)) from None
    return RunPlan(
        MappingProxyType(selected),
        frozenset(available),
        registry_policy(config.policy, config.cluster.registry_mirrors),
        QueryPlan(platforms) if asks else None,
        kinds,
    )


def load_manifests(paths: Sequence[str]) -> Manifests:
    """The whole model of `paths` at once (for tools and tests; `run` reads in batches)."""
    manifests = Manifests()
    for path in discover(paths):
        manifests.files += 1
        for piece in InputFile(path).pieces():
            add_piece(manifests, piece)
    return manifests


def _index(inputs: Sequence[InputFile]) -> Manifests:
    """First pass: only the Secrets and ServiceAccounts, which any pod of the input may refer to, so a
    pod sees its ServiceAccount even when the account comes later in the stream."""
    index = Manifests()
    for source in inputs:
        index_source(index, source)
    return index


def _batches(
    inputs: Sequence[InputFile], index: Manifests, size: int, kinds: KindTable
) -> Iterator[Manifests]:
    """Second pass: the model in batches of about `size` documents, each with the whole input's
    Secrets and ServiceAccounts, so memory stays flat in the length of the stream."""
    batch = Manifests()
    for source in inputs:
        batch.files += 1
        for piece in source.pieces():
            add_piece(batch, piece, kinds)
            if batch.documents >= size:
                yield _with_index(batch, index)
                batch = Manifests()
    yield _with_index(batch, index)


def _with_index(batch: Manifests, index: Manifests) -> Manifests:
    batch.secrets = index.secrets
    batch.service_accounts = index.service_accounts
    return batch


def run(
    paths: Sequence[str],
    config: Config,
    *,
    offline: bool = False,
    facts_provider: FactsProvider | None = None,
    batch_documents: int = 500,
    baseline: Baseline | None = None,
) -> Result:
    """Check `paths`; raises ConfigError (exit 2) for configuration and selection errors.

    Rules see one batch of documents at a time (plus every Secret and ServiceAccount of the input);
    findings about a Secret or ServiceAccount are the same in every batch and are reported once.
    """
    online = not offline and facts_provider is not None
    plan = prepare(config, online=online)
    notices = Notices()
    inputs = [
        InputFile(path) for path in _once(discover(paths, notices)) if not _excluded(path, config.exclude)
    ]
    index = _index(inputs)
    context = load_context(config, [source.path for source in inputs])
    secrets = SecretIndex(index.secrets, index.service_accounts, context.knowledge)
    platforms = _cluster_platforms(config, context.platforms)
    if platforms and plan.plan is not None and plan.plan.platforms:
        # Platforms are asked for (a rule declared them): the cluster's replace the rule's default.
        plan = plan._replace(plan=plan.plan._replace(platforms=platforms))
    answered: dict[ImageQuery, ImageFacts] = {}

    suppressor = Suppressor(config.per_file_ignores, config.root)
    diagnostics: list[Diagnostic] = []
    seen: set[tuple[str, str, int, int, str]] = set()
    suppressed = files = documents = 0
    images: set[str] = set()
    annotated: list[ObjectMeta] = []
    checks = [selected for selected in plan.rules.values() if not selected.rule.after_suppression]
    for batch in _batches(inputs, index, batch_documents, plan.kinds):
        files += batch.files
        documents += batch.documents
        images.update(c.image for c in batch.containers() if c.image)
        suppressor.add(batch)
        annotated.extend(w.meta for w in batch.workloads if w.meta.ignores)
        pull_secrets = PullSecretIndex(batch, secrets)
        facts: Mapping[Container, ImageFacts] = {}
        if plan.plan is not None and facts_provider is not None:
            facts = _facts(batch, pull_secrets, plan.plan, facts_provider, answered)
        for selected in checks:
            rule = selected.rule
            ctx = RuleContext(
                batch,
                selected.options,
                plan.policy,
                pull_secrets,
                facts,
                pack_entries=selected.pack_entries,
                platforms=platforms,
            )
            for finding in rule().check(ctx):
                key = (
                    rule.code,
                    finding.source.path,
                    finding.position.line,
                    finding.position.column,
                    finding.message,
                )
                if key in seen:
                    continue  # a Secret's finding, already reported by an earlier batch
                seen.add(key)
                if suppressor.suppressed(rule.code, finding):
                    suppressed += 1
                else:
                    diagnostics.append(_diagnostic(selected, finding))

    stale: list[UnusedSuppression] = []
    baselined = 0
    if baseline is not None:
        diagnostics, baselined, entries = baseline.split(diagnostics, [source.path for source in inputs])
        stale = [
            UnusedSuppression(
                Source(baseline.path), Position.point(entry.line, 5), frozenset({entry.code}), "baseline"
            )
            for entry in entries
            if entry.code in plan.rules  # an entry of a rule that did not run may still match next time
        ]
    post = [selected for selected in plan.rules.values() if selected.rule.after_suppression]
    if post:
        annotated += [secret.meta for secret in index.secrets if secret.meta.ignores]
        annotated += [account.meta for account in index.service_accounts if account.meta.ignores]
        unused = (*suppressor.unused(annotated, frozenset(plan.rules), plan.known_codes), *stale)
        final = Manifests(secrets=index.secrets, service_accounts=index.service_accounts)
        for selected in post:
            ctx = RuleContext(final, selected.options, plan.policy, unused_suppressions=unused)
            for finding in selected.rule().check(ctx):
                if not suppressor.suppressed(selected.rule.code, finding):
                    diagnostics.append(_diagnostic(selected, finding))
    diagnostics.sort(key=lambda d: d.sort_key)
    ran = {code: selected.rule for code, selected in plan.rules.items()}
    for source in inputs:
        notices.extend(source.notices)
    return Result(diagnostics, ran, files, len(images), documents, suppressed, baselined, tuple(notices))


def merge(results: Sequence[Result]) -> Result:
    """One result of runs over disjoint files (each under its own configuration)."""
    if len(results) == 1:
        return results[0]
    diagnostics = sorted((d for r in results for d in r.diagnostics), key=lambda d: d.sort_key)
    rules: dict[str, type[Rule]] = {}
    for result in results:
        rules.update(result.rules)
    return Result(
        diagnostics,
        rules,
        sum(r.files for r in results),
        sum(r.images for r in results),
        sum(r.documents for r in results),
        sum(r.suppressed for r in results),
        sum(r.baselined for r in results),
        tuple(n for r in results for n in r.notices),
    )


def _excluded(path: str, globs: Sequence[str]) -> bool:
    """Whether the file, or a folder it is in, matches one of the configuration's exclude globs."""
    if not globs or path == "-":
        return False
    current = os.path.abspath(path)
    while True:
        if any(fnmatch.fnmatch(current, glob) for glob in globs):
            return True
        parent = os.path.dirname(current)
        if parent == current:
            return False
        current = parent


def _once(paths: Iterable[str]) -> Iterator[str]:
    """Each file once, however many times it is named (or reached through a folder and a link)."""
    seen: set[str] = set()
    for path in paths:
        key = path if path == "-" else os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            yield path


def _cluster_platforms(config: Config, from_nodes: tuple[Platform, ...]) -> tuple[Platform, ...]:
    """`cluster.platforms`, else the platforms of the context's Nodes (empty: not known)."""
    declared = []
    for text in config.cluster.platforms:
        try:
            declared.append(Platform.parse(text))
        except ValueError as error:
            raise ConfigError(f"cluster.platforms: {error}") from None
    return tuple(declared) or from_nodes


def _facts(
    batch: Manifests,
    pull_secrets: PullSecretIndex,
    plan: QueryPlan,
    provider: FactsProvider,
    answered: dict[ImageQuery, ImageFacts],
) -> dict[Container, ImageFacts]:
    """The registry's answer for each container of the batch: one query per unique (reference,
    credentials, platform), each asked once per run (`answered` spans the batches)."""
    wanted: dict[Container, ImageQuery] = {}
    for container in batch.containers():
        ref = valid_reference(container.image)
        if ref is None:
            continue
        credentials = effective_credentials(container, pull_secrets)
        if plan.platforms:
            platforms = fill_platforms(container.pod.platforms, plan.platforms)
            wanted[container] = ImageQuery(ref, credentials, platforms[0], platforms)
        else:
            wanted[container] = ImageQuery(ref, credentials)
    missing = [query for query in dict.fromkeys(wanted.values()) if query not in answered]
    if missing:
        answered.update(provider(missing))
    return {container: answered[query] for container, query in wanted.items() if query in answered}


def _diagnostic(selected: SelectedRule, finding: Finding) -> Diagnostic:
    rule = selected.rule
    own = None if selected.severity_configured else finding.severity
    position = finding.position
    return Diagnostic(
        code=rule.code,
        rule_name=rule.name,
        severity=own or selected.severity,
        # Findings repeat (one image in thousands of pods): share their text, not copies of it.
        message=sys.intern(finding.message),
        path=finding.source.path,
        line=position.line,
        column=position.column,
        end_line=position.end_line,
        end_column=position.end_column,
        template=finding.source.template,
        image=finding.image,
        object_id=finding.object_id,
        fix=sys.intern(finding.fix) if finding.fix else None,
    )
