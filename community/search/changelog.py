"""The search index's change log: what every host's own index follows, each at its own position.

Several hosts without a shared disk each keep their own index. Use cases still write
``IndexOutbox`` rows inside their own transactions (``search.outbox``); ``sequence`` moves them,
in one short transaction, into the change log (``IndexChange``), and each host applies the log
from its recorded position (``IndexHost.position``) upward. Log rows are pruned only once every
registered host has applied them.

Why a second table rather than reading the outbox by position: on PostgreSQL an outbox id is
taken when the row is inserted, but the row becomes visible when its use case commits, which can
be long after a higher id committed. A reader that recorded "applied up to N" would skip the
lower id committing later. The live event log solves the same problem with an advisory lock
taken before its appends (``realtime.log``); taking such a lock inside every use case would
serialise every write of the community from its first outbox row to its commit, and could
deadlock with the row locks the use case takes after it. So the use cases stay as they are, and
only ``sequence`` takes the lock (``_LOG_LOCK``, transaction-scoped) before it reads the outbox
and appends to the log: sequencing transactions run one at a time, so log ids commit in id order,
and once id N is visible every id below it is visible too or never will be (a rolled-back
sequencing). A position is therefore exact, however long a use case's transaction stays open:
its outbox row simply reaches the log after it commits. SQLite has a single writer, which gives
the same. Any host may sequence; the outbox row is deleted in the same transaction, so each
change enters the log once.

Threads' rolled-up documents (``outbox.ROLLUP``) are decided here too, once for every host: a
post change in a sequenced batch leaves a rollup row in the outbox, sequenced once it is
``ROLLUP_SECONDS`` old, so hosts apply the log strictly in order with no per-row delays.

Pruning (``prune``) deletes log rows at or below the lowest position of the hosts seen within
the forget window, always keeping the newest row (the point up to which rows were pruned stays
visible). Hosts not seen for that long are forgotten so they cannot hold rows forever; a host
whose row is gone, or whose position is below what was pruned, rebuilds its index by itself
(``Indexer.catch_up``). Registering a host and pruning take the same lock, so a host that
registers and checks that nothing above its position was pruned cannot race a pruning.
"""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from community.db import fetch_rows
from community.models import IndexChange, IndexHost, IndexOutbox, Post
from community.search.lease import lease_name
from community.search.outbox import POST, ROLLUP, ROLLUP_SECONDS, THREAD
from community.timeutil import utcnow

# Any constant other than the live log's: only sequencing, registering and pruning take it.
_LOG_LOCK = 0x1DE7
FORGET_AFTER = timedelta(hours=72)
PRUNE_ROWS = 10_000


class Raced(Exception):
    """Another host sequenced part of this batch first: roll back and read again."""


class Forgotten(Exception):
    """This host's row is gone (not seen for the forget window): it must check what it missed."""


def host_of(index: Any) -> str:
    """The host an index belongs to: its lease's name (host name and index directory)."""
    root = getattr(index, "root", None)
    return lease_name(root) if root is not None else socket.gethostname()


async def _lock() -> None:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [_LOG_LOCK])


def _waiting(force: bool) -> Any:
    query = IndexOutbox.all()
    if not force:
        due = utcnow() - timedelta(seconds=ROLLUP_SECONDS)
        query = query.filter(~Q(kind=ROLLUP) | Q(created_at__lte=due))
    return query


async def sequence(batch: int = 500, *, force: bool = False) -> int:
    """Move one batch of outbox rows into the change log; how many were moved. Rollup rows wait
    ``ROLLUP_SECONDS`` in the outbox unless ``force``."""
    if not await _waiting(force).exists():  # the common case, without the lock
        return 0
    async with in_transaction():
        await _lock()
        rows = (
            await _waiting(force).order_by("id").limit(batch).values("id", "kind", "object_id", "created_at")
        )
        if not rows:
            return 0
        ids = [r["id"] for r in rows]
        if await IndexOutbox.filter(id__in=ids).delete() != len(ids):
            raise Raced
        await IndexChange.bulk_create(
            [IndexChange(kind=r["kind"], object_id=r["object_id"], created_at=r["created_at"]) for r in rows]
        )
        await _roll_up_later(rows)
    return len(rows)


async def _roll_up_later(rows: list[dict[str, Any]]) -> None:
    """A post changed: its thread's own document, which rolls the answers up, follows a little
    later (several answers, one rebuild). Not for threads rebuilt whole in the same batch."""
    post_ids = [r["object_id"] for r in rows if r["kind"] == POST]
    if not post_ids:
        return
    covered = {r["object_id"] for r in rows if r["kind"] in (THREAD, ROLLUP)}
    threads = set(await Post.filter(id__in=post_ids).values_list("thread_id", flat=True)) - covered
    if not threads:
        return
    waiting = set(
        await IndexOutbox.filter(kind=ROLLUP, object_id__in=list(threads)).values_list("object_id", flat=True)
    )
    await IndexOutbox.bulk_create([IndexOutbox(kind=ROLLUP, object_id=t) for t in sorted(threads - waiting)])


async def after(position: int, batch: int) -> list[dict[str, Any]]:
    """Log rows above ``position``, oldest first."""
    return list(
        await IndexChange.filter(id__gt=position)
        .order_by("id")
        .limit(batch)
        .values("id", "kind", "object_id")
    )


async def _one(sql: str) -> int | None:
    rows = await fetch_rows(sql)
    return int(rows[0]["m"]) if rows and rows[0]["m"] is not None else None


async def latest_id() -> int:
    return await _one("SELECT MAX(id) AS m FROM index_change") or 0


async def _oldest_id() -> int | None:
    return await _one("SELECT MIN(id) AS m FROM index_change")


async def resume(host: str) -> int | None:
    """Where this host's index goes on from: its position, or None when it must be rebuilt (a
    rebuild was interrupted, or it was forgotten and rows above what it had applied were pruned).

    A host with no row (new, forgotten, or from before the change log) is registered here at
    position 0: its index is taken to be in step with the log's beginning, which holds only if
    nothing was ever pruned; otherwise it is rebuilt."""
    row = await IndexHost.get_or_none(name=host)
    if row is not None:
        return None if row.rebuilding else int(row.position)
    async with in_transaction():
        await _lock()
        await IndexHost.create(name=host, position=0, seen_at=utcnow())
        oldest = await _oldest_id()
    return 0 if oldest is None or oldest <= 1 else None


async def position_of(host: str) -> int:
    """This host's position, registering it at 0 if it has no row (commands and tests that
    drain without starting an indexer)."""
    row = await IndexHost.get_or_none(name=host)
    if row is None:
        row, _ = await IndexHost.get_or_create(name=host, defaults={"position": 0, "seen_at": utcnow()})
    return int(row.position)


async def advance(host: str, position: int) -> None:
    """Record that the host's index holds every log row up to ``position``."""
    if not await IndexHost.filter(name=host).update(position=position, seen_at=utcnow()):
        raise Forgotten(f"search index host {host} was forgotten meanwhile")


async def seen(host: str) -> None:
    if not await IndexHost.filter(name=host).update(seen_at=utcnow()):
        raise Forgotten(f"search index host {host} was forgotten meanwhile")


async def rebuilding(host: str) -> int:
    """A rebuild of the host's index starts: it will hold every log row up to the returned id
    (their changes committed before it reads anything). The host keeps the rows above it, and if
    the rebuild does not finish, it starts again at the next start."""
    position = await latest_id()
    await IndexHost.update_or_create(
        defaults={"position": position, "rebuilding": True, "seen_at": utcnow()}, name=host
    )
    return position


async def rebuilt(host: str) -> None:
    await IndexHost.filter(name=host).update(rebuilding=False, seen_at=utcnow())


async def prune(forget_after: timedelta = FORGET_AFTER) -> int:
    """Forget hosts not seen within ``forget_after``, then delete the log rows every remaining
    host has applied (keeping the newest row). Returns how many rows went.

    At most ``PRUNE_ROWS`` rows per transaction: a host catching up after a long absence may
    release millions, and the lock they are deleted under also holds every host's sequencing."""
    async with in_transaction():
        await _lock()
        await IndexHost.filter(seen_at__lt=utcnow() - forget_after).delete()
    total = 0
    while True:
        async with in_transaction():
            await _lock()
            lowest = await _one("SELECT MIN(position) AS m FROM index_host")
            oldest = await _oldest_id()
            if lowest is None or oldest is None:
                return total  # no host registered (nothing is known to be applied), or no rows
            upto = min(lowest, await latest_id() - 1, oldest + PRUNE_ROWS - 1)
            if upto < oldest:
                return total
            total += await IndexChange.filter(id__gte=oldest, id__lte=upto).delete()


def _age(oldest: datetime | None, now: datetime) -> float:
    return round(max((now - oldest).total_seconds(), 0.0), 3) if oldest is not None else 0.0


async def backlog(host: str) -> dict[str, Any]:
    """Changes this host's index has not applied yet (in the log above its position, and in the
    outbox waiting to be sequenced), the age of the oldest, and every host's position (for
    /healthz)."""
    now = utcnow()
    hosts = await IndexHost.all().order_by("name").values("name", "position", "rebuilding", "seen_at")
    position = next((int(h["position"]) for h in hosts if h["name"] == host), 0)
    count = await IndexOutbox.all().count() + await IndexChange.filter(id__gt=position).count()
    stamps = [
        *await IndexOutbox.all().order_by("id").limit(1).values_list("created_at", flat=True),
        *await IndexChange.filter(id__gt=position)
        .order_by("id")
        .limit(1)
        .values_list("created_at", flat=True),
    ]
    return {
        "backlog": count,
        "oldest_age_seconds": _age(min(stamps) if stamps else None, now),
        "position": position,
        "hosts": [
            {
                "name": h["name"],
                "position": int(h["position"]),
                "rebuilding": h["rebuilding"],
                "seen_age_seconds": _age(h["seen_at"], now),
            }
            for h in hosts
        ],
    }
