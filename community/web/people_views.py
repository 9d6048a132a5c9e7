"""Member profiles and organisation pages (with inviting colleagues for organisation admins)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from community import policy
from community.accounts import directory, invitations, people
from community.actor import Actor
from community.edge.auth import require_actor
from community.edge.reading import path_id, read_form
from community.errors import Invalid, NotFound
from community.forum import lists
from community.models import Role
from community.web.forms import read_fields
from community.web.render import flash, render
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
    can_invite = not org.is_company and policy.can_invite(actor, org.id, Role.PARTNER)
    return await render(
        request,
        "people/organisation.html",
        {
            "org": org,
            "members": members,
            "can_invite": can_invite,
            "invitations": (
                await invitations.list_invitations(actor, organisation_id=org.id) if can_invite else []
            ),
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
    request.app.state.mail.wake()
    return await _org_page(
        request,
        actor,
        slug,
        invitation_link=invitations.invitation_url(settings, token),
        invited_email=invitation.email,
    )


async def _own_org_invitation(request: Request) -> tuple[Actor, str, int]:
    """The organisation named in the path, as its viewer sees it (the use case checks that they
    may invite there and that the invitation is one of its own)."""
    actor = await require_actor(request)
    slug = request.path_params["slug"]
    try:
        org = await directory.get_organisation(actor, slug)
    except NotFound:
        # The address names an invitation: say so whichever part of it does not exist.
        raise NotFound("No such invitation.") from None
    if request.method == "POST":
        await read_form(request)
    return actor, slug, org.id


async def resend_colleague_invitation(request: Request) -> Response:
    actor, slug, org_id = await _own_org_invitation(request)
    settings = request.app.state.settings
    invitation, token = await invitations.resend_invitation(
        settings, actor, path_id(request), organisation_id=org_id
    )
    request.app.state.mail.wake()
    return await _org_page(
        request, actor, slug, invitation_link=invitations.invitation_url(settings, token),
        invited_email=invitation.email,
    )  # fmt: skip


async def revoke_colleague_invitation(request: Request) -> Response:
    """GET asks to confirm; POST revokes."""
    actor, slug, org_id = await _own_org_invitation(request)
    if request.method == "GET":
        invitation = await invitations.revocable_invitation(actor, path_id(request), organisation_id=org_id)
        context = {"invitation": invitation, "action": request.url.path, "back": f"/orgs/{slug}"}
        return await render(request, "people/invitation_revoke.html", context)
    invitation = await invitations.revoke_invitation(actor, path_id(request), organisation_id=org_id)
    flash(request, invitations.revoked_notice(invitation))
    return RedirectResponse(f"/orgs/{slug}", 303)


routes = [
    Route("/u/{handle}", profile),
    Route("/orgs/{slug}", organisation),
    Route("/orgs/{slug}/invitations", invite_colleague, methods=["POST"]),
    Route("/orgs/{slug}/invitations/{id:int}/resend", resend_colleague_invitation, methods=["POST"]),
    Route("/orgs/{slug}/invitations/{id:int}/revoke", revoke_colleague_invitation, methods=["GET", "POST"]),
]
