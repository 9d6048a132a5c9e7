"""Reading a JSON body into its declared shape (``community/api/shapes``).

Each field the request sends is checked against its declared JSON type; a wrong one is a 422
naming the field with the message its use case gave before the declarations checked types, and
every wrong field is named at once. JSON null is a 422 where the declared type does not admit it
(the document says so; a client sending null for "no reason" is told to leave the field out);
fields the use case types itself (no ``invalid`` message) get it as None. Fields the request leaves
out are ``UNSET``. A field the shape does not declare is a 422 naming it (the OpenAPI document says
``additionalProperties: false``): a misspelt field silently ignored would save something else
than the caller meant.
"""

from __future__ import annotations

import functools
import typing
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request

from community.api.shapes import Body
from community.edge.reading import read_json
from community.errors import Invalid

B = TypeVar("B", bound=Body)


@functools.cache
def _fields(shape: type[Body]) -> tuple[tuple[str, str, Any, str | None], ...]:
    """(attribute, JSON name, declared type, message for a wrong type) of each field."""
    hints = typing.get_type_hints(shape, include_extras=True)
    found = []
    for info in msgspec.structs.fields(shape):
        hint = hints[info.name]
        found.append((info.name, info.encode_name, hint, _invalid_message(hint)))
    return tuple(found)


def _invalid_message(hint: Any) -> str | None:
    """The ``invalid`` message of the field's ``Meta(extra=...)``, however the type nests it."""
    for meta in getattr(hint, "__metadata__", ()):
        if isinstance(meta, msgspec.Meta) and meta.extra and "invalid" in meta.extra:
            return meta.extra["invalid"]
    for arg in typing.get_args(hint):
        if (message := _invalid_message(arg)) is not None:
            return message
    return None


UNKNOWN_FIELD = "This request has no field of this name."
NULL_FIELD = "This field cannot be null: leave it out, or give a value."


def _admits_null(hint: Any) -> bool:
    """Whether the declared type (through ``Annotated`` and unions) includes None."""
    if hint is None or hint is type(None):
        return True
    if typing.get_origin(hint) is typing.Annotated:
        return _admits_null(typing.get_args(hint)[0])
    return any(_admits_null(arg) for arg in typing.get_args(hint) if typing.get_origin(hint) is not None)


@functools.cache
def _names(shape: type[Body]) -> frozenset[str]:
    return frozenset(key for _, key, _, _ in _fields(shape))


def parse(shape: type[B], data: dict[str, Any]) -> B:
    """``data`` (a JSON object) as ``shape``; 422 naming every field of the wrong type."""
    values: dict[str, Any] = {}
    declared = _names(shape)
    wrong = {key: UNKNOWN_FIELD for key in data if key not in declared}
    for name, key, hint, invalid in _fields(shape):
        if key not in data:
            continue
        value = data[key]
        if value is None and invalid is not None and not _admits_null(hint):
            wrong[key] = NULL_FIELD  # the document does not allow null here: leave the field out
            continue
        if value is None or invalid is None:
            values[name] = value
            continue
        try:
            values[name] = msgspec.convert(value, hint, strict=True)
        except msgspec.ValidationError:
            wrong[key] = invalid
    if wrong:
        raise Invalid(wrong)
    return shape(**values)


async def read_body(request: Request, shape: type[B]) -> B:
    """The request's JSON body as ``shape`` (400, 413 or 415 before that for what is not JSON)."""
    return parse(shape, await read_json(request))
