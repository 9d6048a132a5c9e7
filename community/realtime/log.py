"""The live event log (``LiveEvent`` rows): what a reconnecting client resumes from.

Ids come from the table's sequence and are *committed in id order*: on PostgreSQL every append
takes one transaction-scoped advisory lock before its insert, so once id N is visible every id
below N is either visible too or never will be (a rolled-back insert). SQLite has a single writer,
which gives the same guarantee. The hub relies on this to fill holes from the database without
waiting for stragglers, and a resume (``since``) can never skip a row that commits later.

Retention: rows older than ``COMMUNITY_LIVE_RETENTION_HOURS`` are deleted (the newest row is
always kept so the sequence's position stays visible); a client asking to resume from before the
oldest row is told to resync.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from community.db import fetch_rows
from community.models import LiveEvent

# Any constant works: only appends to the live log take this lock.
_APPEND_LOCK = 0x11FE


def thread_stream(thread_id: int) -> str:
    return f"thread:{thread_id}"


def user_stream(user_id: int) -> str:
    return f"user:{user_id}"


QUEUE_STREAM = "queue"


@dataclass(frozen=True, slots=True)
class LiveMessage:
    id: int
    stream: str
    kind: str
    payload: dict[str, Any]

    def to_bus(self) -> dict[str, Any]:
        return {
            "t": "event",
            "id": self.id,
            "stream": self.stream,
            "kind": self.kind,
            "payload": self.payload,
        }

    @classmethod
    def from_bus(cls, message: dict[str, Any]) -> LiveMessage:
        return cls(int(message["id"]), str(message["stream"]), str(message["kind"]), message["payload"])


async def append(entries: Sequence[tuple[str, str, dict[str, Any]]]) -> list[LiveMessage]:
    """Write (stream, kind, payload) rows in one short transaction; ids in commit order."""
    if not entries:
        return []
    out: list[LiveMessage] = []
    async with in_transaction() as conn:
        if conn.capabilities.dialect == "postgres":
            await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [_APPEND_LOCK])
        for stream, kind, payload in entries:
            row = await LiveEvent.create(stream=stream, kind=kind, payload=payload, using_db=conn)
            out.append(LiveMessage(row.id, stream, kind, payload))
    return out


async def since(
    after: int, *, upto: int | None = None, streams: Iterable[str] | None = None, limit: int = 1000
) -> list[LiveMessage]:
    """Rows with ``after < id <= upto`` (in the given streams), oldest first."""
    query = LiveEvent.filter(id__gt=after)
    if upto is not None:
        query = query.filter(id__lte=upto)
    if streams is not None:
        query = query.filter(stream__in=list(streams))
    rows = await query.order_by("id").limit(limit).values_list("id", "stream", "kind", "payload")
    return [LiveMessage(int(i), s, k, p if isinstance(p, dict) else {}) for i, s, k, p in rows]


async def latest_id() -> int:
    rows = await fetch_rows("SELECT MAX(id) AS m FROM live_event")
    return int(rows[0]["m"] or 0) if rows else 0


async def oldest_id() -> int | None:
    rows = await fetch_rows("SELECT MIN(id) AS m FROM live_event")
    return int(rows[0]["m"]) if rows and rows[0]["m"] is not None else None


async def prune(before: datetime) -> int:
    """Delete rows created before ``before``, keeping the newest row."""
    newest = await latest_id()
    if not newest:
        return 0
    return await LiveEvent.filter(created_at__lt=before, id__lt=newest).delete()
