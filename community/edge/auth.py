"""Who is asking: the actor behind a request, from the session cookie or a Bearer token."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from community import policy
from community.accounts.tokens import actor_for_token
from community.actor import Actor, ThreadStamp, load_actor, load_actor_and_thread
from community.errors import Forbidden, Unauthenticated

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

    A session whose auth version no longer matches the user's (password changed) is treated as
    signed out, and so is a suspended account: whatever asks only "who is this?" (page chrome,
    the websocket) sees nobody. ``require_actor`` says why."""
    actor = await _loaded_actor(conn)
    return None if actor is None or actor.is_suspended else actor


async def _loaded_actor(conn: HTTPConnection) -> Actor | None:
    if "actor" in conn.state._state:
        return conn.state.actor
    actor: Actor | None = None
    token = bearer_token(conn)
    if token is not None:
        actor = await actor_for_token(token)
        conn.state.via_token = True
    elif (uid := _session_user_id(conn)) is not None:
        actor = _checked_session_actor(conn, await load_actor(uid))
    conn.state.actor = actor
    return actor


def _session_user_id(conn: HTTPConnection) -> int | None:
    uid = conn.session.get(SESSION_USER) if "session" in conn.scope else None
    return uid if isinstance(uid, int) else None


def _checked_session_actor(conn: HTTPConnection, actor: Actor | None) -> Actor | None:
    if actor is not None and actor.auth_version != conn.session.get(SESSION_AUTH_VERSION):
        conn.session.pop(SESSION_USER, None)
        return None
    return actor


async def require_actor(conn: HTTPConnection) -> Actor:
    return usable(await _loaded_actor(conn))


def usable(actor: Actor | None) -> Actor:
    """The actor if they may act now: 401 when nobody is signed in, 403 when suspended (live
    connections re-check an actor loaded elsewhere when access changes)."""
    if actor is None:
        raise Unauthenticated()
    if actor.is_suspended:
        raise Forbidden(policy.suspension_refusal(actor.suspended_until))
    return actor


async def require_actor_and_thread(conn: HTTPConnection, thread_id: int) -> tuple[Actor, ThreadStamp | None]:
    """``require_actor`` plus the thread's stamp, in one query for session users (the thread
    page's hot path); the stamp is None when it could not be loaded alongside."""
    uid = _session_user_id(conn)
    if bearer_token(conn) is not None or uid is None or "actor" in conn.state._state:
        return await require_actor(conn), None
    loaded, stamp = await load_actor_and_thread(uid, thread_id)
    actor = _checked_session_actor(conn, loaded)
    conn.state.actor = actor
    return usable(actor), stamp


def sign_in(conn: HTTPConnection, user_id: int, auth_version: int) -> None:
    conn.session.clear()  # a fresh session (and CSRF token) on sign-in: no fixation
    conn.session[SESSION_USER] = user_id
    conn.session[SESSION_AUTH_VERSION] = auth_version


def sign_out(conn: HTTPConnection) -> None:
    conn.session.clear()
