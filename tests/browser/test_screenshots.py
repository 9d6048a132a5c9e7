"""Screenshots of the main pages at phone and desktop widths, for docs/screenshots/ and the README.

Made only when asked: `COMMUNITY_SCREENSHOTS=1 make test PYTEST_ARGS=tests/browser/test_screenshots.py`
(COMMUNITY_SCREENSHOTS may also name another folder). Dates in the demo are relative to when it was
loaded, so pages look the same from one run to the next.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import DEMO_PASSWORD, DESKTOP, PEOPLE, PHONE, REPO, Contexts, LiveServer
from tests.conftest import CSRF_RE

TARGET = os.environ.get("COMMUNITY_SCREENSHOTS", "")

SHOTS: list[tuple[str, str, str | None]] = [
    ("latest", "/", "partner"),
    ("thread", "/t/2", "partner"),
    ("ask", "/ask", "partner"),
    ("search", "/search?q=router+bgp", "partner"),
    ("knowledge-base", "/kb", "partner"),
    ("article", "/kb/1", "partner"),
    ("review-queue", "/moderation/queue", "moderator"),
    ("audit-log", "/moderation/audit", "moderator"),
    ("admin", "/admin", "admin"),
    ("not-found", "/t/999999", "partner"),
    ("sign-in", "/login", None),
]


@pytest.mark.skipif(not TARGET, reason="screenshots are made only with COMMUNITY_SCREENSHOTS=1")
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots(
    contexts: Contexts, live_server: LiveServer, viewport: dict[str, int], scheme: str
) -> None:
    flag_once(live_server)
    folder = REPO / "docs" / "screenshots" if TARGET == "1" else Path(TARGET)
    folder.mkdir(parents=True, exist_ok=True)
    pages = {}
    for name, path, who in SHOTS:
        if scheme == "dark" and name not in {"thread", "latest"}:
            continue
        if who not in pages:
            pages[who] = contexts.new(who, viewport=viewport, color_scheme=scheme)
        page = pages[who]
        page.goto(path)
        suffix = "" if scheme == "light" else "-dark"
        page.screenshot(path=folder / f"{name}{suffix}-{viewport['width']}.png")  # the first screen


def flag_once(server: LiveServer) -> None:
    """Something waiting in the review queue, so its picture shows a queue (post 10: an answer)."""
    if server.states.get("flagged"):
        return
    server.states["flagged"] = True
    with httpx.Client(base_url=server.url) as client:
        token = CSRF_RE.search(client.get("/login").text)
        assert token
        login = {"email": PEOPLE["silver"], "password": DEMO_PASSWORD, "csrf_token": token[1], "next": "/"}
        client.post("/login", data=login)
        form = CSRF_RE.search(client.get("/posts/10/flag").text)
        assert form
        note = {"reason": "off_topic", "note": "Belongs in its own thread", "csrf_token": form[1]}
        client.post("/posts/10/flag", data=note)
