"""What people see beyond the journeys: dark mode following the system setting, relative times with
the exact time on hover, and error pages in the site's look with a way back."""

from __future__ import annotations

import asyncio
import os
import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from playwright.sync_api import Page, expect
from starlette.requests import Request

from community.edge.errors import plain_page
from tests.browser.conftest import DEMO_PASSWORD, PEOPLE, PHONE, Contexts, LiveServer
from tests.conftest import CSRF_RE

BACKGROUND_JS = """() => getComputedStyle(document.body).backgroundColor
  .match(/\\d+/g).slice(0, 3).map(Number).reduce((a, b) => a + b, 0) / 3"""


def brightness(page: Page) -> float:
    return float(page.evaluate(BACKGROUND_JS))


@pytest.mark.parametrize("path", ["/", "/t/2", "/login"])
def test_dark_mode_follows_the_system_setting(contexts: Contexts, path: str) -> None:
    light = contexts.new("partner", color_scheme="light")
    dark = contexts.new("partner", color_scheme="dark")
    light.goto(path)
    dark.goto(path)
    assert brightness(light) > 200, "the light page is not light"
    assert brightness(dark) < 60, "the page ignores prefers-color-scheme: dark"
    # Text stays readable: light text on the dark page.
    colour = dark.evaluate("() => getComputedStyle(document.querySelector('h1')).color")
    assert sum(map(int, re.findall(r"\d+", colour)[:3])) / 3 > 180, colour


def test_times_read_relative_with_the_exact_time_on_hover(contexts: Contexts) -> None:
    page = contexts.new("partner", timezone_id="Europe/Berlin", locale="en-GB")
    page.goto("/t/2")
    first = page.locator("article.post time").first
    expect(first).to_have_text(re.compile(r"(ago|just now)$"))
    # The exact time, in the reader's own time zone and language (the demo's times are real).
    title = first.get_attribute("title") or ""
    assert re.search(r"\d{4}", title) and re.search(r"\d{2}:\d{2}", title), title
    assert "UTC" not in title, f"the hover shows the server's time, not the reader's: {title}"


@pytest.mark.parametrize(
    ("who", "path", "status", "heading"),
    [("partner", "/t/999999", 404, "Not found"), ("partner", "/moderation/audit", 403, "Not allowed")],
)
def test_error_pages_wear_the_site_and_offer_a_way_back(
    contexts: Contexts, who: str, path: str, status: int, heading: str
) -> None:
    page = contexts.new(who, viewport=PHONE)
    response = page.goto(path)
    assert response and response.status == status
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator(".site-header")).to_be_visible()
    page.get_by_role("link", name="Back to the community").click()
    page.wait_for_url(re.compile(r"/$"))


SPAM_PREVIEWS_JS = """async (token) => {
  const body = new URLSearchParams({csrf_token: token, body: 'preview'});
  for (let i = 0; i < 130; i++) {
    const r = await fetch('/preview', {method: 'POST', body, headers: {Accept: 'application/json'}});
    if (r.status === 429) return i;
  }
  return -1;
}"""
POST_FORM_JS = """(token) => {
  const form = document.createElement('form');
  form.method = 'post'; form.action = '/preview';
  for (const [name, value] of [['csrf_token', token], ['body', 'one more']]) {
    const input = document.createElement('input'); input.type = 'hidden';
    input.name = name; input.value = value; form.appendChild(input);
  }
  document.body.appendChild(form); form.submit();
}"""


def _looks_like_the_site(page: Page, status: int, heading: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator(".error-code")).to_have_text(str(status))
    # The site's stylesheet is on: its panel colour behind the header, its font, no sideways scroll.
    assert (
        page.evaluate("() => getComputedStyle(document.querySelector('.site-header')).borderBottomStyle")
        == "solid"
    )
    assert "serif" not in page.evaluate("() => getComputedStyle(document.body).fontFamily").replace(
        "sans-serif", ""
    )
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("link", name="Back to the community").click()
    page.wait_for_url(re.compile(r"/$"))


def test_too_many_requests_is_a_page_of_the_site(contexts: Contexts) -> None:
    """429: the editor's preview allows 120 a minute per person; a form sent past that gets the page."""
    page = contexts.new("admin", viewport=PHONE)
    page.goto("/t/3")
    token = page.locator("input[name=csrf_token]").first.input_value()
    assert page.evaluate(SPAM_PREVIEWS_JS, token) >= 100
    with page.expect_navigation() as sent:
        page.evaluate(POST_FORM_JS, token)
    response = sent.value
    assert response and response.status == 429 and response.headers["retry-after"]
    expect(page.locator(".site-header .who")).to_have_text("Alex Morgan")  # the full layout, signed in
    # The wait is said once (it was said twice: "Try again in 60 s." and "You can try again in 60 seconds.").
    expect(page.locator("main")).to_contain_text(re.compile(r"Try again in \d+ s\."))
    assert page.locator("main").inner_text().lower().count("again in") == 1
    _looks_like_the_site(page, 429, "Slow down")


@pytest.mark.parametrize(("status", "heading"), [(500, "Something went wrong"), (503, "Back in a moment")])
def test_server_trouble_pages_wear_the_site(contexts: Contexts, status: int, heading: str) -> None:
    """500 and 503 come from the edge's page that needs no template or database (what failed may
    fail again); shown here as the server sends them, on the site's address so its stylesheet loads."""
    request = Request({"type": "http", "method": "GET", "path": "/t/2", "query_string": b"", "headers": []})
    with ThreadPoolExecutor(1) as pool:  # Playwright's loop runs in this thread
        answer = pool.submit(asyncio.run, plain_page(request, status, "Please try again.", {}, None)).result()
    for scheme in ("light", "dark"):
        page = contexts.new("partner", viewport=PHONE, color_scheme=scheme)
        page.goto("/")
        page.set_content(bytes(answer.body).decode())
        page.wait_for_load_state("load")
        if scheme == "dark":
            assert brightness(page) < 60, "the error page ignores dark mode"
        _looks_like_the_site(page, status, heading)


def test_a_thread_of_fifty_posts_is_interactive_quickly(contexts: Contexts, live_server: LiveServer) -> None:
    """Printed, not asserted tightly (a shared machine): the issue asks for under 1 s here."""
    with httpx.Client(base_url=live_server.url) as client:
        token = CSRF_RE.search(client.get("/login").text)
        assert token
        client.post(
            "/login",
            data={"email": PEOPLE["expert"], "password": DEMO_PASSWORD, "csrf_token": token[1], "next": "/"},
        )
        page_token = CSRF_RE.search(client.get("/t/8").text)
        assert page_token
        for n in range(50):
            body = f"Reply {n}: SNMPv3 with authPriv, SHA and AES-128 works with most RMM tools."
            client.post("/t/8/reply", data={"body": body, "csrf_token": page_token[1], "page": "1"})
    page = contexts.new("partner")
    page.goto("/t/8")
    page.goto("/t/8")  # the second visit, as a reader comes back: caches warm, like production
    timing = page.evaluate(
        "() => { const t = performance.getEntriesByType('navigation')[0];"
        " return {interactive: t.domInteractive, loaded: t.domContentLoadedEventEnd}; }"
    )
    posts = page.locator("article.post").count()
    print(
        f"\nthread page with {posts} posts: interactive {timing['interactive']:.0f} ms, "
        f"DOMContentLoaded {timing['loaded']:.0f} ms (load average {os.getloadavg()[0]:.1f})"
    )
    assert posts >= 20
    assert timing["loaded"] < 10_000


def test_a_picture_over_the_limit_is_refused_before_it_is_sent(contexts: Contexts) -> None:
    page = contexts.new("partner")
    page.goto("/account/profile")
    field = page.get_by_label("Choose a picture")
    limit = int(field.get_attribute("data-max-bytes") or 0)
    assert limit > 0
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)
    field.set_input_files({"name": "me.png", "mimeType": "image/png", "buffer": b"\0" * (limit + 1)})
    message = field.evaluate("el => el.validationMessage")
    assert message == f"The image is too large (at most {limit // 1024:,} KB).", message
    page.get_by_role("button", name="Upload picture").click()
    page.wait_for_timeout(300)
    assert not sent, f"the too-large picture was sent: {sent}"
    field.set_input_files({"name": "me.png", "mimeType": "image/png", "buffer": b"\0" * 100})
    assert field.evaluate("el => el.validationMessage") == ""
