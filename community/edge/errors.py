"""The one error renderer: a service error, an HTTP error or a crash becomes JSON under ``/api/``
and an HTML page everywhere else.

Route handlers raise (``community.errors``); Starlette's exception middleware hands what they raise
to ``ErrorRenderer.handlers``; the CSRF middleware, which runs before routing, calls
``ErrorRenderer.respond`` itself. Either way the response is built here, in one format. The HTML
page with the site's layout comes from the web layer above (``web.render.error_page``), handed in
by ``app.py``: the edge never imports the views.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import Scope

from community.db import DATABASE_ERRORS, is_unavailable
from community.edge.reading import is_api
from community.errors import RateLimited, ServiceError, ServiceUnavailable, Unauthenticated

log = logging.getLogger(__name__)

# (request, status, message, field errors, extra headers) -> the page.
HtmlErrorPage = Callable[[Request, int, str, dict[str, str], dict[str, str] | None], Awaitable[Response]]

_HTTP_MESSAGES = {
    404: "This page does not exist, or you do not have access to it.",
    405: "This address does not accept that kind of request.",
}
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}
SERVER_ERROR = "Something went wrong on our side. Nothing you saved was lost; please try again."
UNAVAILABLE = "The community cannot reach its database just now. Please try again in a minute."
UNAVAILABLE_RETRY_SECONDS = 30


def allowed_methods(scope: Scope, routes: Sequence[BaseRoute]) -> set[str]:
    """Every method some route answers at the scope's path (looking inside mounts)."""
    methods: set[str] = set()
    for route in routes:
        match, child = route.matches(scope)
        if match == Match.NONE:
            continue
        if isinstance(route, Mount):
            methods |= allowed_methods({**scope, **child}, route.routes)
        elif isinstance(route, Route) and route.methods:
            methods |= route.methods
    return methods


def error_json(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status, headers
    )


def retry_after(exc: RateLimited | ServiceUnavailable) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after)}


_PLAIN_TITLES = {500: "Something went wrong", 503: "Back in a moment"}


async def plain_page(
    request: Request, status: int, message: str, fields: dict[str, str], headers: dict[str, str] | None
) -> Response:
    """A page that needs nothing (no template, no database): for crashes, and when no layout is wired.
    It still wears the site's stylesheet and offers a way back."""
    title = _PLAIN_TITLES.get(status, "Please try again")
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        "<meta name=color-scheme content='light dark'>"
        f"<title>{title}</title><link rel=stylesheet href='/static/css/site.css'>"
        "<header class=site-header><div class=bar>"
        "<a class=brand href='/'>Partner Community</a></div></header>"
        f"<main id=main><section class=error-page><p class=error-code aria-hidden=true>{status}</p>"
        f"<h1>{title}</h1><p class=error-message>{escape(message)}</p>"
        "<ul class=error-ways><li><a href='/'>Back to the community</a></li>"
        f"<li><a href='{escape(request.url.path)}'>Try again</a></li></ul></section></main></html>"
    )
    return HTMLResponse(body, status, headers)


class ErrorRenderer:
    def __init__(self, html_page: HtmlErrorPage = plain_page) -> None:
        self.html_page = html_page

    @property
    def handlers(self) -> dict[Any, Callable[[Request, Exception], Awaitable[Response]]]:
        """Starlette's ``exception_handlers``."""
        return {
            ServiceError: self.service_error,
            HTTPException: self.http_error,
            # The database's own errors are answered here, inside the app: a handler for
            # ``Exception`` runs in Starlette's outermost middleware, which re-raises after it
            # answered, so each 503 of an outage was logged by the server as a crash.
            **dict.fromkeys(DATABASE_ERRORS, self.server_error),
            Exception: self.server_error,
        }

    async def respond(self, request: Request, exc: Exception) -> Response:
        """The response for any exception (middleware outside the routes calls this)."""
        if isinstance(exc, ServiceError):
            return await self.service_error(request, exc)
        if isinstance(exc, HTTPException):
            return await self.http_error(request, exc)
        return await self.server_error(request, exc)

    async def service_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceError)
        headers = retry_after(exc) if isinstance(exc, (RateLimited, ServiceUnavailable)) else None
        if is_api(request) or asks_for_json(request):
            if isinstance(exc, Unauthenticated):
                headers = {"WWW-Authenticate": "Bearer"}
            return error_json(exc.status_code, exc.code, exc.message, exc.fields, headers)
        if isinstance(exc, Unauthenticated):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
        return await self.html_page(request, exc.status_code, exc.message, exc.fields, headers)

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = _HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            # Starlette names only the methods of the first route on the path; the API declares
            # one route per method, so gather them all.
            # (From the app's own root: by now the scope is the one routing gave the endpoint.)
            scope = {**request.scope, "root_path": request.scope.get("app_root_path", "")}
            headers = {"Allow": ", ".join(sorted(allowed_methods(scope, request.app.routes)))}
        if is_api(request):
            code = _HTTP_CODES.get(exc.status_code, "error")
            return error_json(exc.status_code, code, message, headers=headers)
        return await self.html_page(request, exc.status_code, message, {}, headers)

    async def server_error(self, request: Request, exc: Exception) -> Response:
        if is_unavailable(exc):
            # The database is out of reach: a short outage to wait out, not a bug (503, Retry-After).
            log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
            headers = {"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)}
            if is_api(request):
                return error_json(503, "unavailable", UNAVAILABLE, headers=headers)
            return await plain_page(request, 503, UNAVAILABLE, {}, headers)
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        if is_api(request):
            return error_json(500, "server_error", SERVER_ERROR)
        # Not the layout: whatever failed (the database, a template) may fail again rendering it.
        return await plain_page(request, 500, SERVER_ERROR, {}, None)


def asks_for_json(request: Request) -> bool:
    """The site's own scripts (the editor's preview and uploads) ask pages for JSON: their refusals
    come back as JSON with the message and fields, like the API's, not as an error page."""
    return request.headers.get("accept", "").split(",")[0].strip().lower() == "application/json"
