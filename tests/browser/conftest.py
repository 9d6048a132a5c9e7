"""Browser tests: Debian's `chromium` driven by Playwright for Python, against a real uvicorn server.

Playwright launches the system browser through `executable_path`; `playwright install` downloads
browser builds of its own and cannot work on this machine (.ci/install-browser installs the
`chromium` package). axe-core comes from the npm registry into a cache directory, once.

One server and one browser serve the whole browser suite (starting them is most of its cost). The
server holds the demo content (`community demo`), so pages look like the product people see, and
journeys add their own uniquely named content on top. The tests skip, saying why, only where no
browser can be had; everything else that goes wrong fails.

The suite runs on SQLite only: it tests what people see, and the database layer is covered by the
rest of the suite on both databases (.ci/run leaves tests/browser out of the PostgreSQL pass).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CSRF_RE

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
except ImportError:  # pragma: no cover - the test extras bring it
    sync_playwright = None  # type: ignore[assignment]

REPO = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "demo-password-1"
AXE_VERSION = "4.14.1"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}

# The demo's people (community/demo/content.toml), by what they are in the journeys.
PEOPLE = {
    "admin": "admin@northwind.example",
    "moderator": "moderator@northwind.example",
    "expert": "expert@northwind.example",
    "org_admin": "hannah.becker@bluewave.example",
    "partner": "lukas.weber@bluewave.example",
    "silver": "chloe.martin@harbourline.example",
    "registered": "sofia.rossi@pinecrest.example",
}


def chromium_path() -> str | None:
    """The system browser: COMMUNITY_TEST_CHROMIUM, or Debian's `chromium` on the PATH."""
    for name in (os.environ.get("COMMUNITY_TEST_CHROMIUM"), "chromium", "chromium-browser"):
        if name and (path := shutil.which(name)):
            return path
    return None


def _why_no_browser() -> str | None:
    if sync_playwright is None:
        return "playwright is not installed (it is in the test extras: pip install -e '.[test]')"
    if chromium_path() is None:
        return "no chromium on this machine (run .ci/install-browser, or apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _why_no_browser()
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A uvicorn server with the demo content, and the signed-in browser states made so far."""

    url: str
    env: dict[str, str]
    states: dict[str, Any] = field(default_factory=dict)

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "community.cli", *args],
            env=self.env, cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if _why_no_browser():
        pytest.skip(_why_no_browser() or "")
    root = tmp_path_factory.mktemp("browser-server")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "COMMUNITY_DATA_DIR": str(root / "data"),
        "COMMUNITY_DATABASE_URL": f"sqlite://{root / 'community.sqlite3'}",
        "COMMUNITY_BASE_URL": url,
        "COMMUNITY_SECRET_KEY": "browser-tests-secret-key-not-for-production",
        # The journeys post several times a minute from one address.
        "COMMUNITY_POSTS_PER_MINUTE": "0",
        "COMMUNITY_POSTS_PER_DAY": "0",
        "COMMUNITY_POSTS_PER_IP_MINUTE": "0",
        "COMMUNITY_NEW_ACCOUNT_HELD_POSTS": "0",
        "COMMUNITY_NEW_ACCOUNT_DAYS": "0",
    }
    env.pop("COMMUNITY_REDIS_URL", None)
    server = LiveServer(url=url, env=env)
    server.cli("migrate")
    server.cli("demo")
    log = open(root / "server.log", "wb")  # noqa: SIM115 (open for the server's whole life)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "community.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    else:
        proc.kill()
        log.close()
        raise AssertionError((root / "server.log").read_text())
    try:
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Package scope: Playwright's sync API leaves its event loop marked running in this thread
    while it is open, which would break every asyncio test collected after this package."""
    if _why_no_browser():
        pytest.skip(_why_no_browser() or "")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield browser
        browser.close()


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Through the real form, with the mouse."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


class Contexts:
    """Browser contexts for a test, each signed in as someone (a sign-in per person per session)."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.browser = browser
        self.server = server
        self.opened: list[BrowserContext] = []

    def new(self, who: str | None = None, *, viewport: dict[str, int] | None = None, **kw: Any) -> Page:
        state = None
        if who is not None:
            state = self.server.states.get(who)
            if state is None:
                context = self._open(viewport=viewport)
                sign_in(context.pages[0] if context.pages else context.new_page(), PEOPLE[who])
                state = self.server.states[who] = context.storage_state()
                context.close()
                self.opened.remove(context)
        context = self._open(viewport=viewport, storage_state=state, **kw)
        return context.new_page()

    def _open(self, *, viewport: dict[str, int] | None, **kw: Any) -> BrowserContext:
        context = self.browser.new_context(base_url=self.server.url, viewport=viewport or DESKTOP, **kw)
        context.set_default_timeout(10_000)
        self.opened.append(context)
        return context

    def close(self) -> None:
        for context in self.opened:
            context.close()
        self.opened.clear()


@pytest.fixture
def contexts(browser: Browser, live_server: LiveServer) -> Iterator[Contexts]:
    made = Contexts(browser, live_server)
    try:
        yield made
    finally:
        made.close()


def axe_source() -> str | None:
    """axe-core's script, installed from the npm registry into a cache directory on first use."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "partner-community" / "axe"
    script = cache / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            return None
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--silent",
             f"axe-core@{AXE_VERSION}"],
            capture_output=True, timeout=180, check=False,
        )  # fmt: skip
    return script.read_text() if script.exists() else None


def flag_once(server: LiveServer) -> None:
    """Something waiting in the review queue (post 10: an answer), for the screenshots and the phone
    layout of a review item. Flagged by the organisation admin, whom no journey silences."""
    if server.states.get("flagged"):
        return
    server.states["flagged"] = True
    with httpx.Client(base_url=server.url) as client:
        token = CSRF_RE.search(client.get("/login").text)
        assert token
        login = {"email": PEOPLE["org_admin"], "password": DEMO_PASSWORD, "csrf_token": token[1], "next": "/"}
        client.post("/login", data=login)
        form = CSRF_RE.search(client.get("/posts/10/flag").text)
        assert form
        note = {"reason": "off_topic", "note": "Belongs in its own thread", "csrf_token": form[1]}
        sent = client.post("/posts/10/flag", data=note)
        assert sent.status_code == 303, sent.text


WATCH_JS = """([selector, text]) => {
  window.__seenAt = null;
  const look = () => {
    if (window.__seenAt !== null) return;
    const found = [...document.querySelectorAll(selector)].some(el => el.innerText.includes(text));
    if (found) window.__seenAt = Date.now();
  };
  new MutationObserver(look).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


class LiveDelay:
    """How long after the server answered the sender's form an element with a text showed up on
    another person's page: the live update's own delay, without the sender's redirect and page load
    in it. Both clocks are this machine's (the browser's Date.now() and time.time())."""

    def __init__(self, watcher: Page, selector: str, text: str, sender: Page, path_part: str) -> None:
        self.watcher = watcher
        self.answered_at: float | None = None
        watcher.evaluate(WATCH_JS, [selector, text])

        def on_response(response: Any) -> None:
            if response.request.method == "POST" and path_part in response.url and self.answered_at is None:
                self.answered_at = time.time() * 1000

        sender.on("response", on_response)

    def ms(self) -> float:
        seen = self.watcher.evaluate("() => window.__seenAt")
        assert seen is not None and self.answered_at is not None, (seen, self.answered_at)
        return float(seen) - self.answered_at
