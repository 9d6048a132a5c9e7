"""Screenshots of the main pages at phone and desktop widths, for docs/screenshots/ and the README.

Made only when asked: `COMMUNITY_SCREENSHOTS=1 make test PYTEST_ARGS=tests/browser/test_screenshots.py`
(COMMUNITY_SCREENSHOTS may also name another folder). Dates in the demo are relative to when it was
loaded, so pages look the same from one run to the next.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, PHONE, REPO, Contexts, LiveServer, flag_once

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
