"""Thread lists, thread pages, asking and answering."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from community.auth import require_actor
from community.services import threads
from community.web.render import render


async def home(request: Request) -> Response:
    actor = await require_actor(request)
    listing = await threads.list_threads(
        actor,
        show=request.query_params.get("show", "latest"),
        page=threads.parse_page(request.query_params.get("page")),
        per_page=request.app.state.settings.page_size,
    )
    return await render(request, "forum/home.html", {"listing": listing})


routes = [Route("/", home)]
