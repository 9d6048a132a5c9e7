"""The search page: results with highlighted snippets, facets, pagination and "did you mean"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from community.edge.auth import require_actor
from community.forum import lists
from community.search import queries
from community.web.render import render
from search_index import documents, query

if TYPE_CHECKING:
    from search_index.documents import FacetCount

# The engine serves at most this many pages (deeper pages answer empty): links stop there.
MAX_PAGE = 500
SORT_LABELS = (("relevance", "Best match"), ("newest", "Newest"), ("votes", "Most votes"))


@dataclass(frozen=True)
class FacetLink:
    """A facet as the page shows it: clicking adds ``category:x`` / ``tag:x`` to the query, or
    takes it away again when the query already has it."""

    label: str
    count: int
    url: str
    active: bool


def _search_url(q: str, sort: str) -> str:
    params = {"q": q} | ({"sort": sort} if sort != "relevance" else {})
    return "/search?" + urlencode(params)


def _toggle(q: str, operator: str, value: str) -> tuple[str, bool]:
    """``q`` with ``operator:value`` added, or removed when it is already there."""
    token = re.compile(rf"(?<!\S){re.escape(operator)}:{re.escape(value)}(?!\S)", re.IGNORECASE)
    if token.search(q):
        return " ".join(token.sub(" ", q).split()), True
    return f"{q.strip()} {operator}:{value}".strip(), False


def _facets(
    q: str, sort: str, operator: str, counts: list[FacetCount], labels: dict[str, str] | None = None
) -> list[FacetLink]:
    links = []
    for facet in counts:
        new_q, active = _toggle(q, operator, facet.key)
        label = (labels or {}).get(facet.key, facet.key)
        links.append(FacetLink(label, facet.count, _search_url(new_q, sort), active))
    return links


async def search_page(request: Request) -> Response:
    actor = await require_actor(request)
    params = request.query_params
    q = params.get("q", "")
    sort = params.get("sort", "relevance")
    sort = sort if sort in documents.SORTS else "relevance"
    context: dict[str, object] = {
        "q": q,
        "sort": sort,
        "sorts": SORT_LABELS,
        "help": query.QUERY_HELP,
        "results": None,
    }
    if q.strip():
        results = await queries.search(
            request.app.state.search,
            actor,
            q,
            page=min(lists.parse_page(params.get("page")), MAX_PAGE),
            sort=sort,
            per_page=request.app.state.settings.page_size,
        )
        category_slugs = [facet.key for facet in results.categories]
        hit_slugs = [hit.category for hit in results.results if hit.category]
        context |= {
            # The index keeps slugs and handles; people read names.
            "category_names": await queries.category_names(actor, list({*category_slugs, *hit_slugs})),
            "author_names": await queries.author_names([hit.author for hit in results.results if hit.author]),
            "results": results,
            "pages": min(results.pages, MAX_PAGE),
            "category_facets": _facets(
                q, sort, "category", results.categories, await queries.category_names(actor, category_slugs)
            ),
            "tag_facets": _facets(q, sort, "tag", results.tags),
            "suggestion_url": _search_url(results.suggestion, sort) if results.suggestion else None,
        }
    return await render(request, "search/results.html", context)


routes = [Route("/search", search_page)]
