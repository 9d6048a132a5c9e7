"""Sign in and out, invitations, password reset, and one's own account settings."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from community.accounts import directory, invitations, passwords, people, sso, tokens
from community.actor import Actor
from community.edge.auth import current_actor, require_actor, sign_in, sign_out
from community.edge.errors import retry_after
from community.edge.reading import client_ip, form_str, path_id, read_form
from community.errors import Forbidden, Invalid, RateLimited
from community.web import sso_views
from community.web.forms import is_on, read_fields, safe_next
from community.web.render import flash, render

# A link that worked once and no longer does (used, expired) is gone, not malformed.
GONE = 410


async def login_page(request: Request) -> Response:
    if await current_actor(request):
        return RedirectResponse(safe_next(request.query_params.get("next", "/")), 303)
    context = await sso_views.login_options(request)
    return await render(
        request, "accounts/login.html", {**context, "next": request.query_params.get("next", "/")}
    )


async def login_submit(request: Request) -> Response:
    form = await read_form(request)
    email, next_url = form_str(form, "email"), safe_next(form_str(form, "next"))
    ip = client_ip(request)
    options = await sso_views.login_options(request)
    try:
        user = await passwords.authenticate(request.app.state.settings, email, form_str(form, "password"), ip)
    except Invalid as exc:
        return await render(
            request,
            "accounts/login.html",
            {**options, "email": email, "next": next_url, "error": exc.fields.get("password", exc.message)},
            status_code=400,
        )
    except RateLimited as exc:
        return await render(
            request,
            "accounts/login.html",
            {**options, "email": email, "next": next_url, "error": exc.message},
            status_code=429,
            headers=retry_after(exc),
        )
    except Forbidden as exc:  # suspended: the message says until when
        return await render(
            request,
            "accounts/login.html",
            {**options, "email": email, "next": next_url, "error": exc.message},
            status_code=403,
        )
    # Checked after the password, so only someone who knows it learns the organisation uses SSO.
    if (refusal := await sso.password_sign_in_refusal(user, request.app.state.settings)) is not None:
        context = {**options, "email": email, "next": next_url, "error": refusal}
        return await render(request, "accounts/login.html", context, status_code=403)
    sign_in(request, user.id, user.auth_version)
    return RedirectResponse(next_url, 303)


async def logout(request: Request) -> Response:
    await read_form(request)
    signed_out_of = request.session.get(sso_views.SESSION_SSO)
    sign_out(request)
    return await sso_views.provider_sign_out(request, signed_out_of)


# --- invitations and password reset (no sign-in needed: the token is the credential) ----------


async def invitation(request: Request) -> Response:
    token = request.path_params["token"]
    try:
        invite = await invitations.open_invitation(token)
    except Invalid as exc:
        return await render(
            request,
            "accounts/invitation.html",
            {"dead": exc.fields.get("token", exc.message)},
            status_code=GONE,
        )
    if request.method == "GET":
        return await render(request, "accounts/invitation.html", {"invitation": invite, "form": {}})
    _, values = await read_fields(request, "display_name", "password")
    try:
        user = await invitations.accept_invitation(
            request.app.state.settings,
            token,
            display_name=values["display_name"],
            password=values["password"],
        )
    except Invalid as exc:
        if "token" in exc.fields:
            return await render(
                request, "accounts/invitation.html", {"dead": exc.fields["token"]}, status_code=GONE
            )
        values.pop("password")
        return await render(
            request,
            "accounts/invitation.html",
            {"invitation": invite, "form": values, "errors": exc.fields},
            status_code=422,
        )
    sign_in(request, user.id, user.auth_version)
    flash(request, f"Welcome, {user.display_name}! Your account is ready.")
    return RedirectResponse("/", 303)


async def password_reset(request: Request) -> Response:
    token = request.path_params["token"]
    try:
        await passwords.open_password_reset(token)
    except Invalid as exc:
        return await render(
            request, "accounts/password_reset.html", {"dead": exc.fields.get("token")}, status_code=GONE
        )
    if request.method == "GET":
        return await render(request, "accounts/password_reset.html", {"revoke_tokens": True})
    form, values = await read_fields(request, "password")
    # The box starts ticked; a form without the question (a script) revokes too.
    revoke = is_on(form_str(form, "revoke_tokens")) or "tokens_asked" not in form
    try:
        user = await passwords.reset_password(token, values["password"], revoke_tokens=revoke)
    except Invalid as exc:
        if "token" in exc.fields:
            return await render(
                request, "accounts/password_reset.html", {"dead": exc.fields["token"]}, status_code=GONE
            )
        return await render(
            request,
            "accounts/password_reset.html",
            {"errors": exc.fields, "revoke_tokens": revoke},
            status_code=422,
        )
    sign_in(request, user.id, user.auth_version)
    flash(
        request,
        "Your new password is set and you are signed in. Other devices have been signed out"
        + (" and your API tokens revoked." if revoke else "."),
    )
    return RedirectResponse("/", 303)


# --- own account ----------------------------------------------------------------------------


async def profile_page(
    request: Request, actor: Actor, avatar_errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    """The profile settings page as saved; ``avatar_errors`` says why a picture was refused."""
    user = await people.get_profile(actor, actor.handle)
    values = {
        "display_name": user.display_name,
        "bio": user.bio,
        "expertise_tags": ", ".join(user.expertise_tags or []),
    }
    context = {"form": values, "member": user, "avatar_errors": avatar_errors}
    return await render(request, "accounts/profile_settings.html", context, status_code=status_code)


async def profile_settings(request: Request) -> Response:
    actor = await require_actor(request)
    if request.method == "GET":
        return await profile_page(request, actor)
    _, values = await read_fields(request, "display_name", "bio", "expertise_tags")
    try:
        await people.update_profile(
            actor,
            display_name=values["display_name"],
            bio=values["bio"],
            expertise_tags=values["expertise_tags"],
        )
    except Invalid as exc:
        member = await people.get_profile(actor, actor.handle)
        context = {"form": values, "errors": exc.fields, "member": member}
        return await render(request, "accounts/profile_settings.html", context, status_code=422)
    flash(request, "Your profile is saved.")
    return RedirectResponse("/account/profile", 303)


async def password_settings(request: Request) -> Response:
    actor = await require_actor(request)
    if request.method == "GET":
        return await render(request, "accounts/password.html", {})
    _, values = await read_fields(request, "current_password", "new_password")
    try:
        user = await passwords.change_password(actor, values["current_password"], values["new_password"])
    except Invalid as exc:
        return await render(request, "accounts/password.html", {"errors": exc.fields}, status_code=422)
    # Every other session is now signed out; this one carries on with the new auth version.
    sign_in(request, user.id, user.auth_version)
    flash(request, "Your password is changed. Other devices have been signed out.")
    return RedirectResponse("/account/password", 303)


async def token_settings(request: Request) -> Response:
    """Personal API tokens: make one (shown once, on this response only) and see those in use."""
    actor = await require_actor(request)
    context: dict[str, object] = {}
    status = 200
    if request.method == "POST":
        _, values = await read_fields(request, "name")
        try:
            context["new_token"] = await tokens.create_own_api_token(actor, values["name"])
            context["new_name"] = values["name"]
        except Invalid as exc:
            context.update(form=values, errors=exc.fields)
            status = 422
    context["tokens"] = await tokens.own_api_tokens(actor)
    # The new token must not be kept by a cache or shown again by the back button.
    return await render(
        request, "accounts/tokens.html", context, status_code=status, headers={"Cache-Control": "no-store"}
    )


async def revoke_token(request: Request) -> Response:
    actor = await require_actor(request)
    await read_form(request)  # only a form from the page: another body is refused, as on every form
    token = await tokens.revoke_own_api_token(actor, path_id(request))
    flash(request, f"The token “{token.name or 'unnamed'}” no longer works.")
    return RedirectResponse("/account/tokens", 303)


async def own_organisation(request: Request) -> Response:
    actor = await require_actor(request)
    org = await directory.own_organisation(actor)
    return RedirectResponse(f"/orgs/{org.slug}", 303)


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/invitations/{token}", invitation, methods=["GET", "POST"]),
    Route("/password-reset/{token}", password_reset, methods=["GET", "POST"]),
    Route("/account/profile", profile_settings, methods=["GET", "POST"]),
    Route("/account/password", password_settings, methods=["GET", "POST"]),
    Route("/account/tokens", token_settings, methods=["GET", "POST"]),
    Route("/account/tokens/{id:int}/revoke", revoke_token, methods=["POST"]),
    Route("/account/organisation", own_organisation, methods=["GET"]),
]
