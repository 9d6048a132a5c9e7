"""Flagging a post, and the moderators' review queue: list, item page, claim, decide."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from community.auth import require_actor
from community.errors import Invalid
from community.http import path_id
from community.models import Decision, FlagReason, ReviewKind
from community.services import moderation
from community.web.forms import read_fields, thread_url
from community.web.render import flash, render

REASONS = [(value, FlagReason.LABELS[value]) for value in FlagReason.ALL]


async def flag(request: Request) -> Response:
    actor = await require_actor(request)
    post_id = path_id(request, "post_id")
    post, thread = await moderation.post_for_flag(actor, post_id)
    ctx: dict[str, Any] = {"post": post, "thread": thread, "reasons": REASONS, "errors": {}}
    if request.method == "GET":
        return await render(request, "moderation/flag.html", ctx | {"form": {"reason": "", "note": ""}})
    _, values = await read_fields(request, "reason", "note")
    try:
        outcome = await moderation.flag_post(
            request.app.state.moderation, actor, post_id, reason=values["reason"], note=values["note"]
        )
    except Invalid as exc:
        return await render(
            request, "moderation/flag.html", ctx | {"form": values, "errors": exc.fields}, status_code=422
        )
    flash(
        request,
        "Thank you: moderators will look at it."
        + (" The post is hidden until they do." if outcome.hidden else ""),
    )
    return RedirectResponse(thread_url(thread.id, post_id=post.id), 303)


async def queue(request: Request) -> Response:
    actor = await require_actor(request)
    params = request.query_params
    listing = await moderation.list_queue(
        actor, kind=params.get("kind"), category=params.get("category"), reason=params.get("reason")
    )
    for row in listing.items:
        row["waiting"] = moderation.waiting_label(row["waiting_seconds"])
    return await render(
        request,
        "moderation/queue.html",
        {"queue": listing, "kinds": ReviewKind.ALL, "reasons": REASONS},
    )


async def item(request: Request) -> Response:
    actor = await require_actor(request)
    view = await moderation.get_item(actor, path_id(request, "item_id"))
    return await render(
        request, "moderation/item.html", {"view": view, "decisions": Decision.ALL, "errors": {}, "form": {}}
    )


async def claim(request: Request) -> Response:
    actor = await require_actor(request)
    item_id = path_id(request, "item_id")
    _, values = await read_fields(request, "release")
    await moderation.claim_item(actor, item_id, release=values["release"] == "1")
    return RedirectResponse(f"/moderation/items/{item_id}", 303)


async def decide(request: Request) -> Response:
    actor = await require_actor(request)
    item_id = path_id(request, "item_id")
    _, values = await read_fields(request, "decision", "reason")
    try:
        await moderation.decide_item(actor, item_id, decision=values["decision"], reason=values["reason"])
    except Invalid as exc:
        view = await moderation.get_item(actor, item_id)
        return await render(
            request,
            "moderation/item.html",
            {"view": view, "decisions": Decision.ALL, "errors": exc.fields, "form": values},
            status_code=422,
        )
    flash(request, "Decision recorded.")
    return RedirectResponse("/moderation/queue", 303)


routes = [
    Route("/posts/{post_id:int}/flag", flag, methods=["GET", "POST"]),
    Route("/moderation/queue", queue, methods=["GET"]),
    Route("/moderation/items/{item_id:int}", item, methods=["GET"]),
    Route("/moderation/items/{item_id:int}/claim", claim, methods=["POST"]),
    Route("/moderation/items/{item_id:int}/decide", decide, methods=["POST"]),
]
