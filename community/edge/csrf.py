"""CSRF protection for every state-changing request, as pure ASGI middleware.

The token lives in the signed session; a request proves it read a page of ours by sending it back
in the ``X-CSRF-Token`` header or a ``csrf_token`` form field. Requests authenticated with an
``Authorization: Bearer`` token carry no ambient credentials and are exempt (the API then ignores
any session cookie); so are API requests whose session has no one signed in, which can only be
answered 401.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from community.edge.auth import SESSION_USER
from community.edge.errors import ErrorRenderer
from community.edge.reading import MAX_BODY, PayloadTooLarge
from community.errors import ServiceError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FIELD = "csrf_token"
HEADER = b"x-csrf-token"
MAX_SCAN = 2 * 1024 * 1024  # larger form bodies must send the header instead


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's token, created on first use."""
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _form_token(body: bytes, content_type: str) -> str | None:
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(FIELD)
        return values[0] if values else None
    if content_type.startswith("multipart/form-data"):
        marker = b'name="' + FIELD.encode() + b'"'
        start = body.find(marker)
        if start < 0:
            return None
        value_start = body.find(b"\r\n\r\n", start)
        value_end = body.find(b"\r\n", value_start + 4)
        if value_start < 0 or value_end < 0:
            return None
        return body[value_start + 4 : value_end].decode("latin-1")
    return None


HTML_REFUSAL = "The form expired or did not come from this site. Reload the page and try again."
API_REFUSAL = (
    "Missing or wrong X-CSRF-Token header. Requests signed in with a session cookie must send the "
    "token from GET /api/v1/me; or use an Authorization: Bearer token."
)


class CSRFFailed(ServiceError):
    status_code = 403
    code = "csrf_failed"


class CSRFMiddleware:
    """Refusals are answered by the app's one error renderer (JSON or an HTML page)."""

    def __init__(self, app: ASGIApp, errors: ErrorRenderer, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.errors = errors
        # Paths whose unsafe requests carry their own credential in the path and act on nothing
        # the session can reach (the one-click unsubscribe): app.py names them, with the reason.
        self.exempt_prefixes = exempt_prefixes

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, exc: ServiceError) -> None:
        request = Request(scope, receive)
        response = await self.errors.respond(request, exc)
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        if self.exempt_prefixes and scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if headers.get(b"authorization", b"").lower().startswith(b"bearer "):
            await self.app(scope, receive, send)
            return
        session = scope.get("session", {})
        if scope["path"].startswith("/api/") and SESSION_USER not in session:
            # No one is signed in through this cookie: nothing ambient to abuse, and the caller
            # should hear what is really missing (401 with WWW-Authenticate), not a CSRF error.
            await self.app(scope, receive, send)
            return
        expected = session.get("csrf")
        sent = headers.get(HEADER, b"").decode("latin-1") or None
        replay: list[Message] = []
        if sent is None:
            content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
            body, replay, whole = await _read_prefix(receive)
            if body is not None and (whole or content_type.startswith("multipart/form-data")):
                # A form's token comes before its file (the pages put it first), so a large upload
                # is let through to the view, which refuses it with its own limit and message
                # beside the field, rather than this middleware with a page in its place.
                sent = _form_token(body, content_type)
            if not whole and sent is None:
                # Too large to look for the token in, and far beyond what any form or API call
                # accepts: say so, rather than blame an expired form.
                too_large = PayloadTooLarge(f"The request is too large (at most {MAX_BODY // 1000} KB).")
                await self._refuse(scope, receive, send, too_large)
                return
        if not expected or not sent or not hmac.compare_digest(str(expected), sent):
            api = scope["path"].startswith("/api/")
            await self._refuse(scope, receive, send, CSRFFailed(API_REFUSAL if api else HTML_REFUSAL))
            return
        if replay:
            receive = _replaying(replay, receive)
        await self.app(scope, receive, send)


async def _read_prefix(receive: Receive) -> tuple[bytes | None, list[Message], bool]:
    """The body's first ``MAX_SCAN`` bytes or so (None if the client left), the messages they came
    in, and whether that is the whole body: the rest, if any, is still to be received."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages, True
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), messages, True
        if size > MAX_SCAN:
            return b"".join(chunks), messages, False


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
