"""A post held for review: it counts for nobody until approved (answers, pages, activity), and its
author is told which rule held it, what to do, and the decision."""

from __future__ import annotations

from community.forum import posts, threads
from community.models import Notification, NotificationKind, Post, PostState, ReviewItem, Thread
from moderation import decisions
from tests.api.conftest import bearer
from tests.conftest import World, login
from tests.moderation.conftest import client_for

DISCOUNT = "We got a 12% discount on the core switches from the distributor."


async def _question(world: World) -> Thread:
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question",
        title="Which switch suits a small office?", body="Twenty desks, two floors.",
    )  # fmt: skip
    await posts.reply(world.actor(world.colleague), thread.id, body="The 24-port model, fanless.")
    return await Thread.get(id=thread.id)


async def test_a_held_answer_counts_nowhere_until_approved(app, world: World) -> None:
    thread = await _question(world)
    before = thread.last_activity_at
    held = await posts.reply(
        world.actor(world.silver_partner), thread.id, body=DISCOUNT, gate=app.state.moderation
    )
    assert held.state == PostState.PENDING
    stored = await Thread.get(id=thread.id)
    assert stored.reply_count == 1 and stored.last_activity_at == before
    async with client_for(app) as client:
        for user in (world.partner, world.expert):
            read = (await client.get(f"/api/v1/threads/{thread.id}", headers=await bearer(user))).json()
            assert read["reply_count"] == read["total_posts"] == len(read["posts"]) == 1, user.email
        listed = (await client.get("/api/v1/threads", headers=await bearer(world.partner))).json()["items"]
        assert [(t["id"], t["reply_count"]) for t in listed] == [(thread.id, 1)]
        csrf = await login(client, world.partner)
        assert csrf
        page = (await client.get(f"/t/{thread.id}")).text
        assert ">1 answer<" in page and "2 answers" not in page

    item = await ReviewItem.get(post_id=held.id)
    await decisions.decide_item(world.actor(world.moderator), item.id, decision="keep")
    approved = await Thread.get(id=thread.id)
    assert approved.reply_count == 2 and approved.last_activity_at > before
    told = await Notification.filter(user_id=world.silver_partner.id).order_by("-id").first()
    assert told is not None and told.kind == NotificationKind.POST_APPROVED
    assert "approved your post" in told.text

    # Deleting the approved answer takes it off the count again; a rejected held one never counted.
    rejected = await posts.reply(
        world.actor(world.silver_partner), thread.id, body=DISCOUNT, gate=app.state.moderation
    )
    item = await ReviewItem.get(post_id=rejected.id)
    await decisions.decide_item(
        world.actor(world.moderator), item.id, decision="delete", reason="Prices stay private"
    )
    assert (await Thread.get(id=thread.id)).reply_count == 2
    told = await Notification.filter(user_id=world.silver_partner.id).order_by("-id").first()
    assert told is not None and told.kind == NotificationKind.POST_HIDDEN
    assert told.text.startswith("A moderator did not approve your post") and told.text.endswith(
        ": Prices stay private"
    )
    await posts.delete_post(world.actor(world.silver_partner), held.id)
    assert (await Thread.get(id=thread.id)).reply_count == 1


async def test_a_held_post_that_is_hidden_then_restored_counts_once(app, world: World) -> None:
    thread = await _question(world)
    held = await posts.reply(
        world.actor(world.silver_partner), thread.id, body=DISCOUNT, gate=app.state.moderation
    )
    item = await ReviewItem.get(post_id=held.id)
    await decisions.decide_item(world.actor(world.moderator), item.id, decision="hide", reason="Prices")
    assert (await Post.get(id=held.id)).state == PostState.HIDDEN
    # Hidden posts show as a placeholder to everyone, so they count like the deleted do not.
    assert (await Thread.get(id=thread.id)).reply_count == 2


async def test_the_author_is_told_which_rule_held_the_post_and_what_to_do(app, world: World) -> None:
    thread = await _question(world)
    async with client_for(app) as client:
        headers = await bearer(world.silver_partner)
        created = await client.post(
            f"/api/v1/threads/{thread.id}/posts", json={"body": DISCOUNT}, headers=headers
        )
        assert created.status_code == 201
        post = created.json()
        assert post["state"] == "pending"
        assert "price, discount or margin" in post["held_reason"]
        assert "restricted pricing category" in post["held_reason"]
        # Read back by the author and by a moderator; nobody else sees the post at all.
        read = await client.get(f"/api/v1/posts/{post['id']}", headers=headers)
        assert read.json()["held_reason"] == post["held_reason"]
        as_mod = await client.get(f"/api/v1/posts/{post['id']}", headers=await bearer(world.moderator))
        assert as_mod.json()["held_reason"] == post["held_reason"]
        visible = (await client.get(f"/api/v1/threads/{thread.id}", headers=headers)).json()["posts"]
        assert [p["held_reason"] for p in visible] == [None, post["held_reason"]]

    async with client_for(app) as client:  # the page: told on submit, and on the waiting post
        csrf = await login(client, world.silver_partner)
        sent = await client.post(f"/t/{thread.id}/reply", data={"body": DISCOUNT, "csrf_token": csrf})
        assert sent.status_code == 303
        page = (await client.get(sent.headers["location"])).text
        assert page.count("because it mentions a price, discount or margin") == 3  # the notice, two posts
        assert 'role="status"' in page


async def test_a_new_members_held_question_says_nothing_needs_changing(app_with, world: World) -> None:
    app = app_with(new_account_held_posts=2, new_account_days=0)
    async with client_for(app) as client:
        csrf = await login(client, world.colleague)
        sent = await client.post(
            "/ask",
            data={"category": "general", "kind": "question", "title": "Which licence suits a branch?",
                  "body": "Ten seats, one site.", "csrf_token": csrf},
        )  # fmt: skip
        assert sent.status_code == 303
        page = (await client.get(sent.headers["location"])).text
        assert "the first 2 posts of a new member are approved before they appear" in page
        assert "nothing you need to change" in page
