"""API test helpers. Every /api/v1 response a test receives is checked against the OpenAPI
document: its status must be declared for the operation and its body must match the schema (a
full JSON Schema validation, with timestamps in UTC), so the document describes what the API
really does."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from community.accounts import tokens
from community.api.routes import document
from community.models import User

DOC = document()
_TEMPLATES = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path) for path in DOC["paths"]]
# Every schema is checked by jsonschema (JSON Schema 2020-12, as OpenAPI 3.1 uses), against the document
# itself: its "#/components/..." references resolve inside it.
_DOC_URI = "urn:partner-community:openapi"
_REGISTRY: Registry = Registry().with_resource(
    _DOC_URI, Resource.from_contents(DOC, default_specification=DRAFT202012)
)
_FORMATS = FormatChecker()


@_FORMATS.checks("date-time", raises=ValueError)
def _utc_instant(value: object) -> bool:
    """Timestamps are ISO 8601 in UTC, written with a Z."""
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.endswith("Z")


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = DOC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _anchored(schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("$ref", "").startswith("#"):
        return {**schema, "$ref": _DOC_URI + schema["$ref"]}
    return schema


def validate(schema: dict[str, Any], value: object, where: str = "$") -> None:
    """Raises AssertionError naming each spot where ``value`` does not match ``schema``."""
    validator = Draft202012Validator(_anchored(schema), registry=_REGISTRY, format_checker=_FORMATS)
    errors = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        found = "; ".join(
            f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:200]}" for e in errors[:5]
        )
        raise AssertionError(f"{where}: {found}")


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
    op = operation_for(request.method, "/api/v1/" if path == "/api/v1" else path)  # the index's alias
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
