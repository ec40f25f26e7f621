"""On-disk cache of registry answers: one small JSON file per key, safe for concurrent processes.

Keying: sha256 over (format version, full image reference, platform, credential fingerprint, whether
docker-config credentials could be used). The credential fingerprint is ``scrypt`` (n=2**13, r=8) of
every credential's origin, registry key and secret fields, salted with a random per-cache salt; the
empty credential set is the constant ``anonymous``. No secret and no fingerprint is stored *in* a file:
only the hash-derived file name depends on them, and the slow salted hash makes guessing a weak password
from a file name expensive.

What is cached (anything else never is: UNREACHABLE, RATE_LIMITED, UNAUTHORIZED, MISSING_OR_PRIVATE):
- FOUND by digest: for ever when anonymous (content-addressed, immutable); for the tag TTL when
  credentials were involved, since it also asserts that the credentials are still accepted;
- FOUND by tag: tag TTL;
- TAG_NOT_FOUND / REPOSITORY_NOT_FOUND: negative TTL.

Platform lists are also kept by manifest digest (content-addressed, so for ever, and only when the
body's sha256 is the digest): a tag whose cached answer expired costs a HEAD, not a GET (Docker Hub
counts GETs as pulls).

Files are 0600 in a 0700 directory, written to a temporary file in the same directory and renamed
(``os.replace``), so readers see a whole old file or a whole new one. A cache can only miss: every read
is of a regular file (no FIFO, device or symlink), bounded in size, its JSON bounded in depth, and any
failure is a miss that the run then rewrites. Expired files are pruned (at most once an hour, by a run
that writes).

One pass per run: `read` answers what it can (the snapshot of the whole set of queries first, else one
file per query), the resolver asks only for the misses, `write` stores the new answers and the snapshot.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from pulllint.hosts import canonical_host
from pulllint.loading.reader import read_bounded as read_bounded  # load_json reads through it
from pulllint.model.credentials import RegistryCredential
from pulllint.model.facts import ImageFacts, ImageQuery, Platform, PlatformMatch, Runtime, Status
from pulllint.registry._refs import image_string
from pulllint.registry._settings import RegistrySettings

FORMAT = 3
SUBDIR = "registry-v1"
MAX_ENTRY_BYTES = 256 * 1024  # one answer (its nearest tags and details are short)
MAX_SNAPSHOT_BYTES = 32 * 1024 * 1024  # a whole set of answers (~300 bytes per image)
PRUNE_EVERY_SECONDS = 3600.0
KEEP_PERMANENT_SECONDS = 30 * 86400.0  # answers that never expire are still dropped when unused this long


def load_json(path: Path | str, limit: int) -> object:
    """A JSON document from a regular file; None when absent, oversized, malformed or nested deeper than
    the decoder's recursion guard (RecursionError, ~1000 levels: our files nest 6)."""
    data = read_bounded(path, limit)
    if data is None:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError, MemoryError):
        return None


def cache_root(settings: RegistrySettings) -> Path:
    if settings.cache_dir:
        return Path(settings.cache_dir)
    env = os.environ.get("PULLLINT_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("pulllint"))


def _platform_list(platforms: Sequence[Platform]) -> list[list[str | None]]:
    return [[p.os, p.architecture, p.variant] for p in platforms]


def _serialize(facts: ImageFacts) -> dict[str, object]:
    return {
        "reference": facts.reference,
        "status": facts.status.value,
        "digest": facts.digest,
        "platforms": None if facts.platforms is None else _platform_list(facts.platforms),
        "platform_matches": [
            [list(m.wanted), None if m.chosen is None else list(m.chosen), m.runtime.value, m.single_manifest]
            for m in facts.platform_matches
        ],
        "nearest_tags": list(facts.nearest_tags),
        "detail": facts.detail,
        "error_class": facts.error_class,
        "ratelimit_limit": facts.ratelimit_limit,
        "ratelimit_remaining": facts.ratelimit_remaining,
        "credential_label": facts.credential_label,
        "extra": dict(facts.extra),
    }


def _opt_str(doc: dict[str, object], key: str) -> str | None:
    value = doc.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ValueError(key)


def _platform(p: object) -> Platform:
    if not (isinstance(p, list) and len(p) == 3 and isinstance(p[0], str) and isinstance(p[1], str)):
        raise ValueError("platform")
    if p[2] is not None and not isinstance(p[2], str):
        raise ValueError("variant")
    return Platform(p[0], p[1], p[2])


def _platforms(raw: object) -> tuple[Platform, ...]:
    if not isinstance(raw, list):
        raise ValueError("platforms")
    return tuple(_platform(p) for p in raw)


_RUNTIMES: Mapping[str, Runtime] = MappingProxyType({runtime.value: runtime for runtime in Runtime})


def _matches(raw: object) -> tuple[PlatformMatch, ...]:
    if not isinstance(raw, list):
        raise ValueError("platform_matches")
    matches: list[PlatformMatch] = []
    for m in raw:
        if not (isinstance(m, list) and len(m) == 4 and isinstance(m[2], str) and m[2] in _RUNTIMES):
            raise ValueError("platform_match")
        chosen = None if m[1] is None else _platform(m[1])
        matches.append(PlatformMatch(_platform(m[0]), chosen, _RUNTIMES[m[2]], m[3] is True))
    return tuple(matches)


def _deserialize(doc: object) -> ImageFacts:
    if not isinstance(doc, dict):
        raise ValueError("facts")
    platforms_raw = doc.get("platforms")
    platforms = None if platforms_raw is None else _platforms(platforms_raw)
    tags = doc.get("nearest_tags", [])
    extra = doc.get("extra", {})
    reference = doc.get("reference")
    detail = doc.get("detail", "")
    if not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise ValueError("nearest_tags")
    if not (
        isinstance(extra, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in extra.items())
    ):
        raise ValueError("extra")
    if not isinstance(reference, str) or not isinstance(detail, str):
        raise ValueError("reference")
    return ImageFacts(
        reference=reference,
        status=Status(doc.get("status")),
        digest=_opt_str(doc, "digest"),
        platforms=platforms,
        nearest_tags=tuple(tags),
        detail=detail,
        error_class=_opt_str(doc, "error_class"),
        ratelimit_limit=_opt_str(doc, "ratelimit_limit"),
        ratelimit_remaining=_opt_str(doc, "ratelimit_remaining"),
        credential_label=_opt_str(doc, "credential_label"),
        from_cache=True,
        extra=dict(extra),
        platform_matches=_matches(doc.get("platform_matches", [])),
    )


def _fresh(expires: object, now: float) -> bool:
    if expires is None:
        return True
    return isinstance(expires, int | float) and not isinstance(expires, bool) and expires > now


class DiskCache:
    def __init__(self, settings: RegistrySettings) -> None:
        self._settings = settings
        self._dir = cache_root(settings) / SUBDIR
        self._usable: bool | None = None
        self._salt: bytes | None = None
        self._fingerprints: dict[tuple[RegistryCredential, ...], str] = {}
        self._keys: dict[ImageQuery, str | None] = {}
        # Expiry of each answer `get` read from its own file (None: never), for the run's snapshot.
        self._expiry: dict[ImageQuery, float | None] = {}
        # Whether `read` answered from the snapshot of the whole set (then there is nothing to write).
        self.snapshot_hit = False
        self._writes = 0
        self._pending_platforms: dict[str, tuple[tuple[Platform, ...], bool]] = {}

    @property
    def directory(self) -> Path:
        return self._dir

    def _ensure_dir(self) -> bool:
        if self._usable is None:
            try:
                root = self._dir.parent
                if not root.exists():
                    root.mkdir(parents=True, mode=0o700, exist_ok=True)
                self._dir.mkdir(mode=0o700, exist_ok=True)
                if not self._dir.is_dir() or self._dir.is_symlink():
                    raise NotADirectoryError(str(self._dir))
                if self._dir.stat().st_mode & 0o777 != 0o700:
                    os.chmod(self._dir, 0o700)
                self._usable = True
            except OSError:
                self._usable = False
        return self._usable

    def _get_salt(self) -> bytes | None:
        if self._salt is not None:
            return self._salt
        if not self._ensure_dir():
            return None
        path = self._dir / "salt"
        for _ in range(3):
            data = read_bounded(path, 128)
            try:
                salt = bytes.fromhex(data.decode("ascii").strip()) if data is not None else b""
            except (UnicodeDecodeError, ValueError):
                salt = b""
            if len(salt) == 32:
                self._salt = salt
                return salt
            # Create it atomically: a new file linked into place only if no other process won the race;
            # anything unusable in its place (garbage, a FIFO, a symlink) is replaced.
            try:
                import secrets
                import tempfile  # only writers need these: a warm run only reads

                fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".tmp-salt-")
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(secrets.token_hex(32))
                try:
                    if data is None and not os.path.lexists(path):
                        os.link(tmp, path)
                    else:
                        os.replace(tmp, path)
                        tmp = ""
                except FileExistsError:
                    pass
                finally:
                    if tmp:
                        os.unlink(tmp)
            except OSError:
                return None
        return None

    def _fingerprint(self, credentials: tuple[RegistryCredential, ...]) -> str | None:
        if not credentials:
            return "anonymous"
        known = self._fingerprints.get(credentials)
        if known is not None:
            return known
        salt = self._get_salt()
        if salt is None:
            return None
        material = "\x1e".join(
            "\x1f".join(
                (c.origin, c.registry_key, c.username, c.password, c.identity_token, c.registry_token)
            )
            for c in credentials
        ).encode("utf-8")
        import hashlib  # only here and for single-answer files: a warm snapshot read needs no OpenSSL

        digest = hashlib.scrypt(material, salt=salt, n=2**13, r=8, p=1, dklen=32).hex()
        self._fingerprints[credentials] = digest
        return digest

    def _mirror_of(self, domain: str) -> str | None:
        wanted = canonical_host(domain)
        return next((m for host, m in self._settings.mirrors if canonical_host(host) == wanted), None)

    def _key(self, query: ImageQuery) -> str | None:
        """What identifies an answer: the reference, the platforms asked about and the runtime that
        matches them, and a one-way credential fingerprint."""
        if query in self._keys:
            return self._keys[query]
        fingerprint = self._fingerprint(query.credentials)
        key = None
        if fingerprint is not None:
            wanted = [str(p) for p in query.wanted_platforms]
            docker_config = bool(not query.credentials and self._settings.use_docker_config)
            key = json.dumps(
                [
                    FORMAT,
                    image_string(query.image),
                    wanted or None,
                    self._settings.runtime if wanted else None,
                    fingerprint,
                    docker_config,
                    # An answer a mirror gave holds only while the runtime pulls through that mirror.
                    self._mirror_of(query.image.domain),
                ]
            )
        self._keys[query] = key
        return key

    def _path(self, query: ImageQuery) -> Path | None:
        key = self._key(query)
        if key is None:
            return None
        import hashlib

        return self._dir / (hashlib.sha256(key.encode("utf-8")).hexdigest() + ".json")

    def _batch_path(self, keys: Sequence[str]) -> Path:
        """Named by the set of keys, in whatever order the queries come.

        A checksum is enough for a name: entries are looked up by their full key, so two sets that
        share a name only cost a cache miss.
        """
        import zlib

        joined = "\n".join(sorted(keys)).encode("utf-8")
        return self._dir / f"batch-{zlib.crc32(joined):08x}-{zlib.adler32(joined):08x}-{len(keys)}.json"

    # -- one pass per run ----------------------------------------------------------------------------------

    def read(self, queries: Sequence[ImageQuery]) -> dict[ImageQuery, ImageFacts]:
        """Every fresh answer for ``queries`` (unique), read once: from the snapshot of this very set
        when there is one and all of it is fresh, else from each query's own file."""
        if not queries or not self._ensure_dir():
            return {}
        snapshot = self.get_batch(queries)
        if snapshot is not None:
            self.snapshot_hit = True
            return snapshot
        try:
            present = set(os.listdir(self._dir))  # one call instead of an open per absent answer
        except OSError:
            return {}
        hits: dict[ImageQuery, ImageFacts] = {}
        for query in queries:
            path = self._path(query)
            facts = self.get(query) if path is not None and path.name in present else None
            if facts is not None:
                hits[query] = facts
        return hits

    def write(
        self,
        queries: Sequence[ImageQuery],
        answers: Mapping[ImageQuery, ImageFacts],
        new: Sequence[ImageQuery],
    ) -> None:
        """Store the ``new`` answers one file each, then the snapshot of the whole set; prune."""
        if not self._ensure_dir():
            return
        for query in new:
            self.put(query, answers[query])
        self._flush_platforms()
        self.put_batch(queries, answers)
        if new:
            self.prune()

    def get_batch(self, queries: Sequence[ImageQuery]) -> dict[ImageQuery, ImageFacts] | None:
        """Every answer of a set of queries asked before, from one file; None unless all are fresh.

        A warm run over unchanged manifests (pre-commit, CI) then reads one file instead of one per image.
        """
        if len(queries) < 2 or not self._ensure_dir():
            return None
        keys = [self._key(query) for query in queries]
        if any(key is None for key in keys):
            return None
        known = [key for key in keys if key is not None]
        doc = load_json(self._batch_path(known), MAX_SNAPSHOT_BYTES)
        try:
            entries = doc.get("entries") if isinstance(doc, dict) and doc.get("format") == FORMAT else None
            if not isinstance(entries, dict):
                return None
            now = time.time()
            answers: dict[ImageQuery, ImageFacts] = {}
            for query, key in zip(queries, known, strict=True):
                entry = entries.get(key)
                if not isinstance(entry, dict) or not _fresh(entry.get("expires_at"), now):
                    return None
                facts = _deserialize(entry.get("facts"))
                if facts.reference != image_string(query.image):
                    return None
                answers[query] = facts
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return None
        return answers

    def put_batch(self, queries: Sequence[ImageQuery], answers: Mapping[ImageQuery, ImageFacts]) -> None:
        """Remember a whole set of answers, only when every one of them may be cached (and there are
        several: one answer is its own file already)."""
        if len(queries) < 2 or not self._ensure_dir():
            return
        now = time.time()
        entries: dict[str, object] = {}
        for query in queries:
            facts = answers[query]
            cacheable, ttl = self.lifetime(query, facts)
            key = self._key(query)
            if not cacheable or key is None:
                return
            if facts.from_cache:
                # Read from its own file in this run's read pass: it keeps the expiry it was stored with.
                if query not in self._expiry:
                    return
                expires = self._expiry[query]
            else:
                expires = None if ttl is None else now + ttl
            entries[key] = {"expires_at": expires, "facts": _serialize(facts)}
        self._write(self._batch_path(list(entries)), {"format": FORMAT, "stored_at": now, "entries": entries})

    def get(self, query: ImageQuery) -> ImageFacts | None:
        if not self._ensure_dir():
            return None
        path = self._path(query)
        if path is None:
            return None
        doc = load_json(path, MAX_ENTRY_BYTES)
        try:
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                return None
            expires = doc.get("expires_at")
            if not _fresh(expires, time.time()):
                return None
            facts = _deserialize(doc.get("facts"))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return None
        if facts.reference != image_string(query.image):
            return None
        self._expiry[query] = float(expires) if isinstance(expires, int | float) else None
        return facts

    def lifetime(self, query: ImageQuery, facts: ImageFacts) -> tuple[bool, float | None]:
        """(cacheable, seconds to keep or None for ever)."""
        s = self._settings
        if facts.status is Status.FOUND:
            credentials_involved = bool(query.credentials) or facts.credential_label is not None
            if query.image.digest and not credentials_involved:
                return True, None
            return s.tag_ttl_seconds > 0, s.tag_ttl_seconds
        if facts.status in (Status.TAG_NOT_FOUND, Status.REPOSITORY_NOT_FOUND):
            return s.negative_ttl_seconds > 0, s.negative_ttl_seconds
        return False, None

    def put(self, query: ImageQuery, facts: ImageFacts) -> None:
        cacheable, ttl = self.lifetime(query, facts)
        if not cacheable or facts.from_cache:
            return
        if not self._ensure_dir():
            return
        path = self._path(query)
        if path is None:
            return
        now = time.time()
        doc = {
            "format": FORMAT,
            "stored_at": now,
            "expires_at": None if ttl is None else now + ttl,
            "facts": _serialize(facts),
        }
        self._write(path, doc)

    # -- platforms by manifest digest ----------------------------------------------------------------------

    def _digest_path(self, digest: str) -> Path | None:
        algorithm, _, hexpart = digest.partition(":")
        if algorithm != "sha256" or len(hexpart) != 64 or not all(c in "0123456789abcdef" for c in hexpart):
            return None
        return self._dir / f"platforms-{hexpart}.json"

    def get_platforms(self, digest: str) -> tuple[tuple[Platform, ...], bool] | None:
        """(platforms, is an index) of a manifest digest seen before; None: unknown."""
        if digest in self._pending_platforms:
            return self._pending_platforms[digest]
        path = self._digest_path(digest) if self._ensure_dir() else None
        doc = load_json(path, MAX_ENTRY_BYTES) if path is not None else None
        try:
            if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("digest") != digest:
                return None
            return _platforms(doc.get("platforms")), bool(doc.get("index"))
        except (ValueError, TypeError, RecursionError):
            return None

    def put_platforms(self, digest: str, platforms: Sequence[Platform], index: bool) -> None:
        """Remember a manifest's platforms by its digest (the caller checked the body's sha256); written
        with the run's other answers by `write`, never from inside the event loop."""
        self._pending_platforms[digest] = (tuple(platforms), index)

    def _flush_platforms(self) -> None:
        pending, self._pending_platforms = self._pending_platforms, {}
        for digest, (platforms, index) in pending.items():
            path = self._digest_path(digest)
            if path is not None:
                doc = {
                    "format": FORMAT,
                    "digest": digest,
                    "index": index,
                    "platforms": _platform_list(platforms),
                }
                self._write(path, doc)

    # -- housekeeping --------------------------------------------------------------------------------------

    def prune(self, *, force: bool = False) -> int:
        """Delete expired answers, snapshots and leftovers; at most once an hour unless ``force``.

        Returns how many files were deleted. Files younger than the longest TTL are not even read.
        """
        if not self._ensure_dir():
            return 0
        marker = self._dir / ".pruned"
        now = time.time()
        try:
            if not force and now - marker.stat().st_mtime < PRUNE_EVERY_SECONDS:
                return 0
        except OSError:
            pass
        try:
            marker.touch(mode=0o600)
            os.utime(marker, (now, now))
        except OSError:
            return 0
        s = self._settings
        longest = max(s.tag_ttl_seconds, s.negative_ttl_seconds, 0.0)
        deleted = 0
        try:
            names = os.listdir(self._dir)
        except OSError:
            return 0
        for name in names:
            path = self._dir / name
            try:
                info = path.lstat()
            except OSError:
                continue
            age = now - info.st_mtime
            if name.startswith(".tmp-"):
                expired = age > PRUNE_EVERY_SECONDS
            elif not name.endswith(".json"):
                continue  # salt, marker, anything not ours
            elif not stat.S_ISREG(info.st_mode):
                expired = True  # a FIFO, a symlink, a directory where an answer belongs
            elif age <= longest:
                continue
            else:
                expired = self._expired(path, now) or age > KEEP_PERMANENT_SECONDS
            if expired:
                try:
                    if stat.S_ISDIR(info.st_mode):
                        continue
                    path.unlink()
                    deleted += 1
                except OSError:
                    pass
        return deleted

    def _expired(self, path: Path, now: float) -> bool:
        doc = load_json(path, MAX_SNAPSHOT_BYTES)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            return True
        if path.name.startswith("platforms-"):
            return False
        entries = doc.get("entries")
        if isinstance(entries, dict):
            return not all(isinstance(e, dict) and _fresh(e.get("expires_at"), now) for e in entries.values())
        return not _fresh(doc.get("expires_at"), now)

    def _write(self, path: Path, doc: Mapping[str, object]) -> None:
        """Atomically: a temporary file in the same folder (mode 0600, created exclusively) renamed
        over the old one."""
        self._writes += 1
        tmp = self._dir / f".tmp-{os.getpid()}-{id(self):x}-{self._writes}-{path.name}"
        data = json.dumps(doc, separators=(",", ":")).encode("utf-8")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
