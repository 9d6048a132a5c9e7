"""static/js/live.js in a real browser (headless Chromium over the DevTools protocol): a thread page
shows a new answer and the bell counts it without a reload, and after the server restarts the page
reconnects by itself and catches up. Skipped where Chromium is not installed."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from community.forum import threads
from tests.realtime.conftest import answer, free_port, launch, token_for, wait_ready
from tests.realtime.test_authorisation import _session_cookie

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed"), pytest.mark.slow]


class Page:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self.ids)
        await self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") == ident:
                assert "error" not in message, message
                return message.get("result", {})

    async def js(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def until(self, expression: str, within: float = 10) -> Any:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            value = await self.js(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"never true in the browser: {expression}")


@contextlib.asynccontextmanager
async def browser(tmp: Path) -> AsyncIterator[Page]:
    assert CHROMIUM
    port = free_port()
    proc = subprocess.Popen(  # noqa: ASYNC220 (started once; nothing else runs on this loop yet)
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--remote-debugging-port={port}", f"--user-data-dir={tmp / 'chromium'}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                async with httpx.AsyncClient() as http:
                    targets = (await http.get(f"http://127.0.0.1:{port}/json/list", timeout=1)).json()
                page = next(t for t in targets if t["type"] == "page")
                break
            except (httpx.TransportError, StopIteration, ValueError):
                assert time.monotonic() < deadline, "Chromium did not start"
                await asyncio.sleep(0.2)
        async with connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
            yield Page(ws)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def test_thread_page_updates_live_and_reconnects(world, tmp_path):
    port = free_port()
    server = wait_ready(launch(world, tmp_path / "one", port=port))
    try:
        thread = await threads.create_thread(
            world.actor(world.partner), category="general", kind="question",
            title="Can I see answers arrive without reloading?", body="Watching this page.",
        )  # fmt: skip
        cookie = await _session_cookie(server.base, world.partner)
        name, _, value = cookie.partition("=")
        expert = await token_for(world.expert)
        async with browser(tmp_path) as page:
            await page.call("Network.enable")
            await page.call("Network.setCookie", name=name, value=value, url=server.base)
            await page.call("Page.navigate", url=f"{server.base}/t/{thread.id}")
            await page.until("document.documentElement.getAttribute('data-live') === 'live'")
            bell_before = int(await page.js("document.getElementById('bell').dataset.unread"))

            first = await answer(server, expert, thread.id, "Arrives **live**.")
            await page.until(f"!!document.querySelector('#p{first['id']} strong')")
            assert await page.js("document.getElementById('replies-heading').textContent") == "1 answer"
            # The asker is told about the answer: the bell counts it, without a reload.
            await page.until(f"Number(document.getElementById('bell').dataset.unread) > {bell_before}")

            # The server goes away and comes back: the page reconnects and catches up.
            server.stop()
            await page.until("document.documentElement.getAttribute('data-live') === 'offline'")
            server = wait_ready(launch(world, tmp_path / "two", port=port))
            second = await answer(server, expert, thread.id, "Posted while the page was reconnecting.")
            await page.until(f"!!document.getElementById('p{second['id']}')", within=20)
            await page.until("document.documentElement.getAttribute('data-live') === 'live'")
            assert await page.js("document.querySelectorAll('article.post').length") == 3
    finally:
        server.stop()
