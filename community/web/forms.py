"""Small helpers shared by the HTML views: reading forms back into pages and safe redirects."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request

from community.edge.reading import form_str, read_form


def safe_next(value: str, default: str = "/") -> str:
    """Only same-site paths: a ``next`` field must never send someone to another site."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


async def read_fields(request: Request, *names: str) -> tuple[FormData, dict[str, str]]:
    """The form and the named text fields (missing ones as ""), ready to re-render a form."""
    form = await read_form(request)
    return form, {name: form_str(form, name) for name in names}


def is_on(value: str) -> bool:
    """A checkbox's value: 1, true, yes or on (any case) is ticked, anything else is not."""
    return value.strip().lower() in ("1", "true", "yes", "on")


def thread_url(thread_id: int, page: int | str | None = None, post_id: int | None = None) -> str:
    url = f"/t/{thread_id}"
    if page not in (None, 1, "1"):
        url += f"?page={page}"
    if post_id is not None:
        url += f"#p{post_id}"
    return url
