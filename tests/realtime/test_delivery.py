"""Each kind of live event reaches the clients that may see it, as they would see it."""

from __future__ import annotations

from community.events import NotificationsCreated, publish, record
from community.models import Notification
from tests.realtime.conftest import answer, api, ask, in_process_server, live, token_for


async def test_new_post_reaches_a_client_viewing_the_thread(server, world):
    partner, expert = await token_for(world.partner), await token_for(world.expert)
    thread = await ask(server, partner)
    async with live(server, partner, streams=[f"thread:{thread['id']}"]) as client:
        assert client.welcome["streams"] == [f"user:{world.partner.id}", f"thread:{thread['id']}"]
        post = await answer(server, expert, thread["id"], "Live **answer** here.")
        event = await client.next(type="event", kind="post")
        assert event["stream"] == f"thread:{thread['id']}"
        data = event["data"]
        assert data["post_id"] == post["id"] and data["state"] == "visible"
        assert f'id="p{post["id"]}"' in data["html"] and "<strong>answer</strong>" in data["html"]
        assert data["thread"]["reply_count"] == 1
        # As this viewer sees it: they asked, so they may accept it; they may not edit it.
        assert "Accept this answer" in data["html"] and f"/posts/{post['id']}/edit" not in data["html"]


async def test_edit_hide_restore_accept_and_votes_arrive_in_order(server, world):
    partner, expert, mo = [await token_for(u) for u in (world.partner, world.expert, world.moderator)]
    thread = await ask(server, partner)
    stream = f"thread:{thread['id']}"
    post = await answer(server, expert, thread["id"], "First version of the answer.")
    async with (
        live(server, await token_for(world.colleague), streams=[stream]) as viewer,
        live(server, mo, streams=[stream, "queue"]) as moderator,
    ):
        edited = await api(server, "PATCH", f"/posts/{post['id']}", expert, json={"body": "Second version."})
        assert edited.status_code == 200
        # The answer's own event may still be on its way when the viewer subscribes (PostgreSQL,
        # a busy machine): what counts is that the edit arrives.
        event = await viewer.next(
            type="event", kind="post", where=lambda m: "Second version." in m["data"]["html"]
        )
        assert "edited" in event["data"]["html"]

        assert (await api(server, "POST", f"/posts/{post['id']}/votes", partner)).status_code in (200, 201)
        assert (await viewer.next(type="event", kind="score"))["data"] == {"post_id": post["id"], "score": 1}

        flagged = await api(server, "POST", f"/posts/{post['id']}/flags", mo, json={"reason": "spam"})
        assert flagged.status_code == 201 and flagged.json()["post_hidden"]
        hidden = await viewer.next(type="event", kind="post")
        assert hidden["data"]["state"] == "hidden"
        assert (
            "Second version." not in hidden["data"]["html"]
            and "hidden by moderation" in hidden["data"]["html"]
        )
        seen_by_mo = await moderator.next(type="event", kind="post")
        assert "Second version." in seen_by_mo["data"]["html"]
        item = (await moderator.next(type="event", kind="item"))["data"]["item"]
        assert item["post_id"] == post["id"] and item["state"] == "pending"

        claim = await api(server, "POST", f"/moderation/items/{item['id']}/claim", mo)
        assert claim.status_code == 200
        claimed = (await moderator.next(type="event", kind="item"))["data"]["item"]
        assert claimed["claimed_by_name"] == "Mo Moderator"
        decided = await api(
            server, "POST", f"/moderation/items/{item['id']}/decision", mo, json={"decision": "restore"}
        )
        assert decided.status_code == 200
        restored = await viewer.next(type="event", kind="post")
        assert restored["data"]["state"] == "visible" and "Second version." in restored["data"]["html"]
        done = (await moderator.next(type="event", kind="item"))["data"]["item"]
        assert done["state"] == "decided" and done["decided_by_name"] == "Mo Moderator"

        assert (await api(server, "POST", f"/posts/{post['id']}/accept", partner)).status_code == 200
        accepted = await viewer.next(type="event", kind="accepted")
        assert accepted["data"]["thread"]["accepted_post_id"] == post["id"]
        # Ids only ever go up, on every connection.
        ids = [m["id"] for m in viewer.events()]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # The colleague never received the queue.
    assert not [m for m in viewer.received if m.get("stream") == "queue"]


async def test_held_post_reaches_only_moderators_and_its_author(server, world):
    partner, mo = await token_for(world.partner), await token_for(world.moderator)
    thread = await ask(server, partner)
    stream = f"thread:{thread['id']}"
    async with (
        live(server, await token_for(world.colleague), streams=[stream]) as other,
        live(server, mo, streams=[stream, "queue"]) as moderator,
    ):
        # The starter rules hold prices named in a category every partner can see.
        held = await answer(server, partner, thread["id"], "We sell it at a 35% discount, net price 120 EUR.")
        event = await moderator.next(type="event", kind="post")
        assert event["data"]["post_id"] == held["id"] and event["data"]["state"] == "pending"
        assert (await moderator.next(type="event", kind="item"))["data"]["item"]["post_id"] == held["id"]
        await answer(server, partner, thread["id"], "A harmless follow-up.")
        nxt = await other.next(type="event", kind="post")
        assert nxt["data"]["post_id"] != held["id"]
        assert not [m for m in other.events() if m["data"].get("post_id") == held["id"]]


async def test_notifications_update_the_bell(world, tmp_path):
    async with in_process_server(world) as srv:
        headers = await token_for(world.partner)
        async with live(srv, headers) as client:
            first = await Notification.create(user_id=world.partner.id, kind="mention", text="Hi", url="/t/1")
            other = await Notification.create(
                user_id=world.colleague.id, kind="mention", text="No", url="/t/1"
            )
            # As a use case does: recorded with the rows (in its transaction), published after.
            created = NotificationsCreated(((world.partner.id, first.id), (world.colleague.id, other.id)))
            await record(created)
            await publish(created)
            event = await client.next(type="event", kind="notification")
            assert event["stream"] == f"user:{world.partner.id}"
            assert event["data"]["unread"] == 1 and [i["id"] for i in event["data"]["items"]] == [first.id]
            assert not [m for m in await client.quiet(0.3) if m["type"] == "event"]
