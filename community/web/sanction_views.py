"""Moderators' pages for sanctions: a member's standing (history, warn/silence/suspend, lift) and
the list of sanctions in force."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from community.actor import Actor
from community.edge.auth import require_actor
from community.edge.reading import path_id
from community.errors import Invalid
from community.models import SanctionKind
from community.web.forms import read_fields, safe_next
from community.web.render import flash, render
from moderation import sanctions


async def _member_page(
    request: Request,
    actor: Actor,
    handle: str,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    standing = await sanctions.member_standing(actor, handle)
    ctx = {
        "standing": standing,
        "form": form or {"kind": SanctionKind.WARN, "days": "7"},
        "errors": errors or {},
        # Sent from a review item's page: the failed form keeps its way back there.
        "review_item": (form or {}).get("review_item_id", ""),
        "next": (form or {}).get("next", ""),
    }
    return await render(request, "moderation/member.html", ctx, status_code=status_code)


async def member(request: Request) -> Response:
    actor = await require_actor(request)
    return await _member_page(request, actor, request.path_params["handle"])


async def impose(request: Request) -> Response:
    actor = await require_actor(request)
    handle = request.path_params["handle"]
    _, values = await read_fields(request, "kind", "days", "reason", "review_item_id", "next")
    try:
        sanction = await sanctions.impose_sanction(
            actor,
            user=handle,
            kind=values["kind"],
            reason=values["reason"],
            days=values["days"],
            review_item=values["review_item_id"],
        )
    except Invalid as exc:
        return await _member_page(request, actor, handle, form=values, errors=exc.fields, status_code=422)
    flash(request, f"@{handle} is {sanctions.verb(sanction.kind)}; they are told why.")
    return RedirectResponse(safe_next(values["next"], f"/moderation/users/{handle}"), 303)


async def lift(request: Request) -> Response:
    actor = await require_actor(request)
    _, values = await read_fields(request, "reason", "next")
    await sanctions.lift_sanction(actor, path_id(request, "sanction_id"), reason=values["reason"])
    flash(request, "Lifted: the member can take part again, and is told so.")
    return RedirectResponse(safe_next(values["next"], "/moderation/sanctions"), 303)


async def in_force(request: Request) -> Response:
    actor = await require_actor(request)
    rows = await sanctions.list_sanctions(actor)
    return await render(request, "moderation/sanctions.html", {"rows": rows})


routes = [
    Route("/moderation/users/{handle}", member, methods=["GET"]),
    Route("/moderation/users/{handle}/sanctions", impose, methods=["POST"]),
    Route("/moderation/sanctions", in_force, methods=["GET"]),
    Route("/moderation/sanctions/{sanction_id:int}/lift", lift, methods=["POST"]),
]
