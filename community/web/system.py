"""Operational endpoints."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise import connections

from community.mail.queue import backlog


async def healthz(request: Request) -> JSONResponse:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as exc:
        return JSONResponse({"status": "error", "database": f"unavailable: {type(exc).__name__}"}, 503)
    mail = await backlog()
    oldest = mail["oldest"]
    mail["oldest"] = oldest.isoformat() if oldest is not None and not isinstance(oldest, str) else oldest
    return JSONResponse(
        {"status": "ok", "database": "ok", "live": request.app.state.live.hub.stats(), "mail": mail}
    )
