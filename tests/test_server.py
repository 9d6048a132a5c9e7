"""The app under a real uvicorn server: Tortoise's connections must be visible to request tasks
(DESIGN.md trap: initialising inside the lifespan alone is not enough)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from community.db import apply_migrations, close_db
from tests.conftest import CSRF_RE, PG_URL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path, database_template: str):  # type: ignore[no-untyped-def]
    url = database_template if PG_URL else f"sqlite://{tmp_path / 'server.sqlite3'}"
    if not PG_URL:
        asyncio.run(_migrate(url))
    port = free_port()
    env = {
        **os.environ,
        "COMMUNITY_DATA_DIR": str(tmp_path / "data"),
        "COMMUNITY_DATABASE_URL": url,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "community.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code in (200, 503):
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise AssertionError(proc.stdout.read().decode() if proc.stdout else "server did not start")
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def _migrate(url: str) -> None:
    await apply_migrations(url)
    await close_db()


def test_real_server_answers_database_backed_requests(server: str) -> None:
    with httpx.Client(base_url=server) as client:
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["database"] == "ok"
        page = client.get("/login")
        token = CSRF_RE.search(page.text)
        assert token
        # A database-backed request through a request task: a wrong sign-in is a clear 400, not a 500.
        response = client.post(
            "/login", data={"email": "nobody@example.com", "password": "x" * 12, "csrf_token": token[1]}
        )
        assert response.status_code == 400
        assert "Wrong e-mail address or password" in response.text
