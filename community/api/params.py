"""Reading path and query parameters so that odd input is a clear 4xx, never a database error."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request

from community.errors import Invalid, NotFound
from community.settings import Settings
from community.validation import clean_text

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


def page_url(request: Request, page: int) -> str:
    """The same request for another page, as an absolute URL on the public address."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    params.append(("page", str(page)))
    return f"{settings_of(request).base_url}{request.url.path}?{urlencode(params)}"
