"""Response targets (admin) and the staff "Waiting" view."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from community.actor import Actor
from community.edge.auth import require_actor
from community.errors import Invalid, NotFound
from community.experts import targets, waiting
from community.timeutil import utcnow
from community.web.forms import read_fields
from community.web.render import flash, render


async def waiting_view(request: Request) -> Response:
    actor = await require_actor(request)
    now = utcnow()
    mine = request.query_params.get("routed") == "me"
    page = await waiting.waiting_page(actor, now, mine=mine)
    return await render(request, "experts/waiting.html", {"page": page, "rows": page.rows, "now": now})


async def targets_list(request: Request) -> Response:
    actor = await require_actor(request)
    return await render(request, "admin/response_targets.html", {"rows": await targets.list_targets(actor)})


async def _target_page(
    request: Request,
    actor: Actor,
    slug: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    rows = await targets.list_targets(actor)
    found = next(((c, t) for c, t in rows if c["slug"] == slug), None)
    if found is None:
        raise NotFound("No such category.")
    category, current = found
    shown = values or {
        "first_answer_hours": str(current.first_answer_hours),
        "solution_hours": "" if current.solution_hours is None else str(current.solution_hours),
        "route_count": str(current.route_count),
    }
    return await render(
        request,
        "admin/response_target_edit.html",
        {"category": category, "form": shown, "errors": errors or {}, "max_hours": targets.MAX_HOURS,
         "max_count": targets.MAX_ROUTE_COUNT},
        status_code=status,
    )  # fmt: skip


async def target_edit(request: Request) -> Response:
    actor = await require_actor(request)
    slug = request.path_params["slug"]
    if request.method == "GET":
        return await _target_page(request, actor, slug)
    _, values = await read_fields(request, "first_answer_hours", "solution_hours", "route_count")
    try:
        await targets.set_targets(actor, slug, **values)
    except Invalid as exc:
        return await _target_page(request, actor, slug, values, exc.fields, status=422)
    flash(request, "The response targets are saved: they apply to questions asked from now on.")
    return RedirectResponse("/admin/response-targets", 303)


routes = [
    Route("/waiting", waiting_view),
    Route("/admin/response-targets", targets_list),
    Route("/admin/response-targets/{slug}", target_edit, methods=["GET", "POST"]),
]
