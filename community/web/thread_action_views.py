"""The moderator forms on a thread page: close/reopen, lock, pin, move, merge, mark as duplicate.

Each form posts here; a refused one comes back as the thread page with the form's errors and what
was typed (status 422); a done one redirects to the thread (after a merge: to the target)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from community.actor import Actor
from community.edge.auth import require_actor
from community.edge.reading import path_id
from community.errors import Invalid
from community.forum import merging, thread_actions
from community.web.forms import read_fields, thread_url
from community.web.forum_views import render_thread_page
from community.web.render import flash

Action = Callable[[Actor, int, dict[str, str]], Awaitable[tuple[int, str]]]


async def _status(actor: Actor, thread_id: int, values: dict[str, str]) -> tuple[int, str]:
    thread = await thread_actions.set_status(
        actor, thread_id, status=values["status"], reason=values["reason"]
    )
    return thread.id, "The thread is closed." if thread.status == "closed" else "The thread is open again."


async def _lock(actor: Actor, thread_id: int, values: dict[str, str]) -> tuple[int, str]:
    thread = await thread_actions.set_locked(
        actor, thread_id, locked=values["locked"], reason=values["reason"]
    )
    return thread.id, "The thread is locked." if thread.locked else "The thread is unlocked."


async def _pin(actor: Actor, thread_id: int, values: dict[str, str]) -> tuple[int, str]:
    thread = await thread_actions.set_pinned(
        actor, thread_id, pinned=values["pinned"], reason=values["reason"]
    )
    return thread.id, "The thread is pinned." if thread.pinned else "The thread is no longer pinned."


async def _move(actor: Actor, thread_id: int, values: dict[str, str]) -> tuple[int, str]:
    thread = await thread_actions.move_thread(
        actor, thread_id, category=values["category"], reason=values["reason"]
    )
    return thread.id, f"The thread moved to {thread.category.name}."


async def _merge(actor: Actor, thread_id: int, values: dict[str, str]) -> tuple[int, str]:
    outcome = await merging.merge_thread(
        actor,
        thread_id,
        into=values["into"],
        reason=values["reason"],
        confirmed=values["confirm"] == "1",
        confirm_wider=values["confirm_wider"] == "1",
    )
    n = len(outcome.moved_post_ids)
    return outcome.target.id, f"Merged: {n} post{'s' if n != 1 else ''} moved into this thread."


async def _duplicate(actor: Actor, thread_id: int, values: dict[str, str]) -> tuple[int, str]:
    thread = await merging.mark_duplicate(actor, thread_id, of=values["of"], reason=values["reason"])
    return (
        thread.id,
        "Marked as a duplicate and closed." if thread.duplicate_of_id else "No longer a duplicate.",
    )


def _form(action: Action, form_name: str, *names: str) -> Callable[[Request], Awaitable[Response]]:
    async def view(request: Request) -> Response:
        actor = await require_actor(request)
        thread_id = path_id(request, "thread_id")
        _, values = await read_fields(request, *names, "reason")
        try:
            target_id, message = await action(actor, thread_id, values)
        except Invalid as exc:
            extra: dict[str, Any] = {"mod_form": {"name": form_name, **values}, "mod_errors": exc.fields}
            return await render_thread_page(request, actor, thread_id, 1, status=422, extra=extra)
        flash(request, message)
        return RedirectResponse(thread_url(target_id), 303)

    view.__name__ = f"thread_{form_name}"
    return view


routes = [
    Route("/t/{thread_id:int}/status", _form(_status, "status", "status"), methods=["POST"]),
    Route("/t/{thread_id:int}/lock", _form(_lock, "lock", "locked"), methods=["POST"]),
    Route("/t/{thread_id:int}/pin", _form(_pin, "pin", "pinned"), methods=["POST"]),
    Route("/t/{thread_id:int}/move", _form(_move, "move", "category"), methods=["POST"]),
    Route(
        "/t/{thread_id:int}/merge",
        _form(_merge, "merge", "into", "confirm", "confirm_wider"),
        methods=["POST"],
    ),
    Route("/t/{thread_id:int}/duplicate", _form(_duplicate, "duplicate", "of"), methods=["POST"]),
]
