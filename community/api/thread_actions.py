"""Moderators' thread actions as JSON: status, lock, pin, move, merge, duplicate. Each answers
the thread as a list row (after a merge: the thread it was merged into)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from community.api import serialise as out
from community.api.params import settings_of
from community.auth import require_actor
from community.http import path_id, read_json
from community.services import thread_actions, threads


async def _summary(request: Request, thread_id: int) -> Response:
    actor = await require_actor(request)
    row = await threads.get_thread_summary(actor, thread_id)
    return JSONResponse(out.thread_summary(settings_of(request), row))


async def set_status(request: Request) -> Response:
    actor = await require_actor(request)
    thread_id = path_id(request)
    data = await read_json(request)
    await thread_actions.set_status(
        actor, thread_id, status=data.get("status"), reason=data.get("reason", "")
    )
    return await _summary(request, thread_id)


async def set_locked(request: Request) -> Response:
    actor = await require_actor(request)
    thread_id = path_id(request)
    data = await read_json(request)
    await thread_actions.set_locked(
        actor, thread_id, locked=data.get("locked"), reason=data.get("reason", "")
    )
    return await _summary(request, thread_id)


async def set_pinned(request: Request) -> Response:
    actor = await require_actor(request)
    thread_id = path_id(request)
    data = await read_json(request)
    await thread_actions.set_pinned(
        actor, thread_id, pinned=data.get("pinned"), reason=data.get("reason", "")
    )
    return await _summary(request, thread_id)


async def move(request: Request) -> Response:
    actor = await require_actor(request)
    thread_id = path_id(request)
    data = await read_json(request)
    await thread_actions.move_thread(
        actor, thread_id, category=data.get("category"), reason=data.get("reason", "")
    )
    return await _summary(request, thread_id)


async def merge(request: Request) -> Response:
    actor = await require_actor(request)
    thread_id = path_id(request)
    data = await read_json(request)
    outcome = await thread_actions.merge_thread(
        actor, thread_id, into=data.get("into"), reason=data.get("reason", "")
    )
    return await _summary(request, outcome.target.id)


async def duplicate(request: Request) -> Response:
    actor = await require_actor(request)
    thread_id = path_id(request)
    data = await read_json(request)
    await thread_actions.mark_duplicate(actor, thread_id, of=data.get("of"), reason=data.get("reason", ""))
    return await _summary(request, thread_id)


routes = [
    Route("/threads/{id:int}/status", set_status, methods=["POST"]),
    Route("/threads/{id:int}/lock", set_locked, methods=["POST"]),
    Route("/threads/{id:int}/pin", set_pinned, methods=["POST"]),
    Route("/threads/{id:int}/move", move, methods=["POST"]),
    Route("/threads/{id:int}/merge", merge, methods=["POST"]),
    Route("/threads/{id:int}/duplicate", duplicate, methods=["POST"]),
]
