"""A notification entry is a real link (it opens in a new tab, can be copied, middle-clicked) that
marks the entry read when the page it leads to is requested.

Why not ``GET /notifications/N/open`` (mark read, redirect)? Any site could then make a signed-in
browser mark any of its notifications read with an image tag or a link: a state change on GET,
which the CSRF protection (POST with a token) exists to rule out. Instead the entry links straight
to its target with one extra query parameter, ``nread=<id>.<signature>``: an HMAC with the
site's secret key over the purpose, the member's user id and the notification id. Only the
notification centre, shown to that member, ever writes it; another site cannot make one (it has
no secret), one member's link does nothing in another member's session, and it can do nothing but
mark that one notification of theirs read: the same effect the member chose by following it.
Reloading, or a link copied out of the address bar, marks it read again, which changes nothing.
The POST ``/notifications/N/open`` stays for what already uses it (the JSON API has its own).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from community.edge.auth import SESSION_USER
from community.notifications.centre import mark_read_on_arrival

PARAM = "nread"
_PURPOSE = b"notification-read\x00"


def _signature(secret: str, user_id: int, notification_id: int) -> str:
    digest = hmac.new(secret.encode(), _PURPOSE + f"{user_id}\x00{notification_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:18]).decode()


def entry_link(secret: str, user_id: int, entry: dict[str, Any]) -> str:
    """Where an entry of the centre leads, marking it read on arrival: a post's lasting address
    (the page that shows it now, answers move with votes), or the entry's own address."""
    target = f"/posts/{entry['post_id']}" if entry.get("post_id") is not None else str(entry["url"])
    address, hash_, fragment = target.partition("#")
    separator = "&" if "?" in address else "?"
    value = f"{entry['id']}.{_signature(secret, user_id, entry['id'])}"
    return f"{address}{separator}{PARAM}={value}{hash_}{fragment}"


def _signed_id(secret: str, user_id: int, value: str) -> int | None:
    ident, _, signature = value.partition(".")
    if not ident.isascii() or not ident.isdigit() or len(ident) > 12:
        return None
    if not hmac.compare_digest(signature.encode(), _signature(secret, user_id, int(ident)).encode()):
        return None
    return int(ident)


class MarkReadOnArrival:
    """Marks a notification read when a GET carries its signed ``nread`` parameter (see the
    module's docstring); every other request passes untouched, after one byte-string search."""

    def __init__(self, app: ASGIApp, *, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and b"nread=" in scope["query_string"]:
            await self._mark(scope)
        await self.app(scope, receive, send)

    async def _mark(self, scope: Scope) -> None:
        user_id = scope.get("session", {}).get(SESSION_USER)
        if not isinstance(user_id, int):
            return
        query = scope["query_string"].decode("latin-1")
        for name, value in parse_qsl(query):
            if name == PARAM and (notification_id := _signed_id(self.secret, user_id, value)) is not None:
                await mark_read_on_arrival(user_id, notification_id)
