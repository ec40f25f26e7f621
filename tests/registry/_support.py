"""Test and benchmark machinery for real registries on loopback: Debian's docker-registry (distribution
2.8) started from a generated config, a push helper speaking the registry API, a bearer token server
(ES256 JWTs with an x5c certificate) and a small certificate authority.

Used by tests/registry (fixtures in conftest.py) and by bench/registry_bench.py.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import secrets
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def registry_available() -> bool:
    return Path(REGISTRY_BIN).is_file()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# -- certificates ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def cert_der_b64(self) -> str:
        return base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name: str = "pulllint test CA") -> KeyPair:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(key, cert)


def make_server_cert(ca: KeyPair, ip: str = "127.0.0.1") -> KeyPair:
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(ip))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )
    return KeyPair(key, cert)


# -- the registry process ----------------------------------------------------------------------------------


@dataclass
class RegistryProcess:
    host: str  # "127.0.0.1:PORT"
    scheme: str
    process: subprocess.Popen[bytes]
    log_path: Path
    ca_file: Path | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"

    def access_log_lines(self) -> list[str]:
        """Requests seen by the registry (only when started with ``access_log=True``)."""
        text = self.log_path.read_text(errors="replace")
        return [line for line in text.splitlines() if '"' in line and " HTTP/" in line]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_registry(
    workdir: Path,
    *,
    auth: dict[str, object] | None = None,
    tls: KeyPair | None = None,
    tls_chain: Sequence[KeyPair] = (),
    access_log: bool = False,
    port: int | None = None,
) -> RegistryProcess:
    """Start ``docker-registry serve`` on 127.0.0.1 and wait until /v2/ answers (typically ~50 ms)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    http: dict[str, object] = {"addr": f"127.0.0.1:{port}", "secret": secrets.token_hex(16)}
    if tls is not None:
        cert_path = workdir / "server.pem"
        key_path = workdir / "server.key"
        cert_path.write_bytes(tls.cert_pem + b"".join(c.cert_pem for c in tls_chain))
        key_path.write_bytes(tls.key_pem)
        http["tls"] = {"certificate": str(cert_path), "key": str(key_path)}
    config: dict[str, object] = {
        "version": "0.1",
        "log": {"level": "error", "accesslog": {"disabled": not access_log}},
        "storage": {"filesystem": {"rootdirectory": str(workdir / "data")}, "delete": {"enabled": True}},
        "http": http,
    }
    if auth is not None:
        config["auth"] = auth
    config_path = workdir / "config.yml"
    config_path.write_text(json.dumps(config, indent=2))  # JSON is YAML
    log_path = workdir / "registry.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [REGISTRY_BIN, "serve", str(config_path)], stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    scheme = "https" if tls is not None else "http"
    registry = RegistryProcess(f"127.0.0.1:{port}", scheme, process, log_path)
    deadline = time.monotonic() + 15
    with httpx.Client(verify=False, trust_env=False, timeout=2) as client:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {log_path.read_text(errors='replace')[-2000:]}")
            try:
                client.get(f"{registry.url}/v2/")
                return registry
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    registry.stop()
                    raise RuntimeError("docker-registry did not answer on /v2/ within 15 s") from None
                time.sleep(0.02)


# -- pushing -----------------------------------------------------------------------------------------------


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _canonical(doc: dict[str, object]) -> bytes:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class PushedImage:
    repository: str
    tag: str
    digest: str
    media_type: str


class Pusher:
    """Pushes tiny images over the registry API (monolithic blob uploads, then the manifest)."""

    def __init__(
        self,
        base_url: str,
        *,
        basic: tuple[str, str] | None = None,
        token_for: Callable[[str], str] | None = None,
        ca_file: str | None = None,
    ) -> None:
        import ssl

        self._base = base_url.rstrip("/")
        verify: bool | ssl.SSLContext = ssl.create_default_context(cafile=ca_file) if ca_file else False
        self._token_for = token_for
        auth = httpx.BasicAuth(*basic) if basic else None
        self._client = httpx.Client(auth=auth, verify=verify, trust_env=False, timeout=10)
        self._tokens: dict[str, str] = {}

    def close(self) -> None:
        self._client.close()

    def _headers(self, repository: str) -> dict[str, str]:
        if self._token_for is None:
            return {}
        token = self._tokens.get(repository)
        if token is None:
            token = self._tokens[repository] = self._token_for(repository)
        return {"Authorization": f"Bearer {token}"}

    def blob(self, repository: str, data: bytes) -> str:
        digest = sha256_digest(data)
        headers = self._headers(repository)
        start = self._client.post(f"{self._base}/v2/{repository}/blobs/uploads/", headers=headers)
        if start.status_code != 202:
            raise RuntimeError(f"blob upload start: {start.status_code} {start.text}")
        location = httpx.URL(self._base).join(start.headers["location"])
        put = self._client.put(
            location.copy_merge_params({"digest": digest}),
            content=data,
            headers={**headers, "Content-Type": "application/octet-stream"},
        )
        if put.status_code != 201:
            raise RuntimeError(f"blob upload: {put.status_code} {put.text}")
        return digest

    def manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> str:
        headers = {**self._headers(repository), "Content-Type": media_type}
        put = self._client.put(
            f"{self._base}/v2/{repository}/manifests/{reference}", content=body, headers=headers
        )
        if put.status_code != 201:
            raise RuntimeError(f"manifest push {repository}:{reference}: {put.status_code} {put.text}")
        return sha256_digest(body)

    def image(
        self,
        repository: str,
        tag: str | None,
        *,
        os: str = "linux",
        architecture: str = "amd64",
        variant: str | None = None,
        docker: bool = False,
        salt: str = "",
    ) -> PushedImage:
        """A single-platform manifest (OCI, or Docker v2 with ``docker=True``); tag None: by digest only."""
        config_doc: dict[str, object] = {
            "architecture": architecture,
            "os": os,
            "rootfs": {"type": "layers", "diff_ids": []},
            "config": {"Labels": {"pulllint.test": f"{repository}:{tag}:{salt}"}},
        }
        if variant:
            config_doc["variant"] = variant
        config = _canonical(config_doc)
        layer = f"layer {repository} {architecture} {salt}".encode()
        config_digest = self.blob(repository, config)
        layer_digest = self.blob(repository, layer)
        media_type = DOCKER_MANIFEST if docker else OCI_MANIFEST
        manifest = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {
                "mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
                "digest": config_digest,
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": DOCKER_LAYER if docker else OCI_LAYER,
                    "digest": layer_digest,
                    "size": len(layer),
                }
            ],
        }
        body = _canonical(manifest)
        digest = self.manifest(repository, tag or sha256_digest(body), body, media_type)
        return PushedImage(repository, tag or "", digest, media_type)

    def index(
        self,
        repository: str,
        tag: str,
        platforms: Sequence[tuple[str, str, str | None]],
        *,
        docker: bool = False,
        attestation: bool = False,
    ) -> PushedImage:
        """An OCI index (or Docker manifest list) over one child manifest per platform."""
        entries: list[dict[str, object]] = []
        for os, arch, variant in platforms:
            child = self.image(
                repository, None, os=os, architecture=arch, variant=variant, docker=docker, salt=tag
            )
            platform: dict[str, str] = {"os": os, "architecture": arch}
            if variant:
                platform["variant"] = variant
            entries.append(
                {
                    "mediaType": child.media_type,
                    "digest": child.digest,
                    "size": len(
                        self._client.get(
                            f"{self._base}/v2/{repository}/manifests/{child.digest}",
                            headers={**self._headers(repository), "Accept": child.media_type},
                        ).content
                    ),
                    "platform": platform,
                }
            )
        if attestation:
            child = self.image(repository, None, os="unknown", architecture="unknown", salt=f"{tag}-att")
            entries.append(
                {
                    "mediaType": child.media_type,
                    "digest": child.digest,
                    "size": 1,
                    "platform": {"os": "unknown", "architecture": "unknown"},
                    "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
                }
            )
        media_type = DOCKER_LIST if docker else OCI_INDEX
        body = _canonical({"schemaVersion": 2, "mediaType": media_type, "manifests": entries})
        digest = self.manifest(repository, tag, body, media_type)
        return PushedImage(repository, tag, digest, media_type)


# -- the token server --------------------------------------------------------------------------------------


TOKEN_SERVICE = "pulllint-test-registry"
TOKEN_ISSUER = "pulllint-test-issuer"
Grant = Callable[[str | None, str], set[str]]  # (user or None for anonymous, repository) -> actions


@dataclass
class TokenRequest:
    method: str
    user: str | None
    scopes: tuple[str, ...]
    had_authorization: bool


@dataclass
class TokenServer:
    """A registry token service (docker/distribution token auth) on loopback.

    Basic credentials (``users``) or an OAuth2 refresh token (``refresh_tokens`` -> user, POST
    grant_type=refresh_token) identify the caller; ``grant`` decides the actions per repository. Tokens
    are ES256 JWTs whose ``x5c`` header carries a self-signed certificate (the registry's rootcertbundle).
    """

    users: dict[str, str]
    grant: Grant
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    service: str = TOKEN_SERVICE
    issuer: str = TOKEN_ISSUER
    expires_in: int = 300
    requests: list[TokenRequest] = field(default_factory=list)
    signing: KeyPair = field(default_factory=lambda: make_ca("pulllint token signer"))
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def registry_auth_config(self, workdir: Path, realm: str | None = None) -> dict[str, object]:
        bundle = workdir / "token-root.pem"
        workdir.mkdir(parents=True, exist_ok=True)
        bundle.write_bytes(self.signing.cert_pem)
        return {
            "token": {
                "realm": realm or self.realm,
                "service": self.service,
                "issuer": self.issuer,
                "rootcertbundle": str(bundle),
            }
        }

    def make_token(self, user: str | None, access: list[dict[str, object]]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": user or "",
            "aud": self.service,
            "exp": now + self.expires_in,
            "nbf": now - 30,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        return jwt.encode(
            claims, self.signing.key, algorithm="ES256", headers={"x5c": [self.signing.cert_der_b64]}
        )

    def access_for(self, user: str | None, scopes: Sequence[str]) -> list[dict[str, object]]:
        access: list[dict[str, object]] = []
        for scope in scopes:
            parts = scope.split(":")
            if len(parts) != 3 or parts[0] != "repository":
                continue
            allowed = self.grant(user, parts[1])
            actions = [a for a in parts[2].split(",") if a in allowed]
            if actions:
                access.append({"type": "repository", "name": parts[1], "actions": actions})
        return access

    def start(self) -> TokenServer:
        server = _Server(("127.0.0.1", 0), _token_handler(self))
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="token-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def count(self, scope: str | None = None) -> int:
        return sum(1 for r in self.requests if scope is None or scope in r.scopes)


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default (5) drops bursts of connections: 1 s SYN retransmits
    daemon_threads = True


def _token_handler(ts: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def _reply(self, status: int, doc: dict[str, object]) -> None:
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _basic_user(self) -> tuple[bool, str | None]:
            header = self.headers.get("Authorization")
            if not header:
                return True, None
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "basic":
                return False, None
            try:
                user, _, password = base64.b64decode(value).decode().partition(":")
            except ValueError:
                return False, None
            if ts.users.get(user) != password or not password:
                return False, None
            return True, user

        def do_GET(self) -> None:
            if self.path == "/stats":  # not a token request: how many were served (benchmark)
                self._reply(200, {"requests": len(ts.requests)})
                return
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            ok, user = self._basic_user()
            scopes = tuple(query.get("scope", []))
            ts.requests.append(TokenRequest("GET", user, scopes, "Authorization" in self.headers))
            if not ok:
                self._reply(401, {"details": "incorrect username or password"})
                return
            if query.get("service", [""])[0] != ts.service:
                self._reply(400, {"details": "unknown service"})
                return
            self._issue(user, scopes)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            scopes = tuple(form.get("scope", [""])[0].split(" ")) if form.get("scope") else ()
            refresh = form.get("refresh_token", [""])[0]
            user = ts.refresh_tokens.get(refresh)
            ts.requests.append(TokenRequest("POST", user, scopes, "Authorization" in self.headers))
            if form.get("grant_type", [""])[0] != "refresh_token" or user is None:
                self._reply(401, {"error": "invalid_grant"})
                return
            self._issue(user, scopes, oauth=True)

        def _issue(self, user: str | None, scopes: Sequence[str], oauth: bool = False) -> None:
            token = ts.make_token(user, ts.access_for(user, scopes))
            doc: dict[str, object] = {
                "expires_in": ts.expires_in,
                "issued_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            }
            if oauth:
                doc["access_token"] = token
            else:
                doc["token"] = token
            self._reply(200, doc)

    return Handler
