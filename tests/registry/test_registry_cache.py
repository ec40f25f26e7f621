"""A cache that can only miss, read once per run, pruned when it expires."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from pulllint.model.facts import Status
from pulllint.registry import RegistrySettings, resolve
from pulllint.registry import _cache as cache_module

from .conftest import Registry, query, secret

DIGEST = "sha256:" + "d" * 64


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"Docker-Content-Digest": DIGEST, "Content-Type": "application/json"})


class Counting:
    def __init__(self) -> None:
        self.paths: list[str] = []
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return _ok(request)


def _files(settings: RegistrySettings) -> list[Path]:
    folder = Path(settings.cache_dir or "") / cache_module.SUBDIR
    return sorted(p for p in folder.iterdir() if p.name.endswith(".json")) if folder.exists() else []


def _bounded(seconds: float, fn: object) -> object:
    """Run ``fn`` in a thread and fail (instead of hanging the suite) if it takes longer than ``seconds``."""
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(fn()), daemon=True)  # type: ignore[operator]
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still waiting after {seconds} s"
    return result[0]


def _poison(settings: RegistrySettings, how: str) -> int:
    poisoned = 0
    for path in _files(settings):
        path.unlink()
        if how == "deep":
            path.write_text("[" * 100_000 + "]" * 100_000)
        elif how == "fifo":
            os.mkfifo(path)
        elif how == "sparse":
            with open(path, "wb") as fh:
                fh.truncate(6 << 30)
        elif how == "dev-zero":
            path.symlink_to("/dev/zero")
        elif how == "directory":
            path.mkdir()
        poisoned += 1
    return poisoned


@pytest.mark.parametrize("how", ["deep", "fifo", "sparse", "dev-zero", "directory"])
def test_a_poisoned_cache_is_a_miss_that_the_run_rebuilds(
    open_registry: Registry, settings: RegistrySettings, how: str
) -> None:
    queries = [query(open_registry.ref("app:1.25.0")), query(open_registry.ref("app:1.26.0"))]
    first = resolve(queries, settings)
    assert _poison(settings, how) >= 3  # two answers and the snapshot of both
    second = _bounded(10, lambda: resolve(queries, settings))
    assert isinstance(second, dict)
    for q in queries:
        assert second[q].status is Status.FOUND and not second[q].from_cache
        assert second[q].digest == first[q].digest
    if how != "directory":  # a directory is not ours to remove; the answer is just never cached there
        third = resolve(queries, settings)
        assert all(third[q].from_cache for q in queries)  # rebuilt


def test_a_poisoned_salt_never_hangs_or_crashes(open_registry: Registry, settings: RegistrySettings) -> None:
    q = query(open_registry.ref("app:1.25.0"), secret("prod/regcred"))
    resolve([q], settings)
    salt = Path(settings.cache_dir or "") / cache_module.SUBDIR / "salt"
    salt.unlink()
    os.mkfifo(salt)
    facts = _bounded(10, lambda: resolve([q], settings)[q])
    assert getattr(facts, "status", None) is Status.FOUND


def test_one_cache_pass_and_only_the_misses_are_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = RegistrySettings(cache_dir=str(tmp_path / "c"), use_docker_config=False)
    a, b, c = (query(f"registry.example.com/app:{t}") for t in ("1.0", "2.0", "3.0"))
    first = Counting()
    resolve([a, b], settings, transport=first.transport)
    reads: Counter[str] = Counter()
    real = cache_module.read_bounded

    def counted(path: Path | str, limit: int) -> bytes | None:
        reads[Path(path).name] += 1
        return real(path, limit)

    monkeypatch.setattr(cache_module, "read_bounded", counted)
    second = Counting()
    result = resolve([a, b, c], settings, transport=second.transport)
    assert result[a].from_cache and result[b].from_cache and not result[c].from_cache
    assert second.paths == ["/v2/", "/v2/app/manifests/3.0"]  # only the miss
    assert reads and max(reads.values()) == 1, reads  # no file read twice in one run
    reads.clear()
    third = Counting()
    resolve([a, b, c], settings, transport=third.transport)
    assert third.paths == []
    assert list(reads) == [n for n in reads if n.startswith("batch-")] and sum(reads.values()) == 1


def test_expired_files_are_pruned(tmp_path: Path) -> None:
    settings = RegistrySettings(
        cache_dir=str(tmp_path / "c"), use_docker_config=False, tag_ttl_seconds=60, negative_ttl_seconds=30
    )
    old = [query(f"registry.example.com/old:{i}") for i in range(3)]
    resolve(old, settings, transport=Counting().transport)
    folder = tmp_path / "c" / cache_module.SUBDIR
    stale = list(folder.glob("*.json"))
    assert len(stale) == 4  # three answers and their snapshot
    long_ago = time.time() - 3600
    for path in stale:
        doc = json.loads(path.read_text())
        if "entries" in doc:
            for entry in doc["entries"].values():
                entry["expires_at"] = long_ago
        else:
            doc["expires_at"] = long_ago
        path.write_text(json.dumps(doc))
        os.utime(path, (long_ago, long_ago))
    leftover = folder / ".tmp-crashed.json"
    leftover.write_text("{")
    os.utime(leftover, (long_ago - 7200, long_ago - 7200))
    (folder / ".pruned").unlink(missing_ok=True)

    fresh = query("registry.example.com/new:1")
    resolve([fresh], settings, transport=Counting().transport)  # a run that writes prunes
    remaining = {p.name for p in folder.iterdir()}
    assert not any(p.name in remaining for p in stale)
    assert leftover.name not in remaining
    assert "salt" not in remaining or (folder / "salt").is_file()
    assert resolve([fresh], settings, transport=Counting().transport)[fresh].from_cache


def test_pruning_keeps_fresh_and_permanent_answers(tmp_path: Path) -> None:
    settings = RegistrySettings(cache_dir=str(tmp_path / "c"), use_docker_config=False, tag_ttl_seconds=60)
    by_digest = query(f"registry.example.com/app@{DIGEST}")
    by_tag = query("registry.example.com/app:1.0")
    resolve([by_digest, by_tag], settings, transport=Counting().transport)
    folder = tmp_path / "c" / cache_module.SUBDIR
    a_while_ago = time.time() - 600  # older than the TTL's window to skip, younger than 30 days
    for path in folder.glob("*.json"):
        os.utime(path, (a_while_ago, a_while_ago))
    cache = cache_module.DiskCache(settings)
    cache.prune(force=True)
    again = resolve([by_digest], settings, transport=Counting().transport)
    assert again[by_digest].from_cache  # a digest answer never expires


@pytest.mark.parametrize("how", ["fifo", "deep", "dev-zero"])
def test_a_hostile_docker_config_is_skipped(basic_registry: Registry, tmp_path: Path, how: str) -> None:
    """The user's docker config is read (the registry refuses anonymous pulls) and skipped, bounded."""
    config = Path(os.environ["HOME"]) / ".docker" / "config.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    if how == "fifo":
        os.mkfifo(config)
    elif how == "deep":
        config.write_text("[" * 100_000 + "]" * 100_000)
    else:
        config.symlink_to("/dev/zero")
    settings = RegistrySettings(cache_dir=str(tmp_path / "c"), use_docker_config=True, timeout_seconds=5)
    q = query(basic_registry.ref("app:1.25.0"))
    facts = _bounded(10, lambda: resolve([q], settings)[q])
    assert getattr(facts, "status", None) is Status.CREDENTIALS_REQUIRED
