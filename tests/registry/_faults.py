"""Hostile servers on loopback: raw sockets that answer as a behaviour says (trickle, hang, HTML, 401s).

A behaviour is a function of the request (method, path, headers) that writes to the connection itself;
the server stops its threads on `stop()`, hanging ones included. The TLS attempt a loopback host gets
first is answered in plain HTTP (so the resolver falls back to HTTP) unless the behaviour hangs it too.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


class Connection:
    def __init__(self, sock: socket.socket, stopping: threading.Event) -> None:
        self.sock = sock
        self.stopping = stopping

    def send(self, data: bytes) -> bool:
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def reply(
        self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, reason: str = "X"
    ) -> None:
        lines = [f"HTTP/1.1 {status} {reason}"]
        all_headers = {"Content-Length": str(len(body)), "Connection": "close", **(headers or {})}
        lines += [f"{k}: {v}" for k, v in all_headers.items()]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def trickle(self, data: bytes, interval: float) -> None:
        """One byte every ``interval`` seconds until done, the client leaves or the server stops."""
        for i in range(len(data)):
            if self.stopping.wait(interval) or not self.send(data[i : i + 1]):
                return

    def hang(self) -> None:
        self.stopping.wait(60)


Behaviour = Callable[[Request, Connection], None]


@dataclass
class FaultServer:
    behaviour: Behaviour
    hang_tls: bool = False  # the TLS attempt hangs too (a host that accepts and never answers)
    requests: list[Request] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(256)
        self._listener.settimeout(0.05)  # the accept loop sees `stop()` promptly
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._listener.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        conn = Connection(sock, self._stopping)
        try:
            sock.setblocking(True)
            sock.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                data += chunk
                if data[:1] == b"\x16":  # a TLS ClientHello
                    if self.hang_tls:
                        conn.hang()
                    else:
                        conn.reply(400, b"plain HTTP server")
                    return
            head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            method, path, _ = ([*head[0].split(" "), "", ""])[:3]
            headers = {}
            for line in head[1:]:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            request = Request(method, path, headers)
            with self._lock:
                self.requests.append(request)
            self.behaviour(request, conn)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    def paths(self, prefix: str = "") -> list[str]:
        with self._lock:
            return [r.path for r in self.requests if r.path.startswith(prefix)]

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(2)
        self._listener.close()


REGISTRY_HEADERS = {"Docker-Distribution-API-Version": "registry/2.0", "Content-Type": "application/json"}


def registry_ping(request: Request, conn: Connection) -> bool:
    """Answer GET /v2/ like an open registry; True when it was the ping."""
    if request.path.rstrip("/") == "/v2":
        conn.reply(200, b"{}", REGISTRY_HEADERS)
        return True
    return False


def elapsed(since: float) -> float:
    return time.monotonic() - since
