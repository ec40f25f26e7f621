"""The one place that knows both wings: load -> model -> rules (-> registry facts) -> suppress.

The flow goes one way. Rules are pure; everything slow (the registry) happens in `pulllint.registry`,
imported only when a network rule is selected and the run is not offline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pulllint.config import Config, ConfigError
from pulllint.diagnostics import Diagnostic, Finding, Severity
from pulllint.loading.inputs import discover, read_input
from pulllint.model.build import add_file
from pulllint.model.facts import ImageFacts
from pulllint.model.objects import Container, Manifests
from pulllint.rules import Rule, RuleContext, all_rules
from pulllint.suppression import Suppressor

# The resolver seam: containers in, facts out. The CLI passes the registry's; tests pass their own.
FactsProvider = Callable[[Manifests, Config], Mapping[Container, ImageFacts]]


@dataclass
class Result:
    diagnostics: list[Diagnostic]
    rules: dict[str, type[Rule]]  # the rules that ran, by code
    files: int
    images: int
    documents: int = 0
    suppressed: int = 0
    facts: Mapping[Container, ImageFacts] = field(default_factory=dict)

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
    manifests = Manifests()
    for path in discover(paths):
        add_file(manifests, read_input(path))
    return manifests


def run(
    paths: Sequence[str],
    config: Config,
    *,
    offline: bool = False,
    facts_provider: FactsProvider | None = None,
) -> Result:
    """Check `paths`; raises ConfigError (exit 2) for configuration and selection errors."""
    rules = select_rules(all_rules(), config)
    options = {code: rule_options(rule, config) for code, rule in rules.items()}
    manifests = load_manifests(paths)
    if offline or facts_provider is None:
        rules = {code: rule for code, rule in rules.items() if not rule.needs_network}
    facts: Mapping[Container, ImageFacts] = {}
    if facts_provider is not None and any(rule.needs_network for rule in rules.values()):
        facts = facts_provider(manifests, config)

    suppressor = Suppressor(config.per_file_ignores, config.root, manifests)
    diagnostics: list[Diagnostic] = []
    suppressed = 0
    post: list[type[Rule]] = []
    for code, rule in rules.items():
        if rule.after_suppression:
            post.append(rule)
            continue
        ctx = RuleContext(manifests, config, options[code], facts)
        severity = effective_severity(rule, config)
        for finding in rule().check(ctx):
            if suppressor.suppressed(code, finding):
                suppressed += 1
            else:
                diagnostics.append(_diagnostic(rule, severity, finding))
    if post:
        unused = tuple(suppressor.unused(frozenset(rules), frozenset(all_rules())))
        for rule in post:
            ctx = RuleContext(manifests, config, options[rule.code], facts, unused)
            severity = effective_severity(rule, config)
            for finding in rule().check(ctx):
                if not suppressor.suppressed(rule.code, finding):
                    diagnostics.append(_diagnostic(rule, severity, finding))
    diagnostics.sort(key=lambda d: d.sort_key)
    images = len({c.image for c in manifests.containers() if c.image})
    return Result(diagnostics, rules, manifests.files, images, manifests.documents, suppressed, facts)


def _diagnostic(rule: type[Rule], severity: Severity, finding: Finding) -> Diagnostic:
    position = finding.position
    return Diagnostic(
        code=rule.code,
        rule_name=rule.name,
        severity=severity,
        message=finding.message,
        path=finding.source.path,
        line=position.line,
        column=position.column,
        end_line=position.end_line,
        end_column=position.end_column,
        template=finding.source.template,
        image=finding.image,
        object_id=finding.object_id,
        fix=finding.fix,
    )
