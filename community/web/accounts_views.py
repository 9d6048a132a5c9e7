"""Sign in and out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from community.auth import current_actor, sign_in, sign_out
from community.errors import Invalid
from community.http import form_str, read_form
from community.services import accounts
from community.web.render import render


def _safe_next(value: str) -> str:
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


async def login_page(request: Request) -> Response:
    if await current_actor(request):
        return RedirectResponse(_safe_next(request.query_params.get("next", "/")), 303)
    return await render(request, "accounts/login.html", {"next": request.query_params.get("next", "/")})


async def login_submit(request: Request) -> Response:
    form = await read_form(request)
    email, next_url = form_str(form, "email"), _safe_next(form_str(form, "next"))
    ip = request.client.host if request.client else "unknown"
    try:
        user = await accounts.authenticate(request.app.state.settings, email, form_str(form, "password"), ip)
    except Invalid as exc:
        return await render(
            request,
            "accounts/login.html",
            {"email": email, "next": next_url, "error": exc.fields.get("password", exc.message)},
            status_code=400,
        )
    sign_in(request, user.id, user.auth_version)
    return RedirectResponse(next_url, 303)


async def logout(request: Request) -> Response:
    await read_form(request)
    sign_out(request)
    return RedirectResponse("/login", 303)


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
