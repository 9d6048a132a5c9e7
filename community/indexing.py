"""Keeping the search index in step with the database.

The database is the source of truth. Use cases write ``IndexOutbox`` rows in their transaction;
one ``Indexer`` per host (a file lock elects it among worker processes) turns those rows into
search documents built from the current database state and applies them in batches, deleting the
rows only after the index committed. A crash at any point therefore loses nothing: the rows are
still there and applying them twice is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import html
import logging
import os
import queue
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from community.events import Event, subscribe, unsubscribe
from community.models import Article, ArticleProduct, ArticleState, IndexOutbox, Post, PostState, Thread
from community.ports import SearchIndex
from community.services.outbox import ARTICLE, POST, THREAD
from search_index.documents import SearchDocument

log = logging.getLogger(__name__)
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
    "last_activity_at", "is_deleted",
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


async def _documents_for_threads(thread_ids: list[int]) -> tuple[list[SearchDocument], set[int]]:
    """Thread and post documents for these threads; also the ids of threads that are gone."""
    threads = await Thread.filter(id__in=thread_ids).values(*_THREAD_FIELDS, **_THREAD_RELATED)
    live = {t["id"]: t for t in threads if not t["is_deleted"]}
    posts = (
        await Post.filter(thread_id__in=list(live), state=PostState.VISIBLE)
        .order_by("thread_id", "created_at", "id")
        .values(*_POST_FIELDS, **_POST_RELATED)
    )
    by_thread: dict[int, list[dict[str, Any]]] = {}
    for post in posts:
        by_thread.setdefault(post["thread_id"], []).append(post)
    docs: list[SearchDocument] = []
    for thread_id, thread in live.items():
        thread_posts = by_thread.get(thread_id, [])
        opening = next((p for p in thread_posts if p["is_opening"]), None)
        if opening is None:
            continue
        answers = [p for p in thread_posts if not p["is_opening"]]
        texts = [plain_text(p["body_html"]) for p in answers]
        updated = max([thread["last_activity_at"], *[p["edited_at"] for p in thread_posts if p["edited_at"]]])
        common = {
            "title": thread["title"],
            "tags": tuple(thread["tag_names"] or ()),
            "category": thread["category_slug"],
            "category_id": thread["category_id"],
            "status": thread["status"],
            "solved": thread["accepted_post_id"] is not None,
        }
        docs.append(
            SearchDocument(
                doc_id=f"thread:{thread_id}",
                kind="thread",
                thread_id=thread_id,
                body=plain_text(opening["body_html"]),
                author=thread["author_handle"],
                author_name=thread["author_name"],
                org=thread["org_slug"],
                votes=thread["score"],
                created_at=thread["created_at"],
                updated_at=updated,
                url=f"/t/{thread_id}",
                answers=" ".join(texts)[:ANSWERS_TEXT_MAX],
                answer_count=len(answers),
                **common,
            )
        )
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
    gone = set(thread_ids) - {d.thread_id for d in docs if d.kind == "thread"}
    return docs, gone


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
        )
        for row in rows
    ]


@dataclass
class Changes:
    upserts: list[SearchDocument]
    deletes: list[str]


async def changes_for(rows: list[dict[str, Any]]) -> Changes:
    """What the index must do for these outbox rows, from the database's current state.

    A post change rebuilds its whole thread (the thread's document rolls up its answers), so a
    batch costs two queries whatever it holds."""
    thread_ids = {r["object_id"] for r in rows if r["kind"] == THREAD}
    post_ids = [r["object_id"] for r in rows if r["kind"] == POST]
    article_ids = sorted({r["object_id"] for r in rows if r["kind"] == ARTICLE})
    if post_ids:
        post_threads = await Post.filter(id__in=post_ids).values("id", "thread_id", "state")
        thread_ids.update(p["thread_id"] for p in post_threads)
    docs, gone = await _documents_for_threads(sorted(thread_ids))
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
    live_threads = thread_ids - gone
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


class _Aborted(Exception):
    """The database side of a rebuild failed: the half-built index must not be swapped in."""


_ABORT = object()


async def rebuild(index: SearchIndex, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the database, into a new directory swapped in atomically.

    The index builds in a worker thread while this coroutine feeds it from the database through a
    small bounded queue, so memory stays flat however big the community is."""
    feed: queue.Queue[Any] = queue.Queue(maxsize=4)
    finished = threading.Event()

    def documents() -> Iterator[SearchDocument]:
        while (chunk := feed.get()) is not None:
            if chunk is _ABORT:
                raise _Aborted
            yield from chunk

    def build() -> None:
        try:
            index.rebuild(documents(), progress)
        finally:
            finished.set()

    def put(item: object) -> bool:
        while not finished.is_set():
            try:
                feed.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    builder = asyncio.create_task(asyncio.to_thread(build))
    total = 0
    try:
        async for chunk in all_documents():
            if not await asyncio.to_thread(put, chunk):
                break
            total += len(chunk)
        await asyncio.to_thread(put, None)
    except BaseException:
        await asyncio.to_thread(put, _ABORT)
        with contextlib.suppress(_Aborted):
            await builder
        raise
    await builder
    return total


class IndexerLock:
    """One indexer per host: an exclusive ``flock`` on a file beside the index. The kernel drops
    it when the holder dies, so another worker takes over within a retry interval."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class Indexer:
    """Applies the outbox to the index: woken at once by this process's events, and polling
    for rows written by other worker processes."""

    def __init__(
        self,
        index: SearchIndex,
        lock: IndexerLock,
        *,
        batch: int = 500,
        poll_seconds: float = 0.25,
        retry_lock_seconds: float = 2.0,
    ) -> None:
        self.index = index
        self.lock = lock
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.retry_lock_seconds = retry_lock_seconds
        self._wake = asyncio.Event()

    async def _on_event(self, event: Event) -> None:
        self._wake.set()

    async def drain_once(self) -> int:
        """Apply one batch of outbox rows; returns how many were applied."""
        rows = await IndexOutbox.all().order_by("id").limit(self.batch).values("id", "kind", "object_id")
        if not rows:
            return 0
        changes = await changes_for(rows)
        await asyncio.to_thread(self.index.apply, changes.upserts, changes.deletes)
        # By id, not "up to the highest id": a row with a lower id may commit later.
        await IndexOutbox.filter(id__in=[r["id"] for r in rows]).delete()
        return len(rows)

    async def drain(self) -> int:
        total = 0
        while n := await self.drain_once():
            total += n
        return total

    async def catch_up(self) -> None:
        """At start: an empty index over a non-empty database (first start, index deleted) is
        rebuilt; then whatever the outbox holds is applied."""
        count = await asyncio.to_thread(self.index.doc_count)
        if count == 0 and (
            await Thread.filter(is_deleted=False).exists()
            or await Article.filter(state=ArticleState.PUBLISHED).exists()
        ):
            log.info("search index is empty: rebuilding it from the database")
            pending = await IndexOutbox.all().values_list("id", flat=True)
            await rebuild(self.index)
            await IndexOutbox.filter(id__in=list(pending)).delete()
        await self.drain()

    async def run_forever(self) -> None:
        subscribe(self._on_event)
        try:
            while not self.lock.try_acquire():  # noqa: ASYNC110 (the lock is in another process)
                await asyncio.sleep(self.retry_lock_seconds)
            log.info("this process runs the search indexer")
            await self.catch_up()
            while True:
                try:
                    if await self.drain_once():
                        continue
                except Exception:
                    log.exception("search indexing failed; retrying")
                    await asyncio.sleep(1.0)
                    continue
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        finally:
            unsubscribe(self._on_event)
            self.lock.release()


# --- checking and repairing (``community reindex`` and ``community search-check``) ------------------

REPAIR_REBUILD_MIN = 1_000  # more differences than this (and than the fraction) rebuild instead
REPAIR_REBUILD_FRACTION = 0.2
EXAMPLES = 5
_CHUNK = 500


async def expected_document_count() -> int:
    """About how many documents a rebuild writes (one per visible post of a live thread), for a
    progress bar's total."""
    posts = await Post.filter(state=PostState.VISIBLE, thread__is_deleted=False).count()
    return posts + await Article.filter(state=ArticleState.PUBLISHED).count()


async def rebuild_from_database(index: SearchIndex, progress: Callable[[int], None] | None = None) -> int:
    """A full rebuild; outbox rows committed before it started are covered by it and removed.

    Rows written while it runs stay for the indexer (applying them again is harmless)."""
    covered = await IndexOutbox.all().values_list("id", flat=True)
    count = await rebuild(index, progress)
    for start in range(0, len(covered), _CHUNK):
        await IndexOutbox.filter(id__in=list(covered[start : start + _CHUNK])).delete()
    return count


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass
class IndexReport:
    """The index compared with the database: documents that should be indexed and are not
    (``missing``), that are indexed and should not be (``extra``: deleted, hidden, moved out of
    reach), and that are indexed from an older state (``outdated``: their ``updated_at`` differs)."""

    expected: int
    indexed: int
    missing: list[str]
    extra: list[str]
    outdated: list[str]
    pending: int  # outbox rows not applied yet: a running indexer applies them within a second

    @property
    def differences(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.outdated)

    @property
    def in_step(self) -> bool:
        return self.differences == 0

    def lines(self) -> list[str]:
        """The human report the CLI prints."""

        def row(label: str, ids: list[str]) -> str:
            shown = ", ".join(ids[:EXAMPLES]) + (", …" if len(ids) > EXAMPLES else "")
            return f"  {label:<10}{len(ids):>8,}" + (f"  (e.g. {shown})" if ids else "")

        out = [
            f"Search index: {self.indexed:,} documents; the database says {self.expected:,} should be.",
            row("missing:", self.missing),
            row("extra:", self.extra),
            row("outdated:", self.outdated),
        ]
        if self.pending:
            out.append(
                f"  {self.pending:,} changes are waiting in the outbox (a running server applies them "
                "within a second): some differences may be those."
            )
        return out


async def compare_index(index: SearchIndex) -> IndexReport:
    """Compare the index's document ids and stamps with what the database says it should hold."""
    pending = await IndexOutbox.all().count()
    stamps = await asyncio.to_thread(index.stamps)
    missing: list[str] = []
    outdated: list[str] = []
    expected: set[str] = set()
    async for chunk in all_documents():
        for doc in chunk:
            expected.add(doc.doc_id)
            stamp = stamps.get(doc.doc_id)
            if stamp is None:
                missing.append(doc.doc_id)
            elif _utc(stamp) != _utc(doc.updated_at):
                outdated.append(doc.doc_id)
    extra = sorted(set(stamps) - expected, key=_doc_order)
    return IndexReport(
        expected=len(expected),
        indexed=len(stamps),
        missing=sorted(missing, key=_doc_order),
        extra=extra,
        outdated=sorted(outdated, key=_doc_order),
        pending=pending,
    )


def _doc_order(doc_id: str) -> tuple[int, str, int]:
    kind, _, number = doc_id.partition(":")
    return ({THREAD: 0, POST: 1, ARTICLE: 2}.get(kind, 3), kind, int(number) if number.isdigit() else 0)


async def repair(index: SearchIndex, report: IndexReport, lock: IndexerLock) -> str:
    """Bring the index in step with the database; the caller holds ``lock``, the indexer's.

    A few differences become outbox rows applied at once (the same path as every change); many
    mean something bigger went wrong, and a rebuild is faster. Returns what was done."""
    if report.differences > max(REPAIR_REBUILD_MIN, report.expected * REPAIR_REBUILD_FRACTION):
        count = await rebuild_from_database(index)
        return f"rebuilt the index ({count:,} documents)"
    rows: list[tuple[str, int]] = []
    strays: list[str] = []  # documents of a kind the outbox does not rebuild: removed directly
    for doc_id in report.missing + report.outdated + report.extra:
        kind, _, number = doc_id.partition(":")
        if kind in (THREAD, POST, ARTICLE) and number.isdigit():
            rows.append((kind, int(number)))
        else:
            strays.append(doc_id)
    for start in range(0, len(rows), _CHUNK):
        await IndexOutbox.bulk_create(
            [IndexOutbox(kind=k, object_id=i) for k, i in rows[start : start + _CHUNK]]
        )
    if strays:
        await asyncio.to_thread(index.apply, [], strays)
    applied = await Indexer(index, lock).drain()
    return f"applied {applied:,} changes"
