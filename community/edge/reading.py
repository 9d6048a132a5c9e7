"""Reading requests safely: JSON and form bodies, ids from the path, the client's address.

Odd input (wrong content type, invalid UTF-8, oversized bodies, ids out of range) becomes a
clear 4xx here, before any use case sees it.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from community.errors import Invalid, NotFound, ServiceError
from community.validation import MAX_ID

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


async def _body(request: Request, limit: int = MAX_BODY, too_large: PayloadTooLarge | None = None) -> bytes:
    too_large = too_large or PayloadTooLarge(f"The request is too large (at most {limit // 1000:,} KB).")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    size = 0
    chunks: list[bytes] = []
    async for chunk in request.stream():  # counted as it arrives: no Content-Length is believed
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # what request.form() and request.body() read from now on
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


# A multipart form's own bytes beyond the file: boundaries, headers, the CSRF token.
UPLOAD_OVERHEAD = 16_000


async def read_upload(request: Request, field: str, max_bytes: int) -> tuple[bytes, str | None]:
    """The file sent as ``field`` of a multipart form (its bytes, at most ``max_bytes``, and the
    name it had), or a clear 4xx. What the bytes are is for the caller to find out."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        raise UnsupportedMediaType("Send the image as a multipart form (the page's file field does).")
    too_large = PayloadTooLarge(f"The image is too large (at most {max_bytes // 1024:,} KB).")
    await _body(request, max_bytes + UPLOAD_OVERHEAD, too_large)
    try:
        form = await request.form(max_files=1, max_fields=20)
    except Exception as exc:  # python-multipart raises several unrelated types
        raise BadRequest("The form could not be read. Please submit it from the page.") from exc
    upload = form.get(field)
    if not isinstance(upload, UploadFile):
        raise Invalid({field: "Choose an image to upload."})
    data = await upload.read(max_bytes + 1)
    await upload.close()
    if len(data) > max_bytes:
        raise too_large
    return data, upload.filename


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
