"""Flags and the review queue through the JSON API (every answer checked against the document)."""

from __future__ import annotations

import asyncio

from community.models import AuditEntry, Flag, Notification, Post, PostState, ReviewItem
from tests.api.conftest import bearer
from tests.moderation.conftest import Flaggable, decisions_meet, flaggable  # noqa: F401 (fixtures)


async def test_flag_then_decide_through_the_api(client, world, flaggable: Flaggable):  # noqa: F811
    answer = flaggable.answer.id
    response = await client.post(
        f"/api/v1/posts/{answer}/flags", json={"reason": "spam"}, headers=await bearer(world.partner)
    )
    assert response.status_code == 201 and response.json()["post_hidden"] is False
    response = await client.post(
        f"/api/v1/posts/{answer}/flags", json={"reason": "offensive"}, headers=await bearer(world.expert)
    )
    assert response.json() == {"reason": "offensive", "note": "", "weight": 2, "post_hidden": True}
    own = await client.post(
        f"/api/v1/posts/{answer}/flags", json={"reason": "spam"}, headers=await bearer(world.colleague)
    )
    assert own.status_code == 403
    other = await client.post(
        f"/api/v1/posts/{answer}/flags", json={"reason": "other"}, headers=await bearer(world.silver_partner)
    )
    assert other.status_code == 422 and "note" in other.json()["error"]["fields"]

    mo = await bearer(world.moderator)
    queue = (await client.get("/api/v1/moderation/queue", headers=mo)).json()
    assert queue["total"] == 1 and queue["items"][0]["post_id"] == answer
    item_id = queue["items"][0]["id"]
    assert (await client.get("/api/v1/moderation/queue?kind=bogus", headers=mo)).status_code == 422
    item = (await client.get(f"/api/v1/moderation/items/{item_id}", headers=mo)).json()
    assert item["post"]["state"] == "hidden" and item["post"]["body_source"] == "Buy from my cousin, cheap!!!"
    assert [f["flagger"]["handle"] for f in item["flags"]] == [world.partner.handle, world.expert.handle]
    claimed = await client.post(f"/api/v1/moderation/items/{item_id}/claim", headers=mo)
    assert claimed.json()["claimed_by"] == "Mo Moderator"
    taken = await client.post(f"/api/v1/moderation/items/{item_id}/claim", headers=await bearer(world.admin))
    assert taken.status_code == 409

    decided = await client.post(
        f"/api/v1/moderation/items/{item_id}/decision",
        json={"decision": "delete", "reason": "Spam"},
        headers=mo,
    )
    assert decided.status_code == 200 and decided.json()["decision"] == "delete"
    assert (await Post.get(id=answer)).state == PostState.DELETED
    again = await client.post(
        f"/api/v1/moderation/items/{item_id}/decision",
        json={"decision": "keep"},
        headers=await bearer(world.admin),
    )
    assert again.status_code == 409 and "already decided" in again.json()["error"]["message"]
    assert (await client.get("/api/v1/moderation/items/987654", headers=mo)).status_code == 404


async def test_two_moderators_deciding_at_once_one_gets_409(client, world, flaggable, decisions_meet):  # noqa: F811
    """Both requests read the item as pending (``decisions_meet``), so only the conditional update
    stands between them: one decision is applied and recorded, the other is a conflict."""
    answer = flaggable.answer.id
    for flagger in (world.partner, world.expert):  # enough weight: the post is hidden pending review
        flagged = await client.post(
            f"/api/v1/posts/{answer}/flags", json={"reason": "spam"}, headers=await bearer(flagger)
        )
        assert flagged.status_code == 201
    mo, admin = await bearer(world.moderator), await bearer(world.admin)
    queue = (await client.get("/api/v1/moderation/queue", headers=mo)).json()
    item_id = queue["items"][0]["id"]
    url = f"/api/v1/moderation/items/{item_id}/decision"
    answers = await asyncio.gather(
        client.post(url, json={"decision": "keep"}, headers=mo),
        client.post(url, json={"decision": "hide", "reason": "Rude"}, headers=admin),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    won = next(a for a in answers if a.status_code == 200).json()
    lost = next(a for a in answers if a.status_code == 409).json()
    assert "already decided" in lost["error"]["message"]
    winner = world.moderator if won["decision"] == "keep" else world.admin
    assert won["decided_by"] == winner.display_name

    item = await ReviewItem.get(id=item_id)
    assert (item.state, item.decision, item.decided_by_id) == ("decided", won["decision"], winner.id)
    kept = won["decision"] == "keep"
    assert (await Post.get(id=answer)).state == (PostState.VISIBLE if kept else PostState.HIDDEN)
    decided = AuditEntry.filter(action__in=["post.keep", "post.hide"])
    assert await decided.values_list("actor_id", flat=True) == [winner.id]
    assert {f.resolution for f in await Flag.filter(post_id=answer)} == {"disagreed" if kept else "agreed"}
    told = Notification.filter(actor_id__in=[world.moderator.id, world.admin.id])
    assert await told.filter(user_id=world.colleague.id).count() == 1  # the author, once
    outcomes = await told.filter(kind="flag_outcome").values_list("user_id", flat=True)
    assert sorted(outcomes) == sorted([world.partner.id, world.expert.id])  # each flagger, once


async def test_non_moderators_get_403_on_every_moderation_endpoint(client, world, flaggable: Flaggable):  # noqa: F811
    for user in (world.partner, world.expert):
        headers = await bearer(user)
        for method, path, body in (
            ("GET", "/api/v1/moderation/queue", None),
            ("GET", "/api/v1/moderation/items/1", None),
            ("POST", "/api/v1/moderation/items/1/claim", None),
            ("DELETE", "/api/v1/moderation/items/1/claim", None),
            ("POST", "/api/v1/moderation/items/1/decision", {"decision": "keep"}),
        ):
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, (user.role, method, path, response.text)
