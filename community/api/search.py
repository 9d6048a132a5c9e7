"""Search: one page of results for a query, and the threads most like a question title."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from community.api import serialise as out
from community.api.params import settings_of
from community.edge.auth import require_actor
from community.errors import Invalid
from community.forum import lists
from community.search import queries
from search_index import documents

# The engine serves at most this many pages; deeper pages answer an empty list.
MAX_PAGE = 500
SIMILAR_LIMIT = 5


async def search_content(request: Request) -> Response:
    actor = await require_actor(request)
    params = request.query_params
    sort = params.get("sort") or "relevance"
    if sort not in documents.SORTS:
        raise Invalid({"sort": "Sort by relevance, newest or votes."})
    settings = settings_of(request)
    results = await queries.search(
        request.app.state.search,
        actor,
        params.get("q", ""),
        page=min(lists.parse_page(params.get("page")), MAX_PAGE),
        sort=sort,
        per_page=settings.page_size,
    )
    if results.error:
        raise Invalid({"q": results.error}, results.error)
    return JSONResponse(out.search_results(settings, results, min(results.pages, MAX_PAGE)))


async def similar_threads(request: Request) -> Response:
    actor = await require_actor(request)
    hits = await queries.similar(
        request.app.state.search, actor, request.query_params.get("title", ""), limit=SIMILAR_LIMIT
    )
    settings = settings_of(request)
    items = [out.similar_thread(settings, hit) for hit in hits]
    return JSONResponse(out.listing(items, len(items)))


routes = [
    Route("/search", search_content, methods=["GET"]),
    Route("/search/similar", similar_threads, methods=["GET"]),
]
