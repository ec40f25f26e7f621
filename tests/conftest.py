"""Shared test helpers: the fixture-expectation convention and the optional shared corpus."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("PULLLINT_SHARED", ROOT.parent / "shared"))

_EXPECT = re.compile(r"#\s*expect:\s*(.*?)\s*$")
_EXPECTED = re.compile(r"([A-Z][A-Z0-9]*)@([0-9]+)")


class Expected(NamedTuple):
    line: int
    column: int
    code: str


def expected_findings(path: Path) -> list[Expected]:
    """The findings a fixture expects: ``# expect: PL103@18, PL105@11`` says that PL103 is reported on this
    line at column 18 and PL105 at column 11 (1-based, as pulllint prints them). A code without its
    column is an error in the fixture."""
    found: list[Expected] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _EXPECT.search(line)
        if match is None:
            continue
        for item in filter(None, (part.strip() for part in match.group(1).split(","))):
            expected = _EXPECTED.fullmatch(item)
            if expected is None:
                raise ValueError(f"{path}:{number}: write an expectation as CODE@COLUMN, not {item!r}")
            found.append(Expected(number, int(expected.group(2)), expected.group(1)))
    return found


@pytest.fixture(scope="session")
def pre_commit() -> str:
    """The real `pre-commit` of the test environment (the test extra installs it)."""
    import shutil
    import sys

    executable = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
    if not Path(executable).exists():
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    return executable


def shared_path(*parts: str) -> Path:
    """A path in ../shared (corpus, tools, schemas); skips the test on a machine without it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (the shared corpus is optional)")
    return path


# -- no test leaves the machine ----------------------------------------------------------------------------

_LOOPBACK_NAMES = frozenset({"", "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_GUARD_LOG = "PULLLINT_TEST_NETWORK_GUARD_LOG"
# Installed in every Python subprocess a test starts (through PYTHONPATH): the same guard for pulllint's
# own processes (a `pulllint` or `python -m pulllint` run), reporting to a log file that the test's
# teardown reads. Other tools (pip building the wheel from the configured index) are left alone.
_SITECUSTOMIZE = """
import os as _os

if _os.environ.get("PULLLINT_TEST_NETWORK_GUARD_LOG"):
    import ipaddress as _ip
    import socket as _socket

    _NAMES = {"", "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}

    def _local(host):
        if host is None:
            return True
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        host = str(host).strip("[]").lower()
        if host in _NAMES:
            return True
        try:
            address = _ip.ip_address(host.split("%")[0])
        except ValueError:
            return False
        return address.is_loopback or address.is_unspecified

    def _record(what):
        import sys as _sys

        if "pulllint" not in _sys.modules:
            return False  # not pulllint (pip building a wheel, pre-commit): not this guard's business
        with open(_os.environ["PULLLINT_TEST_NETWORK_GUARD_LOG"], "a", encoding="utf-8") as log:
            log.write(f"{what} (pid {_os.getpid()})\\n")
        return True

    _getaddrinfo = _socket.getaddrinfo
    _connect = _socket.socket.connect
    _connect_ex = _socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        if not _local(host) and _record(f"getaddrinfo({host!r})"):
            raise _socket.gaierror(_socket.EAI_NONAME, "blocked by the test network guard")
        return _getaddrinfo(host, *args, **kwargs)

    def _check(sock, address):
        inet = sock.family in (_socket.AF_INET, _socket.AF_INET6)
        if inet and not _local(address[0]) and _record(f"connect({address!r})"):
            raise OSError(101, "blocked by the test network guard")

    def connect(self, address):
        _check(self, address)
        return _connect(self, address)

    def connect_ex(self, address):
        _check(self, address)
        return _connect_ex(self, address)

    _socket.getaddrinfo = getaddrinfo
    _socket.socket.connect = connect
    _socket.socket.connect_ex = connect_ex
"""


def _is_local(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    text = str(host).strip("[]").lower()
    if text in _LOOPBACK_NAMES:
        return True
    import ipaddress

    try:
        address = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


@pytest.fixture(scope="session")
def _guard_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("network-guard")
    (folder / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
    return folder


@pytest.fixture(autouse=True)
def _no_network_and_own_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, _guard_site: Path
) -> Iterator[None]:
    """Every test: its own PULLLINT_CACHE_DIR, and any DNS query or connection to a non-loopback address
    (in this process or a Python subprocess) fails the test; the call itself fails like an offline host."""
    import socket

    monkeypatch.setenv("PULLLINT_CACHE_DIR", str(tmp_path / "pulllint-cache"))
    log = tmp_path / "network-guard.log"
    monkeypatch.setenv(_GUARD_LOG, str(log))
    python_path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(_guard_site), python_path) if p))
    violations: list[str] = []
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: object, *args: Any, **kwargs: Any) -> Any:
        if not _is_local(host):
            violations.append(f"getaddrinfo({host!r})")
            raise socket.gaierror(socket.EAI_NONAME, "blocked by the test network guard")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            violations.append(f"connect({address!r})")
            raise OSError(101, "blocked by the test network guard")

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield
    if log.exists():
        violations += log.read_text(encoding="utf-8").splitlines()
    if violations:
        pytest.fail("the test tried to leave the machine: " + "; ".join(violations), pytrace=False)
