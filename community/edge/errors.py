"""The one error renderer: a service error, an HTTP error or a crash becomes JSON under ``/api/``
and an HTML page everywhere else.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from community.edge.reading import is_api
from community.errors import RateLimited, ServiceError, Unauthenticated

log = logging.getLogger(__name__)


def error_json(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "fields": fields or {}}}, status)


def retry_after(exc: RateLimited) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after)}


async def handle_service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    headers = retry_after(exc) if isinstance(exc, RateLimited) else None
    if is_api(request):
        response = JSONResponse({"error": exc.to_dict()}, exc.status_code, headers=headers)
        if isinstance(exc, Unauthenticated):
            response.headers["WWW-Authenticate"] = "Bearer"
        return response
    if isinstance(exc, Unauthenticated):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
    from community.web.render import render

    return await render(
        request,
        "error.html",
        {"status": exc.status_code, "message": exc.message, "fields": exc.fields},
        status_code=exc.status_code,
        headers=headers,
    )


_HTTP_MESSAGES = {
    404: "This page does not exist, or you do not have access to it.",
    405: "This address does not accept that kind of request.",
}


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = _HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
    if is_api(request):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        return error_json(exc.status_code, code, message)
    from community.web.render import render

    return await render(
        request, "error.html", {"status": exc.status_code, "message": message}, status_code=exc.status_code
    )


async def handle_server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = "Something went wrong on our side. Nothing you saved was lost; please try again."
    if is_api(request):
        return error_json(500, "server_error", message)
    return Response(
        f"<!doctype html><meta charset=utf-8><title>Error</title><h1>Sorry</h1><p>{message}</p>",
        500,
        media_type="text/html",
    )


EXCEPTION_HANDLERS = {
    ServiceError: handle_service_error,
    HTTPException: handle_http_exception,
    Exception: handle_server_error,
}
