"""Sanctions as JSON: list those in force (or a member's history), warn/silence/suspend, lift."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from community import policy
from community.api.operations import area
from community.api.params import query_text
from community.api.requests import read_body
from community.api.responses import ShapeResponse
from community.api.shapes.moderation import RestoreReason
from community.api.shapes.rules import NewSanction, Sanction, SanctionList, sanction
from community.edge.auth import require_actor
from community.edge.reading import path_id
from moderation import sanctions


async def list_sanctions(request: Request) -> Response:
    actor = await require_actor(request)
    user = query_text(request, "user")
    rows = await sanctions.list_sanctions(actor, user=user, in_force=not user)
    return ShapeResponse(SanctionList(items=[sanction(r) for r in rows], total=len(rows)))


async def create_sanction(request: Request) -> Response:
    actor = await require_actor(request)
    data = (await read_body(request, NewSanction)).args()
    data["review_item"] = data.pop("review_item_id")
    created = await sanctions.impose_sanction(actor, **data)
    return ShapeResponse(sanction(await sanctions.sanction_row(created.id)), 201)


async def lift_sanction(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_body(request, RestoreReason)
    lifted = await sanctions.lift_sanction(actor, path_id(request), **data.args(reason=""))
    return ShapeResponse(sanction(await sanctions.sanction_row(lifted.id)))


_route = area("moderation")
routes = [
    _route("GET", "/moderation/sanctions", list_sanctions, "listSanctions",
           "Silences and suspensions in force, or one member's history (moderators)",
           ok=(200, SanctionList, "Newest first, at most 500."), errors=(404, 422),
           description="Without `user`: every silence and suspension in force. With `user` (a handle): that "
           "member's whole history, warnings and lifted ones included.", params=("SanctionUser",),
           guard=policy.can_moderate),
    _route("POST", "/moderation/sanctions", create_sanction, "createSanction",
           "Warn, silence or suspend a member (moderators)",
           ok=(201, Sanction, "The sanction; the member is notified."), errors=(404,),
           description="Silenced: can read and vote, cannot ask, answer, edit, flag or change their profile "
           "(403 naming when it ends). Suspended: cannot sign in; sessions and API tokens answer 403. A new "
           "silence or suspension replaces the one in force. Moderators and admins can be sanctioned by "
           "admins only; nobody sanctions themselves (403).", body=NewSanction,
           guard=policy.can_moderate),
    _route("POST", "/moderation/sanctions/{id:int}/lift", lift_sanction, "liftSanction",
           "End a silence or suspension early (moderators)",
           ok=(200, Sanction, "The lifted sanction; the member is notified."), errors=(404, 409),
           description="409 when it already ended, was lifted, or is a warning.", params=("Id",),
           body=RestoreReason, guard=policy.can_moderate),
]  # fmt: skip
