"""A category a member may not see leaves no trace in the API: not in lists, counts or by id."""

from __future__ import annotations

import pytest

from community.forum import posts, threads
from tests.api.conftest import bearer


@pytest.fixture
async def hidden(world):
    """A thread with an answer in the gold-only category, and one in the open category."""
    gold = world.actor(world.partner)
    thread = await threads.create_thread(
        gold, category="gold-programme", kind="question", title="Gold rebate for Q3 deals?", body="Rates?"
    )
    answer = await posts.reply(world.actor(world.expert), thread.id, body="Six percent.")
    visible = await threads.create_thread(
        gold, category="general", kind="question", title="Where is the price list?", body="Link?"
    )
    return thread, answer, visible


def _requests(thread_id: int, post_id: int, slug: str) -> list[tuple[str, str, dict[str, str] | None]]:
    return [
        ("GET", f"/api/v1/threads/{thread_id}", None),
        ("POST", f"/api/v1/threads/{thread_id}/posts", {"body": "Me too"}),
        ("GET", f"/api/v1/posts/{post_id}", None),
        ("PATCH", f"/api/v1/posts/{post_id}", {"body": "Edited"}),
        ("DELETE", f"/api/v1/posts/{post_id}", None),
        ("GET", f"/api/v1/posts/{post_id}/revisions", None),
        ("POST", f"/api/v1/posts/{post_id}/votes", None),
        ("DELETE", f"/api/v1/posts/{post_id}/votes", None),
        ("POST", f"/api/v1/posts/{post_id}/accept", None),
        ("DELETE", f"/api/v1/posts/{post_id}/accept", None),
        ("GET", f"/api/v1/threads?category={slug}", None),
    ]


async def test_silver_partner_gets_404_for_everything_in_it(client, world, hidden):
    thread, answer, _ = hidden
    auth = await bearer(world.silver_partner)
    hidden_requests = _requests(thread.id, answer.id, "gold-programme")
    missing_requests = _requests(777777, 777777, "no-such-category")
    for (method, path, body), (_, missing_path, _) in zip(hidden_requests, missing_requests, strict=True):
        response = await client.request(method, path, json=body, headers=auth)
        assert response.status_code == 404, (method, path)
        # Exactly what something that never existed answers.
        missing = await client.request(method, missing_path, json=body, headers=auth)
        assert missing.json() == response.json(), (method, path)
    # Nothing changed behind the 404s.
    read = (await client.get(f"/api/v1/threads/{thread.id}", headers=await bearer(world.partner))).json()
    assert read["reply_count"] == 1 and read["posts"][0]["body_source"] is None
    assert read["posts"][0]["score"] == 0 and read["posts"][0]["state"] == "visible"


async def test_lists_and_counts_leave_it_out(client, world, hidden):
    _, _, visible = hidden
    auth = await bearer(world.silver_partner)
    categories = (await client.get("/api/v1/categories", headers=auth)).json()
    slugs = [c["slug"] for c in categories["items"]]
    assert slugs == ["general"] and categories["total"] == 1 and categories["next"] is None
    assert categories["items"][0]["thread_count"] == 1
    for query in ("", "?show=unanswered", "?show=latest", "?tag=", "?status=open"):
        listed = (await client.get(f"/api/v1/threads{query}", headers=auth)).json()
        assert [i["id"] for i in listed["items"]] == [visible.id], query
        assert listed["total"] == 1


async def test_silver_partner_cannot_post_into_it(client, world, hidden):
    response = await client.post(
        "/api/v1/threads",
        json={"category": "gold-programme", "title": "Sneaking into gold", "body": "Hello"},
        headers=await bearer(world.silver_partner),
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["category"] == "Choose one of the categories listed."


async def test_gold_partner_and_staff_see_it(client, world, hidden):
    thread, answer, _ = hidden
    for user in (world.partner, world.colleague, world.expert, world.moderator, world.admin):
        auth = await bearer(user)
        read = await client.get(f"/api/v1/threads/{thread.id}", headers=auth)
        assert read.status_code == 200, user.handle
        assert read.json()["posts"][0]["id"] == answer.id
        slugs = {c["slug"] for c in (await client.get("/api/v1/categories", headers=auth)).json()["items"]}
        assert "gold-programme" in slugs
        assert ("staff-room" in slugs) == user.is_staff
    listed = (await client.get("/api/v1/threads", headers=await bearer(world.partner))).json()
    assert listed["total"] == 2


async def test_staff_room_is_invisible_to_partners(client, world):
    staff_thread = await threads.create_thread(
        world.actor(world.expert), category="staff-room", kind="discussion", title="Partner escalations",
        body="Internal notes",
    )  # fmt: skip
    for user in (world.partner, world.silver_partner, world.registered_partner):
        auth = await bearer(user)
        assert (await client.get(f"/api/v1/threads/{staff_thread.id}", headers=auth)).status_code == 404
        assert (await client.get("/api/v1/threads", headers=auth)).json()["total"] == 0
    assert (
        await client.get(f"/api/v1/threads/{staff_thread.id}", headers=await bearer(world.expert))
    ).status_code == 200
