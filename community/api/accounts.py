"""The signed-in member, profiles, organisations and invitations."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from community.accounts import directory, invitations, people
from community.api import serialise as out
from community.api.params import path_text, settings_of
from community.edge.auth import require_actor
from community.edge.csrf import csrf_token
from community.edge.reading import read_json
from community.models import Role


async def me(request: Request) -> Response:
    """Who the caller is; a session caller also gets the token to send as X-CSRF-Token."""
    actor = await require_actor(request)
    user = await people.get_profile(actor, actor.handle)
    body = out.me(user)
    if not getattr(request.state, "via_token", False):
        body["csrf_token"] = csrf_token(request.session)
    return JSONResponse(body)


async def profile(request: Request) -> Response:
    actor = await require_actor(request)
    user = await people.get_profile(actor, path_text(request, "handle"))
    return JSONResponse(out.profile(user))


async def organisation(request: Request) -> Response:
    actor = await require_actor(request)
    org = await directory.get_organisation(actor, path_text(request, "slug"))
    members = await directory.organisation_members(actor, org)
    return JSONResponse(out.organisation(org, members))


async def invite(request: Request) -> Response:
    """An invitation link into the organisation; who may invite whom is ``policy.can_invite``."""
    actor = await require_actor(request)
    org = await directory.get_organisation(actor, path_text(request, "slug"))
    data = await read_json(request)
    settings = settings_of(request)
    invitation, token = await invitations.create_invitation(
        settings, actor, email=data.get("email"), organisation=org, role=data.get("role", Role.PARTNER)
    )
    return JSONResponse(
        {
            "url": invitations.invitation_url(settings, token),
            "email": invitation.email,
            "role": invitation.role,
            "organisation": org.slug,
            "expires_at": out.iso(invitation.expires_at),
        },
        201,
    )


routes = [
    Route("/me", me, methods=["GET"]),
    Route("/users/{handle}", profile, methods=["GET"]),
    Route("/organisations/{slug}", organisation, methods=["GET"]),
    Route("/organisations/{slug}/invitations", invite, methods=["POST"]),
]
