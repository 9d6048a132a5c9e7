"""The product's app plus one bare endpoint, served by the same uvicorn worker as the ceiling.

The bare route goes through the same middleware (security headers, session, CSRF) but touches
neither the database nor a template, so "bare req/s / page req/s" says how much the page itself
costs on this machine, independent of how fast the machine is.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from community.app import create_app

BARE_PATH = "/__bench/bare"


async def bare(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def create_bench_app() -> Starlette:
    """Factory for ``uvicorn --factory``; settings come from the environment, as in production."""
    app = create_app()
    app.router.routes.insert(0, Route(BARE_PATH, bare))
    return app
