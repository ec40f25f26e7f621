"""End to end, the verdicts a user reads: PL402 from a real registry, PL406 from a rate-limiting one,
PL201 confirmed by the registry, PL405 for what is not a registry, and a bug in the resolver that fails
the run (exit 2) instead of turning into a verdict."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulllint.cli import main

from ._faults import REGISTRY_HEADERS, Connection, FaultServer, Request, registry_ping
from .conftest import Registry


def _pod(name: str, image: str) -> str:
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n"
        f"  containers:\n    - name: c\n      image: {image}\n"
    )


def _run(tmp_path: Path, pods: list[str], *flags: str, config: str = "") -> int:
    """`pulllint check --format json` on ``pods`` with ``config``; the exit code (the report is on stdout)."""
    (tmp_path / "pods.yaml").write_text("---\n".join(pods))
    (tmp_path / ".pulllint.yaml").write_text(config or "{}\n")
    code = main(
        [
            "check",
            "--format",
            "json",
            "--config",
            str(tmp_path / ".pulllint.yaml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-docker-config",
            *flags,
            str(tmp_path / "pods.yaml"),
        ]
    )
    return code


def _diagnostics(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["diagnostics"]
    return found


@pytest.fixture
def servers() -> Iterator[list[FaultServer]]:
    started: list[FaultServer] = []
    yield started
    for server in started:
        server.stop()


def test_pl402_repository_not_found(
    open_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run(tmp_path, [_pod("typo", open_registry.ref("aap:1.25.0"))])
    [d] = _diagnostics(capsys)
    assert code == 1
    assert (d["code"], d["severity"], d["object"]) == ("PL402", "error", "Pod/typo")
    assert d["message"] == f"repository of {open_registry.ref('aap:1.25.0')} does not exist (name unknown)"
    assert (d["line"], d["column"]) == (7, 14)


def test_pl406_rate_limited(
    servers: list[FaultServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def limited(request: Request, conn: Connection) -> None:
        if not registry_ping(request, conn):
            conn.reply(
                429,
                b'{"errors":[{"code":"TOOMANYREQUESTS"}]}',
                {**REGISTRY_HEADERS, "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "0;w=21600"},
            )

    server = FaultServer(limited)
    servers.append(server)
    code = _run(tmp_path, [_pod("busy", f"{server.host}/team/app:1.0")])
    [d] = _diagnostics(capsys)
    assert code == 0  # could not verify: never fails a build unless asked
    assert (d["code"], d["severity"]) == ("PL406", "info")
    assert "rate-limited" in d["message"] and "remaining 0;w=21600" in d["message"]
    assert "limit 100;w=21600" in d["message"]


def test_pl201_confirmed_by_the_registry(
    basic_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A private registry answering 401 to the anonymous request of a pod without pull secrets: the
    missing-pull-secret finding, confirmed online (not PL402 "does not exist or is private")."""
    config = f"private-registries: ['{basic_registry.host}']\n"
    account = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default}\n"  # with no pull secrets
    code = _run(tmp_path, [account, _pod("anon", basic_registry.ref("app:1.25.0"))], config=config)
    found = _diagnostics(capsys)
    assert code == 1
    assert [d["code"] for d in found] == ["PL201"]
    assert "the registry confirmed it" in found[0]["message"]


def test_an_html_proxy_is_could_not_verify_not_missing(
    servers: list[FaultServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = FaultServer(
        lambda request, conn: conn.reply(404, b"<html>nope</html>", {"Content-Type": "text/html"})
    )
    servers.append(server)
    code = _run(tmp_path, [_pod("proxy", f"{server.host}/team/app:1.0")])
    [d] = _diagnostics(capsys)
    assert code == 0
    assert (d["code"], d["severity"]) == ("PL405", "info")
    assert "(not-a-registry)" in d["message"] and "HTML body" in d["message"]


def test_a_bug_in_the_resolver_exits_2(
    open_registry: Registry,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pulllint.registry import _resolver

    async def broken(self: object, attempt: object, reply: object) -> object:
        raise KeyError("injected bug")

    monkeypatch.setattr(_resolver.Resolver, "_interpret", broken)
    monkeypatch.delenv("PULLLINT_DEBUG", raising=False)
    code = _run(tmp_path, [_pod("ok", open_registry.ref("app:1.25.0"))])
    captured = capsys.readouterr()
    assert code == 2
    assert "internal error" in captured.err and "injected bug" in captured.err
    assert "PL405" not in captured.out  # never turned into "could not verify"


def test_pl201_confirmed_on_a_host_presumed_public(
    basic_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Loopback is presumed not to need a pull secret; the registry's 401 says otherwise: PL201."""
    account = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default}\n"
    code = _run(tmp_path, [account, _pod("anon", basic_registry.ref("app:1.25.0"))])
    found = _diagnostics(capsys)
    assert code == 1
    assert [(d["code"], d["severity"]) for d in found] == [("PL201", "error")]
    assert "the registry confirmed it" in found[0]["message"]
