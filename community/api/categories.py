"""Categories: the list a member may see, and creating one (administrators)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from community.accounts import directory
from community.api import serialise as out
from community.api.params import settings_of
from community.edge.auth import require_actor
from community.edge.reading import read_json
from community.models import Visibility


async def list_categories(request: Request) -> Response:
    actor = await require_actor(request)
    items = out.categories(await directory.list_categories(actor))
    return JSONResponse(out.listing(items, len(items)))


async def create_category(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_json(request)
    settings = settings_of(request)
    category = await directory.create_category(
        settings,
        actor,
        name=data.get("name"),
        slug=data.get("slug"),
        description=data.get("description"),
        visibility=data.get("visibility", Visibility.ALL),
    )
    return JSONResponse(
        out.category(category, 0),
        201,
        headers={"Location": out.api_url(settings, f"/threads?category={category.slug}")},
    )


routes = [
    Route("/categories", list_categories, methods=["GET"]),
    Route("/categories", create_category, methods=["POST"]),
]
