"""Command line: `pulllint check`, `pulllint rules`, `pulllint rule CODE|NAME`, `pulllint diagnose`.

Exit codes: 0 nothing at or above --fail-on (or --exit-zero); 1 findings; 2 usage, configuration or
internal error. Bad input is a finding (PL001/PL002), never a traceback. Options are never abbreviated
(`--offlin` is an error, not `--offline`), and `@FILE` reads arguments from FILE, one per line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pulllint import __version__

if TYPE_CHECKING:
    from pulllint.config import Config
    from pulllint.engine import FactsProvider, Result
    from pulllint.loading.inputs import Notice
    from pulllint.reporters import Report
    from pulllint.rules import Rule

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _terminal_width() -> int:
    """As shutil.get_terminal_size, without importing shutil (and bz2, lzma ...) on every run."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns)
    try:
        return os.get_terminal_size(sys.__stdout__.fileno() if sys.__stdout__ else 1).columns
    except (OSError, ValueError):
        return 80


class _Formatter(argparse.HelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=max(_terminal_width() - 2, 40))


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("fromfile_prefix_chars", "@")
        super().__init__(*args, **kwargs)

    def convert_arg_line_to_args(self, arg_line: str) -> list[str]:
        # One argument per line, as pre-commit and xargs write file lists; blank lines and comments skipped.
        line = arg_line.strip()
        return [] if not line or line.startswith("#") else [line]

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"pulllint: error: {message}\n")


def _codes(text: str) -> list[str]:
    return [part.strip().upper() for part in text.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pulllint", description="Stops ImagePullBackOff before it happens.")
    parser.add_argument("-V", "--version", action="version", version=f"pulllint {__version__}")
    # An explicit prog spares argparse a help formatter (and its shutil import) on every run.
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, prog="pulllint")

    check = commands.add_parser("check", help="check manifests (files, directories, or - for stdin)")
    check.add_argument(
        "paths", nargs="*", metavar="PATH", help="files, directories (recursive), or - for stdin (default: .)"
    )
    check.add_argument("--offline", action="store_true", help="skip every registry check")
    check.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="PATH",
        help="a cluster dump (kubectl get serviceaccounts,secrets,nodes -A -o yaml) or a folder of them: "
        "its ServiceAccounts, Secrets and Nodes inform the check and are never reported on (repeatable; "
        "adds to cluster.context)",
    )
    check.add_argument(
        "--format",
        choices=("text", "json", "sarif", "github", "gitlab", "junit", "markdown"),
        help="output format (default: text, or github when GITHUB_ACTIONS=true); github also appends a "
        "markdown summary of every finding to $GITHUB_STEP_SUMMARY when it is set, and points annotations "
        "of Helm output at the template file (see --chart-dir)",
    )
    check.add_argument(
        "--output", metavar="FILE", help="write the report to FILE; a text summary still goes to stdout"
    )
    check.add_argument(
        "--sarif", metavar="FILE", help="also write a SARIF report to FILE (in addition to --format/--output)"
    )
    check.add_argument(
        "--chart-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="a Helm chart's folder, where github annotations look for the templates named by "
        "'# Source:' comments (repeatable; otherwise the workspace is searched by path suffix)",
    )
    check.add_argument(
        "--config", metavar="FILE", help="configuration file (default: nearest .pulllint.yaml)"
    )
    check.add_argument(
        "--select", type=_codes, metavar="CODES", help="comma-separated code prefixes to enable"
    )
    check.add_argument(
        "--extend-select", type=_codes, metavar="CODES", help="code prefixes to enable as well"
    )
    check.add_argument(
        "--ignore", type=_codes, metavar="CODES", help="comma-separated code prefixes to disable"
    )
    check.add_argument("--fail-on", choices=("error", "warning", "info"), help="lowest severity that exits 1")
    check.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when findings are reported (2 still means an error)",
    )
    check.add_argument(
        "-q", "--quiet", action="store_true", help="print the findings only: no summary, no notices"
    )
    check.add_argument(
        "--statistics",
        action="store_true",
        help="print how many findings each rule reported, not the findings",
    )
    check.add_argument("--no-fixes", action="store_true", help="text: do not print the suggested fix lines")
    check.add_argument(
        "--baseline",
        metavar="FILE",
        help="leave out the findings FILE records (matched by file, code, object and image, not by line); "
        "its entries that match nothing any more are reported as PL003",
    )
    check.add_argument(
        "--update-baseline",
        action="store_true",
        help="with --baseline: write the current findings to FILE and exit 0",
    )
    check.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="auto: on a terminal, unless NO_COLOR is set; FORCE_COLOR or CLICOLOR_FORCE turn it on",
    )
    check.add_argument("--cache-dir", metavar="DIR", help="registry answer cache (default: user cache dir)")
    check.add_argument("--no-cache", action="store_true", help="neither read nor write the registry cache")
    check.add_argument(
        "--no-docker-config",
        action="store_true",
        help="do not use your own docker credentials for the existence check",
    )

    rules = commands.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    rules.add_argument("--markdown", action="store_true", help="the same as --format markdown")
    rule = commands.add_parser("rule", help="print one rule's documentation (by code or by name)")
    rule.add_argument("code", metavar="CODE|NAME")
    from pulllint.diagnose import _command as diagnose

    diagnose.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "rules":
            return _list_rules("markdown" if args.markdown else args.format)
        if args.command == "rule":
            return _show_rule(args.code)
        if args.command == "diagnose":
            from pulllint.diagnose._command import run

            return run(args)
        return _check(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:  # every expected failure is mapped below; this is the last resort
        from pulllint.config import ConfigError
        from pulllint.loading.inputs import InputError
        from pulllint.rules import RuleLoadError

        if isinstance(error, (ConfigError, InputError, RuleLoadError)):
            print(f"pulllint: error: {error}", file=sys.stderr)
            return EXIT_ERROR
        if os.environ.get("PULLLINT_DEBUG"):
            raise
        print(
            f"pulllint: internal error: {type(error).__name__}: {error}\n"
            "Please report it with the input that caused it (set PULLLINT_DEBUG=1 for a traceback).",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _check(args: argparse.Namespace) -> int:
    from pulllint import engine
    from pulllint.config import ConfigError

    paths = list(args.paths) or ["."]
    skip = {os.path.realpath(args.baseline)} if args.baseline else set()
    groups, walk_notices = _by_configuration(paths, args.config, skip)
    # Each group of files is checked under its own configuration (and its own fail-on); the report's
    # settings follow the first (the only one, unless a monorepo's folders each have theirs).
    config = _with_flags(groups[0][0], args)
    if args.update_baseline and not args.baseline:
        raise ConfigError("--update-baseline needs --baseline FILE (the file to write)")

    fmt = args.format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    # Annotations of `helm template ... | pulllint check -` need the rendered text to find the template line.
    original_stdin = sys.stdin
    stdin_copy = _keep_stdin() if fmt in _LANDING and "-" in paths else None

    from pulllint.reporters import repository_root

    root = repository_root()
    baseline = None
    if args.baseline and not args.update_baseline:
        from pulllint.baseline import Baseline, BaselineError

        try:
            baseline = Baseline.load(args.baseline, root)
        except BaselineError as error:
            raise ConfigError(str(error)) from None

    results = []
    exit_code = EXIT_OK
    for group_config, group_paths in groups:
        governing = _with_flags(group_config, args)
        provider = None if args.offline else _registry_provider(args, governing)
        results.append(
            engine.run(
                group_paths, governing, offline=args.offline, facts_provider=provider, baseline=baseline
            )
        )
        exit_code = max(exit_code, results[-1].exit_code(governing.fail_on))  # each under its own fail-on
    merged = engine.merge(results)
    result = merged._replace(notices=(*walk_notices, *merged.notices))
    sys.stdin = original_stdin
    if not args.quiet:
        _print_notices(result)
        if result.baselined:
            print(f"pulllint: {result.baselined} known finding(s) left out by the baseline", file=sys.stderr)
    if args.update_baseline:
        from pulllint.baseline import write

        count = write(args.baseline, [d for d in result.diagnostics if d.code != "PL003"], root)
        print(f"pulllint: wrote {count} finding(s) to the baseline {args.baseline}", file=sys.stderr)
        return EXIT_OK
    if not _publish(args, fmt, result, config, root, stdin_copy):
        return EXIT_ERROR
    return EXIT_OK if args.exit_zero else exit_code


def _with_flags(config: Config, args: argparse.Namespace) -> Config:
    """A configuration with the command line's selections on top."""
    from pulllint.diagnostics import Severity

    overrides: dict[str, object] = {}
    if args.select is not None:
        overrides["select"] = tuple(args.select)
    if args.extend_select:
        overrides["extend_select"] = (*config.extend_select, *args.extend_select)
    if args.ignore:
        overrides["ignore"] = (*config.ignore, *args.ignore)
    if args.fail_on:
        overrides["fail_on"] = Severity.parse(args.fail_on)
    if args.context:
        contexts = (*config.cluster.context, *(os.path.abspath(path) for path in args.context))
        overrides["cluster"] = config.cluster._replace(context=contexts)
    return config._replace(**overrides)  # type: ignore[arg-type]


def _by_configuration(
    paths: Sequence[str], explicit: str | None, skip: set[str]
) -> tuple[list[tuple[Config, list[str]]], tuple[Notice, ...]]:
    """The files to check, grouped by the configuration that governs them: `--config` for all, else
    the nearest one to each file (monorepos: every service folder may have its own), as ruff does."""
    from pulllint.config import find_config, load_config
    from pulllint.loading.inputs import Notices, discover

    notices = Notices()
    found = [
        path if path == "-" else os.path.normpath(path)  # `./k8s/a.yaml` is reported as `k8s/a.yaml`
        for path in discover(paths, notices)
        if path == "-" or (os.path.realpath(path) not in skip and os.path.basename(path) not in _OWN_FILES)
    ]
    if explicit:
        return [(load_config(explicit), found)], tuple(notices)
    nearest: dict[str, str | None] = {}
    grouped: dict[str | None, list[str]] = {}
    for path in found:
        folder = os.getcwd() if path == "-" else os.path.dirname(os.path.abspath(path))
        if folder not in nearest:
            nearest[folder] = find_config(folder)
        grouped.setdefault(nearest[folder], []).append(path)
    if not grouped:  # nothing to check: still one run, so the summary and the notices are said
        grouped[find_config(os.getcwd())] = []
    return [(load_config(nearest_config), files) for nearest_config, files in grouped.items()], tuple(notices)


def _publish(
    args: argparse.Namespace, fmt: str, result: Result, config: Config, root: str, stdin_copy: str | None
) -> bool:
    """Write the report where the flags say; False when it cannot be written (said on stderr)."""
    # Only SARIF carries each rule's documentation; rendering 25 pages costs more than a small check.
    report = _report(result, documented=fmt == "sarif" or bool(args.sarif))
    from pulllint.reporters import RenderOptions, render

    options = RenderOptions(
        root=root,
        fail_on=config.fail_on,
        show_fixes=not args.no_fixes,
        show_summary=not args.quiet,
        width=_terminal_width(),
        chart_dirs=tuple(args.chart_dir),
        stdin_text=stdin_copy,
        sarif_file=args.sarif,
    )
    color = _use_color(args.color)
    try:
        if args.statistics:
            main_text = _statistics(report)
        elif fmt == "github":
            from pulllint.reporters.github_step import publish

            main_text = publish(report, options=options)
        else:
            main_text = render(report, fmt, color=fmt == "text" and color, options=options)
        if args.output:
            _write_file(args.output, main_text)
            if fmt != "text" and not args.quiet:
                sys.stdout.write(render(report, "text", color=color, options=options))
        else:
            sys.stdout.write(main_text)
        if args.sarif:
            _write_file(args.sarif, render(report, "sarif", options=options))
    except OSError as error:
        if isinstance(error, BrokenPipeError):
            raise
        print(f"pulllint: error: cannot write the report: {error}", file=sys.stderr)
        return False
    return True


_LANDING = ("github", "gitlab", "junit", "markdown", "sarif")
# pulllint's own configuration is YAML but never a manifest.
_OWN_FILES = frozenset({".pulllint.yaml", ".pulllint.yml"})


def _print_notices(result: Result) -> None:
    """What was skipped instead of checked, and a run that checked nothing: on stderr, never silent."""
    for notice in result.notices:
        print(f"pulllint: {notice}", file=sys.stderr)
    if result.files == 0 and not any(n.kind == "no-manifests" for n in result.notices):
        print("pulllint: warning: no manifest files found: nothing was checked", file=sys.stderr)


def _statistics(report: Report) -> str:
    """One line per rule that reported: count, code, name (ruff's --statistics)."""
    counts: dict[str, int] = {}
    for diagnostic in report.diagnostics:
        counts[diagnostic.code] = counts.get(diagnostic.code, 0) + 1
    if not counts:
        return "No problems found.\n"
    width = len(str(max(counts.values())))
    lines = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        info = report.rules.get(code)
        lines.append(f"{count:>{width}}  {code}  {info.name if info else ''}".rstrip())
    return "\n".join(lines) + "\n"


def _write_file(path: str, text: str) -> None:
    """Write a report file, creating its folder if needed."""
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _keep_stdin() -> str:
    """Read standard input (bounded, as every input), put an identical stream back for the engine,
    and return the text."""
    import io

    from pulllint.loading.inputs import read_stdin

    data = read_stdin()
    sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def _use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR") or os.environ.get("CLICOLOR_FORCE", "0") != "0":
        return True
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


class _ProgressLine:
    """``pulllint: verifying images 12/200`` on a terminal's stderr, rewritten in place at most ten
    times a second, and wiped when the last image is answered."""

    def __init__(self) -> None:
        self._last = 0.0
        self._width = 0

    def __call__(self, done: int, total: int) -> None:
        import time

        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        if done >= total:
            sys.stderr.write("\r" + " " * self._width + "\r")
        else:
            text = f"pulllint: verifying images {done}/{total}"
            self._width = max(self._width, len(text))
            sys.stderr.write("\r" + text)
        sys.stderr.flush()


def _registry_provider(args: argparse.Namespace, config: Config) -> FactsProvider:
    """The registry wing behind the engine's seam, set up from the `registry` section and the flags."""
    from pulllint.config import ConfigError
    from pulllint.model.facts import ImageFacts, ImageQuery
    from pulllint.registry import RegistrySettings, resolve

    section = config.registry
    settings = RegistrySettings(
        insecure_registries=section.insecure_registries,
        ca_file=section.ca_file,
        cache_dir=args.cache_dir,
        use_cache=not args.no_cache,
        tag_ttl_seconds=section.cache_ttl_seconds,
        negative_ttl_seconds=section.negative_cache_ttl_seconds,
        use_docker_config=not args.no_docker_config,
        timeout_seconds=section.timeout_seconds,
        runtime=config.cluster.runtime,
        mirrors=tuple(config.cluster.registry_mirrors.items()),
        progress=_ProgressLine() if sys.stderr.isatty() else None,
    )

    def provide(queries: Sequence[ImageQuery]) -> Mapping[ImageQuery, ImageFacts]:
        try:
            return resolve(queries, settings)
        except ValueError as error:  # unusable settings, such as an unreadable ca-file
            raise ConfigError(f"registry settings: {error}") from None

    return provide


def _report(result: Result, *, documented: bool) -> Report:
    from pulllint.reporters import Report, RuleInfo

    infos = {
        code: RuleInfo(
            code, rule.name, rule.severity, rule.summary, rule.documentation() if documented else ""
        )
        for code, rule in result.rules.items()
    }
    return Report(result.diagnostics, infos, result.files, result.images, __version__)


def _configured_rules() -> dict[str, type[Rule]]:
    """Built-in and plugin rules, plus those of the rule packs the nearest configuration names."""
    from pulllint.config import find_config, load_config
    from pulllint.engine import available_rules

    return available_rules(load_config(find_config(os.getcwd())))


def _list_rules(fmt: str) -> int:
    rules = _configured_rules()
    if fmt == "json":
        import json

        rows = [
            {
                "code": code,
                "name": rule.name,
                "severity": rule.severity.label,
                "enabled_by_default": rule.enabled_by_default,
                "needs_network": rule.needs_network,
                "summary": rule.summary,
                "options": {
                    name: {"default": option.default, "description": option.description}
                    for name, option in rule.options.items()
                },
            }
            for code, rule in rules.items()
        ]
        print(json.dumps({"version": 1, "rules": rows}, indent=2))
        return EXIT_OK
    if fmt == "markdown":
        print("| code | name | default | summary |")
        print("|---|---|---|---|")
        for code, rule in rules.items():
            default = rule.severity.label if rule.enabled_by_default else f"{rule.severity.label} (off)"
            network = " (registry)" if rule.needs_network else ""
            print(f"| {code} | {rule.name} | {default}{network} | {rule.summary} |")
        return EXIT_OK
    width = max(len(rule.name) for rule in rules.values())
    for code, rule in rules.items():
        state = "" if rule.enabled_by_default else " (off by default)"
        print(f"{code}  {rule.name:<{width}}  {rule.severity.label:<7}  {rule.summary}{state}")
    return EXIT_OK


def _show_rule(wanted: str) -> int:
    rules = _configured_rules()
    rule = rules.get(wanted.upper()) or next((r for r in rules.values() if r.name == wanted.lower()), None)
    if rule is None:
        import difflib

        names = [*rules, *(r.name for r in rules.values())]
        close = difflib.get_close_matches(
            wanted.upper() if wanted[:1].isalpha() and wanted[-1:].isdigit() else wanted.lower(), names, n=3
        )
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        print(f"pulllint: error: unknown rule {wanted!r}{hint} (see `pulllint rules`)", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rule.documentation())
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
