"""The moderation overview: waiting items by type, the oldest, decisions per moderator, the median
time from flag to decision, and the most-flagged members and threads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from community.errors import Forbidden
from community.forum import posts, thread_actions, threads
from community.models import ReviewItem
from community.ports import ModerationGate
from community.timeutil import utcnow
from moderation import decisions, flags
from moderation.overview import overview
from tests.api.conftest import bearer, check_against_document
from tests.conftest import World, login
from tests.moderation.conftest import Flaggable


async def busy_week(gate: ModerationGate, world: World, flaggable: Flaggable) -> None:
    """Three flagged answers by the colleague: two decided (after 1 h and 3 h), one waiting."""
    answers = [flaggable.answer]
    for text in ("Second shop link", "Third shop link"):
        answers.append(await posts.reply(world.actor(world.colleague), flaggable.thread.id, body=text))
    for answer in answers:
        await flags.flag_post(gate, world.actor(world.partner), answer.id, reason="spam")
    items = [await ReviewItem.get(post_id=a.id) for a in answers]
    now = utcnow()
    for item, hours in zip(items[:2], (1, 3), strict=True):
        await decisions.decide_item(world.actor(world.moderator), item.id, decision="keep")
        await ReviewItem.filter(id=item.id).update(created_at=now - timedelta(hours=hours), decided_at=now)
    await ReviewItem.filter(id=items[2].id).update(created_at=now - timedelta(days=2))
    await thread_actions.set_pinned(world.actor(world.admin), flaggable.thread.id, pinned=True)


async def test_the_overview_figures(gate: ModerationGate, world: World, flaggable: Flaggable) -> None:
    await busy_week(gate, world, flaggable)
    ov = await overview(world.actor(world.moderator))
    assert {w["kind"]: w["count"] for w in ov.waiting}["flagged_post"] == 1
    assert ov.waiting_total == 1 and ov.oldest is not None
    assert ov.oldest["waiting_seconds"] >= 2 * 86_400 - 5
    assert ov.decided_this_week == 2 and ov.median_seconds_to_decision == pytest.approx(2 * 3600, abs=5)
    by_handle = {m["handle"]: (m["decisions"], m["actions"]) for m in ov.moderators}
    assert by_handle == {world.moderator.handle: (2, 2), world.admin.handle: (0, 1)}
    assert [(u["handle"], u["flags"]) for u in ov.flagged_users] == [(world.colleague.handle, 3)]
    assert [(t["id"], t["flags"]) for t in ov.flagged_threads] == [(flaggable.thread.id, 3)]
    with pytest.raises(Forbidden):
        await overview(world.actor(world.expert))


async def test_members_closing_their_own_threads_are_not_moderators(world: World) -> None:
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question", title="A question I solved",
        body="Found it myself.",
    )  # fmt: skip
    await thread_actions.set_status(world.actor(world.partner), thread.id, status="closed")
    await thread_actions.set_pinned(world.actor(world.moderator), thread.id, pinned=True)
    ov = await overview(world.actor(world.moderator))
    assert [(m["handle"], m["actions"]) for m in ov.moderators] == [(world.moderator.handle, 1)]


async def test_an_empty_overview(world: World) -> None:
    ov = await overview(world.actor(world.admin))
    assert ov.waiting_total == 0 and ov.oldest is None and ov.median_seconds_to_decision is None
    assert ov.moderators == [] and ov.flagged_users == [] and ov.flagged_threads == []


async def test_the_overview_page_and_api(client, gate: ModerationGate, world: World, flaggable: Flaggable):
    await busy_week(gate, world, flaggable)
    await login(client, world.moderator)
    page = await client.get("/moderation/overview")
    assert page.status_code == 200
    assert "Median time from flag to decision: <strong>2 h</strong>" in page.text
    assert "Cole League</a>: 3 flags" in page.text and "Waiting: 1" in page.text
    auth = await bearer(world.moderator)
    response = await client.get("/api/v1/moderation/overview", headers=auth)
    await check_against_document(response)
    body = response.json()
    assert body["waiting_total"] == 1 and body["median_seconds_to_decision"] == pytest.approx(7200, abs=5)
    assert body["flagged_threads"][0]["title"] == flaggable.thread.title
