"""Rebuilding the index from the database, and comparing the two (``search-check``) and repairing
what differs.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from community.models import Article, ArticleState, IndexOutbox, Post, PostState
from community.ports import SearchIndex
from community.search import changelog
from community.search.indexer import OUTBOX_CHUNK, Indexer, rebuild_from_database
from community.search.outbox import ARTICLE, POST, THREAD
from community.search.sources import all_documents

log = logging.getLogger(__name__)

REPAIR_REBUILD_MIN = 1_000  # more differences than this (and than the fraction) rebuild instead


REPAIR_REBUILD_FRACTION = 0.2


EXAMPLES = 5


async def expected_document_count() -> int:
    """About how many documents a rebuild writes (one per visible post of a live thread), for a
    progress bar's total."""
    posts = await Post.filter(state=PostState.VISIBLE, thread__is_deleted=False).count()
    return posts + await Article.filter(state=ArticleState.PUBLISHED).count()


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
    pending: int  # changes this host's index has not applied yet: a running indexer does within a second

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
    pending = (await changelog.backlog(changelog.host_of(index)))["backlog"]
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


async def reconcile_at_start(indexer: Indexer) -> None:
    """An index from another moment than the database (files restored by hand, a disk swapped)
    holds too few or too many documents: compare them and repair, never start silently
    incomplete. Counting is cheap; the full comparison runs only on a mismatch."""
    indexed = await asyncio.to_thread(indexer.index.doc_count)
    expected = await expected_document_count()
    if indexed == expected:
        return
    log.warning(
        "the search index holds %d documents where the database says %d: repairing it", indexed, expected
    )
    report = await compare_index(indexer.index)
    if not report.in_step:
        log.warning("search index: %s", await repair(indexer.index, report, host=indexer.host))


def _doc_order(doc_id: str) -> tuple[int, str, int]:
    kind, _, number = doc_id.partition(":")
    return ({THREAD: 0, POST: 1, ARTICLE: 2}.get(kind, 3), kind, int(number) if number.isdigit() else 0)


async def repair(index: SearchIndex, report: IndexReport, *, host: str | None = None) -> str:
    """Bring the index in step with the database; the caller holds the indexer's lease.

    A few differences become outbox rows applied at once (the same path as every change); many
    mean something bigger went wrong, and a rebuild is faster. Returns what was done."""
    if report.differences > max(REPAIR_REBUILD_MIN, report.expected * REPAIR_REBUILD_FRACTION):
        count = await rebuild_from_database(index, host=host)
        return f"rebuilt the index ({count:,} documents)"
    rows: list[tuple[str, int]] = []
    strays: list[str] = []  # documents of a kind the outbox does not rebuild: removed directly
    for doc_id in report.missing + report.outdated + report.extra:
        kind, _, number = doc_id.partition(":")
        if kind in (THREAD, POST, ARTICLE) and number.isdigit():
            rows.append((kind, int(number)))
        else:
            strays.append(doc_id)
    for start in range(0, len(rows), OUTBOX_CHUNK):
        await IndexOutbox.bulk_create(
            [IndexOutbox(kind=k, object_id=i) for k, i in rows[start : start + OUTBOX_CHUNK]]
        )
    if strays:
        await asyncio.to_thread(index.apply, [], strays)
    applied = await Indexer(index, host=host).drain()
    return f"applied {applied:,} changes"
