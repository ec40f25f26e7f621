"""What the cluster knows that the checked files do not: the repository's other manifests, cluster dumps
and the `cluster:` configuration, turned into `ClusterKnowledge` once per run.

pre-commit passes only the staged files, and pull Secrets and the `default` ServiceAccount rarely live
next to the Deployments that use them; without this, every such pod would look like it has no pull
secret. Context informs verdicts and is never reported on: its documents are indexed (Secrets,
ServiceAccounts, Nodes), not checked, and a Secret's credentials from it are used only where a pod
would use them.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple

from pulllint.config import ClusterSection, Config, git_root
from pulllint.loading.inputs import MANIFEST_SUFFIXES, SKIPPED_DIRS, InputFile, decode, discover
from pulllint.loading.reader import read_bounded
from pulllint.model.build import add_piece
from pulllint.model.facts import Platform
from pulllint.model.objects import Manifests
from pulllint.model.pullsecrets import ClusterKnowledge

# A cheap pre-filter on raw bytes: only pieces that may hold one of these kinds are composed.
INDEXED_KIND = re.compile(
    rb"""kind["']?[ \t]*:[ \t]*["']?(?:Secret|ServiceAccount|SealedSecret|ExternalSecret)\b"""
)
_NODE_KIND = re.compile(rb"""kind["']?[ \t]*:[ \t]*["']?Node\b""")
# Node status, as `kubectl get nodes -o yaml|json` writes it: each node's nodeInfo has both keys.
_NODE_ARCH = re.compile(rb"""["']?architecture["']?[ \t]*:[ \t]*["']?([a-z0-9_]+)""")
_NODE_OS = re.compile(rb"""["']?operatingSystem["']?[ \t]*:[ \t]*["']?([a-z0-9_]+)""")
# Context is only ever indexed: a huge file there is somebody's data, not a Secret.
_MAX_CONTEXT_FILE = 8 * 1024 * 1024


class Context(NamedTuple):
    """The cluster's knowledge and the platforms of the context's Nodes (empty: no Node in it)."""

    knowledge: ClusterKnowledge
    platforms: tuple[Platform, ...]


def project_root(config: Config, start: str = ".") -> str | None:
    """The configuration's folder, else the git root above `start` (a `.git` file counts: worktrees)."""
    if config.path is not None:
        return os.path.dirname(os.path.abspath(config.path))
    return git_root(start)


def _repository_files(root: str, include: bool | tuple[str, ...]) -> Iterator[str]:
    """Manifest-like files under `root`, hidden and vendored folders left out, `include` globs applied."""
    for directory, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if f not in SKIPPED_DIRS and not f.startswith("."))
        for name in sorted(files):
            if not name.endswith(MANIFEST_SUFFIXES):
                continue
            path = os.path.join(directory, name)
            if not isinstance(include, bool):
                relative = os.path.relpath(path, root).replace(os.sep, "/")
                if not any(fnmatch.fnmatch(relative, glob) for glob in include):
                    continue
            yield path


def _worth_indexing(path: str) -> bool:
    """A regular file of bounded size whose bytes name a kind the context keeps (most files do not)."""
    data = read_bounded(path, _MAX_CONTEXT_FILE, follow_links=True)
    return data is not None and (INDEXED_KIND.search(data) is not None or _NODE_KIND.search(data) is not None)


def index_source(index: Manifests, source: InputFile, nodes: list[bytes] | None = None) -> None:
    """Add the Secrets and ServiceAccounts of one source to `index` (and its Node pieces to `nodes`).

    A piece is composed only when its bytes name one of those kinds, so this costs a fraction of a
    check; only what pods refer to is kept (a `kind: List` dump holding one Secret must not keep all
    its workloads for the run). Unreadable input is left to the check that reports it.
    """
    try:
        for offset, data in source.raw_pieces():
            if nodes is not None and _NODE_KIND.search(data):
                nodes.append(data)
            if INDEXED_KIND.search(data):
                add_piece(index, decode(source.path, offset, data, first=offset == 0))
                index.workloads.clear()
                index.syntax_problems.clear()
                index.shape_problems.clear()
                index.inline_suppressions.clear()
                index.unknown_image_kinds.clear()
    except OSError:
        return


def _platforms(nodes: Sequence[bytes]) -> tuple[Platform, ...]:
    platforms: dict[Platform, None] = {}
    for data in nodes:  # in order: the n-th architecture and the n-th os are one node's (linear scans)
        for arch, system in zip(_NODE_ARCH.findall(data), _NODE_OS.findall(data), strict=False):
            platforms[Platform(system.decode(), arch.decode())] = None
    return tuple(platforms)


def _by_key(declared: Mapping[str, tuple[str, ...]]) -> dict[tuple[str | None, str], tuple[str, ...]]:
    """`NAME` (any namespace) or `NAMESPACE/NAME` keys as (namespace, name)."""
    result: dict[tuple[str | None, str], tuple[str, ...]] = {}
    for key, values in declared.items():
        namespace, _, name = key.rpartition("/")
        result[(namespace or None, name)] = values
    return result


def load_context(config: Config, inputs: Iterable[str], start: str = ".") -> Context:
    """The run's context: the repository's other manifests (unless `repository-context: false`), the
    cluster dumps of `cluster.context`, and what `cluster:` declares."""
    checked = {os.path.realpath(path) for path in inputs if path != "-"}
    files: list[str] = []
    if config.repository_context is not False:
        root = project_root(config, start)
        if root is not None:
            files += _repository_files(root, config.repository_context)
    section: ClusterSection = config.cluster
    for path in section.context:
        if not os.path.exists(path):
            from pulllint.config import ConfigError

            raise ConfigError(f"cluster.context: {path}: no such file or folder")
        files += discover([path])
    index = Manifests()
    nodes: list[bytes] = []
    seen: set[str] = set()
    for path in files:
        real = os.path.realpath(path)
        if real in checked or real in seen or not _worth_indexing(path):
            continue
        seen.add(real)
        index_source(index, InputFile(path), nodes)
    platforms = _platforms(nodes)
    knowledge = ClusterKnowledge(
        secrets=tuple(index.secrets),
        service_accounts=tuple(index.service_accounts),
        declared_secrets=_by_key(section.pull_secrets),
        declared_accounts=_by_key(section.service_accounts),
        node_credentials=section.node_credentials,
    )
    return Context(knowledge, platforms)
