"""What the search index holds, built from the database: one document per thread, post and
published article, and the changes the outbox asks for.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q

from community.models import Article, ArticleProduct, ArticleState, Post, PostState, Thread
from community.search.outbox import ARTICLE, POST, ROLLUP, THREAD
from search_index.documents import SearchDocument

_TAG = re.compile(r"<[^>]+>")


# Inline elements vanish without a space, or "<em>duplicate</em>." would read "duplicate ." in snippets.
_INLINE_TAG = re.compile(
    r"</?(?:a|abbr|b|cite|code|del|em|i|ins|kbd|mark|q|s|small|span|strong|sub|sup|u)\b[^>]*>"
)


_SPACE = re.compile(r"\s+")


ANSWERS_TEXT_MAX = 20_000  # characters of answers rolled up into their thread's document


def plain_text(fragment: str) -> str:
    """Sanitised HTML to text for indexing (the sanitiser already removed anything executable)."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", _INLINE_TAG.sub("", fragment)))).strip()


_THREAD_FIELDS = (
    "id", "title", "tag_names", "category_id", "status", "accepted_post_id", "score", "created_at",
    "last_activity_at", "is_deleted", "private_org_id",
)  # fmt: skip


_THREAD_RELATED = {
    "category_slug": "category__slug",
    "author_handle": "author__handle",
    "author_name": "author__display_name",
    "org_slug": "author__organisation__slug",
}


_POST_FIELDS = ("id", "thread_id", "is_opening", "body_html", "score", "created_at", "edited_at")


_POST_RELATED = {
    "author_handle": "author__handle",
    "author_name": "author__display_name",
    "org_slug": "author__organisation__slug",
}


ALL, POSTS, ROLLUPS = "all", "posts", "rollups"


async def _documents_for_threads(
    thread_ids: list[int], mode: str = ALL, only_posts: set[int] | None = None
) -> tuple[list[SearchDocument], set[int]]:
    """Documents for these threads, and the ids of threads that are not searchable (gone).

    ``ALL``: each thread's document and every answer's. ``POSTS``: the documents of the answers
    in ``only_posts`` only (an answer changed: its siblings' documents are as they were, and its
    thread's rolled-up answers follow as a ``ROLLUPS`` change). ``ROLLUPS``: the thread documents
    only (they roll the answers up)."""
    threads = await Thread.filter(id__in=thread_ids).values(*_THREAD_FIELDS, **_THREAD_RELATED)
    live = {t["id"]: t for t in threads if not t["is_deleted"]}
    wanted = Post.filter(thread_id__in=list(live), state=PostState.VISIBLE)
    if mode == POSTS:
        wanted = wanted.filter(Q(is_opening=True) | Q(id__in=sorted(only_posts or ())))
    posts = await wanted.order_by("thread_id", "created_at", "id").values(*_POST_FIELDS, **_POST_RELATED)
    by_thread: dict[int, list[dict[str, Any]]] = {}
    for post in posts:
        by_thread.setdefault(post["thread_id"], []).append(post)
    docs: list[SearchDocument] = []
    searchable: set[int] = set()
    for thread_id, thread in live.items():
        thread_posts = by_thread.get(thread_id, [])
        opening = next((p for p in thread_posts if p["is_opening"]), None)
        if opening is None:
            continue
        searchable.add(thread_id)
        answers = [p for p in thread_posts if not p["is_opening"]]
        texts = [plain_text(p["body_html"]) for p in answers]
        common = {
            "title": thread["title"],
            "tags": tuple(thread["tag_names"] or ()),
            "category": thread["category_slug"],
            "category_id": thread["category_id"],
            "status": thread["status"],
            "solved": thread["accepted_post_id"] is not None,
            "private_org_id": thread["private_org_id"],
        }
        if mode != POSTS:
            docs.append(_thread_document(thread, opening, thread_posts, answers, texts, common))
        if mode == ROLLUPS:
            continue
        for post, text in zip(answers, texts, strict=True):
            docs.append(
                SearchDocument(
                    doc_id=f"post:{post['id']}",
                    kind="post",
                    thread_id=thread_id,
                    post_id=post["id"],
                    body=text,
                    author=post["author_handle"],
                    author_name=post["author_name"],
                    org=post["org_slug"],
                    accepted=thread["accepted_post_id"] == post["id"],
                    votes=post["score"],
                    created_at=post["created_at"],
                    updated_at=post["edited_at"] or post["created_at"],
                    url=f"/t/{thread_id}#p{post['id']}",
                    **common,
                )
            )
    # A thread whose question is hidden, pending or deleted is not searchable at all.
    return docs, set(thread_ids) - searchable


def _thread_document(
    thread: dict[str, Any],
    opening: dict[str, Any],
    thread_posts: list[dict[str, Any]],
    answers: list[dict[str, Any]],
    texts: list[str],
    common: dict[str, Any],
) -> SearchDocument:
    # The accepted answer and those voted up weigh more for their thread (search_index).
    lead = [
        text
        for p, text in zip(answers, texts, strict=True)
        if p["id"] == thread["accepted_post_id"] or (p["score"] or 0) > 0
    ]
    updated = max([thread["last_activity_at"], *[p["edited_at"] for p in thread_posts if p["edited_at"]]])
    return SearchDocument(
        doc_id=f"thread:{thread['id']}",
        kind="thread",
        thread_id=thread["id"],
        body=plain_text(opening["body_html"]),
        author=thread["author_handle"],
        author_name=thread["author_name"],
        org=thread["org_slug"],
        votes=thread["score"],
        created_at=thread["created_at"],
        updated_at=updated,
        url=f"/t/{thread['id']}",
        answers=" ".join(texts)[:ANSWERS_TEXT_MAX],
        lead_answers=" ".join(lead)[:ANSWERS_TEXT_MAX],
        answer_count=len(answers),
        **common,
    )


_ARTICLE_FIELDS = (
    "id", "title", "summary", "body_html", "tag_names", "category_id", "state", "helpful_count",
    "source_thread_id", "created_at", "published_at", "updated_at",
)  # fmt: skip


_ARTICLE_RELATED = {
    "category_slug": "category__slug",
    "curator_handle": "curator__handle",
    "curator_name": "curator__display_name",
    "org_slug": "curator__organisation__slug",
}


async def _documents_for_articles(article_ids: list[int]) -> list[SearchDocument]:
    """Published articles only: drafts and archived ones are out of search. Readers of the
    article's category may see it, so its ``category_id`` is the permission filter as for posts."""
    rows = await Article.filter(id__in=article_ids, state=ArticleState.PUBLISHED).values(
        *_ARTICLE_FIELDS, **_ARTICLE_RELATED
    )
    # The products it applies to are searchable words ("X200 firmware 4.x"); the facet and filter
    # by product live on the knowledge base's own pages.
    # An article promoted (with the wider audience confirmed) from a private question is a result of
    # its own: grouped with the thread, it would share the thread's private group.
    sources = [r["source_thread_id"] for r in rows if r["source_thread_id"]]
    private_sources = (
        set(await Thread.filter(id__in=sources, private_org_id__isnull=False).values_list("id", flat=True))
        if sources
        else set()
    )
    applies: dict[int, list[str]] = {}
    for link in await ArticleProduct.filter(article_id__in=[r["id"] for r in rows]).values(
        "article_id", product="product_version__product__name", version="product_version__name"
    ):
        applies.setdefault(link["article_id"], []).append(f"{link['product']} {link['version']}")
    return [
        SearchDocument(
            doc_id=f"article:{row['id']}",
            kind="article",
            article_id=row["id"],
            title=row["title"],
            body=" ".join(
                filter(None, [row["summary"], plain_text(row["body_html"]), *applies.get(row["id"], [])])
            ),
            tags=tuple(row["tag_names"] or ()),
            category=row["category_slug"],
            category_id=row["category_id"],
            author=row["curator_handle"],
            author_name=row["curator_name"],
            org=row["org_slug"],
            votes=row["helpful_count"],
            created_at=row["published_at"] or row["created_at"],
            updated_at=row["updated_at"],
            url=f"/kb/{row['id']}",
            source_thread_id=None if row["source_thread_id"] in private_sources else row["source_thread_id"],
        )
        for row in rows
    ]


@dataclass
class Changes:
    upserts: list[SearchDocument]
    deletes: list[str]


async def changes_for(rows: list[dict[str, Any]]) -> Changes:
    """What the index must do for these outbox rows, from the database's current state.

    A thread change rebuilds the thread's document and every post's (they carry its title, tags,
    category and status). A post change rebuilds that post's document only, not its siblings' (a
    new answer in a 90-answer thread is one document, not 91): the thread's own document, which
    rolls the answers up, follows as a ``ROLLUP`` row (``changelog.sequence`` writes it once for
    every host). A batch costs a few queries whatever it holds."""
    full = {r["object_id"] for r in rows if r["kind"] == THREAD}
    rolled = {r["object_id"] for r in rows if r["kind"] == ROLLUP} - full
    post_ids = [r["object_id"] for r in rows if r["kind"] == POST]
    article_ids = sorted({r["object_id"] for r in rows if r["kind"] == ARTICLE})
    partial: set[int] = set()
    if post_ids:
        post_threads = await Post.filter(id__in=post_ids).values("id", "thread_id")
        partial = {p["thread_id"] for p in post_threads} - full
    docs, gone = await _documents_for_threads(sorted(full))
    for ids, mode in ((partial, POSTS), (rolled, ROLLUPS)):
        if ids:
            more, more_gone = await _documents_for_threads(sorted(ids), mode, only_posts=set(post_ids))
            docs += more
            gone |= more_gone
    articles = await _documents_for_articles(article_ids) if article_ids else []
    docs += articles
    present = {d.doc_id for d in docs}
    deletes = [f"post:{pid}" for pid in post_ids if f"post:{pid}" not in present]
    deletes += [f"thread:{tid}" for tid in gone]
    if gone:
        # Every post of a deleted thread leaves the index with it.
        stale = await Post.filter(thread_id__in=list(gone)).values_list("id", flat=True)
        deletes += [f"post:{pid}" for pid in stale]
    # Answers deleted or hidden since: their documents go too.
    live_threads = full - gone
    if live_threads:
        hidden = (
            await Post.filter(thread_id__in=list(live_threads), is_opening=False)
            .exclude(state=PostState.VISIBLE)
            .values_list("id", flat=True)
        )
        deletes += [f"post:{pid}" for pid in hidden if f"post:{pid}" not in deletes]
    # Articles archived, back to draft or deleted leave the index.
    deletes += [f"article:{aid}" for aid in article_ids if f"article:{aid}" not in present]
    return Changes(docs, sorted(set(deletes)))


async def all_documents(batch: int = 500) -> AsyncIterator[list[SearchDocument]]:
    """Every document the index should hold, in batches: threads with their answers, then
    published articles (for a full rebuild and for ``search-check``)."""
    last = 0
    while True:
        ids = list(
            await Thread.filter(id__gt=last, is_deleted=False)
            .order_by("id")
            .limit(batch)
            .values_list("id", flat=True)
        )
        if not ids:
            break
        docs, _ = await _documents_for_threads(ids)
        yield docs
        last = ids[-1]
    last = 0
    while True:
        ids = list(
            await Article.filter(id__gt=last, state=ArticleState.PUBLISHED)
            .order_by("id")
            .limit(batch)
            .values_list("id", flat=True)
        )
        if not ids:
            return
        yield await _documents_for_articles(ids)
        last = ids[-1]
