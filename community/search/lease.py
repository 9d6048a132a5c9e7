"""Who writes a search index: a lease in the database, renewed by its holder's heartbeat.

Whoosh allows one writer per index directory. The writer of a host's index holds the lease named
after the host and the directory (``lease_name``); it renews it while it works, and a holder whose
heartbeat is older than ``ttl`` seconds (a process frozen, a task stuck, a host gone) is replaced
by the next process that asks. Unlike a lock file, a holder that stops working without dying is
noticed, and the lease names who holds it for ``/healthz``.

Taking and renewing are single conditional statements, so two processes asking at once cannot
both win.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from community.models import IndexerLease
from community.timeutil import utcnow

DEFAULT_TTL = 30.0


def lease_name(index_dir: Path) -> str:
    """One lease per index: the host's name and the index directory (hosts do not share disks)."""
    return f"{socket.gethostname()}:{index_dir.resolve()}"[:200]


class Lease:
    def __init__(self, name: str, ttl: float = DEFAULT_TTL) -> None:
        self.name = name
        self.ttl = ttl
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]
        self.held = False

    async def try_acquire(self) -> bool:
        """Take the lease if it is free, ours already, or its holder's heartbeat is stale."""
        now = utcnow()
        try:
            async with in_transaction():  # a savepoint inside a caller's transaction
                await IndexerLease.create(
                    name=self.name, holder=self.holder, heartbeat_at=now, acquired_at=now
                )
            self.held = True
            return True
        except IntegrityError:
            pass
        stale = now - timedelta(seconds=self.ttl)
        taken = await IndexerLease.filter(
            Q(name=self.name) & (Q(holder=self.holder) | Q(heartbeat_at__lt=stale))
        ).update(holder=self.holder, heartbeat_at=now, acquired_at=now)
        self.held = taken == 1
        return self.held

    async def renew(self) -> bool:
        """Heartbeat; False when another process took the lease meanwhile (stop writing)."""
        renewed = await IndexerLease.filter(name=self.name, holder=self.holder).update(heartbeat_at=utcnow())
        self.held = renewed == 1
        return self.held

    async def release(self) -> None:
        if self.held:
            self.held = False
            await IndexerLease.filter(name=self.name, holder=self.holder).delete()

    async def describe(self) -> dict[str, Any]:
        """Who holds it and how long ago they last renewed it (for /healthz)."""
        rows = await IndexerLease.filter(name=self.name).values("holder", "heartbeat_at")
        if not rows:
            return {"holder": None, "heartbeat_age_seconds": None, "held_here": False}
        age = (utcnow() - rows[0]["heartbeat_at"]).total_seconds()
        return {
            "holder": rows[0]["holder"],
            "heartbeat_age_seconds": round(max(age, 0.0), 3),
            "held_here": rows[0]["holder"] == self.holder,
            "stale": age > self.ttl,
        }


class KeptLease:
    """A lease renewed in the background while a command works (``community reindex``): the
    server's indexer waits meanwhile instead of taking over."""

    def __init__(self, lease: Lease) -> None:
        self.lease = lease
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._renew_forever())

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.lease.ttl / 3)
            with contextlib.suppress(Exception):
                await self.lease.renew()

    async def release(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.lease.release()
