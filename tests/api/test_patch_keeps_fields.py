"""Every PATCH of the API leaves the fields a request leaves out as they were, as an integrator
reading the thing back through the API would notice (issue 10).

The PATCH routes: /posts/{id}, /kb/articles/{id} and /kb/product-versions/{id}
(``test_every_patch_route_has_a_test_here`` fails when another one appears).
"""

from __future__ import annotations

from typing import Any

import httpx
from starlette.routing import Mount

from community.api.openapi import PREFIX
from community.forum import posts, threads
from tests.api.conftest import bearer

TESTED = {"/posts/{id}", "/kb/articles/{id}", "/kb/product-versions/{id}"}


def test_every_patch_route_has_a_test_here(app):  # type: ignore[no-untyped-def]
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == PREFIX)
    patched = {r.path_format for r in mount.routes if "PATCH" in (getattr(r, "methods", None) or ())}
    assert patched == TESTED


# --- PATCH /posts/{id} -----------------------------------------------------------------------------


async def _question(client: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, Any]:
    asked = await client.post(
        "/api/v1/threads",
        json={"category": "general", "title": "Which form registers a tender deal?",
              "body": "We bid on a **public tender** next month.", "tags": ["deals", "tenders"]},
        headers=auth,
    )  # fmt: skip
    assert asked.status_code == 201, asked.text
    return asked.json()


async def _read_opening(client: httpx.AsyncClient, auth: dict[str, str], thread_id: int) -> dict[str, Any]:
    thread = (await client.get(f"/api/v1/threads/{thread_id}", headers=auth)).json()
    opening = thread["opening_post"]
    return {"title": thread["title"], "tags": thread["tags"], "body_source": opening["body_source"],
            "body_html": opening["body_html"]}  # fmt: skip


async def test_editing_only_the_body_keeps_the_title_and_tags(client, world):
    auth = await bearer(world.partner)
    thread = await _question(client, auth)
    before = await _read_opening(client, auth, thread["id"])
    post_id = thread["opening_post"]["id"]
    edited = await client.patch(
        f"/api/v1/posts/{post_id}", json={"body": "Next **week**, in fact."}, headers=auth
    )
    assert edited.status_code == 200, edited.text
    after = await _read_opening(client, auth, thread["id"])
    assert after["body_source"] == "Next **week**, in fact."
    assert (after["title"], after["tags"]) == (before["title"], before["tags"])


async def test_editing_only_the_title_keeps_the_body_and_tags(client, world):
    """Failed before: a PATCH without ``body`` answered 422 ("Please write something.")."""
    auth = await bearer(world.partner)
    thread = await _question(client, auth)
    before = await _read_opening(client, auth, thread["id"])
    post_id = thread["opening_post"]["id"]
    edited = await client.patch(
        f"/api/v1/posts/{post_id}", json={"title": "Which form registers a public tender deal?"}, headers=auth
    )
    assert edited.status_code == 200, edited.text
    after = await _read_opening(client, auth, thread["id"])
    assert after["title"] == "Which form registers a public tender deal?"
    assert (after["body_source"], after["body_html"], after["tags"]) == (
        before["body_source"], before["body_html"], before["tags"],
    )  # fmt: skip
    revisions = (await client.get(f"/api/v1/posts/{post_id}/revisions", headers=auth)).json()
    assert [r["body_source"] for r in revisions["items"]] == [before["body_source"]] * 2


async def test_editing_only_the_tags_of_an_answer_changes_nothing_else(client, world):
    """An answer has no title or tags: a PATCH naming only tags keeps its text."""
    auth = await bearer(world.partner)
    thread = await _question(client, auth)
    expert = await bearer(world.expert)
    answer = (
        await client.post(
            f"/api/v1/threads/{thread['id']}/posts", json={"body": "Form **D-7**."}, headers=expert
        )
    ).json()
    edited = await client.patch(f"/api/v1/posts/{answer['id']}", json={"tags": ["other"]}, headers=expert)
    assert edited.status_code == 200, edited.text
    read = (await client.get(f"/api/v1/posts/{answer['id']}", headers=expert)).json()
    assert (read["body_source"], read["body_html"]) == (answer["body_source"], answer["body_html"])
    assert (await client.get(f"/api/v1/threads/{thread['id']}", headers=auth)).json()["tags"] == [
        "deals",
        "tenders",
    ]


# --- PATCH /kb/articles/{id} -----------------------------------------------------------------------


async def _article(client: httpx.AsyncClient, world: Any, expert: dict[str, str]) -> dict[str, Any]:
    """An article with a summary, two tags and a product version."""
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question",
        title="How do I register a multi-site deal?", body="Five sites: one deal or five?", tags="deals",
    )  # fmt: skip
    answer = await posts.reply(world.actor(world.colleague), thread.id, body="One deal per site.")
    product = (await client.post("/api/v1/kb/products", json={"name": "Router X200"}, headers=expert)).json()
    version = (
        await client.post(
            f"/api/v1/kb/products/{product['id']}/versions", json={"name": "4.x"}, headers=expert
        )
    ).json()
    created = await client.post(
        f"/api/v1/posts/{answer.id}/promote",
        json={
            "summary": "One deal for each site.",
            "tags": ["deals", "multi-site"],
            "products": [version["id"]],
        },
        headers=expert,
    )
    assert created.status_code == 201, created.text
    return created.json()


KEPT = ("title", "summary", "body_source", "body_html", "category", "tags", "products")


async def test_editing_title_body_and_category_keeps_products_tags_and_summary(client, world):
    """The integrator's report in issue 10: this PATCH emptied the products, tags and summary."""
    expert = await bearer(world.expert)
    art = await _article(client, world, expert)
    path = f"/api/v1/kb/articles/{art['id']}"
    edit = {"title": "Registering multi-site deals", "body": "One deal **per site**.", "category": "general"}
    edited = await client.patch(path, json=edit, headers=expert)
    assert edited.status_code == 200, edited.text
    read = (await client.get(path, headers=await bearer(world.partner))).json()
    assert read["title"] == "Registering multi-site deals" and read["body_source"] == "One deal **per site**."
    assert read["summary"] == "One deal for each site."
    assert read["tags"] == ["deals", "multi-site"]
    assert read["products"] == art["products"] and len(read["products"]) == 1
    assert read["version_count"] == 2


async def test_editing_only_the_summary_keeps_everything_else(client, world):
    """Failed before: a PATCH without title, body and category answered 422."""
    expert = await bearer(world.expert)
    art = await _article(client, world, expert)
    path = f"/api/v1/kb/articles/{art['id']}"
    edited = await client.patch(
        path, json={"summary": "Register each site.", "note": "shorter"}, headers=expert
    )
    assert edited.status_code == 200, edited.text
    read = (await client.get(path, headers=expert)).json()
    assert read["summary"] == "Register each site."
    assert {k: read[k] for k in KEPT if k != "summary"} == {k: art[k] for k in KEPT if k != "summary"}
    versions = (await client.get(f"{path}/versions", headers=expert)).json()["items"]
    assert versions[0]["note"] == "shorter" and versions[0]["product_version_ids"] == [
        art["products"][0]["id"]
    ]


async def test_an_empty_edit_keeps_everything_and_still_checks_the_version(client, world):
    expert = await bearer(world.expert)
    art = await _article(client, world, expert)
    path = f"/api/v1/kb/articles/{art['id']}"
    assert (await client.patch(path, json={"base_version": 1}, headers=expert)).status_code == 200
    read = (await client.get(path, headers=expert)).json()
    assert {k: read[k] for k in KEPT} == {k: art[k] for k in KEPT}
    stale = await client.patch(path, json={"base_version": 1, "title": "Someone else's edit"}, headers=expert)
    assert stale.status_code == 409
    assert (await client.get(path, headers=expert)).json()["title"] == art["title"]


# --- PATCH /kb/product-versions/{id} ---------------------------------------------------------------


async def test_superseding_a_version_keeps_its_name_and_product(client, world):
    expert = await bearer(world.expert)
    product = (await client.post("/api/v1/kb/products", json={"name": "Switch S24"}, headers=expert)).json()
    path = f"/api/v1/kb/products/{product['id']}/versions"
    first = (await client.post(path, json={"name": "1.0"}, headers=expert)).json()
    second = (await client.post(path, json={"name": "2.0"}, headers=expert)).json()
    done = await client.patch(
        f"/api/v1/kb/product-versions/{first['id']}", json={"superseded": True}, headers=expert
    )
    assert done.status_code == 200, done.text
    listed = (await client.get("/api/v1/kb/products", headers=expert)).json()["items"]
    versions = {v["id"]: v for p in listed if p["id"] == product["id"] for v in p["versions"]}
    assert (versions[first["id"]]["name"], versions[first["id"]]["product_id"]) == ("1.0", product["id"])
    assert versions[first["id"]]["superseded"] is True
    assert versions[second["id"]] == second
