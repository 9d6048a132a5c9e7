"""Keeping the search index in step with the database: the outbox consumer, its lock, and
rebuilding the whole index (what the indexer does when it finds none).

One indexer per index directory (Whoosh allows one writer): the process holding the lock file
consumes ``IndexOutbox`` rows written by the use cases in their own transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import queue
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from community.events import Event, subscribe, unsubscribe
from community.models import Article, ArticleState, IndexOutbox, Thread
from community.ports import SearchIndex
from community.search.sources import all_documents, changes_for
from search_index.documents import SearchDocument

log = logging.getLogger(__name__)


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


OUTBOX_CHUNK = 500  # outbox rows per statement: under every database's parameter limit


async def rebuild_from_database(index: SearchIndex, progress: Callable[[int], None] | None = None) -> int:
    """A full rebuild; outbox rows committed before it started are covered by it and removed.

    Rows written while it runs stay for the indexer (applying them again is harmless)."""
    covered = await IndexOutbox.all().values_list("id", flat=True)
    count = await rebuild(index, progress)
    for start in range(0, len(covered), OUTBOX_CHUNK):
        await IndexOutbox.filter(id__in=list(covered[start : start + OUTBOX_CHUNK])).delete()
    return count


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
        reconcile: Callable[[Indexer], Awaitable[None]] | None = None,
    ) -> None:
        """``reconcile``: run at start once the outbox is applied, to find an index from another
        moment than the database (``community.search.maintenance.reconcile_at_start``)."""
        self.reconcile = reconcile
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
            await rebuild_from_database(self.index)
        await self.drain()
        if self.reconcile is not None:
            await self.reconcile(self)

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
