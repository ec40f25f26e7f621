"""The one place that knows both wings: load -> model -> rules (-> registry facts) -> suppress.

The flow goes one way. Rules are pure; everything slow (the registry) happens in `pulllint.registry`,
imported only when a network rule is selected and the run is not offline.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from pulllint.config import Config, ConfigError
from pulllint.diagnostics import Diagnostic, Finding, Severity
from pulllint.loading.inputs import InputFile, decode, discover
from pulllint.model.build import add_piece
from pulllint.model.facts import ImageFacts
from pulllint.model.objects import Container, Manifests, ObjectMeta
from pulllint.rules import Rule, RuleContext, all_rules
from pulllint.suppression import Suppressor

_INDEXED_KIND = re.compile(rb"""kind["']?[ \t]*:[ \t]*["']?(?:Secret|ServiceAccount)\b""")

if TYPE_CHECKING:
    from pulllint.registry import RegistrySettings

# The resolver seam: containers in, facts out. The CLI passes the registry's; tests pass their own.
FactsProvider = Callable[[Manifests, Config], Mapping[Container, ImageFacts]]


class Result(NamedTuple):
    diagnostics: list[Diagnostic]
    rules: dict[str, type[Rule]]  # the rules that ran, by code
    files: int
    images: int
    documents: int = 0
    suppressed: int = 0

    def exit_code(self, fail_on: Severity) -> int:
        return 1 if any(d.severity >= fail_on for d in self.diagnostics) else 0


def _longest_match(code: str, prefixes: Iterable[str]) -> int:
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)


def select_rules(rules: Mapping[str, type[Rule]], config: Config) -> dict[str, type[Rule]]:
    """Enable rules by code prefix: the longest matching prefix of select/ignore wins, ignore on ties.

    Without `select`, the rules on by default are on. A rule off by default is enabled only by its
    full code, so `--select PL1` does not turn on PL106.
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


def rule_options(rule: type[Rule], config: Config) -> dict[str, object]:
    given = config.rule_options.get(rule.code, {})
    options: dict[str, object] = {name: option.default for name, option in rule.options.items()}
    for name, value in given.items():
        option = rule.options.get(name)
        if option is None:
            raise ConfigError(f"rules.{rule.code}.{name}: unknown option of {rule.code} {rule.name}")
        if not isinstance(value, option.type):
            raise ConfigError(f"rules.{rule.code}.{name}: expected {option.type.__name__}, got {value!r}")
        options[name] = value
    return options


def load_manifests(paths: Sequence[str]) -> Manifests:
    """The whole model of `paths` at once (for tools and tests; `run` reads in batches)."""
    manifests = Manifests()
    for path in discover(paths):
        manifests.files += 1
        for piece in InputFile(path).pieces():
            add_piece(manifests, piece)
    return manifests


def _index(inputs: Sequence[InputFile]) -> Manifests:
    """First pass: only the Secrets and ServiceAccounts, which any pod of the input may refer to.

    A piece is composed only when its bytes name one of those kinds, so this pass costs a fraction of
    the second one, and a pod sees its ServiceAccount even when the account comes later in the stream.
    """
    index = Manifests()
    for source in inputs:
        try:
            for offset, data in source.raw_pieces():
                if _INDEXED_KIND.search(data):
                    add_piece(index, decode(source.path, offset, data, first=offset == 0))
                    # Keep only the index: the second pass reads (and reports) everything else, and a
                    # `kind: List` dump holding one Secret must not keep all its workloads for the run.
                    index.workloads.clear()
                    index.syntax_problems.clear()
                    index.shape_problems.clear()
                    index.inline_suppressions.clear()
        except OSError:
            continue  # reported by the second pass
    return index


def _batches(inputs: Sequence[InputFile], index: Manifests, size: int) -> Iterator[Manifests]:
    """Second pass: the model in batches of about `size` documents, each with the whole input's
    Secrets and ServiceAccounts, so memory stays flat in the length of the stream."""
    batch = Manifests()
    for source in inputs:
        batch.files += 1
        for piece in source.pieces():
            add_piece(batch, piece)
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
) -> Result:
    """Check `paths`; raises ConfigError (exit 2) for configuration and selection errors.

    Rules see one batch of documents at a time (plus every Secret and ServiceAccount of the input);
    findings about a Secret or ServiceAccount are the same in every batch and are reported once.
    """
    available = all_rules(config)
    rules = select_rules(available, config)
    options = {code: rule_options(rule, config) for code, rule in rules.items()}
    if offline or facts_provider is None:
        rules = {code: rule for code, rule in rules.items() if not rule.needs_network}
    wants_facts = facts_provider is not None and any(rule.needs_network for rule in rules.values())
    inputs = [InputFile(path) for path in discover(paths)]
    index = _index(inputs)

    suppressor = Suppressor(config.per_file_ignores, config.root)
    severities = {code: effective_severity(rule, config) for code, rule in rules.items()}
    # Rules whose severity the configuration sets: a finding's own default (pack entries) does not apply.
    configured = {code for code in rules if any(code.startswith(p) for p in config.severity)}
    diagnostics: list[Diagnostic] = []
    seen: set[tuple[str, str, int, int, str]] = set()
    suppressed = files = documents = 0
    images: set[str] = set()
    annotated: list[ObjectMeta] = []
    for batch in _batches(inputs, index, batch_documents):
        files += batch.files
        documents += batch.documents
        images.update(c.image for c in batch.containers() if c.image)
        suppressor.add(batch)
        annotated.extend(w.meta for w in batch.workloads if w.meta.ignores)
        facts = facts_provider(batch, config) if wants_facts and facts_provider is not None else {}
        for code, rule in rules.items():
            if rule.after_suppression:
                continue
            ctx = RuleContext(batch, config, options[code], facts)
            instance = rule()
            for finding in instance.check(ctx):
                key = (
                    code,
                    finding.source.path,
                    finding.position.line,
                    finding.position.column,
                    finding.message,
                )
                if key in seen:
                    continue  # a Secret's finding, already reported by an earlier batch
                seen.add(key)
                if suppressor.suppressed(code, finding):
                    suppressed += 1
                else:
                    own = None if code in configured else instance.severity_of(finding)
                    diagnostics.append(_diagnostic(rule, own or severities[code], finding))

    post = [rule for rule in rules.values() if rule.after_suppression]
    if post:
        annotated += [secret.meta for secret in index.secrets if secret.meta.ignores]
        annotated += [account.meta for account in index.service_accounts if account.meta.ignores]
        unused = tuple(suppressor.unused(annotated, frozenset(rules), frozenset(available)))
        final = Manifests(secrets=index.secrets, service_accounts=index.service_accounts)
        for rule in post:
            ctx = RuleContext(final, config, options[rule.code], {}, unused)
            for finding in rule().check(ctx):
                if not suppressor.suppressed(rule.code, finding):
                    diagnostics.append(_diagnostic(rule, severities[rule.code], finding))
    diagnostics.sort(key=lambda d: d.sort_key)
    return Result(diagnostics, rules, files, len(images), documents, suppressed)


def _diagnostic(rule: type[Rule], severity: Severity, finding: Finding) -> Diagnostic:
    position = finding.position
    return Diagnostic(
        code=rule.code,
        rule_name=rule.name,
        severity=severity,
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


def registry_provider(settings: RegistrySettings) -> FactsProvider:
    """The facts provider of a real run: the pod's credentials and platform in, registry answers out.

    One provider serves every batch of a run and remembers its answers, so an image used in many
    batches is asked about once (the resolver also deduplicates within a batch and caches on disk).
    """
    from pulllint.model.facts import ImageQuery, Platform, Status
    from pulllint.model.hosts import cloud_registry
    from pulllint.model.pullsecrets import effective_credentials
    from pulllint.registry import resolve
    from pulllint.rules._images import valid_reference

    answered: dict[ImageQuery, ImageFacts] = {}

    def provide(batch: Manifests, config: Config) -> dict[Container, ImageFacts]:
        available = all_rules(config)
        checks_platform = "PL404" in select_rules(available, config)
        default = rule_options(available["PL404"], config)["default-platform"]
        try:
            default_platform = Platform.parse(str(default))
        except ValueError as error:
            raise ConfigError(f"rules.PL404.default-platform: {error}") from None
        wanted: dict[Container, ImageQuery] = {}
        for container in batch.containers():
            ref = valid_reference(container.image)
            if ref is None:
                continue
            platform = (container.pod.platforms or (default_platform,))[0] if checks_platform else None
            wanted[container] = ImageQuery(ref, effective_credentials(container, batch), platform)
        missing = [query for query in set(wanted.values()) if query not in answered]
        if missing:
            try:
                answered.update(resolve(missing, settings))
            except ValueError as error:  # unusable settings, such as an unreadable ca-file
                raise ConfigError(f"registry settings: {error}") from None
        facts: dict[Container, ImageFacts] = {}
        for container, query in wanted.items():
            answer = answered[query]
            refused = answer.status in (Status.MISSING_OR_PRIVATE, Status.UNAUTHORIZED)
            if refused and not query.credentials and cloud_registry(query.image.domain, query.image.path):
                # The node's cloud identity pulls it (PL205 names the permission); we cannot check that.
                answer = answer._replace(status=Status.UNVERIFIED, detail="pulled with the node's identity")
            facts[container] = answer
        return facts

    return provide
