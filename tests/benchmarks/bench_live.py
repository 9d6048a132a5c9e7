"""Live delivery at 1,000 and 5,000 clients, beside a bare Starlette websocket broadcast (the ceiling).

    .venv/bin/python tests/benchmarks/bench_live.py [--clients 1000,5000] [--rounds 20]

For each N, one uvicorn worker (websockets-sansio, no compression, as ``community serve`` runs it)
and, in a separate process, N websocket clients watching one thread. Each round posts an answer
through the JSON API and times how long until the *last* client has it (publish-to-last-delivery;
every delivery's latency is kept too). Then the same N clients connect to a bare Starlette app that
sends one message of the same size to every socket in a loop, triggered by one HTTP request: the
ceiling for one Python worker on this machine. Memory: the server's resident size with N idle
clients connected minus before, per connection. Targets: p99 <= 250 ms at 5,000, within 2x of the
bare broadcast, <= 64 KiB per idle connection. The machine's load is printed beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import HOST, REPO, BenchError, clean_env, free_port, machine_busy

PASSWORD = "benchmark-password-1"


# --- the bare ceiling -----------------------------------------------------------------------------


def bare_app() -> Any:
    """Starlette alone: accept, keep every socket in a set, and send one text to each in a loop."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    sockets: set[WebSocket] = set()

    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        sockets.add(websocket)
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            sockets.discard(websocket)

    async def broadcast(request: Request) -> PlainTextResponse:
        text = (await request.body()).decode()
        for websocket in list(sockets):
            await websocket.send_text(text)
        return PlainTextResponse("ok")

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            WebSocketRoute("/ws", ws),
            Route("/broadcast", broadcast, methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )


# --- servers ----------------------------------------------------------------------------------------


def raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 65_536) if hard != resource.RLIM_INFINITY else 65_536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def start(factory: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", factory, "--factory", "--app-dir", str(Path(__file__).parent),
        "--host", HOST, "--port", str(port), "--log-level", "warning", "--no-access-log",
        "--ws", "websockets-sansio", "--ws-per-message-deflate", "false", "--backlog", "4096",
    ]  # fmt: skip
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(log.read_text()[-3000:])
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise BenchError("server did not start:\n" + log.read_text()[-3000:])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchError("no VmRSS")


async def prepare(data_dir: Path) -> tuple[str, int, str]:
    """A database with a thread to watch and an API token; returns (database url, thread id, token)."""
    from community.accounts import directory, people, tokens
    from community.db import apply_migrations, close_db
    from community.forum import threads
    from community.settings import Settings

    url = f"sqlite://{data_dir / 'bench.sqlite3'}"
    settings = Settings.from_env({"COMMUNITY_DATA_DIR": str(data_dir), "COMMUNITY_DATABASE_URL": url})
    await apply_migrations(url)
    org = await directory.create_organisation(settings, None, name="Bench Partners", tier="gold")
    user = await people.create_user(
        settings, email="bench@example.com", display_name="Bench", role="expert", organisation=None,
        password=PASSWORD,
    )  # fmt: skip
    partner = await people.create_user(
        settings, email="watcher@example.com", display_name="Watcher", role="partner", organisation=org,
        password=PASSWORD,
    )  # fmt: skip
    await directory.create_category(settings, None, name="General", slug="general")
    thread = await threads.create_thread(
        actor_of(partner, org), category="general", kind="question", title="Who is watching this thread?",
        body="Everyone, in this benchmark.",
    )  # fmt: skip
    token = await tokens.create_api_token(user)
    await close_db()
    return url, thread.id, token


def actor_of(user: Any, org: Any) -> Any:
    from community.actor import Actor

    user.organisation = org
    return Actor.from_user(user)


# --- the clients (a separate process) ---------------------------------------------------------------


class Client(asyncio.Protocol):
    """A minimal websocket client: handshake, one hello, then frame parsing only (no JSON), so the
    clients' own cost stays small beside the server's."""

    def __init__(
        self, key: str, hello: bytes | None, marker: bytes, arrivals: list[float], ready: asyncio.Future[None]
    ):
        self.key, self.hello, self.marker, self.arrivals, self.ready = key, hello, marker, arrivals, ready
        self.buf = b""
        self.upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send_frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode]) + (
            bytes([0x80 | n]) if n < 126 else bytes([0xFE]) + n.to_bytes(2, "big")
        )
        assert self.transport is not None
        self.transport.write(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 101 " not in self.buf[:end]:
                if not self.ready.done():
                    self.ready.set_exception(BenchError(self.buf[:200].decode(errors="replace")))
                return
            self.upgraded, self.buf = True, self.buf[end + 4 :]
            if self.hello is not None:
                self.send_frame(1, self.hello)
            elif not self.ready.done():
                self.ready.set_result(None)
        while len(self.buf) >= 2:
            opcode, n = self.buf[0] & 0x0F, self.buf[1] & 0x7F
            start = 2
            if n == 126:
                if len(self.buf) < 4:
                    return
                n, start = int.from_bytes(self.buf[2:4], "big"), 4
            elif n == 127:
                if len(self.buf) < 10:
                    return
                n, start = int.from_bytes(self.buf[2:10], "big"), 10
            if len(self.buf) < start + n:
                return
            payload, self.buf = self.buf[start : start + n], self.buf[start + n :]
            if opcode == 0x9:
                self.send_frame(0xA, payload)
            elif opcode == 0x1:
                if payload.startswith(self.marker):
                    self.arrivals.append(time.time())
                elif payload.startswith(b'{"type":"ready"') and not self.ready.done():
                    self.ready.set_result(None)


async def run_clients(args: argparse.Namespace) -> None:
    raise_open_files()
    loop = asyncio.get_running_loop()
    host, port = args.base.removeprefix("http://").split(":")
    hello = (
        json.dumps({"type": "hello", "streams": [f"thread:{args.thread}"]}).encode()
        if args.mode == "hub"
        else None
    )
    marker = b'{"type":"event"' if args.mode == "hub" else b'{"bare"'
    auth = f"Authorization: Bearer {args.token}\r\n" if args.token else ""
    arrivals: list[list[float]] = []
    clients: list[asyncio.Transport] = []

    async def one() -> None:
        mine: list[float] = []
        arrivals.append(mine)
        ready: asyncio.Future[None] = loop.create_future()
        key = base64.b64encode(os.urandom(16)).decode()
        transport, _ = await loop.create_connection(
            lambda: Client(key, hello, marker, mine, ready), host, int(port)
        )
        transport.write(
            f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{auth}\r\n".encode()
        )
        await asyncio.wait_for(ready, 60)
        clients.append(transport)  # type: ignore[arg-type]

    started = time.monotonic()
    for i in range(0, args.n, 100):
        await asyncio.gather(*(one() for _ in range(min(100, args.n - i))))
    print(
        json.dumps({"connected": len(clients), "seconds": round(time.monotonic() - started, 1)}), flush=True
    )
    await loop.run_in_executor(None, sys.stdin.readline)  # the parent measured memory

    rounds: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=args.base, timeout=30) as http:
        for r in range(args.rounds):
            before = sum(len(a) for a in arrivals)
            t0 = time.time()
            if args.mode == "hub":
                body = {"body": f"Round {r}: an answer for everyone."}
                response = await http.post(
                    f"/api/v1/threads/{args.thread}/posts",
                    json=body,
                    headers={"Authorization": f"Bearer {args.token}"},
                )
            else:
                response = await http.post(
                    "/broadcast", content=b'{"bare":' + json.dumps("x" * args.size).encode() + b"}"
                )
            if response.status_code not in (200, 201):
                raise BenchError(f"publish failed: {response.status_code} {response.text[:200]}")
            deadline = time.monotonic() + 30
            while sum(len(a) for a in arrivals) < before + args.n and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.005)
            latest = [a[-1] - t0 for a in arrivals if a]
            rounds.append(
                {
                    "last": max(latest),
                    "all": latest,
                    "missing": before + args.n - sum(len(a) for a in arrivals),
                }
            )
            await asyncio.sleep(0.3)
    print(json.dumps({"rounds": rounds}), flush=True)
    for t in clients:
        t.close()


# --- the parent --------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] * 1000


def measure(
    mode: str, n: int, rounds: int, base: str, pid: int, thread: int, token: str, size: int
) -> dict[str, Any]:
    idle_before = rss_kib(pid)
    cmd = [sys.executable, __file__, "--client", mode, "--n", str(n), "--rounds", str(rounds), "--base", base,
           "--thread", str(thread), "--token", token, "--size", str(size)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdin and proc.stdout
    connected = json.loads(proc.stdout.readline() or "{}")
    if connected.get("connected") != n:
        proc.kill()
        raise BenchError(f"{mode}: only {connected} clients connected")
    time.sleep(2)
    per_conn = (rss_kib(pid) - idle_before) / n
    proc.stdin.write("go\n")
    proc.stdin.flush()
    result = json.loads(proc.stdout.readline())
    proc.wait(60)
    all_latencies = [v for r in result["rounds"] for v in r["all"]]
    lasts = [r["last"] for r in result["rounds"]]
    return {
        "mode": mode, "n": n, "connect_s": connected["seconds"], "kib_per_conn": per_conn,
        "p50": pct(all_latencies, 0.50), "p99": pct(all_latencies, 0.99),
        "last_p50": pct(lasts, 0.50), "last_max": max(lasts) * 1000,
        "missing": sum(r["missing"] for r in result["rounds"]),
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1000,5000")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--client", choices=("hub", "bare"))
    parser.add_argument("--n", type=int)
    parser.add_argument("--base")
    parser.add_argument("--thread", type=int)
    parser.add_argument("--token")
    # The bare broadcast sends this many characters: about the size of the hub's message for a post.
    parser.add_argument("--size", type=int, default=1200)
    args = parser.parse_args()
    if args.client:
        args.mode = args.client
        asyncio.run(run_clients(args))
        return 0
    raise_open_files()
    busy = machine_busy(2.0)
    print(
        f"machine: {os.cpu_count()} CPUs, {busy:.0%} busy before the run"
        if busy is not None
        else "machine: ?"
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        url, thread, token = asyncio.run(prepare(data))
        env = clean_env(
            COMMUNITY_DATA_DIR=str(data), COMMUNITY_DATABASE_URL=url, COMMUNITY_LOG_LEVEL="warning",
            COMMUNITY_POSTS_PER_MINUTE="0", COMMUNITY_POSTS_PER_DAY="0", COMMUNITY_POSTS_PER_IP_MINUTE="0",
            COMMUNITY_NEW_ACCOUNT_HELD_POSTS="0",
            # The clients do not ping (the benchmark's own clients); uvicorn's pings are answered.
            COMMUNITY_LIVE_HEARTBEAT_SECONDS="3600",
        )  # fmt: skip
        for n in [int(x) for x in args.clients.split(",")]:
            proc, base = start("community.app:create_app", env, data / "hub.log")
            try:
                hub = measure("hub", n, args.rounds, base, proc.pid, thread, token, args.size)
            finally:
                proc.terminate()
                proc.wait(20)
            proc, base = start("bench_live:bare_app", env, data / "bare.log")
            try:
                bare = measure("bare", n, args.rounds, base, proc.pid, thread, token, args.size)
            finally:
                proc.terminate()
                proc.wait(20)
            results += [hub, bare]
            print(f"\nN = {n:,} clients, {args.rounds} posts (ms from publish to delivery)")
            print(f"{'':22}{'p50':>8}{'p99':>8}{'last p50':>10}{'last max':>10}{'KiB/conn':>10}{'lost':>6}")
            for r in (hub, bare):
                name = "community hub" if r["mode"] == "hub" else "bare Starlette"
                print(f"{name:22}{r['p50']:8.0f}{r['p99']:8.0f}{r['last_p50']:10.0f}{r['last_max']:10.0f}"
                      f"{r['kib_per_conn']:10.1f}{r['missing']:6d}")  # fmt: skip
            print(f"hub / bare p99: {hub['p99'] / max(bare['p99'], 1e-9):.2f}x")
    busy = machine_busy(2.0)
    print(f"\nmachine {busy:.0%} busy after the run" if busy is not None else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
