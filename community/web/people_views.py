"""Member profiles and organisation pages (with inviting colleagues for organisation admins)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from community import policy
from community.accounts import directory, invitations, people
from community.actor import Actor
from community.edge.auth import require_actor
from community.errors import Invalid
from community.forum import lists
from community.models import Role
from community.web.forms import read_fields
from community.web.render import render
from moderation import sanctions

PROFILE_THREADS = 10


async def profile(request: Request) -> Response:
    actor = await require_actor(request)
    user = await people.get_profile(actor, request.path_params["handle"])
    # Only threads from categories the viewer may see: list_threads applies the viewer's visibility.
    recent = await lists.list_threads(
        actor,
        author_id=user.id,
        page=lists.parse_page(request.query_params.get("page")),
        per_page=PROFILE_THREADS,
    )
    return await render(
        request,
        "people/profile.html",
        {
            "member": user,
            "recent": recent,
            "can_see_org": policy.can_see_org_members(actor, user.organisation_id),
            "can_moderate": policy.can_moderate(actor),
            "own_sanctions": await sanctions.own_sanctions(actor, user.id),
        },
    )


async def _org_page(
    request: Request,
    actor: Actor,
    slug: str,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    invitation_link: str | None = None,
    invited_email: str | None = None,
    status: int = 200,
) -> Response:
    org = await directory.get_organisation(actor, slug)
    members = await directory.organisation_members(actor, org)
    return await render(
        request,
        "people/organisation.html",
        {
            "org": org,
            "members": members,
            "can_invite": not org.is_company and policy.can_invite(actor, org.id, Role.PARTNER),
            "can_configure_sign_in": not org.is_company and policy.can_configure_sign_in(actor, org.id),
            "form": form or {},
            "errors": errors or {},
            "invitation_link": invitation_link,
            "invited_email": invited_email,
        },
        status_code=status,
    )


async def organisation(request: Request) -> Response:
    actor = await require_actor(request)
    return await _org_page(request, actor, request.path_params["slug"])


async def invite_colleague(request: Request) -> Response:
    actor = await require_actor(request)
    slug = request.path_params["slug"]
    org = await directory.get_organisation(actor, slug)
    _, values = await read_fields(request, "email")
    settings = request.app.state.settings
    try:
        invitation, token = await invitations.create_invitation(
            settings, actor, email=values["email"], organisation=org, role=Role.PARTNER
        )
    except Invalid as exc:
        return await _org_page(request, actor, slug, form=values, errors=exc.fields, status=422)
    return await _org_page(
        request,
        actor,
        slug,
        invitation_link=invitations.invitation_url(settings, token),
        invited_email=invitation.email,
    )


routes = [
    Route("/u/{handle}", profile),
    Route("/orgs/{slug}", organisation),
    Route("/orgs/{slug}/invitations", invite_colleague, methods=["POST"]),
]
