"""Keeping the search index in step with the database: the outbox consumer, its lock, and
rebuilding the whole index (what the indexer does when it finds none).

One indexer per index directory (Whoosh allows one writer): the process holding the index's lease
(``search.lease``) applies the change log (``search.changelog``: the ``IndexOutbox`` rows use cases
write in their own transactions, moved into the log in commit order) from this host's recorded
position. Each host keeps its own index; none deletes what another still needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from community import database_epoch
from community.events import Event, subscribe, unsubscribe
from community.models import Article, ArticleState, Thread
from community.ports import SearchIndex
from community.search import changelog, epoch
from community.search.lease import Lease
from community.search.sources import all_documents, changes_for
from search_index.documents import SearchDocument

log = logging.getLogger(__name__)
LEASE_RELEASE_SECONDS = 2.0
PRUNE_SECONDS = 60.0  # how often a host prunes the change log


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


async def rebuild_from_database(
    index: SearchIndex, progress: Callable[[int], None] | None = None, *, host: str | None = None
) -> int:
    """A full rebuild of this host's index; it then stands at the change log's newest row when it
    started (every change up to it committed before the rebuild read anything).

    Rows written while it runs stay for the indexer (applying them again is harmless); no row is
    deleted, other hosts' indexes may still need them."""
    host = host or changelog.host_of(index)
    token = await database_epoch.current()
    position = await changelog.rebuilding(host)
    count = await rebuild(index, progress)
    await changelog.rebuilt(host)
    epoch.write(epoch.root_of(index), token, position)  # this index follows this database now
    return count


class IndexerLock:
    """An exclusive ``flock`` on a file beside the index: the mark of a process writing it, which
    ``community restore`` looks for (the kernel drops it when the holder dies). The indexer takes it
    with its lease when it can; who writes is decided by the lease (``search.lease``)."""

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


class Stalled(Exception):
    """The indexer made no progress for ``stall_seconds``, or lost its lease: it starts over."""


class Indexer:
    """Applies the change log to this host's index from its position: woken at once by this
    process's events, and polling for changes made by other worker processes and hosts.

    Supervised: ``run_forever`` waits for the index's lease (``search.lease``), then works while a
    heartbeat renews it. Any error (the database restarting, the index's own lock) is logged and
    retried with backoff. A loop that makes no progress for ``stall_seconds`` (a call that never
    returns) is cancelled and started over; a process that stops altogether (frozen, its event loop
    blocked) stops renewing, and another process takes the lease after its ``ttl``. It never ends
    silently."""

    RETRY_MIN, RETRY_MAX = 0.5, 30.0

    def __init__(
        self,
        index: SearchIndex,
        lease: Lease | None = None,
        *,
        batch: int = 500,
        poll_seconds: float = 0.25,
        retry_lock_seconds: float = 2.0,
        stall_seconds: float = 120.0,
        reconcile: Callable[[Indexer], Awaitable[None]] | None = None,
        marker: IndexerLock | None = None,
        host: str | None = None,
        forget_after: timedelta = changelog.FORGET_AFTER,
        prune_seconds: float = PRUNE_SECONDS,
    ) -> None:
        """``reconcile``: run at start once the outbox is applied, to find an index from another
        moment than the database (``community.search.maintenance.reconcile_at_start``).
        ``host``: this index's name in the change log (by default its lease's name: host name and
        directory); ``forget_after``: hosts not seen for that long no longer hold back pruning."""
        self.reconcile = reconcile
        self.host = host or changelog.host_of(index)
        self.forget_after = forget_after
        self.prune_seconds = prune_seconds
        self.position: int | None = None  # this host's, once read from the database
        self.epoch: str | None = None  # the database's epoch this index follows, once caught up
        self._registered = False  # catch_up found or made this host's row: the heartbeat renews it
        self.index = index
        self.lease = lease
        self.marker = marker
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.retry_lock_seconds = retry_lock_seconds
        self.stall_seconds = stall_seconds
        self.failures = 0
        self.last_error: str | None = None
        self._progress = time.monotonic()
        self._rebuilding = False  # a rebuild's last commit may take long: not a stall
        self._wake = asyncio.Event()

    async def describe(self) -> dict[str, Any]:
        """Who runs the indexer, how long ago it last renewed its lease, and this process's errors."""
        lease = await self.lease.describe() if self.lease is not None else {}
        return {**lease, "failures_here": self.failures, "last_error_here": self.last_error}

    async def _on_event(self, event: Event) -> None:
        self._wake.set()

    def _progressed(self, *_: object) -> None:
        self._progress = time.monotonic()  # also called from the rebuild's thread: one assignment

    async def drain_once(self, *, force: bool = False) -> int:
        """Sequence waiting outbox rows into the change log, then apply one batch of the log
        above this host's position; returns how many were applied. Threads' rolled-up documents
        wait ``ROLLUP_SECONDS`` after their answers (several answers, one rebuild), unless
        ``force``."""
        await changelog.sequence(self.batch, force=force)
        if self.position is None:
            self.position = await changelog.position_of(self.host)
        rows = await changelog.after(self.position, self.batch)
        if not rows:
            return 0
        changes = await changes_for(rows)
        await asyncio.to_thread(self.index.apply, changes.upserts, changes.deletes)
        try:
            await changelog.advance(self.host, rows[-1]["id"])
        except changelog.Forgotten:
            self.position = None
            raise
        self.position = rows[-1]["id"]
        self._progressed()
        return len(rows)

    async def drain(self) -> int:
        """Everything, rolled-up documents included (the commands, the tests)."""
        total = 0
        while n := await self.drain_once(force=True):
            total += n
        return total

    async def catch_up(self) -> None:
        """At start: an empty index over a non-empty database (first start, index deleted) is
        rebuilt, and so is one behind what the change log still holds (a host forgotten while
        away, a rebuild interrupted) or one that followed the database before a restore
        (``search.epoch``); then the log is applied from this host's position."""
        self.position = self.epoch = None
        self._registered = False
        token = await database_epoch.current()
        restored = await epoch.mismatch(epoch.root_of(self.index), self.host)  # before resume registers
        resume = await changelog.resume(self.host)
        self._registered = True
        empty = await asyncio.to_thread(self.index.doc_count) == 0 and (
            await Thread.filter(is_deleted=False).exists()
            or await Article.filter(state=ArticleState.PUBLISHED).exists()
        )
        if restored:
            log.warning("search index: %s; rebuilding it from the database", restored)
        elif empty or resume is None:
            log.info("search index %s: rebuilding it from the database",
                     "is empty" if empty else "is behind the change log")  # fmt: skip
        if empty or resume is None or restored:
            self._rebuilding = True
            try:
                await rebuild_from_database(self.index, self._progressed, host=self.host)
            finally:
                self._rebuilding = False
        await self.drain()
        if self.reconcile is not None:
            await self.reconcile(self)
        self.epoch = token
        if self.position is not None:
            self._still_follows(self.position)

    def _still_follows(self, position: int) -> None:
        """Record beside the index the database epoch and position it follows (see search.epoch)."""
        if self.epoch is not None:
            epoch.write(epoch.root_of(self.index), self.epoch, position)

    async def run_forever(self) -> None:
        subscribe(self._on_event)
        delay = self.RETRY_MIN
        try:
            while True:
                try:
                    await self._acquire()
                    await self._work_while_held()
                except Exception as exc:
                    self.failures += 1
                    self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                    expected = isinstance(exc, Stalled | changelog.Forgotten | epoch.Restored)
                    log.error("search indexer failed (%s); retrying in %.1f s", self.last_error, delay,
                              exc_info=not expected)  # fmt: skip
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.RETRY_MAX)
                else:
                    delay = self.RETRY_MIN
        finally:
            unsubscribe(self._on_event)
            if self.marker is not None:
                self.marker.release()
            if self.lease is not None:
                # Bounded: a shutdown must not wait on the database; an unreleased lease simply
                # expires and another process takes over.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(self.lease.release()), LEASE_RELEASE_SECONDS)

    async def _acquire(self) -> None:
        if self.lease is None:
            return
        while not await self.lease.try_acquire():  # noqa: ASYNC110 (held by another process)
            await asyncio.sleep(self.retry_lock_seconds)
        log.info("this process runs the search indexer (%s)", self.lease.holder)
        if self.marker is not None:
            self.marker.try_acquire()  # best effort: a frozen holder may keep it

    async def _work_while_held(self) -> None:
        """Catch up, then apply the outbox as it fills, until an error, a stall or the lease is lost."""
        self._progressed()
        work = asyncio.create_task(self._work())
        beat = asyncio.create_task(self._heartbeat())
        try:
            done, _ = await asyncio.wait({work, beat}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # raises what ended it
        finally:
            for task in (work, beat):
                task.cancel()
            for task in (work, beat):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _work(self) -> None:
        await self.catch_up()
        while True:
            if await self.drain_once():
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._progressed()

    async def _heartbeat(self) -> None:
        """Renews the lease, says this host is alive, and now and then prunes the change log."""
        every = self.lease.ttl / 3 if self.lease is not None else 10.0
        pruned = time.monotonic()
        while True:
            await asyncio.sleep(min(every, self.stall_seconds / 3))
            idle = time.monotonic() - self._progress
            if idle > self.stall_seconds and not self._rebuilding:
                raise Stalled(f"no progress for {idle:.0f} s")
            if self.lease is not None and not await self.lease.renew():
                raise Stalled("another process took the indexer's lease")
            if self._registered:
                await changelog.seen(self.host)
            if self.epoch is not None and (position := self.position) is not None:
                await epoch.check(self.host, self.epoch, position)  # a restore elsewhere: start over
                self._still_follows(position)
            if time.monotonic() - pruned >= self.prune_seconds:
                pruned = time.monotonic()
                await changelog.prune(self.forget_after)
