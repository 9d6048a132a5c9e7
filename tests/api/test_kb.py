"""The knowledge base over JSON (every answer checked against the OpenAPI document)."""

from __future__ import annotations

from community.forum import posts, threads
from tests.api.conftest import bearer


async def _answer(world, category: str = "general") -> int:  # type: ignore[no-untyped-def]
    thread = await threads.create_thread(
        world.actor(world.partner), category=category, kind="question",
        title="How do I register a multi-site deal?", body="Five sites: one deal or five?", tags="deals",
    )  # fmt: skip
    return (await posts.reply(world.actor(world.colleague), thread.id, body="One deal per site.")).id


async def test_promote_edit_versions_compare_restore_state(client, world):
    answer_id = await _answer(world)
    expert = await bearer(world.expert)
    created = await client.post(
        f"/api/v1/posts/{answer_id}/promote", json={"summary": "Short."}, headers=expert
    )
    assert created.status_code == 201, created.text
    art = created.json()
    assert art["title"] == "How do I register a multi-site deal?" and art["version_count"] == 1
    assert art["answer_author"]["handle"] == world.colleague.handle
    assert art["curator"]["handle"] == world.expert.handle
    assert created.headers["location"].endswith(f"/api/v1/kb/articles/{art['id']}")
    again = await client.post(f"/api/v1/posts/{answer_id}/promote", json={}, headers=expert)
    assert again.status_code == 409 and f"/kb/{art['id']}" in again.json()["error"]["message"]

    path = f"/api/v1/kb/articles/{art['id']}"
    edit = {"title": "Registering multi-site deals", "body": "Use **one** deal per site.",
            "category": "general", "tags": ["deals"], "note": "shorter", "base_version": 1}  # fmt: skip
    edited = await client.patch(path, json=edit, headers=expert)
    assert edited.status_code == 200 and edited.json()["version_count"] == 2
    assert (await client.patch(path, json=edit, headers=expert)).status_code == 409
    versions = (await client.get(f"{path}/versions", headers=expert)).json()
    assert [v["number"] for v in versions["items"]] == [2, 1] and versions["items"][0]["note"] == "shorter"
    diff = (await client.get(f"{path}/compare?from=1&to=2", headers=expert)).json()
    assert diff["changed"] > 0 and any(r["kind"] != "equal" for r in diff["body"])
    restored = await client.post(f"{path}/versions/1/restore", json={}, headers=expert)
    assert restored.json()["version_count"] == 3 and restored.json()["title"] == art["title"]
    archived = await client.post(f"{path}/state", json={"state": "archived"}, headers=expert)
    assert archived.json()["state"] == "archived"
    partner = await bearer(world.partner)
    assert (await client.get(path, headers=partner)).status_code == 404
    assert (await client.get("/api/v1/kb/articles", headers=partner)).json()["total"] == 0
    staff_list = await client.get("/api/v1/kb/articles?state=archived", headers=expert)
    assert staff_list.json()["total"] == 1


async def test_rating_review_and_staff_only_figures(client, world):
    answer_id = await _answer(world)
    expert = await bearer(world.expert)
    art = (await client.post(f"/api/v1/posts/{answer_id}/promote", json={}, headers=expert)).json()
    path = f"/api/v1/kb/articles/{art['id']}"
    sam = await bearer(world.silver_partner)
    rated = await client.post(f"{path}/rating", json={"helpful": True}, headers=sam)
    assert rated.json()["my_rating"] is True and rated.json()["helpful_percent"] is None
    assert (await client.post(f"{path}/rating", json={"helpful": "yes"}, headers=sam)).status_code == 422
    assert (await client.delete(f"{path}/rating", headers=sam)).json()["my_rating"] is None
    await client.post(f"{path}/rating", json={"helpful": False}, headers=sam)
    staff_view = (await client.get(path, headers=expert)).json()
    assert staff_view["helpful_percent"] == 0 and staff_view["view_count"] is not None
    flagged = await client.post(f"{path}/review", json={"reason": "Firmware 5"}, headers=sam)
    assert flagged.json()["needs_review"] is True
    assert (await client.delete(f"{path}/review", headers=sam)).status_code == 403
    assert (await client.delete(f"{path}/review", headers=expert)).json()["needs_review"] is False


async def test_products_and_supersede(client, world):
    answer_id = await _answer(world)
    expert, partner = await bearer(world.expert), await bearer(world.partner)
    assert (
        await client.post("/api/v1/kb/products", json={"name": "Router X200"}, headers=partner)
    ).status_code == 403
    product = (await client.post("/api/v1/kb/products", json={"name": "Router X200"}, headers=expert)).json()
    assert (
        await client.post("/api/v1/kb/products", json={"name": "Router X200"}, headers=expert)
    ).status_code == 409
    version = await client.post(
        f"/api/v1/kb/products/{product['id']}/versions", json={"name": "firmware 4.x"}, headers=expert
    )
    assert version.status_code == 201
    vid = version.json()["id"]
    art = (
        await client.post(f"/api/v1/posts/{answer_id}/promote", json={"products": [vid]}, headers=expert)
    ).json()
    assert art["products"] == [
        {"id": vid, "product": "Router X200", "version": "firmware 4.x", "superseded": False}
    ]
    listed = (await client.get(f"/api/v1/kb/articles?product={vid}", headers=partner)).json()
    assert [a["id"] for a in listed["items"]] == [art["id"]]
    done = await client.patch(f"/api/v1/kb/product-versions/{vid}", json={"superseded": True}, headers=expert)
    assert done.json()["articles_sent_to_review"] == 1 and done.json()["version"]["superseded"] is True
    assert (await client.get(f"/api/v1/kb/articles/{art['id']}", headers=partner)).json()["needs_review"]
    products = (await client.get("/api/v1/kb/products", headers=partner)).json()
    assert products["items"][0]["versions"][0]["superseded"] is True


async def test_restricted_articles_stay_out_of_reach_of_other_tiers(client, world):
    answer_id = await _answer(world, category="gold-programme")
    expert = await bearer(world.expert)
    wider = await client.post(
        f"/api/v1/posts/{answer_id}/promote", json={"category": "general"}, headers=expert
    )
    assert wider.status_code == 422 and "category" in wider.json()["error"]["fields"]
    art = (await client.post(f"/api/v1/posts/{answer_id}/promote", json={}, headers=expert)).json()
    sam = await bearer(world.silver_partner)
    for method, path, body in (
        ("GET", f"/api/v1/kb/articles/{art['id']}", None),
        ("GET", f"/api/v1/kb/articles/{art['id']}/versions", None),
        ("GET", f"/api/v1/kb/articles/{art['id']}/compare?from=1&to=1", None),
        ("POST", f"/api/v1/kb/articles/{art['id']}/rating", {"helpful": True}),
        ("POST", f"/api/v1/kb/articles/{art['id']}/review", {"reason": "old"}),
    ):
        response = await client.request(method, path, json=body, headers=sam)
        assert response.status_code == 404, (method, path)
    assert (await client.get("/api/v1/kb/articles", headers=sam)).json()["total"] == 0
    assert (await client.get("/api/v1/kb/articles?category=gold-programme", headers=sam)).status_code == 404


async def test_answers_name_the_article_they_became(client, world):
    answer_id = await _answer(world)
    expert = await bearer(world.expert)
    art = (await client.post(f"/api/v1/posts/{answer_id}/promote", json={}, headers=expert)).json()
    partner = await bearer(world.silver_partner)
    post = (await client.get(f"/api/v1/posts/{answer_id}", headers=partner)).json()
    assert post["article_id"] == art["id"]
    thread = (await client.get(f"/api/v1/threads/{post['thread_id']}", headers=partner)).json()
    assert [p["article_id"] for p in thread["posts"]] == [art["id"]]
    assert thread["opening_post"]["article_id"] is None


async def test_history_hides_versions_from_a_category_the_reader_cannot_see(client, world):
    """Moved from "Gold programme" to "General" (rewritten for everyone): the gold-only first
    version stays out of sight of a silver partner in the history, the comparison and restore."""
    answer_id = await _answer(world, category="gold-programme")
    expert = await bearer(world.expert)
    art = (
        await client.post(
            f"/api/v1/posts/{answer_id}/promote", json={"body": "SECRET gold rebate: 12%."}, headers=expert
        )
    ).json()
    path = f"/api/v1/kb/articles/{art['id']}"
    moved = {"title": "Registering multi-site deals", "body": "One deal per site, linked.",
             "category": "general", "tags": ["deals"], "note": "for everyone", "base_version": 1,
             "confirm_wider": True}  # fmt: skip
    assert (await client.patch(path, json=moved, headers=expert)).status_code == 200
    sam = await bearer(world.silver_partner)
    history = await client.get(f"{path}/versions", headers=sam)
    assert history.status_code == 200
    assert [v["number"] for v in history.json()["items"]] == [2]
    assert "SECRET" not in history.text and "Gold programme" not in history.text
    assert (await client.get(f"{path}/compare?from=1&to=2", headers=sam)).status_code == 404
    assert (await client.get(f"{path}/compare?from=2&to=2", headers=sam)).status_code == 200
    staff = (await client.get(f"{path}/versions", headers=expert)).json()
    assert [v["number"] for v in staff["items"]] == [2, 1]
    gold = (await client.get(f"{path}/versions", headers=await bearer(world.colleague))).json()
    assert [v["number"] for v in gold["items"]] == [2, 1]


async def test_the_answers_author_is_named_only_to_readers_of_its_thread(client, world):
    answer_id = await _answer(world, category="gold-programme")
    expert = await bearer(world.expert)
    art = (
        await client.post(
            f"/api/v1/posts/{answer_id}/promote",
            json={"category": "general", "confirm_wider": True},
            headers=expert,
        )
    ).json()
    path = f"/api/v1/kb/articles/{art['id']}"
    seen = (await client.get(path, headers=await bearer(world.silver_partner))).json()
    assert seen["source_thread"] is None and seen["answer_author"] is None
    gold = (await client.get(path, headers=await bearer(world.partner))).json()
    assert gold["answer_author"]["handle"] == world.colleague.handle and gold["source_thread"]


async def test_odd_digits_in_ids_are_field_errors(client, world):
    """ "²" passes str.isdigit() and int() refuses it: a 422 naming the field, never a 500."""
    answer_id = await _answer(world)
    expert = await bearer(world.expert)
    art = (await client.post(f"/api/v1/posts/{answer_id}/promote", json={}, headers=expert)).json()
    path = f"/api/v1/kb/articles/{art['id']}"
    edit = {"title": "Registering multi-site deals", "body": "One deal per site.", "category": "general"}
    for body, field in (
        ({**edit, "products": ["²"]}, "products"),
        ({**edit, "base_version": "²"}, "base_version"),
    ):
        response = await client.patch(path, json=body, headers=expert)
        assert response.status_code == 422 and field in response.json()["error"]["fields"], response.text
    _, other = await _answer(world), await _answer(world)
    promoted = await client.post(f"/api/v1/posts/{other}/promote", json={"products": ["1²"]}, headers=expert)
    assert promoted.status_code == 422 and "products" in promoted.json()["error"]["fields"]
    for query in ("?product=%C2%B2", "?product=%E2%91%A6"):
        assert (await client.get(f"/api/v1/kb/articles{query}", headers=expert)).status_code == 422
    assert (await client.get(f"{path}/compare?from=%C2%B2&to=1", headers=expert)).status_code == 422
