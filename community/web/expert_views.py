"""The experts directory, an expert's page, changing one's expertise and availability, and passing
a routed question on to a colleague."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from community import policy
from community.actor import Actor
from community.edge.auth import require_actor
from community.edge.reading import path_id
from community.errors import Conflict, Forbidden, Invalid
from community.experts import profiles, routing
from community.visibility import load_visible_thread
from community.web.forms import read_fields, thread_url
from community.web.render import flash, render


async def directory(request: Request) -> Response:
    actor = await require_actor(request)
    topic = request.query_params.get("topic")
    try:
        found = await profiles.list_directory(actor, topic=topic)
    except Invalid as exc:
        found = await profiles.list_directory(actor)
        return await render(
            request, "experts/directory.html", {"directory": found, "errors": exc.fields}, status_code=422
        )
    return await render(request, "experts/directory.html", {"directory": found, "errors": {}})


async def expert(request: Request) -> Response:
    actor = await require_actor(request)
    entry = await profiles.get_directory_entry(actor, request.path_params["handle"])
    return await render(
        request,
        "experts/expert.html",
        {"entry": entry, "can_edit": policy.can_edit_expertise(actor, entry.expert.id, entry.expert.role)},
    )


async def _edit_page(
    request: Request,
    actor: Actor,
    handle: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    form = await profiles.expertise_form(actor, handle)
    shown = values or {
        "tags": ", ".join(form.tags), "categories": form.category_slugs,
        "away_until": form.away_until, "stand_in": form.stand_in,
    }  # fmt: skip
    return await render(
        request,
        "experts/edit.html",
        {"expertise": form, "form": shown, "errors": errors or {}},
        status_code=status,
    )


async def edit(request: Request) -> Response:
    actor = await require_actor(request)
    handle = request.path_params["handle"]
    if request.method == "GET":
        return await _edit_page(request, actor, handle)
    form, values = await read_fields(request, "tags", "away_until", "stand_in")
    chosen: list[Any] = [v for v in form.getlist("categories")]
    try:
        await profiles.update_expertise(
            actor, handle, tags=values["tags"], categories=chosen,
            away_until=values["away_until"], stand_in=values["stand_in"],
        )  # fmt: skip
    except Invalid as exc:
        kept = {**values, "categories": [c for c in chosen if isinstance(c, str)]}
        return await _edit_page(request, actor, handle, kept, exc.fields, status=422)
    flash(request, "Your expertise and availability are saved." if actor.handle == handle else "Saved.")
    return RedirectResponse(f"/experts/{handle}", 303)


async def _pass_page(
    request: Request,
    actor: Actor,
    thread_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    if not policy.can_route_questions(actor):
        raise Forbidden("Only staff pass questions on.")
    thread = await load_visible_thread(actor, thread_id)
    if not thread.is_question:
        raise Conflict("Only questions are routed to experts.")
    view = await routing.routing_view(actor, thread)
    colleagues = await routing.pass_choices(actor, view)
    return await render(
        request,
        "experts/pass.html",
        {
            "thread": thread,
            "routing": view,
            "colleagues": colleagues,
            "form": values or {},
            "errors": errors or {},
        },
        status_code=status,
    )


async def pass_on(request: Request) -> Response:
    actor = await require_actor(request)
    thread_id = path_id(request, "thread_id")
    if request.method == "GET":
        return await _pass_page(request, actor, thread_id)
    _, values = await read_fields(request, "to", "note")
    try:
        passed = await routing.pass_on(actor, thread_id, to=values["to"], note=values["note"])
    except Invalid as exc:
        return await _pass_page(request, actor, thread_id, values, exc.fields, status=422)
    flash(request, passed.message)
    return RedirectResponse(thread_url(thread_id), 303)


routes = [
    Route("/experts", directory),
    Route("/experts/{handle}", expert),
    Route("/experts/{handle}/edit", edit, methods=["GET", "POST"]),
    Route("/t/{thread_id:int}/pass", pass_on, methods=["GET", "POST"]),
]
