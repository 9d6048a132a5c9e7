"""Operational endpoints."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Route
from tortoise import connections

from community.templating import STATIC


async def healthz(request: Request) -> JSONResponse:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as exc:
        return JSONResponse({"status": "error", "database": f"unavailable: {type(exc).__name__}"}, 503)
    return JSONResponse({"status": "ok", "database": "ok", "live": request.app.state.live.hub.stats()})


async def favicon(request: Request) -> FileResponse:
    """Browsers ask for /favicon.ico on every site whatever the page links: answer it (a day's cache)."""
    return FileResponse(
        STATIC / "favicon.ico", media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )


routes = [Route("/favicon.ico", favicon)]
