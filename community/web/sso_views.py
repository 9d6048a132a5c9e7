"""Single sign-on pages: start and finish an OpenID Connect sign-in, find an organisation's
provider from a work address, sign out at the provider too, and an organisation's sign-in settings."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from community.accounts import sso
from community.edge import oidc
from community.edge.auth import require_actor, sign_in
from community.edge.reading import form_str, read_form
from community.errors import Invalid, NotFound, ServiceUnavailable
from community.models import IdentityProvider
from community.web.forms import read_fields, safe_next
from community.web.render import flash, render

SESSION_NEXT = "sso_next"
SESSION_SSO = "sso"  # {"key": provider key, "id_token": ...}: what the provider's sign-out needs
UNAVAILABLE = "The sign-in service did not answer. Please try again in a minute."


def _clients(request: Request) -> oidc.Clients:
    return request.app.state.oidc_clients


async def login_options(request: Request) -> dict[str, object]:
    """What the sign-in page offers besides a password."""
    company = sso.company_provider(request.app.state.settings)
    return {
        "sso_company": company,
        "sso_organisations": await IdentityProvider.filter(enabled=True).exclude(email_domains="").exists(),
    }


async def start(request: Request) -> Response:
    settings = request.app.state.settings
    provider = await sso.provider_by_key(settings, request.path_params["key"])
    next_url = safe_next(request.query_params.get("next", "/"))
    try:
        response = await oidc.start(
            _clients(request), request, provider, settings.base_url + provider.callback_path
        )
    except oidc.ProviderUnavailable:
        raise ServiceUnavailable(UNAVAILABLE, retry_after=60) from None
    except sso.SignInRefused as exc:
        context = await login_options(request)
        return await render(
            request, "accounts/login.html", {**context, "error": exc.message}, status_code=400
        )
    request.session[SESSION_NEXT] = next_url
    return response


async def callback(request: Request) -> Response:
    settings = request.app.state.settings
    provider = await sso.provider_by_key(settings, request.path_params["key"])
    next_url = safe_next(str(request.session.get(SESSION_NEXT) or "/"))
    try:
        claims, id_token = await oidc.finish(_clients(request), request, provider)
        user = await sso.sign_in_from_claims(settings, provider, claims)
    except oidc.ProviderUnavailable:
        raise ServiceUnavailable(UNAVAILABLE, retry_after=60) from None
    except sso.SignInRefused as exc:
        context = await login_options(request)
        return await render(
            request, "accounts/login.html", {**context, "error": exc.message}, status_code=400
        )
    sign_in(request, user.id, user.auth_version)
    request.session[SESSION_SSO] = {"key": provider.key, "id_token": id_token}
    return RedirectResponse(next_url, 303)


async def discover(request: Request) -> Response:
    """ "Continue with single sign-on": the provider of the organisation owning the address's domain."""
    form = await read_form(request)
    email, next_url = form_str(form, "email"), safe_next(form_str(form, "next"))
    provider = await sso.provider_for_email(request.app.state.settings, email)
    if provider is None:
        domain = email.rpartition("@")[2] or email
        context = await login_options(request)
        message = f"No single sign-on is set up for addresses at {domain}. Sign in with your password."
        return await render(
            request,
            "accounts/login.html",
            {**context, "email": email, "next": next_url, "error": message},
            status_code=400,
        )
    return RedirectResponse(f"{provider.start_path}?next={next_url}", 303)


async def provider_sign_out(request: Request, signed_out_of: dict[str, str] | None) -> Response:
    """After the local sign-out: offer the provider's own sign-out (RP-initiated logout)."""
    settings = request.app.state.settings
    url = None
    if signed_out_of:
        try:
            provider = await sso.provider_by_key(settings, signed_out_of.get("key", ""))
        except Exception:
            provider = None
        if provider is not None:
            url = await oidc.end_session_url(
                _clients(request), provider, signed_out_of.get("id_token", ""), settings.base_url + "/login"
            )
            name = provider.name
    if url is None:
        return RedirectResponse("/login", 303)
    return await render(request, "accounts/signed_out.html", {"end_session_url": url, "provider_name": name})


async def organisation_sign_in(request: Request) -> Response:
    actor = await require_actor(request)
    org = await sso.manageable_organisation(actor, request.path_params["slug"])
    if request.method == "GET":
        return await render(request, "people/org_sign_in.html", {"org": org, **await sso.provider_form(org)})
    form, values = await read_fields(request, *sso.PROVIDER_FIELDS)
    enabled, password_on = form_str(form, "enabled") == "on", form_str(form, "password_sign_in") == "on"
    try:
        await sso.save_provider(
            request.app.state.settings, org, values, enabled=enabled, password_sign_in=password_on
        )
    except Invalid as exc:
        values["client_secret"] = ""
        context = {
            "org": org,
            "form": values,
            "errors": exc.fields,
            "enabled": enabled,
            "password_sign_in": password_on,
        }
        return await render(request, "people/org_sign_in.html", context, status_code=422)
    flash(request, f"Sign-in settings of {org.name} are saved.")
    return RedirectResponse(f"/orgs/{org.slug}/sign-in", 303)


async def no_such_step(request: Request) -> Response:
    """Any other address under /sso/<provider>/ (the trial tried /sso/company/login): the same
    answer as start and callback when the provider is not set up, else a plain 404."""
    await sso.provider_by_key(request.app.state.settings, request.path_params["key"])
    raise NotFound("No such page. Single sign-on starts from the sign-in page.")


routes = [
    Route("/sso/discover", discover, methods=["POST"]),
    Route("/sso/{key}/start", start, methods=["GET"]),
    Route("/sso/{key}/callback", callback, methods=["GET"]),
    Route("/sso/{key}/{step:path}", no_such_step, methods=["GET"]),
    Route("/orgs/{slug}/sign-in", organisation_sign_in, methods=["GET", "POST"]),
]
