"""The plain values that cross the boundary between the app and the search index.

The app turns its rows into :class:`SearchDocument` values (plain text, already stripped of HTML) and
gets :class:`SearchResults` back; nothing here knows about the database or the web.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Kind = Literal["thread", "post", "article"]
Sort = Literal["relevance", "newest", "votes"]
SORTS: tuple[str, ...] = ("relevance", "newest", "votes")


@dataclass(frozen=True, kw_only=True)
class SearchDocument:
    """One searchable thing, as everyone allowed into its category may see it.

    Only content visible to everyone in its category is indexed: the app removes hidden, pending,
    deleted and archived content from the index, so permission at query time is a filter on
    ``category_id`` (articles get the id of the category whose readers may see them).

    ``answers`` lets answers count for their thread: the indexer puts the plain text of the
    thread's visible answers there (a thread whose answers explain the searched words ranks as a
    thread, not only through its answers). So when an answer changes, its thread's document must be
    rebuilt too. ``lead_answers`` holds the accepted answer and the answers voted up (again, too):
    the answers the community vouched for weigh more for their thread. ``answer_count`` drives
    ``is:unanswered``.

    ``private_org_id``: a private question's organisation: besides its category, only that
    organisation and searchers allowed every private document find it (``Audience``).

    ``source_thread_id``: the thread an article was promoted from. The article and its thread
    are one result (the better matching of the two is shown), in search, similar questions and
    Related alike.
    """

    doc_id: str  # "thread:12", "post:34", "article:5"
    kind: Kind
    thread_id: int | None = None
    post_id: int | None = None
    article_id: int | None = None
    title: str
    body: str
    tags: tuple[str, ...] = ()
    category: str  # slug
    category_id: int
    author: str  # handle
    author_name: str = ""
    org: str = ""  # slug
    status: str = "open"  # "open" | "closed"
    solved: bool = False  # a thread (or an answer's thread) with an accepted answer
    accepted: bool = False  # this post is the accepted answer
    votes: int = 0
    created_at: datetime
    updated_at: datetime
    url: str
    answers: str = ""
    lead_answers: str = ""
    answer_count: int = 0
    source_thread_id: int | None = None
    # A private question (and its answers): found only by this organisation and by searchers
    # allowed every private document (``Audience.all_private``).
    private_org_id: int | None = None

    @property
    def group(self) -> str:
        """Results are grouped by this key: a thread, its answers and an article promoted from it
        are one result."""
        if self.kind == "article" and self.source_thread_id is None:
            return f"article:{self.article_id}"
        return f"thread:{self.thread_id if self.kind != 'article' else self.source_thread_id}"


@dataclass(frozen=True)
class Audience:
    """What one searcher may find: documents in ``category_ids`` and, of the private ones, those of
    ``private_orgs`` (or every one with ``all_private``). Part of every query, never a filter
    after it; hashable, so matches are remembered per audience."""

    category_ids: frozenset[int]
    private_orgs: frozenset[int] = frozenset()
    all_private: bool = False


@dataclass(frozen=True)
class SearchHit:
    """One result row; ``snippet`` is HTML: escaped text with ``<mark>`` around matched words."""

    kind: Kind
    doc_id: str
    thread_id: int | None
    post_id: int | None
    article_id: int | None
    title: str
    snippet: str
    url: str
    score: float
    category: str = ""
    category_id: int = 0
    tags: tuple[str, ...] = ()
    author: str = ""
    solved: bool = False
    accepted: bool = False
    votes: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class FacetCount:
    """How many results fall into one category or carry one tag (``key`` is the slug or tag)."""

    key: str
    count: int
    category_id: int | None = None


@dataclass(frozen=True)
class SearchResults:
    """One page of results. ``error`` is a message for the user when the query could not be
    understood (then there are no results); ``suggestion`` is a corrected query worth offering.
    ``corrected``: a word matched nothing the user may see, so the results are already those of
    ``suggestion`` (show "Showing results for ...")."""

    query: str
    results: list[SearchHit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 20
    sort: str = "relevance"
    categories: list[FacetCount] = field(default_factory=list)
    tags: list[FacetCount] = field(default_factory=list)
    suggestion: str | None = None
    corrected: bool = False
    error: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
