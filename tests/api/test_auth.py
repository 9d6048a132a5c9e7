"""Who may call the API and how: Bearer tokens, session cookies with CSRF, and bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from community.models import User
from tests.api.conftest import bearer
from tests.api.test_threads import QUESTION
from tests.conftest import login

ENDPOINTS = [
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/categories"),
    ("POST", "/api/v1/categories"),
    ("GET", "/api/v1/threads"),
    ("POST", "/api/v1/threads"),
    ("GET", "/api/v1/threads/1"),
    ("POST", "/api/v1/threads/1/posts"),
    ("GET", "/api/v1/posts/1"),
    ("PATCH", "/api/v1/posts/1"),
    ("DELETE", "/api/v1/posts/1"),
    ("GET", "/api/v1/posts/1/revisions"),
    ("POST", "/api/v1/posts/1/accept"),
    ("DELETE", "/api/v1/posts/1/accept"),
    ("POST", "/api/v1/posts/1/votes"),
    ("DELETE", "/api/v1/posts/1/votes"),
    ("GET", "/api/v1/users/someone"),
    ("GET", "/api/v1/organisations/gold-reseller-gmbh"),
    ("POST", "/api/v1/organisations/gold-reseller-gmbh/invitations"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_401_without_credentials(client, world, method, path):
    response = await client.request(method, path, json={}, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_401_with_no_header_at_all(client, world):
    response = await client.get("/api/v1/threads")
    assert response.status_code == 401 and response.json()["error"]["message"]


async def test_bearer_token_works_and_needs_no_csrf(client, world):
    auth = await bearer(world.partner)
    me = await client.get("/api/v1/me", headers=auth)
    assert me.status_code == 200
    body = me.json()
    assert body["handle"] == world.partner.handle and "csrf_token" not in body
    assert body["organisation"] == {
        "id": world.gold.id,
        "name": "Gold Reseller GmbH",
        "slug": world.gold.slug,
        "tier": "gold",
        "kind": "partner",
    }
    assert body["is_org_admin"] is True and body["role"] == "partner"
    response = await client.post("/api/v1/threads", json=QUESTION, headers=auth)
    assert response.status_code == 201
    me = (await client.get("/api/v1/me", headers=auth)).json()
    assert me["post_count"] == 1


async def test_bearer_wins_over_the_session_cookie(client, world):
    await login(client, world.partner)
    me = (await client.get("/api/v1/me", headers=await bearer(world.expert))).json()
    assert me["handle"] == world.expert.handle and "csrf_token" not in me
    # And a Bearer request ignores the cookie's CSRF duty.
    response = await client.post("/api/v1/threads", json=QUESTION, headers=await bearer(world.expert))
    assert response.status_code == 201 and response.json()["author"]["handle"] == world.expert.handle


async def test_session_cookie_needs_the_csrf_header(client, world):
    await login(client, world.partner)
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    token = me.json()["csrf_token"]
    assert token

    response = await client.post("/api/v1/threads", json=QUESTION)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == "csrf_failed"

    wrong = await client.post("/api/v1/threads", json=QUESTION, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403

    response = await client.post("/api/v1/threads", json=QUESTION, headers={"X-CSRF-Token": token})
    assert response.status_code == 201
    thread_id = response.json()["id"]
    # Safe methods need no token.
    assert (await client.get(f"/api/v1/threads/{thread_id}")).status_code == 200
    delete = await client.delete(f"/api/v1/posts/{response.json()['opening_post']['id']}")
    assert delete.status_code == 403


async def test_revoked_and_suspended(client, world):
    auth = await bearer(world.partner)
    await User.filter(id=world.partner.id).update(suspended_until=datetime.now(UTC) + timedelta(days=1))
    response = await client.get("/api/v1/me", headers=auth)
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


async def test_malformed_json_is_400(client, world):
    auth = {**await bearer(world.partner), "Content-Type": "application/json"}
    for raw in (b"{not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe{}"):
        response = await client.post("/api/v1/threads", content=raw, headers=auth)
        assert response.status_code == 400, raw
        assert response.json()["error"]["code"] == "bad_request"


async def test_wrong_content_type_is_415(client, world):
    auth = await bearer(world.partner)
    response = await client.post("/api/v1/threads", data={"title": "Form post"}, headers=auth)
    assert response.status_code == 415
    response = await client.post(
        "/api/v1/threads", content=b"{}", headers={**auth, "Content-Type": "text/plain"}
    )
    assert response.status_code == 415 and response.json()["error"]["code"] == "unsupported_media_type"


async def test_json_with_charset_is_fine(client, world):
    import json

    response = await client.post(
        "/api/v1/threads",
        content=json.dumps(QUESTION).encode(),
        headers={**await bearer(world.partner), "Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201


async def test_lone_surrogates_and_nul_are_not_a_crash(client, world):
    auth = {**await bearer(world.partner), "Content-Type": "application/json"}
    raw = b'{"category": "general", "title": "Bad \\ud800 title here", "body": "nul \\u0000 here"}'
    response = await client.post("/api/v1/threads", content=raw, headers=auth)
    assert response.status_code == 400, response.text
    deep = b'{"body": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = await client.post("/api/v1/threads", content=deep, headers=auth)
    assert response.status_code == 400, response.text
    raw = b'{"category": "gen\\u0000eral", "title": "A fine title here", "body": "Fine body"}'
    response = await client.post("/api/v1/threads", content=raw, headers=auth)
    assert response.status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/threads/abc",
        "/api/v1/threads/1.5",
        "/api/v1/threads/-1",
        "/api/v1/threads/99999999999999999999999",
        "/api/v1/threads/2147483648",
        "/api/v1/threads/424242",
        "/api/v1/posts/abc/revisions",
        "/api/v1/posts/99999999999999999999999/revisions",
        "/api/v1/users/nobody-here",
        "/api/v1/users/%00",
        "/api/v1/organisations/nowhere",
        "/api/v1/no-such-endpoint",
    ],
)
async def test_unknown_and_malformed_ids_are_404(client, world, path):
    response = await client.get(path, headers=await bearer(world.partner))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_wrong_method_is_405_json(client, world):
    response = await client.put("/api/v1/threads", json={}, headers=await bearer(world.partner))
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"
    # Every method the path answers, although the API declares each on a route of its own.
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
