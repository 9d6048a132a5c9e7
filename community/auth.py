"""Who is asking: the actor behind a request, from the session cookie or a Bearer token."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from community.actor import Actor, load_actor
from community.errors import Forbidden, Unauthenticated
from community.models import UserStatus
from community.services.accounts import actor_for_token

SESSION_USER = "uid"
SESSION_AUTH_VERSION = "av"


def bearer_token(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def current_actor(conn: HTTPConnection) -> Actor | None:
    """The signed-in actor or None; cached on the request. A Bearer header wins over the cookie.

    A session whose auth version no longer matches the user's (password changed, suspended)
    is treated as signed out."""
    if "actor" in conn.state._state:
        return conn.state.actor
    actor: Actor | None = None
    token = bearer_token(conn)
    if token is not None:
        actor = await actor_for_token(token)
        conn.state.via_token = True
    elif "session" in conn.scope:
        uid = conn.session.get(SESSION_USER)
        if isinstance(uid, int):
            actor = await load_actor(uid)
            if actor is not None and actor.auth_version != conn.session.get(SESSION_AUTH_VERSION):
                actor = None
                conn.session.pop(SESSION_USER, None)
    conn.state.actor = actor
    return actor


async def require_actor(conn: HTTPConnection) -> Actor:
    actor = await current_actor(conn)
    if actor is None:
        raise Unauthenticated()
    if actor.status == UserStatus.SUSPENDED:
        raise Forbidden("This account is suspended.")
    return actor


def sign_in(conn: HTTPConnection, user_id: int, auth_version: int) -> None:
    conn.session.clear()  # a fresh session (and CSRF token) on sign-in: no fixation
    conn.session[SESSION_USER] = user_id
    conn.session[SESSION_AUTH_VERSION] = auth_version


def sign_out(conn: HTTPConnection) -> None:
    conn.session.clear()
