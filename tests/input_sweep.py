"""What the bad-input sweep (``tests/test_bad_input.py``) reads from the app itself, so that a new
route, form field or request field is swept without anyone adding it to a list.

- ``app_routes``: every mounted route, with its path parameters and, for the JSON API, its declared
  ``Operation`` (body shape and query parameters).
- ``forms_in``: the ``<form>`` elements of a page and their fields (kind, choices, required, what
  the page fills in), read with the standard library's HTML parser.
- ``body_fields`` and the value makers: each field of a declared request shape
  (``community/api/shapes``) with the JSON types it takes, and the values that must be refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import msgspec.inspect as mi
from starlette.routing import Mount, Route, WebSocketRoute, compile_path

from community.api.openapi import PARAMETERS
from community.api.operations import ApiRoute, Operation
from community.api.shapes import Body

HUGE_TEXT = "x" * 100_000
HUGE_INT = 2**70
# Digits str.isdigit() accepts and int() refuses: numbers parsed with isdigit() alone answer them with a 500.
ODD_DIGITS = ("²", "⑦", "1²")
CONTROL = "\x00\x07\x1b\u202e"


# --- routes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppRoute:
    """One method on one mounted path. ``params``: each path parameter and its convertor
    (``int`` for ids, ``str`` or ``path`` for keys)."""

    method: str
    template: str  # as Starlette formats it: /t/{thread_id}
    regex: re.Pattern[str]
    params: tuple[tuple[str, str], ...]
    operation: Operation | None = None

    @property
    def is_api(self) -> bool:
        return self.template.startswith("/api/")

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def body(self) -> type[Body] | None:
        return self.operation.body if self.operation else None

    def query_params(self) -> list[tuple[str, dict[str, Any]]]:
        """(name, JSON schema) of each query parameter the operation declares."""
        if not self.operation:
            return []
        found = [PARAMETERS[p] for p in self.operation.params]
        return [(p["name"], p["schema"]) for p in found if p["in"] == "query"]


_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def _params(path: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, convertor or "str") for name, convertor in _PARAM.findall(path))


def app_routes(app: Any) -> list[AppRoute]:
    """Every route the app mounts (HEAD aside), the /api/v1 mount and /static included; the
    WebSocket route is the realtime tests' (tests/realtime/test_authorisation.py)."""
    found = []
    for route in app.routes:
        if isinstance(route, Mount) and route.routes:
            for sub in route.routes:
                assert isinstance(sub, Route), sub
                regex, template, _ = compile_path(route.path + sub.path)
                operation = sub.operation if isinstance(sub, ApiRoute) else None
                params = _params(route.path + sub.path)
                found += [
                    AppRoute(m, template, regex, params, operation)
                    for m in sorted(sub.methods or ())
                    if m != "HEAD"
                ]
        elif isinstance(route, Mount):  # an app such as StaticFiles: anything under it
            regex = re.compile("^" + re.escape(route.path) + "/(?P<path>.+)$")
            found.append(AppRoute("GET", route.path + "/{path}", regex, (("path", "path"),)))
        elif isinstance(route, WebSocketRoute):
            continue
        else:
            assert isinstance(route, Route), route
            params = _params(route.path)
            found += [
                AppRoute(m, route.path_format, route.path_regex, params)
                for m in sorted(route.methods or ())
                if m != "HEAD"
            ]
    return found


def route_of(routes: list[AppRoute], method: str, path: str) -> AppRoute | None:
    """The route that answers ``method`` on ``path`` (its query left aside)."""
    path = path.split("?")[0]
    return next((r for r in routes if r.method == method and r.regex.match(path)), None)


# --- HTML forms -----------------------------------------------------------------------------------

TEXT_INPUTS = {"text", "email", "password", "search", "url", "tel", "number", "date"}


@dataclass
class FormField:
    """One named field of a form. ``kind``: text, textarea, password, number, hidden, select,
    radio, checkbox or button (a submit button with a name and a value)."""

    name: str
    kind: str
    required: bool = False
    options: list[str] = field(default_factory=list)
    default: str | None = None  # what the page sends when nobody types or picks anything

    @property
    def typed(self) -> bool:
        """Typed by people (and so shown back to them when the form is refused)."""
        return self.kind in ("text", "textarea", "password", "number")

    @property
    def switch(self) -> bool:
        """A lone checkbox: sent as its value or not at all, read as on or off."""
        return self.kind == "checkbox" and len(self.options) == 1

    @property
    def numeric(self) -> bool:
        """A whole number: typed as one, or picked from values that are all numbers."""
        if self.kind == "number":
            return True
        if self.switch:
            return False
        values = self.options or ([self.default] if self.kind == "hidden" and self.default else [])
        return bool(values) and all(v.isdigit() for v in values if v)


@dataclass
class HtmlForm:
    action: str
    method: str
    fields: dict[str, FormField] = field(default_factory=dict)

    def defaults(self) -> dict[str, str]:
        """What submitting the form untouched sends (the CSRF token aside)."""
        return {
            name: f.default
            for name, f in self.fields.items()
            if f.default is not None and name != "csrf_token"
        }


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None
        self._option: str | None = None

    def _field(self, name: str, kind: str) -> FormField:
        assert self._form is not None
        return self._form.fields.setdefault(name, FormField(name, kind))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = HtmlForm(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
            return
        name = a.get("name")
        if self._form is None:
            return
        if tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select.options.append(value)
            if "selected" in a or self._select.default is None:
                self._select.default = value
        if not name:
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image", "button", "reset", "file"):
                return
            kind = kind if kind in ("hidden", "radio", "checkbox", "password", "number") else "text"
            f = self._field(name, kind)
            f.required = f.required or "required" in a
            if kind in ("radio", "checkbox"):
                f.options.append(a.get("value", "on"))
                if "checked" in a:
                    f.default = a.get("value", "on")
            else:
                f.default = a.get("value", "")
        elif tag == "button":
            f = self._field(name, "button")
            f.options.append(a.get("value", ""))
            if f.default is None:
                f.default = a.get("value", "")
        elif tag == "select":
            self._select = self._field(name, "select")
            self._select.required = "required" in a
        elif tag == "textarea":
            self._textarea = self._field(name, "textarea")
            self._textarea.required = "required" in a
            self._textarea.default = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None and self._textarea.default:
                self._textarea.default = self._textarea.default.removeprefix("\n")
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.default = (self._textarea.default or "") + data


def forms_in(html: str) -> list[HtmlForm]:
    """Every form of a page, with its fields."""
    reader = _FormReader()
    reader.feed(html)
    reader.close()
    return reader.forms


# --- JSON request shapes --------------------------------------------------------------------------


@dataclass(frozen=True)
class BodyField:
    """A field of a request shape: the JSON types it takes (``integer``, ``string``, ``boolean``,
    ``array``, ``null``), what its arrays hold, and the limits and choices it declares."""

    name: str
    kinds: frozenset[str]
    items: frozenset[str] = frozenset()
    schema: dict[str, Any] = field(default_factory=dict)  # enum, maxLength, maxItems...
    item_schema: dict[str, Any] = field(default_factory=dict)
    invalid: str | None = None  # the message for a value of the wrong JSON type
    required: bool = False

    @property
    def numeric(self) -> bool:
        return "integer" in self.kinds or "integer" in self.items


def _kinds(t: Any, schema: dict[str, Any], invalid: list[str]) -> tuple[set[str], set[str], dict[str, Any]]:
    """(JSON types, item JSON types, item schema) of a msgspec type; ``schema`` and ``invalid``
    collect the declared limits and message."""
    if isinstance(t, mi.Metadata):
        if t.extra_json_schema:
            schema.update({k: v for k, v in t.extra_json_schema.items() if k != "description"})
        if t.extra and "invalid" in t.extra:
            invalid.append(t.extra["invalid"])
        return _kinds(t.type, schema, invalid)
    if isinstance(t, mi.UnionType):
        kinds: set[str] = set()
        items: set[str] = set()
        item_schema: dict[str, Any] = {}
        for member in t.types:
            k, i, s = _kinds(member, schema, invalid)
            kinds |= k
            items |= i
            item_schema |= s
        return kinds, items, item_schema
    if isinstance(t, mi.ListType):
        item_schema = {}
        items, _, _ = _kinds(t.item_type, item_schema, [])
        return {"array"}, items, item_schema
    simple = {mi.StrType: "string", mi.IntType: "integer", mi.BoolType: "boolean", mi.NoneType: "null"}
    for cls, kind in simple.items():
        if isinstance(t, cls):
            return {kind}, set(), {}
    raise AssertionError(f"a request field of a type the sweep does not know yet: {t!r}")


def body_fields(shape: type[Body]) -> list[BodyField]:
    """Every field of a request shape, as declared."""
    found = []
    for info in mi.type_info(shape).fields:  # type: ignore[union-attr]
        schema: dict[str, Any] = {}
        invalid: list[str] = []
        kinds, items, item_schema = _kinds(info.type, schema, invalid)
        found.append(BodyField(
            info.encode_name, frozenset(kinds), frozenset(items), schema, item_schema,
            invalid[0] if invalid else None, info.name in shape.required,
        ))  # fmt: skip
    return found


# A value of each JSON type, several where their shapes differ (empty, nested).
VALUES_OF_KIND: dict[str, list[Any]] = {
    "integer": [0, HUGE_INT],
    "number": [1.5],
    "boolean": [True, False],
    "string": ["yes", HUGE_TEXT],
    "array": [[], [1, 2], [["a"]]],
    "object": [{}, {"a": 1}, {"a": {"b": {"c": [1]}}}],
}


def wrong_types(f: BodyField) -> list[Any]:
    """Values of JSON types the field does not take (whole values, and items of its arrays)."""
    values = [v for kind, vs in VALUES_OF_KIND.items() if kind not in f.kinds for v in vs]
    if "array" in f.kinds:
        values += [[v] for kind, vs in VALUES_OF_KIND.items() if kind not in f.items for v in vs[:1]]
        values += [[["a"]], [{"a": 1}]] + ([[1, 2]] if "integer" not in f.items else [])
    return _unique(values)


def odd_values(f: BodyField) -> list[Any]:
    """Values of a type the field takes that no request may carry: text beyond any limit, a
    choice that is none of the choices, numbers out of range or spelled in odd digits."""
    values: list[Any] = []
    if "string" in f.kinds:
        values.append(HUGE_TEXT)
        if "maxLength" in f.schema:
            values.append("x" * (f.schema["maxLength"] + 1))
        if "enum" in f.schema:
            values.append("none-of-the-choices")
    if f.numeric:
        numbers: list[Any] = [0, -1, HUGE_INT, -HUGE_INT]
        if "string" in f.kinds or "string" in f.items:
            numbers += [str(HUGE_INT), "1" * 5000, "1.5", "-1", "0x10", *ODD_DIGITS]
        values += [[n] for n in numbers] if "integer" in f.items else numbers
    if "array" in f.kinds:
        # Distinct items: lists of words are de-duplicated.
        if "maxItems" in f.schema:
            values.append([f"a{n}" for n in range(f.schema["maxItems"] + 1)])
        values.append([f"x{n}" for n in range(1000)])
        if "maxLength" in f.item_schema:
            values.append(["x" * (f.item_schema["maxLength"] + 1)])
        if "enum" in f.item_schema.get("items", {}) or "enum" in f.schema.get("items", {}):
            values.append(["none-of-the-choices"])
    return _unique(values)


def _unique(values: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for v in values:
        if not any(type(v) is type(s) and v == s for s in seen):
            seen.append(v)
    return seen


def raw_json(body: dict[str, Any]) -> bytes:
    """A JSON body as a client may spell it: ASCII, lone surrogates as \\ud800 escapes (which
    httpx's own encoder cannot write), integers of any size."""
    return json.dumps(body).encode()
