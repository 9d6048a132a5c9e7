"""One error renderer for the whole app: errors raised by views and refusals by the CSRF
middleware (which runs before any route) look the same to people and to API clients."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from community.edge.csrf import CSRFMiddleware
from community.edge.errors import ErrorRenderer
from community.errors import Conflict, Forbidden
from community.models import Thread
from tests.conftest import World, login


async def test_a_refused_form_gets_the_sites_error_page_and_changes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    await login(client, world.partner)
    before = await Thread.all().count()
    fields = {"category": "general", "kind": "question", "title": "A question with no token", "body": "Hi"}
    refused = await client.post("/ask", data=fields)
    assert refused.status_code == 403
    assert "The form expired or did not come from this site" in refused.text
    # The page of the site, as the person knows it: their name and the way back, not a bare page.
    assert world.partner.display_name in refused.text and "Back to the community" in refused.text
    assert await Thread.all().count() == before


async def test_the_api_hears_the_same_refusal_as_json(client: httpx.AsyncClient, world: World) -> None:
    await login(client, world.partner)
    refused = await client.post("/api/v1/threads", json={"title": "x"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    assert "X-CSRF-Token" in refused.json()["error"]["message"]


async def test_too_large_to_read_is_said_so_in_the_same_format(
    client: httpx.AsyncClient, world: World
) -> None:
    await login(client, world.partner)
    huge = b"x" * (3 * 1024 * 1024)
    page = await client.post(
        "/ask", content=huge, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert page.status_code == 413 and "The request is too large" in page.text
    assert world.partner.display_name in page.text
    api = await client.post("/api/v1/threads", content=huge, headers={"content-type": "application/json"})
    assert api.status_code == 413 and api.json()["error"]["code"] == "payload_too_large"


def _tiny_app(renderer: ErrorRenderer) -> Starlette:
    async def boom(request: Request) -> PlainTextResponse:
        raise Conflict("Someone else changed it.")

    async def crash(request: Request) -> PlainTextResponse:
        raise RuntimeError("a bug")

    async def forbidden(request: Request) -> PlainTextResponse:
        raise Forbidden()

    async def database_down(request: Request) -> PlainTextResponse:
        raise ConnectionRefusedError(111, "Connection refused")

    return Starlette(
        routes=[
            Route("/api/x", boom),
            Route("/x", boom),
            Route("/crash", crash),
            Route("/no", forbidden),
            Route("/down", database_down),
            Route("/api/down", database_down),
        ],
        middleware=[
            Middleware(SessionMiddleware, secret_key="k"),
            Middleware(CSRFMiddleware, errors=renderer),
        ],
        exception_handlers=renderer.handlers,
    )


async def test_the_html_page_comes_from_whoever_app_py_wires_in() -> None:
    """The edge knows no templates: without a page from the web layer it answers a plain one."""
    seen: list[tuple[int, str]] = []

    async def page(request, status, message, fields, headers):  # type: ignore[no-untyped-def]
        seen.append((status, message))
        return PlainTextResponse(f"page: {message}", status, headers)

    transport = httpx.ASGITransport(app=_tiny_app(ErrorRenderer(html_page=page)), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/x")).text == "page: Someone else changed it."
        api = await client.get("/api/x")
        assert api.status_code == 409 and api.json()["error"] == {
            "code": "conflict", "message": "Someone else changed it.", "fields": {},
        }  # fmt: skip
        refused = await client.post("/x", data={"a": "b"})
        assert refused.status_code == 403 and refused.text.startswith("page: The form expired")
        crashed = await client.get("/crash")  # never the layout: what failed may fail again
        assert crashed.status_code == 500 and "Nothing you saved was lost" in crashed.text
    assert [status for status, _ in seen] == [409, 403]
    plain = httpx.ASGITransport(app=_tiny_app(ErrorRenderer()), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=plain, base_url="http://t") as client:
        no = await client.get("/no")
        assert no.status_code == 403 and "You are not allowed to do that." in no.text


async def test_a_database_out_of_reach_is_a_503_to_wait_out_in_the_sites_look() -> None:
    transport = httpx.ASGITransport(app=_tiny_app(ErrorRenderer()), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        page = await client.get("/down")
        assert page.status_code == 503 and page.headers["retry-after"] == "30"
        assert "/static/css/site.css" in page.text and "Back in a moment" in page.text
        assert "href='/'>Back to the community" in page.text
        api = await client.get("/api/down")
        assert api.status_code == 503 and api.json()["error"]["code"] == "unavailable"
        crashed = await client.get("/crash")
        assert crashed.status_code == 500 and "/static/css/site.css" in crashed.text
