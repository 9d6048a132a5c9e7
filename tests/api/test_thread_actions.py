"""Thread actions through the JSON API: answers, refusals and the redirect of a merged thread."""

from __future__ import annotations

from tests.api.conftest import bearer, check_against_document
from tests.conftest import World


async def ask(client, auth, title: str = "Which switch suits a small office?") -> dict:  # type: ignore[no-untyped-def]
    body = {"category": "general", "title": title, "body": "Two floors."}
    response = await client.post("/api/v1/threads", json=body, headers=auth)
    assert response.status_code == 201
    return response.json()


async def test_actions_answer_the_thread_summary(client, world: World):
    pat, mo = await bearer(world.partner), await bearer(world.moderator)
    thread = await ask(client, pat)
    base = f"/api/v1/threads/{thread['id']}"
    refused = await client.post(f"{base}/lock", json={"locked": True, "reason": "Mine"}, headers=pat)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert (await client.get(base, headers=pat)).json()["locked"] is False
    for path, body, check in (
        ("lock", {"locked": True, "reason": "Heated"}, ("locked", True)),
        ("pin", {"pinned": True}, ("pinned", True)),
        ("status", {"status": "closed"}, ("status", "closed")),
        ("move", {"category": "gold-programme", "reason": "Gold"}, ("category", {"slug": "gold-programme",
                                                                              "name": "Gold programme"})),
    ):  # fmt: skip
        response = await client.post(f"{base}/{path}", json=body, headers=mo)
        await check_against_document(response)
        assert response.status_code == 200 and response.json()[check[0]] == check[1], path
    bad = await client.post(f"{base}/move", json={"category": "no-such-category"}, headers=mo)
    assert bad.status_code == 422 and "category" in bad.json()["error"]["fields"]
    answer = await client.post(f"{base}/posts", json={"body": "Late"}, headers=pat)
    assert answer.status_code == 403 and "locked" in answer.json()["error"]["message"]


async def test_merge_and_duplicate(client, world: World):
    pat, mo = await bearer(world.partner), await bearer(world.moderator)
    target, source, dupe = (
        await ask(client, pat, "Which switch for a small office?"),
        await ask(client, pat),
        await ask(client, pat, "Small office switch advice"),
    )
    itself = await client.post(
        f"/api/v1/threads/{source['id']}/merge", json={"into": source["id"], "reason": "x"}, headers=mo
    )
    assert itself.status_code == 422 and "into" in itself.json()["error"]["fields"]
    merged = await client.post(
        f"/api/v1/threads/{source['id']}/merge",
        json={"into": f"/t/{target['id']}", "reason": "Same"},
        headers=mo,
    )
    await check_against_document(merged)
    assert merged.status_code == 200 and merged.json()["id"] == target["id"]
    assert merged.json()["reply_count"] == 1
    again = await client.post(
        f"/api/v1/threads/{source['id']}/merge", json={"into": target["id"], "reason": "Same"}, headers=mo
    )
    assert again.status_code == 404
    moved = await client.get(f"/api/v1/threads/{source['id']}", headers=pat)
    await check_against_document(moved)
    assert moved.status_code == 308 and moved.json()["merged_into"] == target["id"]
    marked = await client.post(
        f"/api/v1/threads/{dupe['id']}/duplicate", json={"of": target["id"]}, headers=mo
    )
    assert marked.json()["duplicate_of_id"] == target["id"] and marked.json()["status"] == "closed"
    cleared = await client.post(f"/api/v1/threads/{dupe['id']}/duplicate", json={"of": None}, headers=mo)
    assert cleared.json()["duplicate_of_id"] is None and cleared.json()["status"] == "open"


async def test_merge_into_a_wider_audience_needs_confirm_wider(client, world: World):
    pat, mo = await bearer(world.partner), await bearer(world.moderator)
    target = await ask(client, pat, "Deal registration, in general")
    body = {"category": "gold-programme", "title": "Gold deal registration", "body": "Discount?"}
    source = (await client.post("/api/v1/threads", json=body, headers=pat)).json()
    url = f"/api/v1/threads/{source['id']}/merge"
    refused = await client.post(url, json={"into": target["id"], "reason": "Same"}, headers=mo)
    await check_against_document(refused)
    assert refused.status_code == 422 and "confirm_wider" in refused.json()["error"]["fields"]
    # Not merged: the gold thread still answers at its own address, in its own category.
    still = await client.get(f"/api/v1/threads/{source['id']}", headers=pat)
    assert still.status_code == 200 and still.json()["category"]["slug"] == "gold-programme"
    assert (await client.get(f"/api/v1/threads/{target['id']}", headers=pat)).json()["reply_count"] == 0
    merged = await client.post(
        url, json={"into": target["id"], "reason": "Same", "confirm_wider": True}, headers=mo
    )
    await check_against_document(merged)
    assert merged.status_code == 200 and merged.json()["id"] == target["id"]


async def test_an_edit_decision_on_a_flagged_thread_retitles_it(client, world: World):
    from community.models import ReviewItem

    pat, cole, mo = await bearer(world.partner), await bearer(world.colleague), await bearer(world.moderator)
    thread = await ask(client, pat, "URGENT!!! switch???")
    flagged = await client.post(
        f"/api/v1/threads/{thread['id']}/flags", json={"reason": "off_topic"}, headers=cole
    )
    assert flagged.status_code in (200, 201), flagged.text
    item = await ReviewItem.get(thread_id=thread["id"])
    body = {"decision": "edit", "reason": "Clearer", "body": "Two floors.", "title": "Switch for two floors?"}
    decided = await client.post(f"/api/v1/moderation/items/{item.id}/decision", json=body, headers=mo)
    await check_against_document(decided)
    assert decided.status_code == 200
    shown = await client.get(f"/api/v1/threads/{thread['id']}", headers=pat)
    assert shown.json()["title"] == "Switch for two floors?"
