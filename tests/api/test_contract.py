"""The API keeps to what its OpenAPI document says: undeclared fields are refused, permission is
decided before the body is read, and a 405 names every method the path answers."""

from __future__ import annotations

import pytest

from community.models import Category, Post, Thread, WatchedWord
from tests.api.conftest import bearer


async def test_an_unknown_field_is_a_422_naming_it_and_saves_nothing(client, world):
    auth = await bearer(world.partner)
    body = {"category": "general", "title": "Where is the price list?", "body": "Looking for it.",
            "tagz": ["pricing"]}  # fmt: skip
    response = await client.post("/api/v1/threads", json=body, headers=auth)
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"tagz": "This request has no field of this name."}
    assert await Thread.all().count() == 0 and await Post.all().count() == 0


async def test_unknown_fields_are_named_together_with_wrong_types(client, world):
    auth = await bearer(world.partner)
    body = {"category": "general", "title": 5, "body": "Body", "colour": "red"}
    response = await client.post("/api/v1/threads", json=body, headers=auth)
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"title", "colour"}


STAFF_BODIES = [
    ("/api/v1/categories", "administrators"),
    ("/api/v1/moderation/watched-words", "administrators"),
    ("/api/v1/moderation/rules/test", "administrators"),
    ("/api/v1/moderation/rules/categories", "administrators"),
    ("/api/v1/moderation/sanctions", "moderators"),
    ("/api/v1/kb/products", "curators"),
    ("/api/v1/announcements", "administrators"),
]


@pytest.mark.parametrize(("path", "who"), STAFF_BODIES)
async def test_a_partner_hears_403_on_a_staff_endpoint_whatever_the_body(client, world, path, who):
    auth = await bearer(world.partner)
    for body in ({"nonsense": [1, 2]}, {"name": 5, "word": None, "user": {}}, {}):
        response = await client.post(path, json=body, headers=auth)
        assert response.status_code == 403, (path, body, response.text)
        assert response.json()["error"]["code"] == "forbidden"
    assert await Category.all().count() == 3 and await WatchedWord.all().count() == 0


async def test_staff_still_get_the_field_errors(client, world):
    response = await client.post(
        "/api/v1/categories", json={"name": 5, "nonsense": 1}, headers=await bearer(world.admin)
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"name", "nonsense"}


async def test_405_names_every_method_of_the_path(client, world):
    response = await client.delete("/api/v1/threads", headers=await bearer(world.partner))
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST"}
    response = await client.put("/api/v1/posts/1", headers=await bearer(world.partner))
    assert set(response.headers["Allow"].split(", ")) == {"DELETE", "GET", "HEAD", "PATCH"}


# Found by schemathesis (tests/load/api_fuzz.py, "schema-violating request accepted"): each was a 200.
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/notifications?unread=null",
        "/api/v1/notifications?unread=true&unread=true",
        "/api/v1/kb/articles?needs_review=yes-please",
        "/api/v1/moderation/audit?since=",
        "/api/v1/health-dashboard?from=",
        "/api/v1/threads?page=",
        "/api/v1/threads?status=",
    ],
)
async def test_query_values_the_document_does_not_allow_are_a_422(client, world, path):
    response = await client.get(path, headers=await bearer(world.moderator))
    assert response.status_code == 422, response.text
    assert list(response.json()["error"]["fields"]) == [path.split("?")[1].split("=")[0]]


async def test_booleans_read_true_false_1_and_0(client, world):
    auth = await bearer(world.moderator)
    for value in ("true", "false", "1", "0", "TRUE"):
        assert (await client.get(f"/api/v1/notifications?unread={value}", headers=auth)).status_code == 200


async def test_null_where_the_document_allows_no_null_is_a_422_and_changes_nothing(client, world):
    auth = await bearer(world.partner)
    asked = await client.post(
        "/api/v1/threads", json={"category": "general", "title": "Where is the price list?", "body": "Body"},
        headers=auth,
    )  # fmt: skip
    thread_id = asked.json()["id"]
    response = await client.post(
        f"/api/v1/threads/{thread_id}/status", json={"status": "closed", "reason": None}, headers=auth
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "reason": "This field cannot be null: leave it out, or give a value."
    }
    assert (await Thread.get(id=thread_id)).status == "open"


async def test_a_duplicate_mark_needs_its_original_named_or_null(client, world):
    asked = await client.post(
        "/api/v1/threads", json={"category": "general", "title": "Where is the price list?", "body": "Body"},
        headers=await bearer(world.partner),
    )  # fmt: skip
    auth = await bearer(world.moderator)
    path = f"/api/v1/threads/{asked.json()['id']}/duplicate"
    # Left out, "of" was taken as null ("take the mark back") and answered 200.
    response = await client.post(path, json={"reason": "Asked before"}, headers=auth)
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["of"]
    assert (await client.post(path, json={"of": None}, headers=auth)).status_code == 200
    missing = await client.post("/api/v1/threads/987654/duplicate", json={}, headers=auth)
    assert missing.status_code == 404
