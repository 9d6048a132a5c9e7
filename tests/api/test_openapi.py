"""The OpenAPI document matches the routes that are really mounted (both ways), and is served."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate as validate_spec
from starlette.routing import Mount, Route

from community.api.openapi import PREFIX
from community.api.routes import document
from community.app import SESSION_COOKIE
from tests.api.conftest import DOC, resolve, validate


def mounted_api_routes(app) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == PREFIX)
    found: dict[str, set[str]] = {}
    for route in mount.routes:
        assert isinstance(route, Route), f"unexpected route type {route!r}"
        methods = set(route.methods or ()) - {"HEAD"}
        found.setdefault(PREFIX + route.path_format, set()).update(methods)
    return found


async def test_every_route_is_documented_and_nothing_else(app):
    documented = {path: {m.upper() for m in ops} for path, ops in DOC["paths"].items()}
    assert mounted_api_routes(app) == documented


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_every_reference_resolves():
    for target in _refs(DOC):
        resolve({"$ref": target})


def test_every_operation_is_complete():
    ids = set()
    for path, ops in DOC["paths"].items():
        for method, op in ops.items():
            assert op["operationId"] not in ids
            ids.add(op["operationId"])
            assert op["summary"] and op["tags"], (method, path)
            statuses = set(op["responses"])
            assert statuses & {"200", "201", "204"}, (method, path)
            if op.get("security") != []:
                assert {"401", "403"} <= statuses, (method, path)
            if "requestBody" in op:
                assert {"400", "415", "422"} <= statuses, (method, path)
            for name in (seg[1:-1] for seg in path.split("/") if seg.startswith("{")):
                params = [resolve(p) for p in op["parameters"]]
                assert any(p["in"] == "path" and p["name"] == name for p in params), (method, path, name)
            if method != "get":
                assert {"$ref": "#/components/parameters/CsrfToken"} in op["parameters"]


def test_session_cookie_name_matches_the_app():
    assert DOC["components"]["securitySchemes"]["sessionCookie"]["name"] == SESSION_COOKIE


async def test_document_is_served_without_signing_in(client, world):
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    served = response.json()
    assert served["openapi"] == "3.1.0"
    assert served["servers"] == [{"url": world.settings.base_url}]
    assert served["paths"] == document()["paths"]


def test_the_checker_catches_drift():
    """The response check every API test relies on does fail on undocumented shapes."""
    post_schema = {"$ref": "#/components/schemas/VoteResult"}
    validate(post_schema, {"score": 1, "voted": True})
    for wrong in ({"score": 1}, {"score": 1, "voted": True, "extra": 1}, {"score": "1", "voted": True}):
        with pytest.raises(AssertionError):
            validate(post_schema, wrong)
    with pytest.raises(AssertionError):
        validate({"$ref": "#/components/schemas/Post"}, {"created_at": "2024-01-01T00:00:00+02:00"})


def test_the_document_is_a_valid_openapi_3_1_document():
    validate_spec(document("https://community.example"))  # raises OpenAPIValidationError naming the spot


def test_every_json_shape_is_declared_once():
    """Request and response shapes are components generated from the declarations, and each
    operation refers to them (no schema of a shape written inline a second time)."""
    for path, ops in DOC["paths"].items():
        for method, op in ops.items():
            if "requestBody" in op:
                body = op["requestBody"]["content"]["application/json"]["schema"]
                assert set(body) == {"$ref"}, (method, path)
            for status, response in op["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if schema is not None and op["operationId"] != "getOpenApi":
                    assert set(schema) == {"$ref"}, (method, path, status)


async def test_the_api_address_itself_says_where_to_read_on(client, world):
    # Before: /api/v1 redirected (307) to /api/v1/, which answered a JSON 404.
    base = world.settings.base_url.rstrip("/")
    for path in ("/api/v1", "/api/v1/"):
        response = await client.get(path)
        assert response.status_code == 200, path
        index = response.json()
        assert index["openapi"] == f"{base}/api/v1/openapi.json"
        assert index["documentation"] == f"{base}/help/api"
    assert (await client.get("/api/v1/openapi.json")).json()["paths"]["/api/v1/"]["get"]
