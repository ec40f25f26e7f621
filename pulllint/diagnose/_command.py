"""The `pulllint diagnose` subcommand: its arguments and its body.

Exit codes: 0 every failure classified (or none found), 1 any ``unknown``, 2 usage errors (bad flags,
unreadable input, kubectl missing or failing, an invalid configuration).

Importing this module imports argparse only; the diagnosis machinery loads when the command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulllint.diagnose._kubectl import Cluster, Kubectl
    from pulllint.diagnose._model import Diagnosis, PodContext
    from pulllint.model.credentials import RegistryCredential
    from pulllint.model.facts import Platform
    from pulllint.registry import RegistrySettings

__all__ = ["MAX_INPUT_BYTES", "add_parser", "run"]

EXIT_OK, EXIT_UNKNOWN, EXIT_ERROR = 0, 1, 2
MAX_INPUT_BYTES = 64 * 1024 * 1024

_DESCRIPTION = (
    "Read image pull failures (kubectl describe pod output, kubectl get events/pods -o json|yaml, kubelet "
    "and containerd journal lines, or plain lines of messages) and say for each failing container: the "
    "cause, the rule that predicts it before deploy, why it happened, the fix and a triage command. "
    "Exit code 0: every failure classified; 1: some are unknown; 2: usage error."
)


def add_parser(subparsers: Any) -> None:
    """Register `diagnose` on the CLI's subparsers (their parser class maps usage errors to exit 2)."""
    parser = subparsers.add_parser(
        "diagnose",
        help="explain a live ImagePullBackOff (events, describe, journal lines)",
        description=_DESCRIPTION,
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="files holding failure messages, or - for stdin"
    )
    parser.add_argument(
        "--kubectl",
        action="store_true",
        help="find every container stuck in ErrImagePull, ImagePullBackOff, InvalidImageName or "
        "ErrImageNeverPull with kubectl (read-only: get pods, events, serviceaccounts, secret names)",
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--namespace", "-n", metavar="NS", help="with --kubectl: this namespace only")
    scope.add_argument("--all-namespaces", "-A", action="store_true", help="with --kubectl: every namespace")
    parser.add_argument("--context", metavar="NAME", help="with --kubectl: the kubeconfig context")
    parser.add_argument(
        "--kubectl-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="with --kubectl: how long each kubectl call may take (default: 30)",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="ask the registry now whether the cause still holds (your docker config; with --kubectl also "
        "the pod's pull secrets, read in memory only)",
    )
    parser.add_argument(
        "--format", choices=("text", "json", "markdown"), default="text", help="output format (default: text)"
    )
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    parser.add_argument(
        "--config", metavar="FILE", help="configuration for --verify (default: nearest .pulllint.yaml)"
    )
    parser.add_argument(
        "--no-docker-config",
        action="store_true",
        help="with --verify: do not use your own docker credentials for the existence check",
    )


def _error(message: str) -> int:
    print(f"pulllint: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _read(path: str) -> bytes:
    if path == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        if os.path.isdir(path):
            raise OSError(f"{path}: is a directory (diagnose reads files of messages)")
        with open(path, "rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise OSError(f"{path}: larger than {MAX_INPUT_BYTES // 2**20} MiB")
    return data


def run(args: argparse.Namespace) -> int:
    """The command body; returns the exit code."""
    if args.kubectl and args.paths:
        return _error("give files (or - for stdin) or --kubectl, not both")
    if not args.kubectl and not args.paths:
        return _error("nothing to diagnose: give files, - for stdin, or --kubectl")
    if not args.kubectl and (args.namespace or args.all_namespaces or args.context):
        return _error("--namespace, --all-namespaces and --context need --kubectl")
    if args.kubectl_timeout <= 0:
        return _error("--kubectl-timeout must be positive")

    from pulllint.diagnose._kubectl import KubectlError
    from pulllint.diagnose._pipeline import (
        InputFormatError,
        diagnose_failures,
        diagnose_text,
        exit_code,
        render,
    )

    settings = _settings(args) if args.verify else None
    if isinstance(settings, int):
        return settings
    diagnoses: list[Diagnosis] = []
    try:
        if args.kubectl:
            from pulllint.diagnose._kubectl import collect

            kubectl, cluster = collect(
                "kubectl",
                namespace=args.namespace,
                all_namespaces=args.all_namespaces,
                context=args.context,
                timeout=args.kubectl_timeout,
            )
            diagnoses = diagnose_failures(cluster.failures, "kubectl", pods=_pod_contexts(cluster))
            if args.verify:
                diagnoses = _verify_cluster(diagnoses, kubectl, cluster, settings)
        else:
            for path in args.paths:
                try:
                    data = _read(path)
                except OSError as error:
                    reason = error.strerror or str(error).removeprefix(f"{path}: ")
                    return _error(f"cannot read {path}: {reason}")
                if b"\x00" in data[:65536]:
                    return _error(f"{path}: a binary file, not text (diagnose reads messages, events, logs)")
                text = data.decode("utf-8-sig", errors="replace")
                try:
                    diagnoses.extend(diagnose_text(text, "-" if path == "-" else path))
                except InputFormatError as error:
                    return _error(f"{path}: {error}")
            if args.verify:
                from pulllint.diagnose._pipeline import verify

                diagnoses = verify(diagnoses, settings)
    except KubectlError as error:
        return _error(str(error))
    except ValueError as error:  # unusable registry settings (an unreadable ca-file)
        return _error(str(error))
    color = args.color == "always" or (
        args.color == "auto"
        and not args.output
        and sys.stdout.isatty()
        and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM") != "dumb"
    )
    report = render(diagnoses, args.format, color=color and args.format == "text")
    if args.output:
        try:
            folder = os.path.dirname(args.output)
            if folder:
                os.makedirs(folder, exist_ok=True)
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(report)
        except OSError as error:
            return _error(f"cannot write the report: {error}")
    else:
        sys.stdout.write(report)
    return exit_code(diagnoses)


def _settings(args: argparse.Namespace) -> RegistrySettings | int:
    from pulllint.config import ConfigError, find_config, load_config
    from pulllint.registry import RegistrySettings

    try:
        config = load_config(args.config if args.config else find_config(os.getcwd()))
    except ConfigError as error:
        return _error(str(error))
    registry = config.registry
    # "Now" means now: no cached answer is read or written.
    return RegistrySettings(
        insecure_registries=tuple(registry.insecure_registries),
        ca_file=registry.ca_file,
        use_cache=False,
        use_docker_config=not args.no_docker_config,
        timeout_seconds=float(registry.timeout_seconds),
    )


def _pod_contexts(cluster: Cluster) -> dict[tuple[str | None, str | None], PodContext]:
    from pulllint.diagnose._pipeline import PodContext

    return {
        key: PodContext(secrets.describe(), anonymous=not secrets.usable, secrets=secrets.usable)
        for key, secrets in cluster.secrets.items()
    }


def _verify_cluster(
    diagnoses: list[Diagnosis], kubectl: Kubectl, cluster: Cluster, settings: RegistrySettings | None
) -> list[Diagnosis]:
    from pulllint.diagnose._kubectl import (
        KubectlError,
        container_credentials,
        node_platform,
        pull_secret_documents,
    )
    from pulllint.diagnose._pipeline import verify
    from pulllint.model.facts import Platform

    credentials: dict[int, tuple[RegistryCredential, ...]] = {}
    platforms: dict[int, Platform] = {}
    node_platforms: dict[str, str | None] = {}
    for index, d in enumerate(diagnoses):
        key = (d.namespace, d.pod)
        pod, secrets = cluster.pods.get(key), cluster.secrets.get(key)
        if pod is not None and secrets is not None and secrets.usable and d.container:
            try:
                documents = pull_secret_documents(kubectl, d.namespace, pod, secrets)
            except KubectlError as error:  # RBAC often forbids reading Secrets: verify without them
                note = f"cluster: cannot read the pod's pull secrets ({error}); verified without them"
                diagnoses[index] = d = d._replace(notes=(*d.notes, note))
            else:
                credentials[index] = tuple(container_credentials(documents, d.namespace, d.pod, d.container))
        if d.cause == "platform-missing" and not d.klass and d.node:
            if d.node not in node_platforms:
                try:
                    node_platforms[d.node] = node_platform(kubectl, d.node)
                except KubectlError:
                    node_platforms[d.node] = None
            found = node_platforms[d.node]
            if found:
                with contextlib.suppress(ValueError):
                    platforms[index] = Platform.parse(found)
    return verify(diagnoses, settings, credentials=credentials, platforms=platforms)
