"""What each route of the JSON API is, for the OpenAPI document: declared beside the endpoint, in
the module's ``routes`` list, so a route cannot be mounted without it.

The shapes it names (``ok``, ``body``) are the declarations in ``community/api/shapes``; the
document's components are generated from them (``openapi.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from community.actor import Actor
from community.api.shapes import Body, Shape
from community.edge.auth import require_actor
from community.errors import Forbidden

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Operation:
    """One method on one path. ``ok``: the success status, its shape (None: no body; a dict: a
    raw schema) and what it means. ``errors``: the error statuses it may answer beyond those every
    operation of its kind answers (401 and 403 when signed in; 400, 413, 415 and 422 with a body)."""

    op_id: str
    tag: str
    summary: str
    ok: tuple[int, type[Shape] | dict[str, Any] | None, str]
    errors: tuple[int, ...] = ()
    description: str = ""
    params: tuple[str, ...] = ()
    body: type[Body] | None = None
    location: str | None = None  # the Location header of the success answer
    redirect: tuple[int, type[Shape], str] | None = None  # e.g. a merged thread's 308
    public: bool = False
    # Who may call it at all, checked before the body is read, so that a member who may not use a
    # staff endpoint hears 403, not a 422 about a body they could never send: the use case's own
    # check (raising Forbidden with its message) or a policy predicate (False is a plain 403).
    guard: Callable[[Actor], object] | None = None


class ApiRoute(Route):
    """A route of the JSON API with its operation (one method per route)."""

    def __init__(self, method: str, path: str, endpoint: Endpoint, operation: Operation) -> None:
        guarded = _guarded(endpoint, operation.guard) if operation.guard else endpoint
        super().__init__(path, guarded, methods=[method])
        self.method = method
        self.operation = operation


def _guarded(endpoint: Endpoint, guard: Callable[[Actor], object]) -> Endpoint:
    async def checked(request: Request) -> Response:
        if guard(await require_actor(request)) is False:
            raise Forbidden()
        return await endpoint(request)

    return checked


def area(tag: str) -> Callable[..., ApiRoute]:
    """``route(method, path, endpoint, op_id, summary, ok=..., ...)`` for one area (its tag)."""

    def route(method: str, path: str, endpoint: Endpoint, op_id: str, summary: str, **kw: Any) -> ApiRoute:
        return ApiRoute(method, path, endpoint, Operation(op_id, tag, summary, **kw))

    return route
