"""The notifications API: list with a cursor, unread count, mark read, preferences, watches,
announcements (every answer is checked against the OpenAPI document by the API client fixture)."""

from __future__ import annotations

import httpx

from community.forum import posts, threads
from community.models import Notification, NotificationKind, Watch
from tests.api.conftest import bearer
from tests.conftest import World


async def answered_questions(world: World, n: int) -> list[int]:
    ids = []
    for i in range(n):
        thread = await threads.create_thread(
            world.actor(world.partner), category="general", kind="question",
            title=f"Question number {i:02d} today", body="Details.",
        )  # fmt: skip
        await posts.reply(world.actor(world.expert), thread.id, body="An answer.")
        ids.append(thread.id)
    return ids


async def test_list_pages_with_a_cursor_and_counts_unread(client: httpx.AsyncClient, world: World):
    await answered_questions(world, 5)
    auth = await bearer(world.partner)
    first = (await client.get("/api/v1/notifications?limit=2", headers=auth)).json()
    assert [n["kind"] for n in first["items"]] == ["answer", "answer"] and first["unread"] == 5
    assert "Question number 04" in first["items"][0]["text"]
    seen = [n["id"] for n in first["items"]]
    url = first["next"]
    while url:
        page = (await client.get(url, headers=auth)).json()
        seen += [n["id"] for n in page["items"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 5
    assert (await client.get("/api/v1/notifications/unread-count", headers=auth)).json() == {"unread": 5}
    for bad in ("limit=0", "limit=101", "limit=x", "cursor=abc", "cursor=%00"):
        response = await client.get(f"/api/v1/notifications?{bad}", headers=auth)
        assert response.status_code == 422, bad


async def test_mark_one_and_all_read(client: httpx.AsyncClient, world: World):
    await answered_questions(world, 3)
    auth = await bearer(world.partner)
    items = (await client.get("/api/v1/notifications", headers=auth)).json()["items"]
    one = (await client.post(f"/api/v1/notifications/{items[0]['id']}/read", headers=auth)).json()
    assert one["read"] is True and one["read_at"]
    unread = (await client.get("/api/v1/notifications?unread=true", headers=auth)).json()
    assert len(unread["items"]) == 2 and unread["unread"] == 2
    others = await bearer(world.colleague)
    assert (
        await client.post(f"/api/v1/notifications/{items[1]['id']}/read", headers=others)
    ).status_code == 404
    assert (await client.post("/api/v1/notifications/read-all", headers=auth)).json() == {"marked": 2}
    assert (await client.get("/api/v1/notifications/unread-count", headers=auth)).json() == {"unread": 0}


async def test_preferences_get_and_put(client: httpx.AsyncClient, world: World):
    auth = await bearer(world.partner)
    prefs = (await client.get("/api/v1/notifications/preferences", headers=auth)).json()
    assert prefs["muted_kinds"] == [] and prefs["watch_started"] is True
    assert "review_item" not in prefs["kinds"] and "sanction" not in prefs["kinds"]
    put = await client.put(
        "/api/v1/notifications/preferences", json={"muted_kinds": ["mention"]}, headers=auth
    )
    assert put.json()["muted_kinds"] == ["mention"] and put.json()["watch_answered"] is True
    put = await client.put("/api/v1/notifications/preferences", json={"watch_started": False}, headers=auth)
    assert put.json()["muted_kinds"] == ["mention"] and put.json()["watch_started"] is False
    for body in ({"muted_kinds": ["sanction"]}, {"muted_kinds": "mention"}, {"watch_started": "yes"}):
        response = await client.put("/api/v1/notifications/preferences", json=body, headers=auth)
        assert response.status_code == 422 and set(response.json()["error"]["fields"]) == set(body)


async def test_watches_set_list_and_delete(client: httpx.AsyncClient, world: World):
    thread_id = (await answered_questions(world, 1))[0]
    auth = await bearer(world.colleague)
    made = await client.post(
        "/api/v1/watches",
        json={"target_type": "thread", "target": thread_id, "level": "watching"},
        headers=auth,
    )
    assert made.status_code == 200 and made.json()["label"] == "Question number 00 today"
    odd = await client.post(
        "/api/v1/watches", json={"target_type": "thread", "target": "²", "level": "watching"}, headers=auth
    )
    assert odd.status_code == 404  # digits int() refuses are no thread, not a 500
    muted = await client.post(
        "/api/v1/watches", json={"target_type": "tag", "target": "Rebates", "level": "muted"}, headers=auth
    )
    assert muted.json()["target"] == "rebates" and muted.json()["level"] == "muted"
    cat = await client.post(
        "/api/v1/watches",
        json={"target_type": "category", "target": "general", "level": "watching"},
        headers=auth,
    )
    assert cat.json()["target"] == "general"
    listed = (await client.get("/api/v1/watches", headers=auth)).json()
    assert {(w["target_type"], w["level"]) for w in listed["items"]} == {
        ("thread", "watching"), ("tag", "muted"), ("category", "watching"),
    }  # fmt: skip
    assert (await client.delete(f"/api/v1/watches/{made.json()['id']}", headers=auth)).status_code == 204
    assert (await client.delete(f"/api/v1/watches/{made.json()['id']}", headers=auth)).status_code == 404
    silver = await bearer(world.silver_partner)
    for target_type, target in (("category", "gold-programme"), ("thread", 987654), ("thread", "x")):
        response = await client.post(
            "/api/v1/watches", json={"target_type": target_type, "target": target, "level": "watching"},
            headers=silver,
        )  # fmt: skip
        assert response.status_code == 404, (target_type, target)
    response = await client.post(
        "/api/v1/watches", json={"target_type": "forum", "target": "x", "level": "loud"}, headers=silver
    )
    assert response.status_code == 422 and set(response.json()["error"]["fields"]) == {"target_type"}
    assert not await Watch.filter(user_id=world.silver_partner.id).exists()


async def test_announcements_by_api(client: httpx.AsyncClient, world: World):
    admin = await bearer(world.admin)
    body = {"title": "New price list next week", "body": "Details *soon*.", "audience": "silver"}
    sent = await client.post("/api/v1/announcements", json=body, headers=admin)
    assert sent.status_code == 201 and sent.json()["recipient_count"] == 1
    assert "<em>soon</em>" in sent.json()["body_html"]
    note = await Notification.get(user_id=world.silver_partner.id)
    assert note.kind == NotificationKind.ANNOUNCEMENT
    ident = sent.json()["id"]
    assert (
        await client.get(f"/api/v1/announcements/{ident}", headers=await bearer(world.silver_partner))
    ).status_code == 200
    assert (
        await client.get(f"/api/v1/announcements/{ident}", headers=await bearer(world.partner))
    ).status_code == 404
    refused = await client.post("/api/v1/announcements", json=body, headers=await bearer(world.partner))
    assert refused.status_code == 403
    bad = await client.post("/api/v1/announcements", json={**body, "audience": "platinum"}, headers=admin)
    assert bad.status_code == 422 and "audience" in bad.json()["error"]["fields"]
