"""Search: one page of results for a query, and the threads most like a question title."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from community.api.operations import area
from community.api.params import page as page_number
from community.api.params import settings_of
from community.api.responses import ShapeResponse
from community.api.shapes.search import SearchResults, SimilarThreadList, search_results, similar_thread
from community.edge.auth import require_actor
from community.errors import Invalid
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
        page=min(page_number(request), MAX_PAGE),
        sort=sort,
        per_page=settings.page_size,
    )
    if results.error:
        raise Invalid({"q": results.error}, results.error)
    return ShapeResponse(search_results(settings, results, min(results.pages, MAX_PAGE)))


async def similar_threads(request: Request) -> Response:
    actor = await require_actor(request)
    hits = await queries.similar(
        request.app.state.search, actor, request.query_params.get("title", ""), limit=SIMILAR_LIMIT
    )
    settings = settings_of(request)
    items = [similar_thread(settings, hit) for hit in hits]
    return ShapeResponse(SimilarThreadList(items=items, total=len(items), next=None))


_route = area("search")
routes = [
    _route("GET", "/search", search_content, "search", "Search threads, answers and articles",
           ok=(200, SearchResults, "One page of results the caller may see."), errors=(422,),
           description="`q` uses the search box's language: words (any of them; the best "
           'matches first), "exact phrases", -excluded words, tag:x, category:x, author:handle, org:slug, '
           "is:solved, is:unanswered, is:article, before:YYYY-MM-DD, after:YYYY-MM-DD. A thread, its answers "
           "and an article promoted from it are one result. A query that cannot be understood (empty, a "
           "bad date, an unknown is: value, only very common words) answers 422 with a message saying how "
           "to fix it in `error.message` (and `error.fields.q`).", params=("Query", "Page", "Sort")),
    _route("GET", "/search/similar", similar_threads, "similarThreads", "Threads most like a question title",
           ok=(200, SimilarThreadList, "Up to 5, the closest first, one per thread."),
           description="For the ask form: what has been asked before. A title shorter than three characters "
           "answers an empty list.", params=("Title",)),
]  # fmt: skip
