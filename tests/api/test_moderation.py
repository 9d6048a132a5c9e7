"""Flags and the review queue through the JSON API (every answer checked against the document)."""

from __future__ import annotations

import asyncio

from community.models import Post, PostState
from tests.api.conftest import bearer
from tests.moderation.conftest import Flaggable, flaggable  # noqa: F401 (fixture)


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


async def test_two_moderators_deciding_at_once_one_gets_409(client, world, flaggable: Flaggable):  # noqa: F811
    await client.post(
        f"/api/v1/posts/{flaggable.answer.id}/flags",
        json={"reason": "spam"},
        headers=await bearer(world.moderator),
    )
    mo, admin = await bearer(world.moderator), await bearer(world.admin)
    queue = (await client.get("/api/v1/moderation/queue", headers=mo)).json()
    url = f"/api/v1/moderation/items/{queue['items'][0]['id']}/decision"
    answers = await asyncio.gather(
        client.post(url, json={"decision": "keep"}, headers=mo),
        client.post(url, json={"decision": "hide", "reason": "Rude"}, headers=admin),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]


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
