"""Every JSON shape the API reads or answers, declared once as ``msgspec.Struct`` classes.

The same declarations give three things: the responses (built from the use cases' results and
encoded by msgspec: about 9x faster than dicts and ``json.dumps`` for a 50-answer thread, see
docs/performance.md), the request bodies (``community/api/requests.py`` checks each field's JSON
type against them) and the OpenAPI components (``community/api/openapi.py`` asks msgspec for their
JSON Schema). A field's description is written on it with ``Meta(description=...)``; a struct's
docstring is its description in the document, so it is written for the people who read that.

Two kinds of shape:

- ``Shape``: what the API answers. Every field is always present (``UNSET`` ones are left out:
  only ``Me.csrf_token`` uses that); unknown fields are refused when a shape is read back, which
  makes the document say ``additionalProperties: false``.
- ``Body``: what a request may send. Every field may be left out (``UNSET``); which ones the
  operation needs is ``required``, enforced by the use case as before (and so with its messages).
  ``Meta(extra={"invalid": ...})`` on a field is the message for a value of the wrong JSON type:
  the one the use case gave before the declarations checked types. A field without one is passed
  on as sent, because its use case's answer depends on more than the type (named where declared).

Value rules (lengths, choices, presence) stay with the use cases, which the HTML forms share and
whose messages people know; the declarations document them from the same constants.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

from community.settings import Settings

__all__ = ["UNSET", "Body", "Shape", "UnsetType"]


class Shape(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A response shape."""


class Body(msgspec.Struct, kw_only=True):
    """A request body. Fields the request leaves out are ``UNSET``; unknown fields are ignored."""

    # Fields the operation needs: listed as required in the document (the use case refuses
    # their absence with its own message, as for the HTML forms).
    required: ClassVar[tuple[str, ...]] = ()
    # Fields whose null means something (a duplicate's "of": null takes the mark back): left out,
    # ``args`` is told to give them as ``validation.KEEP`` so the use case can tell the two apart.
    null_is_a_value: ClassVar[tuple[str, ...]] = ()

    def args(self, **defaults: Any) -> dict[str, Any]:
        """Every field as the use case takes it: the value sent (null included), else the default
        given here, else None (what ``dict.get`` gave before)."""
        return {
            name: defaults.get(name) if (value := getattr(self, name)) is UNSET else value
            for name in self.__struct_fields__
        }


def utc(value: datetime | None) -> datetime | None:
    """Naive datetimes from the database are UTC already; msgspec writes UTC as ``...Z``."""
    if value is None or value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def thread_url(settings: Settings, thread_id: int) -> str:
    return f"{settings.base_url}/t/{thread_id}"


def api_url(settings: Settings, path: str) -> str:
    return f"{settings.base_url}/api/v1{path}"


# --- field types used across areas -----------------------------------------------------------------

Instant = Annotated[datetime, Meta(description="ISO 8601, UTC.")]
Url = Annotated[str, Meta(extra_json_schema={"format": "uri"})]
PageUrl = Annotated[str, Meta(description="The page to open (HTML).", extra_json_schema={"format": "uri"})]
NextUrl = Annotated[
    str | None,
    Meta(
        description="Absolute URL of the next page, or null on the last page.",
        extra_json_schema={"format": "uri"},
    ),
]
Total = Annotated[int, Meta(description="Number of items over all pages.")]
Role = Annotated[str, Meta(extra_json_schema={"enum": ["partner", "expert", "moderator", "admin"]})]


def text(invalid: str | None, description: str = "", **schema: Any) -> Any:
    """A text field of a request: ``invalid`` is what the use case says when it is not text (None:
    the use case judges every value)."""
    return Annotated[str, Meta(description=description or None, extra_json_schema=schema or None,
                               extra={"invalid": invalid} if invalid else None)]  # fmt: skip


def choice(options: tuple[str, ...] | list[str], description: str = "", **schema: Any) -> Any:
    """A text field naming one of ``options``; the use case checks the value and says this."""
    return text(f"Choose one of: {', '.join(options)}.", description, enum=list(options), **schema)


def flag(name: str, description: str = "", invalid: str = "") -> Any:
    """A true-or-false field of a request."""
    return Annotated[bool, Meta(description=description or None,
                                extra={"invalid": invalid or f"{name} is true or false."})]  # fmt: skip


class AuthorSummary(Shape):
    """A member as lists name them."""

    handle: str
    display_name: str


class CategoryRef(Shape):
    """The category a thread or article is in."""

    slug: str
    name: str


class Listing(Shape):
    """Every list answers this shape; follow ``next`` for more."""

    items: list[Any]
    total: Total
    next: NextUrl


class Counted(Shape):
    """A list that is always one page (moderation lists)."""

    items: list[Any]
    total: int


class ErrorDetail(Shape):
    """What went wrong."""

    code: Annotated[
        str,
        Meta(
            description="Stable machine-readable code, e.g. not_found, invalid, forbidden, "
            "unauthenticated, csrf_failed, bad_request, unsupported_media_type."
        ),
    ]
    message: Annotated[str, Meta(description="A sentence for people.")]
    fields: Annotated[dict[str, str], Meta(description="For 422: what is wrong with each named input field.")]


class Error(Shape):
    """Every error answers this shape (``community/edge/errors.py`` renders it)."""

    error: ErrorDetail


class ApiIndex(Shape):
    """What ``/api/v1`` answers: where to read on."""

    name: str
    version: str
    openapi: Annotated[str, Meta(description="The OpenAPI 3.1 document's address.")]
    documentation: Annotated[str, Meta(description="The readable documentation's address.")]
    authentication: str
