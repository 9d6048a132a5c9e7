"""The signed-in member, profiles, organisations and invitations."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from community.accounts import directory, invitations, people
from community.api.operations import area
from community.api.params import path_text, settings_of
from community.api.requests import read_body
from community.api.responses import ShapeResponse
from community.api.shapes import utc
from community.api.shapes.accounts import (
    Invitation,
    Me,
    NewInvitation,
    Organisation,
    Profile,
    me,
    organisation,
    profile,
)
from community.edge.auth import require_actor
from community.edge.csrf import csrf_token
from community.models import Role


async def get_me(request: Request) -> Response:
    """Who the caller is; a session caller also gets the token to send as X-CSRF-Token."""
    actor = await require_actor(request)
    user = await people.get_profile(actor, actor.handle)
    via_token = getattr(request.state, "via_token", False)
    return ShapeResponse(me(user, None if via_token else csrf_token(request.session)))


async def get_profile(request: Request) -> Response:
    actor = await require_actor(request)
    return ShapeResponse(profile(await people.get_profile(actor, path_text(request, "handle"))))


async def get_organisation(request: Request) -> Response:
    actor = await require_actor(request)
    org = await directory.get_organisation(actor, path_text(request, "slug"))
    return ShapeResponse(organisation(org, await directory.organisation_members(actor, org)))


async def invite(request: Request) -> Response:
    """An invitation link into the organisation; who may invite whom is ``policy.can_invite``."""
    actor = await require_actor(request)
    org = await directory.get_organisation(actor, path_text(request, "slug"))
    data = await read_body(request, NewInvitation)
    settings = settings_of(request)
    invitation, token = await invitations.create_invitation(
        settings, actor, organisation=org, **data.args(role=Role.PARTNER, org_admin=False)
    )
    return ShapeResponse(
        Invitation(
            url=invitations.invitation_url(settings, token), email=invitation.email, role=invitation.role,
            org_admin=invitation.org_admin, organisation=org.slug, expires_at=utc(invitation.expires_at),
        ),
        201,
    )  # fmt: skip


_route = area("accounts")
routes = [
    _route("GET", "/me", get_me, "getMe", "The signed-in member", ok=(200, Me, "Who the caller is."),
           description="Session-cookie callers also receive `csrf_token`, to send as the X-CSRF-Token header "
           "on state-changing requests. Bearer callers do not need it."),
    _route("GET", "/users/{handle}", get_profile, "getProfile", "A member's public profile",
           ok=(200, Profile, "The profile."), errors=(404,), params=("Handle",)),
    _route("GET", "/organisations/{slug}", get_organisation, "getOrganisation",
           "An organisation and its members",
           ok=(200, Organisation, "The organisation."), errors=(404,),
           description="Members of the organisation and staff only; others get 403.", params=("Slug",)),
    _route("POST", "/organisations/{slug}/invitations", invite, "createInvitation",
           "Invite someone into the organisation", ok=(201, Invitation, "The single-use invitation link."),
           errors=(404, 429),
           description="Administrators invite anyone; a partner organisation admin invites colleagues into "
           "their own organisation, as partners only. One address gets at most three invitation mails an "
           "hour (429 with Retry-After).", params=("Slug",), body=NewInvitation),
]  # fmt: skip
