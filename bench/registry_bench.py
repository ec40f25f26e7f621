"""Benchmark of the registry resolver against real loopback registries behind a 50 ms round trip.

    .venv/bin/python bench/registry_bench.py [--images 200] [--skopeo-images N] [--delay-ms 25]
                                             [--hang-images 1000] [--hang-timeout 2]

What it does (a script, not a test; prints figures from one run):
1. starts Debian's docker-registry twice: open, and with token auth (ES256 token server);
2. pushes ``--images`` unique images (5 tags per repository) to each, directly;
3. puts each registry, and the token server, behind a TCP proxy that delays every chunk by
   ``--delay-ms`` each way: a 50 ms round trip by default (proxies and token server run in a child
   process, this file with ``--network``, so they never compete with the measured resolver);
4. times a cold ``resolve()`` (empty cache) and a warm one (same cache) for all images, per variant, and
   counts requests at the registry's access log and at the token server; then once more with a
   platform to check (what PL404 asks: a manifest GET, plus the config blob of single-platform images);
5. times ``skopeo inspect --tls-verify=false docker://127.0.0.1:PORT/repo:tag`` for the same images one
   after another through the same proxy, and prints pulllint's speed-up.

6. times 1,000 images on a host that hangs (accepts connections, never answers), once with /v2/ hanging
   and once with /v2/ answering and every manifest request hanging, with ``--hang-timeout`` as the
   registry timeout.

Targets: cold run <= 1.5 s for 200 images, also with PL404 on (a platform to check); at most one
manifest request per image plus one token per repository; warm run: no request at all, and the warm CLI
within 10% of ``--offline``; 1,000 images on a hanging host <= 2x the registry timeout; >= 20x faster
than skopeo one after another.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from pulllint.images import parse_image  # noqa: E402
from pulllint.model.credentials import RegistryCredential  # noqa: E402
from pulllint.model.facts import ImageQuery, Platform, Status  # noqa: E402
from pulllint.registry import RegistrySettings, resolve  # noqa: E402
from tests.registry._support import (  # noqa: E402
    TOKEN_ISSUER,
    TOKEN_SERVICE,
    Pusher,
    RegistryProcess,
    TokenServer,
    free_port,
    registry_available,
    start_registry,
)

TAGS_PER_REPOSITORY = 5
USER, PASSWORD = "bench", "bench-password"
PUSHER = "pusher"
_REQUEST_RE = re.compile(r'"(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP/[\d.]+"')


# -- the delaying proxy (runs in a child process so it never competes with the resolver for the GIL) ------


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def pump_in() -> None:
        while True:
            try:
                data = await reader.read(65536)
            except ConnectionError:
                data = b""
            await queue.put((loop.time() + delay, data))
            if not data:
                return

    async def pump_out() -> None:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                try:
                    if writer.can_write_eof():
                        writer.write_eof()
                except OSError:
                    pass
                return
            try:
                writer.write(data)
                await writer.drain()
            except ConnectionError:
                return

    await asyncio.gather(pump_in(), pump_out())


async def _serve_proxies(pairs: list[tuple[int, int]], delay: float) -> None:
    async def serve(listen_port: int, upstream_port: int) -> asyncio.Server:
        async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
            try:
                up_r, up_w = await asyncio.open_connection("127.0.0.1", upstream_port)
            except OSError:
                client_w.close()
                return
            try:
                await asyncio.gather(_pipe(client_r, up_w, delay), _pipe(up_r, client_w, delay))
            except Exception:  # a connection torn down mid-way: nothing to report
                pass
            finally:
                for w in (up_w, client_w):
                    w.close()

        return await asyncio.start_server(handle, "127.0.0.1", listen_port)

    servers = []
    for listen_port, upstream_port in pairs:
        servers.append(await serve(listen_port, upstream_port))
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def _bench_grant(user: str | None, repository: str) -> set[str]:
    if user == PUSHER:
        return {"pull", "push"}
    return {"pull"} if user == USER else set()


def network_main(specs: list[str], delay_ms: float, token_cert: str) -> None:
    """The child process: the token server and the delaying proxies (upstream ``token``: the token
    server). Kept out of the measured process so that neither competes with the resolver for the GIL."""
    import signal

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    token_server = TokenServer(users={USER: PASSWORD, PUSHER: PUSHER}, grant=_bench_grant).start()
    Path(token_cert).write_bytes(token_server.signing.cert_pem)
    pairs = []
    for spec in specs:
        listen, upstream = spec.split("=")
        pairs.append((int(listen), token_server.port if upstream == "token" else int(upstream)))
    print(f"token-server {token_server.port}", flush=True)
    asyncio.run(_serve_proxies(pairs, delay_ms / 1000))


class Network:
    """The child process running the token server and the proxies."""

    def __init__(self, pairs: list[tuple[int, int | str]], delay_ms: float, token_cert: Path) -> None:
        specs = [f"{a}={b}" for a, b in pairs]
        self.process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--network",
                *specs,
                "--delay-ms",
                str(delay_ms),
                "--token-cert",
                str(token_cert),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().split()
        if len(first) != 2 or first[0] != "token-server":
            raise RuntimeError("the network process did not start")
        self.token_port = int(first[1])
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the proxies did not start")

    def token_requests(self) -> int:
        reply = httpx.get(f"http://127.0.0.1:{self.token_port}/stats", trust_env=False)
        count: int = reply.json()["requests"]
        return count

    def push_token(self, repository: str) -> str:
        reply = httpx.get(
            f"http://127.0.0.1:{self.token_port}/token",
            params={"service": TOKEN_SERVICE, "scope": f"repository:{repository}:pull,push"},
            auth=(PUSHER, PUSHER),
            trust_env=False,
        )
        token: str = reply.json()["token"]
        return token

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(5)


# -- counting ----------------------------------------------------------------------------------------------


def requests_since(registry: RegistryProcess, seen: int) -> tuple[Counter[str], int]:
    lines = registry.access_log_lines()
    kinds: Counter[str] = Counter()
    for line in lines[seen:]:
        match = _REQUEST_RE.search(line)
        if not match:
            continue
        method, path = match.groups()
        if path.rstrip("/") == "/v2":
            kinds["ping"] += 1
        elif "/manifests/" in path:
            kinds[f"{method} manifest"] += 1
        elif "/tags/list" in path:
            kinds["tags"] += 1
        else:
            kinds[f"{method} other"] += 1
    return kinds, len(lines)


def fmt(kinds: Counter[str]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())) or "none"


# -- the benchmark -----------------------------------------------------------------------------------------


def push_images(pusher: Pusher, prefix: str, count: int) -> list[str]:
    refs: list[str] = []
    for i in range(count):
        repository = f"{prefix}repo{i // TAGS_PER_REPOSITORY:03d}"
        tag = f"1.{i % TAGS_PER_REPOSITORY}.0"
        pusher.image(repository, tag, salt=f"{i}")
        refs.append(f"{repository}:{tag}")
    return refs


def timed_resolve(
    queries: list[ImageQuery], settings: RegistrySettings
) -> tuple[float, dict[ImageQuery, Status]]:
    started = time.perf_counter()
    result = resolve(queries, settings)
    elapsed = time.perf_counter() - started
    return elapsed, {q: f.status for q, f in result.items()}


def run_variant(
    name: str,
    registry: RegistryProcess,
    proxy_host: str,
    refs: list[str],
    workdir: Path,
    credentials: tuple[RegistryCredential, ...] = (),
    network: Network | None = None,
    compare_per_host: int | None = None,
    platform: Platform | None = None,
) -> float:
    queries = [ImageQuery(parse_image(f"{proxy_host}/{ref}"), credentials, platform) for ref in refs]
    settings = RegistrySettings(cache_dir=str(workdir / f"cache-{name}"), use_docker_config=False)
    repositories = len({ref.split(":")[0] for ref in refs})
    _, seen = requests_since(registry, 0)
    tokens_before = network.token_requests() if network else 0

    cold, statuses = timed_resolve(queries, settings)
    kinds, seen = requests_since(registry, seen)
    tokens = (network.token_requests() - tokens_before) if network else 0
    found = sum(1 for s in statuses.values() if s is Status.FOUND)
    manifests = kinds["HEAD manifest"] + kinds["GET manifest"]
    shown_platform = f", platform {platform} checked" if platform else ""
    print(f"[{name}] {len(queries)} images in {repositories} repositories{shown_platform}")
    verdict = "  target <= 1.5 s: " + ("ok" if cold <= 1.5 else "MISSED")
    print(f"  cold run: {cold:.3f} s  ({found}/{len(queries)} found){verdict}")
    print(f"  registry requests: {sum(kinds.values())} ({fmt(kinds)}); token requests: {tokens}")
    budget_ok = manifests <= len(queries) and tokens <= repositories
    if platform is not None:
        print(f"  config blobs read (single-platform images): {kinds['GET other']}")
    print(
        f"  manifest requests per image: {manifests / len(queries):.2f}; tokens per repository: "
        f"{tokens / repositories:.2f}  target <= 1 and <= 1: {'ok' if budget_ok else 'MISSED'}"
    )
    tokens_before = network.token_requests() if network else 0
    warm, _ = timed_resolve(queries, settings)
    kinds, seen = requests_since(registry, seen)
    tokens = (network.token_requests() - tokens_before) if network else 0
    warm_total = sum(kinds.values()) + tokens
    verdict = "ok" if warm_total == 0 else "MISSED"
    print(f"  warm run: {warm * 1000:.1f} ms, requests: {warm_total}  target 0: {verdict}")
    if compare_per_host is not None:
        slower = settings._replace(cache_dir=str(workdir / f"cache-{name}-{compare_per_host}"))
        slower = slower._replace(per_host_concurrency=compare_per_host)
        elapsed, _ = timed_resolve(queries, slower)
        print(f"  for comparison, cold with per_host_concurrency={compare_per_host}: {elapsed:.3f} s")
    return cold


def _cli_once(arguments: list[str]) -> float:
    # Bytecode is written (the first runs compile every module once), as on a user's machine: with
    # PYTHONDONTWRITEBYTECODE, whichever side imports more source would pay for compiling it each run.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pulllint", "check", *arguments],
        stdout=subprocess.DEVNULL,
        check=False,
        env=env,
    )
    return time.perf_counter() - started


def _cli_seconds(arguments: list[str], runs: int) -> float:
    """Median wall time of `python -m pulllint check ...`, each run in a fresh process."""
    return statistics.median(_cli_once(arguments) for _ in range(runs))


def run_cli_warm(registry: RegistryProcess, proxy_host: str, refs: list[str], workdir: Path) -> None:
    """The whole CLI: a warm run (every answer cached) against `--offline` on the same manifests."""
    manifest = workdir / "cli-manifests.yaml"
    manifest.write_text(
        "".join(
            f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\nspec:\n"
            f"  containers:\n    - name: c\n      image: {proxy_host}/{ref}\n"
            for i, ref in enumerate(refs)
        ),
        encoding="utf-8",
    )
    cache = ["--cache-dir", str(workdir / "cli-cache"), "--no-docker-config", str(manifest)]
    _cli_seconds(cache, 1)  # cold: fills the cache
    _cli_seconds(["--offline", str(manifest)], 1)  # both with warm bytecode and page cache
    _, seen = requests_since(registry, 0)
    # Interleaved, so that a change in the machine's load hits both alike.
    warm_times, offline_times = [], []
    for _ in range(9):
        warm_times.append(_cli_once(cache))
        offline_times.append(_cli_once(["--offline", str(manifest)]))
    warm, offline = statistics.median(warm_times), statistics.median(offline_times)
    kinds, _ = requests_since(registry, seen)
    ratio = warm / offline
    verdict = "ok" if ratio <= 1.10 and not kinds else "MISSED"
    print(
        f"[cli] {len(refs)} pods: pulllint check warm {warm * 1000:.0f} ms, --offline {offline * 1000:.0f} ms"
    )
    print(
        f"  warm/offline: {ratio:.2f}x, requests during warm runs: {sum(kinds.values())}"
        f" (target <= 1.10x and 0: {verdict})"
    )


def run_hanging_host(count: int, timeout: float, workdir: Path) -> None:
    """``count`` images on a host that hangs: the circuit breaker must end them in about one timeout."""
    from tests.registry._faults import Connection, FaultServer, Request, registry_ping

    def hang_all(request: Request, conn: Connection) -> None:
        conn.hang()

    def hang_manifests(request: Request, conn: Connection) -> None:
        if not registry_ping(request, conn):
            conn.hang()

    for name, behaviour, hang_tls in (
        ("host hangs", hang_all, True),
        ("/v2/ answers, manifests hang", hang_manifests, False),
    ):
        server = FaultServer(behaviour, hang_tls=hang_tls)
        try:
            queries = [ImageQuery(parse_image(f"{server.host}/team/app{i}:1.0")) for i in range(count)]
            settings = RegistrySettings(
                cache_dir=str(workdir / f"cache-hang-{hang_tls}"),
                use_docker_config=False,
                timeout_seconds=timeout,
            )
            elapsed, statuses = timed_resolve(queries, settings)
        finally:
            server.stop()
        unreachable = sum(1 for s in statuses.values() if s is Status.UNREACHABLE)
        verdict = "ok" if elapsed <= 2 * timeout and unreachable == count else "MISSED"
        print(
            f"[hanging host: {name}] {count} images, registry-timeout {timeout:g} s: {elapsed:.2f} s "
            f"({elapsed / timeout:.2f}x the timeout), {unreachable} could not verify, "
            f"{server.connections} connections  target <= 2x: {verdict}"
        )


def run_skopeo(proxy_host: str, refs: list[str]) -> float | None:
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        print("[skopeo] not installed: speed-up not measured")
        return None
    started = time.perf_counter()
    failures = 0
    for ref in refs:
        done = subprocess.run(
            [skopeo, "inspect", "--tls-verify=false", f"docker://{proxy_host}/{ref}"],
            capture_output=True,
        )
        failures += done.returncode != 0
    elapsed = time.perf_counter() - started
    print(
        f"[skopeo] inspect one after another: {len(refs)} images in {elapsed:.2f} s "
        f"({elapsed / len(refs) * 1000:.0f} ms per image, {failures} failures)"
    )
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--skopeo-images", type=int, default=None, help="default: all images")
    parser.add_argument("--delay-ms", type=float, default=25.0, help="delay per chunk, each way")
    parser.add_argument("--hang-images", type=int, default=1000, help="images on the hanging host")
    parser.add_argument(
        "--hang-timeout", type=float, default=2.0, help="registry timeout for the hanging host (seconds)"
    )
    parser.add_argument("--network", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--token-cert", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.network:
        network_main(args.network, args.delay_ms, args.token_cert)
        return 0
    if not registry_available():
        print("docker-registry is not installed (apt-get install docker-registry)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="pulllint-bench-") as tmp:
        workdir = Path(tmp)
        open_port, token_reg_port = free_port(), free_port()
        open_proxy_port, token_proxy_port, token_srv_proxy_port = free_port(), free_port(), free_port()
        token_cert = workdir / "token-root.pem"
        network = Network(
            [
                (open_proxy_port, open_port),
                (token_proxy_port, token_reg_port),
                (token_srv_proxy_port, "token"),
            ],
            args.delay_ms,
            token_cert,
        )
        registries: list[RegistryProcess] = []
        try:
            open_registry = start_registry(workdir / "open", access_log=True, port=open_port)
            registries.append(open_registry)
            token_auth: dict[str, object] = {
                "token": {
                    "realm": f"http://127.0.0.1:{token_srv_proxy_port}/token",
                    "service": TOKEN_SERVICE,
                    "issuer": TOKEN_ISSUER,
                    "rootcertbundle": str(token_cert),
                }
            }
            token_registry = start_registry(
                workdir / "token", auth=token_auth, access_log=True, port=token_reg_port
            )
            registries.append(token_registry)

            started = time.perf_counter()
            pusher = Pusher(open_registry.url)
            refs = push_images(pusher, "", args.images)
            pusher.close()
            pusher = Pusher(token_registry.url, token_for=network.push_token)
            token_refs = push_images(pusher, "private/", args.images)
            pusher.close()
            print(f"pushed {2 * args.images} images in {time.perf_counter() - started:.1f} s")
            print(f"proxies: every request pays a {2 * args.delay_ms:.0f} ms round trip\n")

            cold = run_variant(
                "open registry",
                open_registry,
                f"127.0.0.1:{open_proxy_port}",
                refs,
                workdir,
                compare_per_host=8,
            )
            credential = RegistryCredential("secret bench/regcred", "127.0.0.1", USER, PASSWORD)
            run_variant(
                "token registry",
                token_registry,
                f"127.0.0.1:{token_proxy_port}",
                token_refs,
                workdir,
                (credential,),
                network,
            )
            run_variant(
                "open registry",
                open_registry,
                f"127.0.0.1:{open_proxy_port}",
                refs,
                workdir / "with-platform",
                platform=Platform("linux", "amd64"),
            )
            run_cli_warm(open_registry, f"127.0.0.1:{open_proxy_port}", refs, workdir)
            run_hanging_host(args.hang_images, args.hang_timeout, workdir)
            print()
            subset = refs[: args.skopeo_images] if args.skopeo_images else refs
            skopeo = run_skopeo(f"127.0.0.1:{open_proxy_port}", subset)
            if skopeo is not None:
                ratio = (skopeo / len(subset)) / (cold / len(refs))
                verdict = "ok" if ratio >= 20 else "MISSED"
                print(
                    f"speed-up of pulllint (cold) over skopeo one after another: {ratio:.0f}x "
                    f"(target >= 20x: {verdict})"
                )
        finally:
            network.stop()
            for registry in registries:
                registry.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
