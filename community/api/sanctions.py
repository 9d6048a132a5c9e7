"""Sanctions as JSON: list those in force (or a member's history), warn/silence/suspend, lift."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from community.api.params import query_text
from community.api.serialise import iso
from community.edge.auth import require_actor
from community.edge.reading import path_id, read_json
from moderation import sanctions


def sanction(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "user": {"handle": row["user_handle"], "display_name": row["user_name"]},
        "kind": row["kind"],
        "reason": row["reason"],
        "starts_at": iso(row["starts_at"]),
        "ends_at": iso(row["ends_at"]),
        "lifted_at": iso(row["lifted_at"]),
        "in_force": row["in_force"],
        "created_by": row["created_by_handle"],
    }


async def list_sanctions(request: Request) -> Response:
    actor = await require_actor(request)
    user = query_text(request, "user")
    rows = await sanctions.list_sanctions(actor, user=user, in_force=not user)
    return JSONResponse({"items": [sanction(r) for r in rows], "total": len(rows)})


async def create_sanction(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_json(request)
    created = await sanctions.impose_sanction(
        actor,
        user=data.get("user"),
        kind=data.get("kind"),
        reason=data.get("reason"),
        days=data.get("days"),
        review_item=data.get("review_item_id"),
    )
    return JSONResponse(sanction(await sanctions.sanction_row(created.id)), 201)


async def lift_sanction(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_json(request)
    lifted = await sanctions.lift_sanction(actor, path_id(request), reason=data.get("reason", ""))
    return JSONResponse(sanction(await sanctions.sanction_row(lifted.id)))


routes = [
    Route("/moderation/sanctions", list_sanctions, methods=["GET"]),
    Route("/moderation/sanctions", create_sanction, methods=["POST"]),
    Route("/moderation/sanctions/{id:int}/lift", lift_sanction, methods=["POST"]),
]
