"""What a new user's second trial of the product found (2026-12-06): each fix with the test that
failed before it."""

from __future__ import annotations

import re
from html import unescape

import httpx
from starlette.applications import Starlette

from community.forum import posts, thread_actions, threads
from community.forum.view_counts import ViewCounter
from community.models import Notification, Thread
from tests.conftest import World
from tests.web.helpers import ask, login_as

BADGE_RE = re.compile(r'<span class="badge (?:solved|open|closed)">(\w+)</span>')


async def test_reloads_by_the_same_person_count_one_view(
    client: httpx.AsyncClient, app: Starlette, world: World
) -> None:
    # Before: every load counted; the user's thread went from 3 to 20 views in a dozen loads.
    await login_as(client, world.partner)
    tid = await ask(client)
    for _ in range(5):
        assert (await client.get(f"/t/{tid}")).status_code == 200
    await client.get(f"/t/{tid}?page=last")
    await login_as(client, world.colleague)
    for _ in range(4):
        await client.get(f"/t/{tid}")
    await app.state.view_counter.flush()
    assert (await Thread.get(id=tid)).view_count == 2


async def test_a_view_counts_again_after_the_period_and_the_memory_stays_bounded() -> None:
    now = [0.0]
    counter = ViewCounter(period=1800, max_remembered=3, clock=lambda: now[0])
    assert counter.record(1, 10) and not counter.record(1, 10)
    assert counter.record(2, 10) and counter.record(1, 11)  # another thread, another viewer
    now[0] = 1799.0
    assert not counter.record(1, 10)
    now[0] = 1800.0
    assert counter.record(1, 10)  # a new period: it counts again
    for viewer in range(100, 110):
        counter.record(3, viewer)
    assert len(counter._seen) == 3  # the oldest pairs are forgotten first
    assert counter._pending == {1: 3, 2: 1, 3: 10}


async def test_a_solved_question_shows_solved_not_open_beside_it(
    client: httpx.AsyncClient, world: World
) -> None:
    # Before: "Solved" and "Open" side by side.
    await login_as(client, world.partner)
    tid = await ask(client)

    async def badges() -> list[str]:
        page = (await client.get(f"/t/{tid}")).text
        return BADGE_RE.findall(page.split('<p class="meta thread-meta">', 1)[1].split("</p>", 1)[0])

    assert await badges() == ["Open"]
    answer = await posts.reply(world.actor(world.colleague), tid, body="Under Deals in the partner portal.")
    await posts.accept_answer(world.actor(world.partner), answer.id)
    assert await badges() == ["Solved"]
    await thread_actions.set_status(world.actor(world.moderator), tid, status="closed", reason="Done")
    assert await badges() == ["Solved", "Closed"]


async def test_a_notification_is_a_link_that_marks_it_read_on_arrival(
    client: httpx.AsyncClient, world: World
) -> None:
    # Before: each entry was a POST button (/notifications/N/open): no new tab, no copying.
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question", title="Which switch for ten desks?",
        body="A small office.",
    )  # fmt: skip
    answer = await posts.reply(world.actor(world.expert), thread.id, body="The 24-port one.")
    [note] = await Notification.filter(user_id=world.partner.id)
    await login_as(client, world.partner)
    centre = (await client.get("/notifications")).text
    match = re.search(
        rf'<a class="notification-text" href="(/posts/{answer.id}\?nread={note.id}\.[^"#]+)"', centre
    )
    assert match, centre
    link = unescape(match.group(1))
    # A forged or altered signature, or the link in someone else's session, marks nothing.
    assert (await client.get(f"/posts/{answer.id}?nread={note.id}.forged")).status_code == 303
    await login_as(client, world.colleague)
    await client.get(link)
    assert (await Notification.get(id=note.id)).read_at is None
    await login_as(client, world.partner)
    landed = await client.get(link)
    assert landed.status_code == 303 and landed.headers["location"] == f"/t/{thread.id}#p{answer.id}"
    assert (await Notification.get(id=note.id)).read_at is not None
