"""The user's own registry credentials (docker and podman/skopeo configuration), for existence checks of
queries that carry no pod credentials.

Files, in this order (every file that exists is read; entries for the image's host are tried in order):
``$REGISTRY_AUTH_FILE``, ``$DOCKER_CONFIG/config.json``, ``~/.docker/config.json``,
``$XDG_RUNTIME_DIR/containers/auth.json``, ``$XDG_CONFIG_HOME/containers/auth.json``
(default ``~/.config/containers/auth.json``).

Per file: ``credHelpers[host]`` (a ``docker-credential-<name> get`` subprocess, host on stdin, JSON on
stdout), else ``credsStore`` (same protocol), then the ``auths`` entry (``auth`` base64 user:password,
``username``/``password``, ``identitytoken``, ``registrytoken``). Keys are compared by host after
stripping scheme and path (``https://index.docker.io/v1/`` is Docker Hub); containers-style keys with
a path (``quay.io/team``) match images under that path, most specific first.

Only entries whose host equals the image's registry host are returned, so a credential only ever goes
to the host it was stored for. Secrets never leave the returned `RegistryCredential` objects (whose
repr hides them); helper stderr is discarded.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pulllint.hosts import DOCKER_HUB_DOMAIN, canonical_host, docker_config_key
from pulllint.model.credentials import RegistryCredential
from pulllint.registry._cache import load_json

HUB_SERVER_URL = "https://index.docker.io/v1/"
MAX_CONFIG_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ConfigFile:
    path: Path
    label: str  # printable: "docker config ~/.docker/config.json"
    auths: dict[str, dict[str, object]] = field(repr=False)  # holds secrets
    cred_helpers: dict[str, str]
    creds_store: str | None


def _display(path: Path) -> str:
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def candidate_files(env: dict[str, str] | None = None) -> list[Path]:
    env = dict(os.environ) if env is None else env
    home = Path(env.get("HOME") or Path.home())
    files: list[Path] = []
    if env.get("REGISTRY_AUTH_FILE"):
        files.append(Path(env["REGISTRY_AUTH_FILE"]))
    if env.get("DOCKER_CONFIG"):
        files.append(Path(env["DOCKER_CONFIG"]) / "config.json")
    files.append(home / ".docker" / "config.json")
    if env.get("XDG_RUNTIME_DIR"):
        files.append(Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    xdg_config = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    files.append(xdg_config / "containers" / "auth.json")
    unique: list[Path] = []
    for f in files:
        if f not in unique:
            unique.append(f)
    return unique


def load_files(env: dict[str, str] | None = None) -> list[ConfigFile]:
    """Every readable configuration file; unreadable or malformed ones are skipped silently."""
    loaded: list[ConfigFile] = []
    for path in candidate_files(env):
        # Bounded like the cache: a regular file of sane size (never a FIFO, never /dev/zero).
        doc = load_json(path, MAX_CONFIG_BYTES)
        if not isinstance(doc, dict):
            continue
        auths_raw = doc.get("auths")
        auths = (
            {str(k): v for k, v in auths_raw.items() if isinstance(v, dict)}
            if isinstance(auths_raw, dict)
            else {}
        )
        helpers_raw = doc.get("credHelpers")
        helpers = (
            {str(k): v for k, v in helpers_raw.items() if isinstance(v, str) and v}
            if isinstance(helpers_raw, dict)
            else {}
        )
        store = doc.get("credsStore")
        kind = "containers auth" if path.name == "auth.json" else "docker config"
        loaded.append(
            ConfigFile(
                path,
                f"{kind} {_display(path)}",
                auths,
                helpers,
                store if isinstance(store, str) and store else None,
            )
        )
    return loaded


def _from_auth_entry(entry: dict[str, object], origin: str, key: str) -> RegistryCredential | None:
    username = entry.get("username")
    password = entry.get("password")
    user = username if isinstance(username, str) else ""
    secret = password if isinstance(password, str) else ""
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            decoded = base64.b64decode(auth, validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        if ":" in decoded:
            user, _, secret = decoded.partition(":")
    identity = entry.get("identitytoken")
    registry_token = entry.get("registrytoken")
    credential = RegistryCredential(
        origin=origin,
        registry_key=key,
        username=user,
        password=secret,
        identity_token=identity if isinstance(identity, str) else "",
        registry_token=registry_token if isinstance(registry_token, str) else "",
    )
    return None if credential.is_empty else credential


class DockerCredentials:
    """Looks up (and memoises, per run) the user's credentials for one registry host."""

    def __init__(self, timeout: float, env: dict[str, str] | None = None) -> None:
        self._timeout = timeout
        self._env = env
        self._files: list[ConfigFile] | None = None
        self._helper_results: dict[tuple[str, str], asyncio.Future[RegistryCredential | None]] = {}

    def files(self) -> list[ConfigFile]:
        if self._files is None:
            self._files = load_files(self._env)
        return self._files

    async def lookup(self, domain: str, path: str) -> list[RegistryCredential]:
        host = canonical_host(domain)
        server = HUB_SERVER_URL if host == DOCKER_HUB_DOMAIN else host
        found: list[RegistryCredential] = []
        for cfg in self.files():
            helper = None
            for key, name in cfg.cred_helpers.items():
                if docker_config_key(key)[0] == host:
                    helper = name
                    break
            helper = helper or cfg.creds_store
            if helper:
                cred = await self._helper(helper, server, cfg)
                if cred is not None:
                    found.append(cred)
            matches: list[tuple[int, str, dict[str, object]]] = []
            for key, entry in cfg.auths.items():
                key_host, key_path = docker_config_key(key)
                if key_host != host:
                    continue
                if key_path and not (path == key_path or path.startswith(key_path + "/")):
                    continue
                matches.append((len(key_path), key, entry))
            matches.sort(key=lambda m: -m[0])  # most specific path first
            for _length, key, entry in matches:
                cred = _from_auth_entry(entry, cfg.label, key)
                if cred is not None:
                    found.append(cred)
        unique: list[RegistryCredential] = []
        for cred in found:
            if cred not in unique:
                unique.append(cred)
        return unique

    async def _helper(self, name: str, server: str, cfg: ConfigFile) -> RegistryCredential | None:
        key = (name, server)
        pending = self._helper_results.get(key)
        if pending is None:
            pending = self._helper_results[key] = asyncio.ensure_future(self._run_helper(name, server, cfg))
        return await asyncio.shield(pending)

    async def _run_helper(self, name: str, server: str, cfg: ConfigFile) -> RegistryCredential | None:
        if "/" in name or os.sep in name:
            return None
        executable = shutil.which(f"docker-credential-{name}")
        if executable is None:
            return None
        try:
            proc = await asyncio.create_subprocess_exec(
                executable,
                "get",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except OSError:
            return None
        try:
            stdout, _ = await asyncio.wait_for(proc.communicate(server.encode()), self._timeout)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            return None
        if proc.returncode != 0:
            return None  # "credentials not found in native keychain" and friends
        try:
            doc = json.loads(stdout)
        except (ValueError, RecursionError):
            return None
        if not isinstance(doc, dict):
            return None
        username = doc.get("Username")
        secret = doc.get("Secret")
        if not isinstance(username, str) or not isinstance(secret, str) or not secret:
            return None
        origin = f"credential helper docker-credential-{name} ({cfg.label})"
        if username == "<token>":
            return RegistryCredential(origin=origin, registry_key=server, identity_token=secret)
        return RegistryCredential(origin=origin, registry_key=server, username=username, password=secret)
