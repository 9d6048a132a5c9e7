"""Moderators' thread actions as JSON: status, lock, pin, move, merge, duplicate. Each answers
the thread as a list row (after a merge: the thread it was merged into)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from community.actor import Actor
from community.api.operations import ApiRoute, Operation
from community.api.params import settings_of
from community.api.requests import read_body
from community.api.responses import ShapeResponse
from community.api.shapes import Body
from community.api.shapes.forum import (
    ThreadDuplicate,
    ThreadLockChange,
    ThreadMerge,
    ThreadMove,
    ThreadPinChange,
    ThreadStatusChange,
    ThreadSummary,
    thread_summary,
)
from community.edge.auth import require_actor
from community.edge.reading import path_id
from community.forum import lists, merging, thread_actions
from community.validation import KEEP

# (actor, thread id, the body's fields as the use case takes them) -> the id of the thread to answer with.
Action = Callable[[Actor, int, dict[str, Any]], Awaitable[int]]


def _endpoint(shape: type[Body], action: Action) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        actor = await require_actor(request)
        thread_id = path_id(request)
        data = await read_body(request, shape)
        given = data.args(reason="", **dict.fromkeys(shape.null_is_a_value, KEEP))
        shown = await action(actor, thread_id, given)
        row = await lists.get_thread_summary(actor, shown)
        return ShapeResponse(thread_summary(settings_of(request), row))

    return endpoint


async def _status(actor: Actor, thread_id: int, data: dict[str, Any]) -> int:
    return (await thread_actions.set_status(actor, thread_id, **data)).id


async def _lock(actor: Actor, thread_id: int, data: dict[str, Any]) -> int:
    return (await thread_actions.set_locked(actor, thread_id, **data)).id


async def _pin(actor: Actor, thread_id: int, data: dict[str, Any]) -> int:
    return (await thread_actions.set_pinned(actor, thread_id, **data)).id


async def _move(actor: Actor, thread_id: int, data: dict[str, Any]) -> int:
    return (await thread_actions.move_thread(actor, thread_id, **data)).id


async def _merge(actor: Actor, thread_id: int, data: dict[str, Any]) -> int:
    outcome = await merging.merge_thread(
        actor, thread_id, **data | {"confirm_wider": data["confirm_wider"] is True}
    )
    return outcome.target.id


async def _duplicate(actor: Actor, thread_id: int, data: dict[str, Any]) -> int:
    return (await merging.mark_duplicate(actor, thread_id, **data)).id


def _action(name: str, shape: type[Body], action: Action, op_id: str, summary: str, description: str,
            ok: str = "The thread.") -> ApiRoute:  # fmt: skip
    operation = Operation(
        op_id, "moderation", summary, ok=(200, ThreadSummary, ok), errors=(404, 409),
        description=description + " Every action is recorded in the audit log; others get 403.",
        params=("Id",), body=shape,
    )  # fmt: skip
    return ApiRoute("POST", f"/threads/{{id:int}}/{name}", _endpoint(shape, action), operation)


routes = [
    _action("status", ThreadStatusChange, _status, "setThreadStatus",
            "Close a thread (no new answers) or reopen it",
            "Moderators; the thread's author may close it (not reopen it). Reopening a duplicate takes the "
            "duplicate mark back."),
    _action("lock", ThreadLockChange, _lock, "setThreadLocked",
            "Lock a thread (only moderators may post, edit or vote in it) or unlock it",
            "Moderators only, also for their own threads' authors."),
    _action("pin", ThreadPinChange, _pin, "setThreadPinned",
            "Pin a thread to the top of its category, or unpin it",
            "Moderators only."),
    _action("move", ThreadMove, _move, "moveThread", "Move a thread to another category",
            "Moderators only. Whoever cannot see the new category loses sight of the thread (pages, lists, "
            "search). 422 names `category` when it is missing or the current one."),
    _action("merge", ThreadMerge, _merge, "mergeThread", "Merge a thread into another one",
            "Moderators only. Every post moves into the target (kept in time order), tags are merged, the "
            "target keeps its accepted answer (or takes this thread's). This thread's page and GET "
            "/threads/{id} lead to the target from then on (301 / 308). 422 names `into` for the same thread "
            "or one that does not exist, and `confirm_wider` when the target is seen by more people and it "
            "is not true; 409 when one of them was merged or moved meanwhile.",
            ok="The thread merged into."),
    _action("duplicate", ThreadDuplicate, _duplicate, "markThreadDuplicate",
            "Mark a thread as a duplicate of another (closing it), or take the mark back",
            "Moderators only. Its page shows a banner linking to the original."),
]  # fmt: skip
