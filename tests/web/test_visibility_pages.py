"""A category a partner may not see leaves no trace on any page they can open."""

from __future__ import annotations

import re

from community.forum import posts, thread_page, threads
from community.models import Post, Thread
from tests.web.helpers import login_as as login

SECRET = "Gold rebate schedule for Q3"


async def _gold_thread(world) -> int:  # type: ignore[no-untyped-def]
    thread = await threads.create_thread(
        world.actor(world.partner), category="gold-programme", kind="question", title=SECRET,
        body="Only for gold partners", tags="gold-secret",
    )  # fmt: skip
    await threads.create_thread(
        world.actor(world.partner), category="general", kind="question", title="Visible to everyone here",
        body="Hello", tags="gold-secret",
    )  # fmt: skip
    return thread.id


async def test_gold_category_invisible_to_silver_partner(client, world):
    tid = await _gold_thread(world)
    opening = (await thread_page.get_thread_view(world.actor(world.partner), tid)).question.id
    await login(client, world.silver_partner)
    assert (await client.get(f"/t/{tid}")).status_code == 404
    assert (await client.get("/c/gold-programme")).status_code == 404
    assert (await client.get(f"/posts/{opening}/revisions")).status_code == 404
    assert (await client.get(f"/posts/{opening}/edit")).status_code == 404
    for path in ("/", "/?show=unanswered", "/categories", "/c/general", "/tags/gold-secret",
                 f"/u/{world.partner.handle}", "/ask"):  # fmt: skip
        response = await client.get(path)
        assert response.status_code == 200, path
        assert SECRET not in response.text, path
        assert "Gold programme" not in response.text and "gold-programme" not in response.text, path
    profile = await client.get(f"/u/{world.partner.handle}")
    assert "Visible to everyone here" in profile.text


async def test_gold_category_visible_to_gold_partner_and_staff(client, world):
    tid = await _gold_thread(world)
    for user in (world.colleague, world.expert):
        await login(client, user)
        assert (await client.get(f"/t/{tid}")).status_code == 200
        assert SECRET in (await client.get("/c/gold-programme")).text
        assert SECRET in (await client.get(f"/u/{world.partner.handle}")).text
        assert "Gold programme" in (await client.get("/categories")).text


async def test_staff_room_invisible_to_partners(client, world):
    thread = await threads.create_thread(
        world.actor(world.expert), category="staff-room", kind="discussion", title="Internal pricing notes",
        body="Do not share",
    )  # fmt: skip
    await login(client, world.partner)
    assert (await client.get(f"/t/{thread.id}")).status_code == 404
    assert "Internal pricing notes" not in (await client.get(f"/u/{world.expert.handle}")).text
    assert "Staff room" not in (await client.get("/categories")).text


async def test_actions_on_hidden_posts_look_missing(client, world):
    tid = await _gold_thread(world)
    answer = await posts.reply(world.actor(world.expert), tid, body="Gold answer")
    await login(client, world.silver_partner)
    token = re.search(r'name="csrf_token" value="([^"]+)"', (await client.get("/")).text).group(1)
    attempts = [
        (f"/posts/{answer.id}/vote", {"helpful": "1"}),
        (f"/posts/{answer.id}/accept", {}),
        (f"/posts/{answer.id}/delete", {}),
        (f"/t/{tid}/reply", {"body": "sneaky"}),
    ]
    before = await Thread.filter(id=tid).values("reply_count", "accepted_post_id", "version")
    for path, data in attempts:
        response = await client.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 404, path
    # Nothing happened: no vote, no acceptance, no deletion, no reply.
    after = await Post.get(id=answer.id)
    assert (after.score, after.state) == (0, "visible")
    assert await Thread.filter(id=tid).values("reply_count", "accepted_post_id", "version") == before
    assert not await Post.filter(thread_id=tid, body_source="sneaky").exists()
