"""A suspended member is refused on every route the app mounts (pages and API, session and token),
and a silenced one on every posting endpoint of the API, each time with the reason."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from community.accounts import tokens
from community.models import Post, User
from tests.conftest import World, login
from tests.moderation.conftest import Flaggable
from tests.test_authorization_matrix import mounted_routes

# Reachable without signing in: they never ask who is there (or only to redirect).
PUBLIC = {
    "/healthz",
    "/favicon.ico",
    "/help/api",
    "/static/{path}",
    "/api/v1/openapi.json",
    "/api/v1",  # the index that points to the documents above
    "/api/v1/",
    "/login",
    "/logout",
    "/invitations/{token}",
    "/password-reset/{token}",
    "/sso/discover",
    "/sso/{key}/start",
    "/sso/{key}/callback",
    "/sso/{key}/{step}",  # any other address there: a 404 saying whether sign-in is set up
    "/password-reset",  # "forgot password": for people who cannot sign in
    "/mail/unsubscribe/{token}",  # one-click unsubscribe: the signed token is the credential
}


async def test_a_suspended_member_is_refused_on_every_route(client, app, world: World, flaggable: Flaggable):
    csrf = await login(client, world.partner)
    bearer = {"Authorization": f"Bearer {await tokens.create_api_token(world.partner)}"}
    await User.filter(id=world.partner.id).update(suspended_until=datetime.now(UTC) + timedelta(days=1))
    opening = await Post.get(thread_id=flaggable.thread.id, is_opening=True)
    problems, tried = [], 0
    for method, template, regex in mounted_routes(app):
        if template in PUBLIC:
            continue
        tried += 1
        path = re.sub(r"\{\w+\}", str(opening.id), template)  # ids and keys alike: refused first
        if not regex.match(path):
            path = re.sub(r"\{\w+\}", "general", template)
        if path.startswith("/api/"):
            response = await client.request(
                method, path, headers=bearer, json={} if method != "GET" else None
            )
            ok = response.status_code == 403 and "suspended until" in response.json()["error"]["message"]
        elif method == "GET":
            response = await client.get(path)
            ok = response.status_code == 403 and "suspended until" in response.text
        else:
            response = await client.request(method, path, data={"csrf_token": csrf})
            ok = response.status_code == 403 and "suspended until" in response.text
        if not ok:
            problems.append(f"{method} {path}: {response.status_code} {response.text[:120]!r}")
    assert not problems, "\n".join(problems)
    assert tried > 60


async def test_a_silenced_member_is_refused_on_every_posting_endpoint(client, world: World, flaggable):
    bearer = {"Authorization": f"Bearer {await tokens.create_api_token(world.colleague)}"}
    await User.filter(id=world.colleague.id).update(silenced_until=datetime.now(UTC) + timedelta(days=7))
    opening = await Post.get(thread_id=flaggable.thread.id, is_opening=True)
    sends = [
        (
            "POST",
            "/api/v1/threads",
            {"category": "general", "title": "A question while silenced", "body": "x"},
        ),
        ("POST", f"/api/v1/threads/{flaggable.thread.id}/posts", {"body": "An answer while silenced"}),
        ("PATCH", f"/api/v1/posts/{flaggable.answer.id}", {"body": "Edited while silenced"}),
        ("POST", f"/api/v1/posts/{opening.id}/flags", {"reason": "spam"}),
    ]
    for method, path, body in sends:
        response = await client.request(method, path, json=body, headers=bearer)
        assert response.status_code == 403, (path, response.text)
        assert "silenced your account until" in response.json()["error"]["message"]
    voted = await client.post(f"/api/v1/posts/{opening.id}/votes", headers=bearer)
    assert voted.status_code == 200  # reading and voting still work
    assert (await client.get(f"/api/v1/threads/{flaggable.thread.id}", headers=bearer)).status_code == 200
