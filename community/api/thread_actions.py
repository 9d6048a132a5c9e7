"""Moderators' thread actions as JSON: status, lock, pin, move, merge, duplicate. Each answers
the thread as a list row (after a merge: the thread it was merged into)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from community.actor import Actor
from community.api import serialise as out
from community.api.params import settings_of
from community.edge.auth import require_actor
from community.edge.reading import path_id, read_json
from community.forum import lists, merging, thread_actions

# (actor, thread id, JSON body) -> the id of the thread to answer with.
Action = Callable[[Actor, int, dict[str, Any]], Awaitable[int]]


def _endpoint(action: Action) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        actor = await require_actor(request)
        thread_id = path_id(request)
        data = await read_json(request)
        shown = await action(actor, thread_id, data)
        row = await lists.get_thread_summary(actor, shown)
        return JSONResponse(out.thread_summary(settings_of(request), row))

    return endpoint


async def _status(actor: Actor, thread_id: int, data: dict[str, Any]) -> int:
    reason = data.get("reason", "")
    return (await thread_actions.set_status(actor, thread_id, status=data.get("status"), reason=reason)).id


async def _lock(actor: Actor, thread_id: int, data: dict[str, Any]) -> int:
    reason = data.get("reason", "")
    return (await thread_actions.set_locked(actor, thread_id, locked=data.get("locked"), reason=reason)).id


async def _pin(actor: Actor, thread_id: int, data: dict[str, Any]) -> int:
    reason = data.get("reason", "")
    return (await thread_actions.set_pinned(actor, thread_id, pinned=data.get("pinned"), reason=reason)).id


async def _move(actor: Actor, thread_id: int, data: dict[str, Any]) -> int:
    reason = data.get("reason", "")
    return (
        await thread_actions.move_thread(actor, thread_id, category=data.get("category"), reason=reason)
    ).id


async def _merge(actor: Actor, thread_id: int, data: dict[str, Any]) -> int:
    outcome = await merging.merge_thread(
        actor,
        thread_id,
        into=data.get("into"),
        reason=data.get("reason", ""),
        confirm_wider=data.get("confirm_wider") is True,
    )
    return outcome.target.id


async def _duplicate(actor: Actor, thread_id: int, data: dict[str, Any]) -> int:
    reason = data.get("reason", "")
    return (await merging.mark_duplicate(actor, thread_id, of=data.get("of"), reason=reason)).id


routes = [
    Route("/threads/{id:int}/status", _endpoint(_status), methods=["POST"]),
    Route("/threads/{id:int}/lock", _endpoint(_lock), methods=["POST"]),
    Route("/threads/{id:int}/pin", _endpoint(_pin), methods=["POST"]),
    Route("/threads/{id:int}/move", _endpoint(_move), methods=["POST"]),
    Route("/threads/{id:int}/merge", _endpoint(_merge), methods=["POST"]),
    Route("/threads/{id:int}/duplicate", _endpoint(_duplicate), methods=["POST"]),
]
