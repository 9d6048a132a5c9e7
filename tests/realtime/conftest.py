"""Live delivery under a real uvicorn server (websockets-sansio, no compression, as in production)
and a real websocket client. The server shares the test's database; content is made through its
HTTP API (so its events happen in the server) with personal API tokens."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from community.accounts import tokens
from community.models import User
from tests.conftest import World
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def ws_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/ws"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def launch(
    world: World, tmp: Path, env: dict[str, str] | None = None, workers: int = 1, port: int | None = None
) -> Server:
    port = port or free_port()
    tmp.mkdir(parents=True, exist_ok=True)
    log = tmp / f"server-{port}.log"
    full_env = {
        **os.environ,
        "COMMUNITY_DATA_DIR": str(tmp / "data"),
        "COMMUNITY_DATABASE_URL": world.settings.database_url,
        "COMMUNITY_SECRET_KEY": world.settings.secret_key,
        "COMMUNITY_BASE_URL": f"http://127.0.0.1:{port}",
        "COMMUNITY_LOG_LEVEL": "warning",
        # As in every test: no posting limits, no holding new accounts' posts.
        "COMMUNITY_NEW_ACCOUNT_HELD_POSTS": "0",
        "COMMUNITY_NEW_ACCOUNT_DAYS": "0",
        "COMMUNITY_POSTS_PER_MINUTE": "0",
        "COMMUNITY_POSTS_PER_DAY": "0",
        "COMMUNITY_POSTS_PER_IP_MINUTE": "0",
        **(env or {}),
    }
    if "COMMUNITY_REDIS_URL" not in (env or {}):
        full_env.pop("COMMUNITY_REDIS_URL", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "community.app:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--ws", "websockets-sansio",
             "--ws-per-message-deflate", "false", "--workers", str(workers)],
            env=full_env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
    return Server(f"http://127.0.0.1:{port}", proc, log)


def start_server(world: World, tmp: Path, env: dict[str, str] | None = None, workers: int = 1) -> Server:
    return wait_ready(launch(world, tmp, env, workers))


def wait_ready(server: Server) -> Server:
    proc = server.proc
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(server.output())
        try:
            if httpx.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.stop()
    raise AssertionError("server did not start:\n" + server.output())


@pytest.fixture
def server(world: World, tmp_path: Path) -> Iterator[Server]:
    srv = start_server(world, tmp_path / "srv")
    try:
        yield srv
    finally:
        srv.stop()
        print(srv.output()[-5000:])  # shown when the test fails


async def token_for(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {await tokens.create_api_token(user)}"}


@dataclass
class Live:
    """A websocket client that keeps every message it received."""

    ws: ClientConnection
    received: list[dict[str, Any]] = field(default_factory=list)
    welcome: dict[str, Any] = field(default_factory=dict)

    async def next(
        self, within: float = 5.0, where: Callable[[dict[str, Any]], bool] | None = None, **match: Any
    ) -> dict[str, Any]:
        """The next message (matching every given field, and ``where`` if given) within ``within``
        seconds, skipping others."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no message like {match}; got {self.received[-5:]}")
            try:
                raw = await asyncio.wait_for(self.ws.recv(), left)
            except TimeoutError:
                raise AssertionError(f"no message like {match}; got {self.received[-5:]}") from None
            message = json.loads(raw)
            self.received.append(message)
            if all(message.get(k) == v for k, v in match.items()) and (where is None or where(message)):
                return message

    async def quiet(self, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Everything that arrives within ``seconds``."""
        got = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while True:
                    message = json.loads(await self.ws.recv())
                    self.received.append(message)
                    got.append(message)
        return got

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.received if m["type"] == "event" and (kind is None or m["kind"] == kind)]

    async def send(self, **message: Any) -> None:
        await self.ws.send(json.dumps(message))


@contextlib.asynccontextmanager
async def live(
    server: Server,
    headers: dict[str, str],
    *,
    streams: list[str] | None = None,
    after: int | None = None,
    hello: bool = True,
) -> AsyncIterator[Live]:
    async with connect(server.ws_url, additional_headers=headers, open_timeout=5, compression=None) as ws:
        client = Live(ws)
        if hello:
            await client.send(type="hello", after=after, streams=streams or [])
            # Generous: the machine running the suite may be busy.
            client.welcome = await client.next(within=15, type="welcome")
            await client.next(within=15, type="ready")
        yield client


async def api(server: Server, method: str, path: str, headers: dict[str, str], **kw: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as client:
        return await client.request(method, "/api/v1" + path, headers=headers, **kw)


async def ask(
    server: Server, headers: dict[str, str], category: str = "general", **kw: Any
) -> dict[str, Any]:
    body = {"category": category, "kind": "question", "title": "How do live updates reach me?",
            "body": "A question to watch.", **kw}  # fmt: skip
    response = await api(server, "POST", "/threads", headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def answer(server: Server, headers: dict[str, str], thread_id: int, body: str) -> dict[str, Any]:
    response = await api(server, "POST", f"/threads/{thread_id}/posts", headers, json={"body": body})
    assert response.status_code == 201, response.text
    return response.json()


def channel_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@dataclass
class InProcess:
    """uvicorn serving the app inside the test's own event loop (and its database connection),
    so a test can publish domain events itself."""

    base: str
    app: Any

    @property
    def ws_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/ws"


@contextlib.asynccontextmanager
async def in_process_server(world: World, **settings: Any) -> AsyncIterator[InProcess]:
    import uvicorn

    from community.app import create_app

    port = free_port()
    app = create_app(dataclasses.replace(world.settings, **settings), manage_db=False)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning",
        ws="websockets-sansio", ws_per_message_deflate=False, lifespan="on",
    )  # fmt: skip
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())

    def started() -> bool:
        if task.done():
            task.result()  # it failed to start: its error
        return bool(server.started)

    await eventually(started, what="the in-process server did not start")
    try:
        yield InProcess(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        await task
