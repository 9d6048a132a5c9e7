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

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from community.db import fetch_rows
from community.models import LiveEvent

# Any constant works: only appends to the live log take this lock.
_APPEND_LOCK = 0x11FE
# Rows per INSERT: 4 parameters each stays far below every database's limit on parameters.
INSERT_ROWS = 500


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


async def lock_appends() -> None:
    """Inside a transaction, before appending: on PostgreSQL, wait for the append lock (held until
    the commit) so ids commit in id order."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [_APPEND_LOCK])


async def insert(entries: Sequence[tuple[str, str, dict[str, Any]]]) -> list[LiveMessage]:
    """Append rows inside the caller's transaction, after ``lock_appends``: one multi-row INSERT
    per ``INSERT_ROWS`` (building ORM objects per row cost more than the statement)."""
    out: list[LiveMessage] = []
    now = datetime.now(UTC)
    for start in range(0, len(entries), INSERT_ROWS):
        batch = entries[start : start + INSERT_ROWS]
        values = ", ".join("(?, ?, ?, ?)" for _ in batch)
        params = [v for stream, kind, payload in batch for v in (stream, kind, json.dumps(payload), now)]
        rows = await fetch_rows(
            f"INSERT INTO live_event (stream, kind, payload, created_at) VALUES {values} RETURNING id",
            *params,
        )
        # The rows of one statement take their ids in the order of its VALUES.
        ids = sorted(int(r["id"]) for r in rows)
        out += [LiveMessage(i, s, k, p) for i, (s, k, p) in zip(ids, batch, strict=True)]
    return out


async def append(entries: Sequence[tuple[str, str, dict[str, Any]]]) -> list[LiveMessage]:
    """Write (stream, kind, payload) rows in one short transaction; ids in commit order."""
    if not entries:
        return []
    async with in_transaction():
        await lock_appends()
        return await insert(entries)


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
