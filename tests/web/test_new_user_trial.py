"""What a new user's trial of the product found (2026-12-06), outside the dashboard's layout (that
is tests/browser/test_health_dashboard.py): each fix with the test that failed before it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from community.forum import posts, threads
from community.models import Decision, ReviewItem, ReviewKind
from moderation import decisions, flags
from moderation.queue import duration_label
from tests.conftest import World, login
from tests.web.helpers import post_form

NAV_RE = re.compile(r'<nav class="main-nav" aria-label="Main">(.*?)</nav>', re.S)
TABS_RE = re.compile(r'<nav class="tabs" aria-label="Administration">(.*?)</nav>', re.S)
HREF_RE = re.compile(r'href="([^"]+)"')


async def _main_nav(client: httpx.AsyncClient) -> str:
    match = NAV_RE.search((await client.get("/")).text)
    assert match
    return match.group(1)


async def test_the_dashboard_is_in_the_navigation_of_those_who_may_see_it(
    client: httpx.AsyncClient, world: World
) -> None:
    # Before: nothing linked to /health.
    for user, sees in [
        (world.admin, True),
        (world.moderator, True),
        (world.expert, True),
        (world.partner, True),  # a partner organisation's admin: their own organisation's figures
        (world.colleague, False),
        (world.silver_partner, False),
    ]:
        client.cookies.clear()
        await login(client, user)
        assert ('href="/health"' in await _main_nav(client)) is sees, user.email
        assert (await client.get("/health")).status_code == (200 if sees else 403)


async def test_the_admin_landing_page_lists_every_admin_area(client: httpx.AsyncClient, world: World) -> None:
    # Before: it listed 4 of the sub-menu's 7 (no Watched words, Outbox, Response targets).
    await login(client, world.admin)
    page = (await client.get("/admin")).text
    tabs = TABS_RE.search((await client.get("/admin/categories")).text)
    assert tabs
    areas = HREF_RE.findall(tabs.group(1))
    assert len(areas) == 7
    listed = HREF_RE.findall(page.split("<main", 1)[1])
    assert [a for a in listed if a in areas] == areas
    for area in areas:
        assert (await client.get(area)).status_code == 200, area


async def _flagged_answer(app, world: World) -> ReviewItem:  # type: ignore[no-untyped-def]
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question",
        title="Which firmware fixes the VPN drop?", body="Since Tuesday the tunnel drops hourly.",
    )  # fmt: skip
    answer = await posts.reply(world.actor(world.colleague), thread.id, body="Buy from my cousin!")
    await flags.flag_post(app.state.moderation, world.actor(world.partner), answer.id, reason="spam")
    return await ReviewItem.get(post_id=answer.id)


async def test_moderation_speaks_in_the_words_on_screen(app, client: httpx.AsyncClient, world: World) -> None:  # type: ignore[no-untyped-def]
    item = await _flagged_answer(app, world)
    await login(client, world.moderator)
    page = f"/moderation/items/{item.id}"
    # Before: "Choose one of: keep, hide, delete, restore, edit." beside "Keep it: the flags were wrong".
    nothing = await post_form(client, f"{page}/decide", {"reason": ""}, page=page)
    assert nothing.status_code == 422
    assert "Choose what to do with the post" in nothing.text and "keep, hide" not in nothing.text
    done = await post_form(client, f"{page}/decide", {"decision": "keep"}, page=page)
    assert done.status_code == 303
    # Before: "Decided: keep by Mo (...)".
    decided = (await client.get(page)).text
    assert "Decided: <strong>Kept (the flags were wrong)</strong>" in decided
    # Before: "Median time from flag to decision: just now".
    overview = (await client.get("/moderation/overview")).text
    assert "Median time from flag to decision: <strong>under a minute</strong>" in overview
    assert "just now" not in overview


def test_decisions_read_as_they_were_offered() -> None:
    assert decisions.decided_words(ReviewKind.HELD_POST, Decision.KEEP) == "Approved (published)"
    assert decisions.decided_words(ReviewKind.NEW_ACCOUNT, Decision.DELETE) == "Not approved (deleted)"
    assert decisions.decided_words(ReviewKind.FLAGGED_THREAD, Decision.HIDE) == "Hidden"
    assert decisions.decided_words(ReviewKind.NEW_ACCOUNT, Decision.KEEP, about_a_post=False) == "Kept"
    assert [duration_label(s) for s in (0, 59, 60, 7200)] == [
        "under a minute",
        "under a minute",
        "1 min",
        "2 h",
    ]


async def test_the_flag_page_shows_the_post_as_it_reads(client: httpx.AsyncClient, world: World) -> None:
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question",
        title="Which switch for S48?", body="Twenty desks.",
    )  # fmt: skip
    source = "The **S48** needs <script>alert(1)</script> [firmware 2.1](https://example.com/fw)."
    answer = await posts.reply(world.actor(world.colleague), thread.id, body=source)
    await login(client, world.partner)
    page = (await client.get(f"/posts/{answer.id}/flag")).text
    # Before: the Markdown source, "The **S48** needs ..."
    assert "**S48**" not in page and "<strong>S48</strong>" in page
    assert 'href="https://example.com/fw"' in page and "<script>alert" not in page


def test_the_readme_says_each_thing_once_and_names_the_api_page() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    # Before: the Avatars bullet ended with a stray copy of the Writing bullet's last sentence.
    assert readme.count("Without JavaScript the forms are plain text boxes") == 1
    assert readme.count("with something to correct)") == 1
    assert "`/help/api`" in readme


async def test_a_page_address_it_cannot_show_is_explained_plainly(
    client: httpx.AsyncClient, world: World
) -> None:
    await login(client, world.partner)
    page = await client.get("/", params={"show": "bogus"})
    assert page.status_code == 422
    # Before: "Please correct the highlighted fields. show: Show one of: latest, unanswered, solved."
    assert "highlighted" not in page.text and "Show one of" not in page.text
    assert "This list cannot be shown that way: choose Latest, Unanswered or Solved." in page.text
    assert "<code>show=bogus</code>" in page.text
    # The API keeps its field names and says the same.
    api = await client.get("/api/v1/threads", params={"show": "bogus"})
    assert api.status_code == 422 and "choose Latest" in api.json()["error"]["fields"]["show"]
