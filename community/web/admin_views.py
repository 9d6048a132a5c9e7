"""Admin pages: categories, organisations and invitations. Administrators only (403 for others)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from community.accounts import directory
from community.accounts.invitations import (
    create_invitation,
    invitation_url,
    list_invitations,
    resend_invitation,
    revocable_invitation,
    revoke_invitation,
    revoked_notice,
)
from community.actor import Actor
from community.edge.auth import require_actor
from community.edge.reading import path_id, read_form
from community.errors import Invalid
from community.models import Category, Role
from community.web.forms import is_on, read_fields
from community.web.render import flash, render


async def _admin(request: Request) -> Actor:
    actor = await require_actor(request)
    directory.require_admin(actor)
    return actor


def _visibility_form(category: Category) -> dict[str, Any]:
    return {
        "name": category.name,
        "slug": category.slug,
        "description": category.description,
        "position": str(category.position),
        "visibility": category.visibility,
        "tiers": list(category.tiers or []),
    }


def _visibility_value(form: FormData, values: dict[str, Any]) -> str:
    """The form shows visibility as radio buttons plus tier checkboxes; the service reads the
    same text the CLI takes (``all``, ``staff``, ``tiers:gold,silver``)."""
    tiers = [t for t in form.getlist("tiers") if isinstance(t, str)]
    values["tiers"] = tiers
    if values["visibility"] == "tiers":
        return "tiers:" + ",".join(tiers)
    return values["visibility"]


async def index(request: Request) -> Response:
    await _admin(request)
    return await render(request, "admin/index.html", {})


async def _categories_page(
    request: Request,
    actor: Actor,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    cats = await directory.list_categories(actor)
    return await render(
        request,
        "admin/categories.html",
        {"categories": cats, "form": values, "errors": errors or {}, "label": directory.visibility_label},
        status_code=status,
    )


async def categories(request: Request) -> Response:
    actor = await _admin(request)
    if request.method == "GET":
        return await _categories_page(request, actor, {"visibility": "all", "tiers": []})
    form, values = await read_fields(request, "name", "slug", "description", "visibility")
    try:
        cat = await directory.create_category(
            request.app.state.settings,
            actor,
            name=values["name"],
            slug=values["slug"],
            description=values["description"],
            visibility=_visibility_value(form, values),
        )
    except Invalid as exc:
        return await _categories_page(request, actor, values, exc.fields, status=422)
    flash(request, f"Category “{cat.name}” created.")
    return RedirectResponse("/admin/categories", 303)


async def category_edit(request: Request) -> Response:
    actor = await _admin(request)
    cat = await directory.get_category_any(request.path_params["slug"])
    if request.method == "GET":
        return await render(
            request, "admin/category_edit.html", {"category": cat, "form": _visibility_form(cat)}
        )
    form, values = await read_fields(request, "name", "description", "visibility", "position")
    try:
        await directory.update_category(
            request.app.state.settings,
            actor,
            cat,
            name=values["name"],
            description=values["description"],
            visibility=_visibility_value(form, values),
            position=values["position"],
        )
    except Invalid as exc:
        return await render(
            request,
            "admin/category_edit.html",
            {"category": cat, "form": values, "errors": exc.fields},
            status_code=422,
        )
    flash(request, f"Category “{cat.name}” saved.")
    return RedirectResponse("/admin/categories", 303)


async def _organisations_page(
    request: Request,
    actor: Actor,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    orgs = await directory.list_organisations(actor)
    return await render(
        request,
        "admin/organisations.html",
        {"organisations": orgs, "form": values, "errors": errors or {}},
        status_code=status,
    )


async def organisations(request: Request) -> Response:
    actor = await _admin(request)
    if request.method == "GET":
        return await _organisations_page(request, actor, {})
    _, values = await read_fields(request, "name", "tier", "description")
    try:
        org = await directory.create_organisation(
            request.app.state.settings,
            actor,
            name=values["name"],
            tier=values["tier"] or None,
            description=values["description"],
        )
    except Invalid as exc:
        return await _organisations_page(request, actor, values, exc.fields, status=422)
    flash(request, f"Organisation “{org.name}” created.")
    return RedirectResponse("/admin/organisations", 303)


async def _invitations_page(
    request: Request,
    actor: Actor,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    link: str | None = None,
    status: int = 200,
) -> Response:
    return await render(
        request,
        "admin/invitations.html",
        {
            "invitations": await list_invitations(actor),
            "organisations": await directory.list_organisations(actor),
            "roles": Role.ALL,
            "form": values,
            "errors": errors or {},
            "invitation_link": link,
        },
        status_code=status,
    )


async def invitations(request: Request) -> Response:
    actor = await _admin(request)
    if request.method == "GET":
        return await _invitations_page(request, actor, {"role": Role.PARTNER})
    _, values = await read_fields(request, "email", "organisation", "role", "org_admin")
    settings = request.app.state.settings
    try:
        org = await directory.find_organisation(values["organisation"]) if values["organisation"] else None
        if org is None:
            raise Invalid({"organisation": "Choose an organisation."})
        invitation, token = await create_invitation(
            settings, actor, email=values["email"], organisation=org, role=values["role"],
            org_admin=is_on(values["org_admin"]),
        )  # fmt: skip
    except Invalid as exc:
        return await _invitations_page(request, actor, values, exc.fields, status=422)
    request.app.state.mail.wake()
    values = {"role": Role.PARTNER, "invited_email": invitation.email}
    return await _invitations_page(request, actor, values, link=invitation_url(settings, token))


async def resend_invitation_view(request: Request) -> Response:
    """A new link, mailed and shown once more to copy (the old one stops working)."""
    actor = await _admin(request)
    await read_form(request)
    settings = request.app.state.settings
    invitation, token = await resend_invitation(settings, actor, path_id(request))
    request.app.state.mail.wake()
    values = {"role": Role.PARTNER, "invited_email": invitation.email}
    return await _invitations_page(request, actor, values, link=invitation_url(settings, token))


async def revoke_invitation_view(request: Request) -> Response:
    """GET asks to confirm; POST revokes."""
    actor = await _admin(request)
    if request.method == "GET":
        invitation = await revocable_invitation(actor, path_id(request))
        context = {"invitation": invitation, "action": request.url.path, "back": "/admin/invitations"}
        return await render(request, "people/invitation_revoke.html", context)
    await read_form(request)
    invitation = await revoke_invitation(actor, path_id(request))
    flash(request, revoked_notice(invitation))
    return RedirectResponse("/admin/invitations", 303)


routes = [
    Route("/admin", index),
    Route("/admin/categories", categories, methods=["GET", "POST"]),
    Route("/admin/categories/{slug}", category_edit, methods=["GET", "POST"]),
    Route("/admin/organisations", organisations, methods=["GET", "POST"]),
    Route("/admin/invitations", invitations, methods=["GET", "POST"]),
    Route("/admin/invitations/{id:int}/resend", resend_invitation_view, methods=["POST"]),
    Route("/admin/invitations/{id:int}/revoke", revoke_invitation_view, methods=["GET", "POST"]),
]
