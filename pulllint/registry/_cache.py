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

Files are 0600 in a 0700 directory, written to a temporary file in the same directory and renamed
(``os.replace``), so readers see a whole old file or a whole new one; any unreadable, foreign or
malformed file is a miss.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from pulllint.model.credentials import RegistryCredential
from pulllint.model.facts import ImageFacts, ImageQuery, Platform, Status
from pulllint.registry._refs import image_string
from pulllint.registry._settings import RegistrySettings

FORMAT = 1
SUBDIR = "registry-v1"


def cache_root(settings: RegistrySettings) -> Path:
    if settings.cache_dir:
        return Path(settings.cache_dir)
    env = os.environ.get("PULLLINT_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("pulllint"))


def _serialize(facts: ImageFacts) -> dict[str, object]:
    return {
        "reference": facts.reference,
        "status": facts.status.value,
        "digest": facts.digest,
        "platforms": None
        if facts.platforms is None
        else [[p.os, p.architecture, p.variant] for p in facts.platforms],
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


def _deserialize(doc: dict[str, object]) -> ImageFacts:
    platforms_raw = doc.get("platforms")
    platforms: tuple[Platform, ...] | None = None
    if platforms_raw is not None:
        if not isinstance(platforms_raw, list):
            raise ValueError("platforms")
        items: list[Platform] = []
        for p in platforms_raw:
            if not (isinstance(p, list) and len(p) == 3 and isinstance(p[0], str) and isinstance(p[1], str)):
                raise ValueError("platform")
            if p[2] is not None and not isinstance(p[2], str):
                raise ValueError("variant")
            items.append(Platform(p[0], p[1], p[2]))
        platforms = tuple(items)
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
    )


class DiskCache:
    def __init__(self, settings: RegistrySettings) -> None:
        self._settings = settings
        self._dir = cache_root(settings) / SUBDIR
        self._usable: bool | None = None
        self._salt: bytes | None = None
        self._fingerprints: dict[tuple[RegistryCredential, ...], str] = {}

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
            try:
                text = path.read_text(encoding="ascii").strip()
                salt = bytes.fromhex(text)
                if len(salt) == 32:
                    self._salt = salt
                    return salt
            except (OSError, ValueError):
                pass
            # Create it atomically: a new file linked into place only if no other process won the race.
            try:
                import secrets
                import tempfile  # only writers need these: a warm run only reads

                fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".tmp-salt-")
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(secrets.token_hex(32))
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    pass
                finally:
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

    def _key(self, query: ImageQuery) -> str | None:
        """What identifies an answer: the reference, the platform and a one-way credential fingerprint."""
        fingerprint = self._fingerprint(query.credentials)
        if fingerprint is None:
            return None
        docker_config = bool(not query.credentials and self._settings.use_docker_config)
        return json.dumps(
            [
                FORMAT,
                image_string(query.image),
                str(query.platform) if query.platform else None,
                fingerprint,
                docker_config,
            ]
        )

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

    def get_batch(self, queries: Sequence[ImageQuery]) -> dict[ImageQuery, ImageFacts] | None:
        """Every answer of a set of queries asked before, from one file; None unless all are fresh.

        A warm run over unchanged manifests (pre-commit, CI) then reads one file instead of one per image.
        """
        if not queries or not self._ensure_dir():
            return None
        keys = [self._key(query) for query in queries]
        if any(key is None for key in keys):
            return None
        known = [key for key in keys if key is not None]
        try:
            with open(self._batch_path(known), encoding="utf-8") as fh:
                doc = json.load(fh)
            entries = doc.get("entries") if isinstance(doc, dict) and doc.get("format") == FORMAT else None
            if not isinstance(entries, dict):
                return None
            now = time.time()
            answers: dict[ImageQuery, ImageFacts] = {}
            for query, key in zip(queries, known, strict=True):
                entry = entries[key]
                expires = entry.get("expires_at")
                if expires is not None and (not isinstance(expires, int | float) or expires <= now):
                    return None
                facts = _deserialize(entry["facts"])
                if facts.reference != image_string(query.image):
                    return None
                answers[query] = facts
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
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
            entries[key] = {"expires_at": None if ttl is None else now + ttl, "facts": _serialize(facts)}
        self._write(self._batch_path(list(entries)), {"format": FORMAT, "stored_at": now, "entries": entries})

    def get(self, query: ImageQuery) -> ImageFacts | None:
        if not self._ensure_dir():
            return None
        path = self._path(query)
        if path is None:
            return None
        try:
            with open(path, encoding="utf-8") as fh:
                doc = json.load(fh)
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                return None
            expires = doc.get("expires_at")
            if expires is not None and (not isinstance(expires, int | float) or expires <= time.time()):
                return None
            facts_doc = doc.get("facts")
            if not isinstance(facts_doc, dict):
                return None
            facts = _deserialize(facts_doc)
        except (OSError, ValueError, TypeError, KeyError):
            return None
        if facts.reference != image_string(query.image):
            return None
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
        if not cacheable:
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

    def _write(self, path: Path, doc: Mapping[str, object]) -> None:
        """Atomically: a temporary file in the same folder renamed over the old one (mode 0600)."""
        tmp: str | None = None
        try:
            import tempfile

            fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, separators=(",", ":"))
            os.replace(tmp, path)
            tmp = None
        except OSError:
            pass
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
