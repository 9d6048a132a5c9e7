"""Searching: the user's visible categories and the private questions they may see (their own
organisation's; staff: all) become part of the query (never a filter after it), so hits, counts,
facets and snippets only ever come from what the user may see."""

from __future__ import annotations

import asyncio
import html
import re

from markupsafe import Markup

from community import policy
from community.actor import Actor
from community.models import Category, User
from community.ports import SearchIndex
from search_index.documents import SORTS, SearchHit, SearchResults
from search_index.query import QUERY_HELP

QUERY_MAX = 10_000
__all__ = [
    "QUERY_HELP", "SORTS", "author_names", "category_names", "distinct", "marked", "search", "similar",
    "unmarked",
]  # fmt: skip
_MARK = re.compile(r"(</?mark>)")


async def category_names(actor: Actor, slugs: list[str]) -> dict[str, str]:
    """Names for category facets (the index knows slugs), among categories the actor may see."""
    if not slugs:
        return {}
    allowed = await policy.visible_category_ids(actor)
    rows = await Category.filter(slug__in=slugs, id__in=list(allowed)).values_list("slug", "name")
    return dict(rows)


async def search(
    index: SearchIndex,
    actor: Actor,
    q: object,
    *,
    page: int = 1,
    sort: object = "relevance",
    per_page: int = 20,
) -> SearchResults:
    text = q if isinstance(q, str) else ""
    sort_value = sort if isinstance(sort, str) and sort in SORTS else "relevance"
    allowed = await policy.visible_category_ids(actor)
    private_orgs, all_private = policy.private_audience(actor)
    return await asyncio.to_thread(
        index.search,
        text[:QUERY_MAX],
        allowed_category_ids=allowed,
        private_orgs=private_orgs,
        all_private=all_private,
        page=page,
        per_page=per_page,
        sort=sort_value,
    )


async def similar(
    index: SearchIndex, actor: Actor, title: object, *, limit: int = 5, exclude_thread_id: int | None = None
) -> list[SearchHit]:
    """Threads like a question title (the ask form) or like a thread (its "related" list)."""
    text = title if isinstance(title, str) else ""
    if len(text.strip()) < 3:
        return []
    allowed = await policy.visible_category_ids(actor)
    private_orgs, all_private = policy.private_audience(actor)
    hits = await asyncio.to_thread(
        index.similar,
        text[:300],
        allowed_category_ids=allowed,
        private_orgs=private_orgs,
        all_private=all_private,
        limit=limit,
        exclude_thread_id=exclude_thread_id,
    )
    return distinct(hits)


def distinct(hits: list[SearchHit]) -> list[SearchHit]:
    """One entry per thread (its question or one of its answers) and per article, best first: a
    list of suggestions that names the same thing twice wastes a line and looks broken."""
    seen: set[tuple[str, int | str]] = set()
    out = []
    for hit in hits:
        key: tuple[str, int | str] = (
            ("thread", hit.thread_id)
            if hit.thread_id is not None and hit.kind != "article"
            else ("article", hit.article_id)
            if hit.article_id is not None
            else ("url", hit.url)
        )
        if key not in seen:
            seen.add(key)
            out.append(hit)
    return out


async def author_names(handles: list[str]) -> dict[str, str]:
    """Display names for the handles on a results page (the index keeps handles): one query."""
    if not handles:
        return {}
    return dict(await User.filter(handle__in=list(set(handles))).values_list("handle", "display_name"))


def marked(fragment: str) -> Markup:
    """A title or snippet from the index as HTML safe to insert: only ``<mark>`` survives.

    The engine already escapes its snippets; this re-escapes every piece between the marks, so a
    mistake there could never put markup from a post into a results page."""
    out = []
    for piece in _MARK.split(fragment or ""):
        out.append(
            piece if piece in ("<mark>", "</mark>") else html.escape(html.unescape(piece), quote=False)
        )
    return Markup("".join(out))


def unmarked(fragment: str) -> str:
    """The plain text of a highlighted title or snippet (for JSON titles, related lists)."""
    return html.unescape(_MARK.sub("", fragment or ""))
