"""Categories: the list a member may see, and creating one (administrators)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from community import policy
from community.accounts import directory
from community.api.operations import area
from community.api.params import settings_of
from community.api.requests import read_body
from community.api.responses import ShapeResponse
from community.api.shapes import api_url
from community.api.shapes.forum import Category, CategoryList, NewCategory, categories, category
from community.edge.auth import require_actor
from community.models import Visibility


async def list_categories(request: Request) -> Response:
    actor = await require_actor(request)
    items = categories(await directory.list_categories(actor))
    return ShapeResponse(CategoryList(items=items, total=len(items), next=None))


async def create_category(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_body(request, NewCategory)
    settings = settings_of(request)
    created = await directory.create_category(settings, actor, **data.args(visibility=Visibility.ALL))
    location = {"Location": api_url(settings, f"/threads?category={created.slug}")}
    return ShapeResponse(category(created, 0), 201, headers=location)


_route = area("categories")
routes = [
    _route("GET", "/categories", list_categories, "listCategories", "Categories the caller may see",
           ok=(200, CategoryList, "All of them, in order (one page).")),
    _route("POST", "/categories", create_category, "createCategory", "Create a category (administrators)",
           ok=(201, Category, "The new category."), body=NewCategory, location="The category's thread list.",
           guard=policy.can_manage_site),
]  # fmt: skip
