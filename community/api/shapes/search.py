"""Search results and the threads like a question being asked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from msgspec import Meta

from community.api.shapes import Listing, PageUrl, Shape
from community.search.queries import marked, unmarked
from community.settings import Settings

if TYPE_CHECKING:
    from search_index.documents import SearchHit
    from search_index.documents import SearchResults as Found


class SearchResult(Shape):
    """One result: a thread (with its answers) or an article."""

    type: Annotated[
        str,
        Meta(
            description="thread: a question or discussion (its title and opening post); post: an answer "
            "or reply; article: a knowledge-base article.",
            extra_json_schema={"enum": ["thread", "post", "article"]},
        ),
    ]
    thread_id: Annotated[int | None, Meta(description="The thread (threads and posts).")]
    post_id: Annotated[int | None, Meta(description="The answer or reply (posts only).")]
    article_id: Annotated[int | None, Meta(description="The article (articles only).")]
    title: Annotated[str, Meta(description="Plain text: the thread's or article's title.")]
    snippet: Annotated[
        str,
        Meta(
            description="HTML: escaped text around the matched words, which are wrapped in <mark>; no "
            "other tag ever appears."
        ),
    ]
    url: PageUrl
    score: Annotated[float, Meta(description="Relevance (0 when sorted by newest or votes).")]


class FacetCount(Shape):
    """How many results share a category or a tag."""

    key: Annotated[str, Meta(description="A category slug or a tag.")]
    count: int


class Facets(Shape):
    """How many results fall in each category and carry each tag (the most frequent first); add
    category:KEY or tag:KEY to the query to narrow it."""

    categories: list[FacetCount]
    tags: list[FacetCount]


class SearchResults(Shape):
    """One page of results the caller may see."""

    results: list[SearchResult]
    total: Annotated[int, Meta(description="Results over all pages (a thread counts once).")]
    suggestion: Annotated[
        str | None, Meta(description='A corrected query when a word looks misspelt ("did you mean").')
    ]
    page: int
    pages: Annotated[int, Meta(description="Pages of results (at most 500).")]
    facets: Facets


class SimilarThread(Shape):
    """A thread (or article) like a question being asked: enough to link to it."""

    type: Annotated[str, Meta(extra_json_schema={"enum": ["thread", "article"]})]
    thread_id: int | None
    article_id: int | None
    title: Annotated[str, Meta(description="Plain text.")]
    url: PageUrl
    solved: Annotated[bool, Meta(description="A question with an accepted answer.")]


class SimilarThreadList(Listing):
    """Up to 5 threads like the title, the closest first, one per thread."""

    items: list[SimilarThread]


def search_hit(settings: Settings, hit: SearchHit) -> SearchResult:
    return SearchResult(
        type=hit.kind, thread_id=hit.thread_id, post_id=hit.post_id, article_id=hit.article_id,
        title=unmarked(hit.title), snippet=str(marked(hit.snippet)), url=f"{settings.base_url}{hit.url}",
        score=hit.score,
    )  # fmt: skip


def similar_thread(settings: Settings, hit: SearchHit) -> SimilarThread:
    return SimilarThread(
        type=hit.kind, thread_id=hit.thread_id, article_id=hit.article_id, title=unmarked(hit.title),
        url=f"{settings.base_url}{hit.url}", solved=hit.solved,
    )  # fmt: skip


def search_results(settings: Settings, results: Found, pages: int) -> SearchResults:
    return SearchResults(
        results=[search_hit(settings, hit) for hit in results.results], total=results.total,
        suggestion=results.suggestion, page=results.page, pages=pages,
        facets=Facets(
            categories=[FacetCount(key=f.key, count=f.count) for f in results.categories],
            tags=[FacetCount(key=f.key, count=f.count) for f in results.tags],
        ),
    )  # fmt: skip


class PersonSuggestion(Shape):
    """Someone to @mention: what to insert (the handle) and what to show."""

    handle: Annotated[str, Meta(description="Insert as @handle.")]
    display_name: str
    role: Annotated[str, Meta(extra_json_schema={"enum": ["partner", "expert", "moderator", "admin"]})]
    in_thread: Annotated[bool, Meta(description="Has posted in the thread named by `thread`.")]


class PersonSuggestionList(Listing):
    """Up to 8 people the caller may mention, the likeliest first (one page)."""

    items: list[PersonSuggestion]


class TagSuggestion(Shape):
    """A tag already in use."""

    name: str
    threads: Annotated[int, Meta(description="Threads the caller may read that carry it.")]


class TagSuggestionList(Listing):
    """Up to 8 tags starting with the prefix, the most used first (one page)."""

    items: list[TagSuggestion]
