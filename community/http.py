"""Reading request bodies safely and turning service errors into responses (HTML or JSON)."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from community.errors import Invalid, NotFound, RateLimited, ServiceError, Unauthenticated
from community.services.validation import MAX_ID

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000


class BadRequest(ServiceError):
    status_code = 400
    code = "bad_request"


class PayloadTooLarge(ServiceError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(ServiceError):
    status_code = 415
    code = "unsupported_media_type"


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge(f"The request is too large (at most {MAX_BODY // 1000} KB).")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise PayloadTooLarge(f"The request is too large (at most {MAX_BODY // 1000} KB).")
    return body


async def read_json(request: Request) -> dict[str, Any]:
    """The JSON object in the body, or a clear 4xx."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaType("Send the body as JSON with Content-Type: application/json.")
    raw = await _body(request)
    try:
        data = json.loads(raw.decode("utf-8"))
        # JSON may spell lone surrogates (\ud800) that no database can store: reject them here.
        if b"\\u" in raw:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError):
        raise BadRequest("The body is not valid UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc.msg} (line {exc.lineno}).") from None
    except RecursionError:
        raise BadRequest("The body is nested too deeply.") from None
    except ValueError:  # a number with more digits than Python converts (over 4,300)
        raise BadRequest("The body has a number that is too long.") from None
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    return data


async def read_form(request: Request) -> FormData:
    """Form fields, with invalid UTF-8 and wrong content types answered as 4xx, not 500."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise UnsupportedMediaType("Please submit the form from the page.")
    raw = await _body(request)
    if content_type == "application/x-www-form-urlencoded":
        from urllib.parse import unquote_to_bytes

        for part in raw.split(b"&"):
            for piece in part.split(b"=", 1):
                try:
                    unquote_to_bytes(piece.replace(b"+", b" ")).decode("utf-8")
                except UnicodeDecodeError:
                    raise BadRequest("The form contains text that is not valid UTF-8.") from None
    try:
        return await request.form(max_files=0, max_fields=200)
    except Exception as exc:  # python-multipart raises several unrelated types
        raise BadRequest("The form could not be read. Please submit it from the page.") from exc


def path_id(request: Request, name: str = "id") -> int:
    """An id from the path (routes declare ``{name:int}``, so non-numbers never match); out of
    range is 404 like any id that names nothing."""
    value = request.path_params[name]
    if not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise NotFound()
    return value


def client_ip(request: Request) -> str:
    """The address a request came from (behind a proxy, uvicorn's --forwarded-allow-ips sets it)."""
    return request.client.host if request.client else "unknown"


def form_str(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


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

__all__ = ["EXCEPTION_HANDLERS", "Invalid", "form_str", "path_id", "read_form", "read_json"]
