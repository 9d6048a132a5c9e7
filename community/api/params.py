"""Reading path and query parameters so that odd input is a clear 4xx, never a database error."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request

from community.errors import Invalid, NotFound
from community.forum.lists import MAX_PAGE_NUMBER
from community.settings import Settings
from community.validation import clean_text, positive_int

# No handle, slug or query value people use is longer: a longer one names nothing (404 in the path,
# 422 in the query).
MAX_PARAM = 200


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def path_text(request: Request, name: str) -> str:
    """A handle or slug from the path; control characters cannot be part of one."""
    value = str(request.path_params[name])
    if clean_text(value) != value or len(value) > MAX_PARAM:
        raise NotFound()
    return value


def query_text(request: Request, name: str) -> str | None:
    """A query parameter, or None when absent or empty."""
    value = request.query_params.get(name)
    if value is None or not value.strip():
        return None
    if clean_text(value) != value or len(value) > MAX_PARAM:
        raise Invalid({name: f"The {name} parameter has characters that are not allowed or is too long."})
    return value.strip()


def query_typed(request: Request, name: str) -> str | None:
    """A parameter the document types (a day, a number, one of a list; the use case checks the
    value), or None when absent. Given but empty is a 422: unlike a text, an empty value is none of
    those (pages read it kindly)."""
    value = request.query_params.get(name)
    if value is not None and not value.strip():
        raise Invalid({name: f"The {name} parameter is empty: leave it out, or give a value."})
    return query_text(request, name)


TRUE, FALSE = ("true", "1"), ("false", "0")


def query_flag(request: Request, name: str) -> bool:
    """A boolean query parameter: false when absent; ``true``/``1`` or ``false``/``0``, else 422."""
    values = request.query_params.getlist(name)
    if not values:
        return False
    if len(values) > 1:
        raise Invalid({name: f"Give the {name} parameter once."})
    value = values[0].strip().lower()
    if value not in TRUE + FALSE:
        raise Invalid({name: f"The {name} parameter is true or false."})
    return value in TRUE


def page(request: Request) -> int:
    """The ``page`` query parameter: 1 when absent; 422 unless a whole number from 1 (the OpenAPI
    document says ``minimum: 1``; a page past the last is simply empty)."""
    raw = request.query_params.get("page")
    if raw is None:
        return 1
    number = positive_int(raw, MAX_PAGE_NUMBER)
    if number is None:
        raise Invalid({"page": f"The page must be a whole number from 1 to {MAX_PAGE_NUMBER:,}."})
    return number


def page_url(request: Request, page: int) -> str:
    """The same request for another page, as an absolute URL on the public address."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    params.append(("page", str(page)))
    return f"{settings_of(request).base_url}{request.url.path}?{urlencode(params)}"
