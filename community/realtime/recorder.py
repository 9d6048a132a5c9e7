"""Pending live events -> rows of the live event log -> the message bus.

Use cases write their events as ``PendingLiveEvent`` rows inside their own transaction
(``events.record``). The recorder takes them in id order, a batch at a time, and in ONE
transaction appends the log rows they make and deletes them: a crash, a kill -9 or a database
error before that commit leaves them pending for the next attempt (this worker's or another's),
after it they are in the log. Nothing waits in memory, so nothing is lost with it.

Every worker runs a recorder; on PostgreSQL the log's append lock (``log.lock_appends``), taken
before reading the batch, lets one at a time record, so each pending row is recorded once and the
log's ids commit in order. On SQLite the single writer gives the same. The deleted-row count is
checked anyway: a batch another process recorded meanwhile is rolled back, never logged twice.

Supervised: an error is logged and retried with backoff; the task never ends silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from community.events import AccessChanged, Event, decode
from community.models import PendingLiveEvent
from community.realtime import log
from community.realtime.bus import MessageBus
from community.realtime.entries import entries_for_all
from community.realtime.log import LiveMessage

logger = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 3600.0
BATCH = 500
POLL_SECONDS = 0.5
RETRY_MIN, RETRY_MAX = 0.5, 30.0


class _Raced(Exception):
    """Another process recorded part of this batch first: roll back and read again."""


async def record_pending(batch: int = BATCH) -> tuple[int, list[LiveMessage]]:
    """Record one batch of pending events in one transaction: how many were taken, and the log
    rows they made (some events make none)."""
    async with in_transaction():
        await log.lock_appends()
        rows = await PendingLiveEvent.all().order_by("id").limit(batch).values_list("id", "kind", "data")
        if not rows:
            return 0, []
        ids = [int(r[0]) for r in rows]
        # Deleted first: on SQLite this takes the write lock before the reads below.
        if await PendingLiveEvent.filter(id__in=ids).delete() != len(ids):
            raise _Raced
        events = [e for _, kind, data in rows if (e := decode(kind, data if isinstance(data, dict) else {}))]
        return len(ids), await log.insert(await entries_for_all(events))


async def pending_backlog() -> dict[str, Any]:
    """How many events wait to be recorded, and since when (for /healthz)."""
    count = await PendingLiveEvent.all().count()
    oldest = await PendingLiveEvent.all().order_by("id").limit(1).values_list("created_at", flat=True)
    age = (datetime.now(UTC) - oldest[0]).total_seconds() if oldest else 0.0
    return {"pending": count, "oldest_age_seconds": round(max(age, 0.0), 3)}


class Recorder:
    """Started in the app's lifespan; one per worker process."""

    def __init__(self, bus: MessageBus, retention: timedelta, poll_seconds: float = POLL_SECONDS) -> None:
        self.bus = bus
        self.retention = retention
        self.poll_seconds = poll_seconds
        self.recorded = 0
        self.failures = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._next_prune = 0.0

    async def backlog(self) -> dict[str, Any]:
        return {**await pending_backlog(), "record_failures_here": self.failures}

    async def on_event(self, event: Event) -> None:
        if isinstance(event, AccessChanged):
            # Not logged: every worker re-checks its connections and forgets cached pages.
            await self.bus.publish(
                {"t": "access", "user_id": event.user_id, "category_id": event.category_id}
            )
        else:
            self._wake.set()  # its rows are committed: record them now rather than at the next poll

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._next_prune = loop.time() + random.uniform(60, 600)
        self._task = asyncio.create_task(self._run_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.drain()

    async def drain(self) -> int:
        """Record until nothing is pending; returns how many events were recorded."""
        total = 0
        if not await PendingLiveEvent.exists():  # idle: no transaction, no lock
            return 0
        while True:
            try:
                taken, messages = await record_pending()
            except _Raced:
                continue
            if not taken:
                return total
            total += taken
            self.recorded += taken
            for message in messages:
                await self.bus.publish(message.to_bus())

    async def _run_forever(self) -> None:
        loop = asyncio.get_running_loop()
        delay = RETRY_MIN
        while True:
            self._wake.clear()
            try:
                await self.drain()
                delay = RETRY_MIN
            except Exception:
                self.failures += 1
                logger.exception("could not record live events; retrying in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            if loop.time() >= self._next_prune:
                self._next_prune = loop.time() + PRUNE_EVERY_SECONDS
                try:
                    await log.prune(datetime.now(UTC) - self.retention)
                except Exception:
                    logger.exception("could not prune the live event log")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
