"""API test helpers. Every /api/v1 response a test receives is checked against the OpenAPI
document: its status must be declared for the operation and its body must match the schema, so
the document describes what the API really does."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from community.accounts import tokens
from community.api.openapi import document
from community.models import User

DOC = document()
_TEMPLATES = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path) for path in DOC["paths"]]
_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = DOC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _type_ok(name: str, value: object) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def validate(schema: dict[str, Any], value: object, where: str = "$") -> None:
    """The subset of JSON Schema the document uses; raises AssertionError naming the spot."""
    schema = resolve(schema)
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        assert any(_type_ok(n, value) for n in names), f"{where}: {value!r} is not {names}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if schema.get("format") == "date-time" and isinstance(value, str):
        assert value.endswith("Z"), f"{where}: {value!r} is not UTC"
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            assert name in value, f"{where}: missing {name!r}"
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                validate(props[key], item, f"{where}.{key}")
            elif extra is False:
                raise AssertionError(f"{where}: undocumented property {key!r}")
            elif isinstance(extra, dict):
                validate(extra, item, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            validate(schema["items"], item, f"{where}[{i}]")


def operation_for(method: str, path: str) -> dict[str, Any] | None:
    for pattern, template in _TEMPLATES:
        if pattern.match(path):
            return DOC["paths"][template].get(method.lower())
    return None


async def check_against_document(response: httpx.Response) -> None:
    request = response.request
    path = request.url.path
    if not path.startswith("/api/v1") or request.method == "HEAD":
        return
    await response.aread()
    op = operation_for(request.method, path)
    if op is None:  # no such route or method: still the one error shape
        validate({"$ref": "#/components/schemas/Error"}, response.json())
        return
    status = str(response.status_code)
    declared = op["responses"]
    assert status in declared, f"{request.method} {path} answered {status}, documented: {sorted(declared)}"
    spec = resolve(declared[status])
    content = spec.get("content", {}).get("application/json")
    if content is None:
        assert response.content == b"", f"{request.method} {path}: {status} should have no body"
        return
    assert response.headers["content-type"].startswith("application/json")
    validate(content["schema"], response.json(), f"{request.method} {path} {status}")
    for header in spec.get("headers", {}):
        assert header.lower() in response.headers, f"{request.method} {path}: missing {header} header"


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """The usual client, with every API response checked against the OpenAPI document."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        event_hooks={"response": [check_against_document]},
    ) as c:
        yield c


async def bearer(user: User) -> dict[str, str]:
    """Headers for a personal API token of ``user``."""
    return {"Authorization": f"Bearer {await tokens.create_api_token(user)}"}
