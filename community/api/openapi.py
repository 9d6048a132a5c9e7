"""The OpenAPI 3.1 document of the JSON API, generated from what the API declares.

- The components (every request and response shape) are the JSON Schema msgspec gives for the
  declarations in ``community/api/shapes``: their descriptions are written there, once.
- The operations (paths, summaries, status codes, which shapes) come from the mounted routes: each
  module's ``routes`` list declares its ``Operation`` beside the endpoint (``operations.py``).
- Hand-written here, because they are not JSON shapes: the path and query parameters, the error
  responses every operation shares, the security schemes and the introduction.

``tests/api/test_openapi.py`` checks that every mounted route is documented with the same methods
and that the document validates (openapi-spec-validator); every response the API tests receive is
checked against it (``tests/api/conftest.py``).
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from community.api.operations import ApiRoute, Operation, area
from community.api.params import settings_of
from community.api.responses import ShapeResponse
from community.api.shapes import ApiIndex, Body, Error, Shape
from community.health.threads import FIGURES
from community.models import ArticleState, FlagReason, ReviewKind
from community.validation import MAX_ID

Schema = dict[str, Any]
PREFIX = "/api/v1"
REF = "#/components/schemas/{name}"

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
_REVIEW_KIND: Schema = {"type": "string", "enum": list(ReviewKind.ALL)}
_FLAG_REASON: Schema = {"type": "string", "enum": list(FlagReason.ALL)}
_ARTICLE_STATE: Schema = {"type": "string", "enum": list(ArticleState.ALL)}


def ref(name: str) -> Schema:
    return {"$ref": REF.format(name=name)}


def _query(name: str, description: str, schema: Schema) -> Schema:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _path(name: str, description: str, schema: Schema) -> Schema:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


PARAMETERS: dict[str, Schema] = {
    "Id": _path(
        "id", "A numeric id. Anything else answers 404.", {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    ),
    "Handle": _path("handle", "A member's handle.", STRING),
    "Slug": _path("slug", "An organisation's slug.", STRING),
    "CategorySlug": _path("slug", "A category's slug.", STRING),
    "Page": _query("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "default": 1}),
    "Category": _query("category", "A category slug.", STRING),
    "Tag": _query("tag", "Only threads with this tag.", STRING),
    "Status": _query("status", "open or closed.", {"type": "string", "enum": ["open", "closed"]}),
    "Show": _query(
        "show",
        "latest (default), unanswered (questions without answers) or solved (with an accepted answer).",
        {"type": "string", "enum": ["latest", "unanswered", "solved"], "default": "latest"},
    ),
    "Query": _query("q", "The search query (see the operation's description).", STRING),
    "Sort": _query(
        "sort",
        "relevance (default), newest or votes.",
        {"type": "string", "enum": ["relevance", "newest", "votes"], "default": "relevance"},
    ),
    "Title": _query("title", "A question title, as typed so far.", STRING),
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Makes a retry safe: a repeat with the same key (per caller, kept 24 hours) answers "
        "the first answer again with `Idempotent-Replayed: true` and creates nothing; the same key with "
        "another request is a 422 `idempotency_key_reused`. 1 to 255 visible ASCII characters.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    },
    "Prefix": _query("q", "What was typed so far (after the @ for people).", STRING),
    "SuggestThread": _query(
        "thread",
        "The thread being written in (its id).",
        {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    ),
    "CsrfToken": {
        "name": "X-CSRF-Token",
        "in": "header",
        "required": False,
        "description": "Required when signed in with the session cookie (the value is `csrf_token` "
        "from GET /api/v1/me); not needed with a Bearer token. Missing or wrong: 403 csrf_failed.",
        "schema": STRING,
    },
}

PARAMETERS |= {
    "ReviewKind": _query("kind", "flagged_post, flagged_thread, held_post or new_account.", _REVIEW_KIND),
    "FlagReason": _query("reason", "Only items with an open flag of this reason.", _FLAG_REASON),
    "AuditModerator": _query("moderator", "Who acted: a handle, or rules.", STRING),
    "AuditUser": _query(
        "user", "The member acted upon (their posts, threads, review items, account): a handle.", STRING
    ),
    "AuditAction": _query("action", "An action or its prefix, e.g. post. or post.delete.", STRING),
    "AuditSince": _query("since", "From this day (YYYY-MM-DD).", {"type": "string", "format": "date"}),
    "AuditUntil": _query("until", "Up to and including this day.", {"type": "string", "format": "date"}),
    "SanctionUser": _query("user", "A member's handle: their whole history.", STRING),
    "PeriodFrom": _query(
        "from", "First day of the period (YYYY-MM-DD, UTC).", {"type": "string", "format": "date"}
    ),
    "PeriodTo": _query("to", "Last day of the period, included.", {"type": "string", "format": "date"}),
    "DashboardTier": _query("tier", "Only questions of partners of this tier.", STRING),
    "DashboardOrganisation": _query(
        "organisation", "Only questions of this organisation (its slug).", STRING
    ),
    "WaitingRouted": _query(
        "routed", "me: only the questions routed to you (still on them).", {"type": "string", "enum": ["me"]}
    ),
    "DashboardFigure": _query(
        "figure",
        "The figure whose threads to list (docs/dashboard.md); default asked.",
        {"type": "string", "enum": list(FIGURES), "default": "asked"},
    ),
    "DashboardMember": _query(
        "member", "A member's handle: for answers_by, accepted_by, routed and routed_answered.", STRING
    ),
}

PARAMETERS |= {
    "KbTag": _query("tag", "Only articles with this tag.", STRING),
    "KbProduct": _query("product", "Only articles for this product version (its id).", INTEGER),
    "KbState": _query("state", "published (default); staff may ask for draft or archived.", _ARTICLE_STATE),
    "KbNeedsReview": _query("needs_review", "true: only articles flagged as needing review.", BOOLEAN),
    "KbSort": _query(
        "sort", "newest (default) or helpful.", {"type": "string", "enum": ["newest", "helpful"]}
    ),
    "VersionFrom": _query("from", "The older version's number.", INTEGER),
    "VersionTo": _query("to", "The newer version's number.", INTEGER),
    "VersionNumber": _path("number", "A version number.", {"type": "integer", "minimum": 1}),
    "Cursor": _query("cursor", "Where the previous page ended (from its next link).", STRING),
    "Limit": _query(
        "limit", "Items per page.", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    ),
    "ShowOtherRatings": _query(
        "show_others",
        "true: an expert who has not rated yet sees the others' ratings anyway.",
        {"type": "boolean", "default": False},
    ),
    "UnreadOnly": _query("unread", "true: unread notifications only.", {"type": "boolean", "default": False}),
    "Topic": _query(
        "topic",
        "category:<slug> or tag:<name> (a bare name means either): only experts whose expertise covers it.",
        STRING,
    ),
}

_ERRORS = {
    "BadRequest": "The body is not valid JSON, not UTF-8, or not an object.",
    "PayloadTooLarge": "The body is larger than 1 MB.",
    "Unauthenticated": "No valid session cookie or Bearer token.",
    "Forbidden": "Signed in, but not allowed to do this (or the X-CSRF-Token header is missing "
    "or wrong on a session-cookie request: code csrf_failed).",
    "NotFound": "No such thing, or the caller may not see it: both look the same.",
    "Conflict": "The request conflicts with the current state.",
    "UnsupportedMediaType": "The body was not sent as Content-Type: application/json.",
    "Invalid": "Some fields are wrong; error.fields says what to correct.",
    "RateLimited": "Too many posts in a short time: the Retry-After header says how many seconds to wait.",
}
_ERROR_STATUS = {
    "400": "BadRequest",
    "401": "Unauthenticated",
    "403": "Forbidden",
    "404": "NotFound",
    "409": "Conflict",
    "413": "PayloadTooLarge",
    "415": "UnsupportedMediaType",
    "422": "Invalid",
    "429": "RateLimited",
}


DESCRIPTION = """\
The Partner Community JSON API. It uses the same use cases, permissions and validation as the web
pages.

**Authentication**: `Authorization: Bearer <token>` (create one with `community create-token EMAIL`)
or the session cookie of a signed-in browser. A Bearer header wins over the cookie.

**CSRF**: requests that change something (POST, PATCH, DELETE) made with the session cookie must
send the `X-CSRF-Token` header with the `csrf_token` value from `GET /api/v1/me`. Bearer requests
are exempt.

**Errors** always answer `{"error": {"code", "message", "fields"}}`. Something the caller may not
see answers 404, exactly like something that does not exist.

**Lists** answer `{"items": [...], "total": N, "next": URL-or-null}`; follow `next` for more.
"""


SECURITY_SCHEMES: Schema = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token from `community create-token EMAIL`.",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "community_session",
        "description": "The browser session; state-changing requests also need the X-CSRF-Token header.",
    },
}
TAGS = ["threads", "posts", "categories", "search", "knowledge base", "moderation", "notifications",
        "support", "accounts", "experts", "meta"]  # fmt: skip


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _shape_schema(shape: type[Shape] | Schema) -> Schema:
    return shape if isinstance(shape, dict) else ref(shape.__name__)


def _location(text: str) -> Schema:
    return {"Location": {"description": text, "schema": {"type": "string", "format": "uri"}}}


def _operation(method: str, op: Operation) -> Schema:
    status, shape, ok_text = op.ok
    success = {"description": ok_text} if shape is None else _json(_shape_schema(shape), ok_text)
    if op.location:
        success["headers"] = _location(op.location)
    responses: Schema = {str(status): success}
    if op.redirect:
        code, moved, text = op.redirect
        responses[str(code)] = {**_json(ref(moved.__name__), text), "headers": _location("Where it went.")}
    # Every signed-in operation can answer 401 (no credentials) and 403 (suspended account).
    codes = set(op.errors) | (set() if op.public else {401, 403})
    if op.body is not None:
        codes |= {400, 413, 415, 422}
    if "Page" in op.params:  # a page that is not a whole number from 1
        codes.add(422)
    for code in sorted(codes):
        responses[str(code)] = {"$ref": f"#/components/responses/{_ERROR_STATUS[str(code)]}"}
    params = [{"$ref": f"#/components/parameters/{p}"} for p in op.params]
    if method != "GET":  # the CSRF header, needed with the session cookie only
        params.append({"$ref": "#/components/parameters/CsrfToken"})
    operation: Schema = {
        "operationId": op.op_id,
        "tags": [op.tag],
        "summary": op.summary,
        "parameters": params,
    }
    if op.description:
        operation["description"] = op.description
    if op.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(op.body.__name__)}},
        }
    operation["responses"] = responses
    if op.public:
        operation["security"] = []
    return operation


def _checked(mounted: list[BaseRoute]) -> list[ApiRoute]:
    """Every route mounted under /api/v1 must carry its operation."""
    found = []
    for route in mounted:
        assert isinstance(route, ApiRoute), f"{route!r} is mounted under {PREFIX} without an Operation"
        found.append(route)
    return found


def _components(routes: list[ApiRoute]) -> dict[str, Schema]:
    shapes: list[type[Any]] = [Error]
    for route in routes:
        op = route.operation
        for shape in (op.ok[1], op.body, op.redirect[1] if op.redirect else None):
            if isinstance(shape, type) and shape not in shapes:
                shapes.append(shape)
    _, schemas = msgspec.json.schema_components(shapes, ref_template=REF)
    for shape in shapes:
        if issubclass(shape, Body):
            schema = schemas[shape.__name__]
            schema.pop("required", None)
            if shape.required:
                schema["required"] = list(shape.required)
    return dict(sorted(schemas.items()))


def _build(routes: list[ApiRoute]) -> Schema:
    paths: dict[str, Schema] = {}
    for route in routes:
        paths.setdefault(PREFIX + route.path_format, {})[route.method.lower()] = _operation(
            route.method, route.operation
        )
    return {
        "openapi": "3.1.0",
        "info": {"title": "Partner Community API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "tags": [{"name": name} for name in TAGS],
        "paths": paths,
        "components": {
            "schemas": _components(routes),
            "parameters": PARAMETERS,
            "responses": {name: _json(ref("Error"), text) for name, text in _ERRORS.items()},
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


class OpenApi:
    """The document of a list of mounted API routes, and the route that serves it (which the list
    then includes, so the document describes itself too)."""

    def __init__(self, mounted: list[BaseRoute]) -> None:
        self.route = area("meta")(
            "GET", "/openapi.json", self.serve, "getOpenApi", "This document",
            ok=(200, {"type": "object"}, "The OpenAPI 3.1 document."), public=True,
        )  # fmt: skip
        self.index_route = area("meta")(
            "GET", "/", self.index, "getApiIndex", "Where to start: the documents describing this API",
            ok=(200, ApiIndex, "Links to the OpenAPI document and the readable documentation."),
            public=True,
        )  # fmt: skip
        self._mounted = mounted

    @functools.cached_property
    def _document(self) -> Schema:
        return _build(_checked(self._mounted))

    def document(self, base_url: str = "") -> Schema:
        """The whole document; ``base_url`` fills in the server address."""
        doc = copy.deepcopy(self._document)
        doc["servers"] = [{"url": base_url or "/"}]
        return doc

    async def serve(self, request: Request) -> Response:
        return JSONResponse(self.document(settings_of(request).base_url))

    async def index(self, request: Request) -> Response:
        """/api/v1 and /api/v1/: someone who types the API's address finds where to read on
        (before: a redirect to a JSON 404)."""
        base = settings_of(request).base_url.rstrip("/")
        return ShapeResponse(
            ApiIndex(
                name="Partner Community API",
                version="v1",
                openapi=f"{base}{PREFIX}/openapi.json",
                documentation=f"{base}/help/api",
                authentication="Authorization: Bearer <token> (Settings > API tokens), or the "
                "session cookie with an X-CSRF-Token header on changes",
            )
        )
