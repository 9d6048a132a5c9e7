"""Notifications: written in the caller's transaction, announced after its commit.

A use case calls ``notify`` inside its transaction (so a notification is never lost, nor its live
event: ``events.record``), keeps what it returns, and after the commit passes it to ``announce``,
which wakes live delivery at once.

Fan-out costs a fixed number of queries whatever the number of recipients (a thread with 1,000
watchers): who switched the kind off, who may see the thread, who muted it, and which unread
entries to group into are each one query; grouped entries are bumped with one UPDATE and new rows
go in with one multi-row INSERT per 500 (raw SQL: see ``_write``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from community import policy
from community.actor import load_actors
from community.db import fetch_rows
from community.events import NotificationsCreated, publish, record
from community.mail.notices import mail_later
from community.models import NotificationKind, Post, Thread, WatchLevel, WatchTarget
from community.timeutil import utcnow

Created = list[tuple[int, int]]

TEXT_MAX = 300
# Recipients handled per round of queries: keeps every IN (...) list well inside the databases' limits.
CHUNK = 2_000
# Kinds a muted thread silences for the person who muted it.
THREAD_MUTE_SILENCES = frozenset(
    {
        NotificationKind.REPLY,
        NotificationKind.ANSWER,
        NotificationKind.MENTION,
        NotificationKind.WATCHED_THREAD,
    }
)


async def notify(
    *,
    kind: str,
    recipient_ids: Iterable[int],
    text: str,
    url: str,
    actor_id: int | None = None,
    thread_id: int | None = None,
    post_id: int | None = None,
    article_id: int | None = None,
    group_key: str | None = None,
) -> Created:
    """Record one notification per recipient and return (user id, notification id) pairs for
    ``announce``. Call it inside the use case's transaction.

    Nobody is told about their own action; recipients who switched ``kind`` off are skipped; with a
    ``thread_id``, so is anyone who may not see the thread (``policy.may_hear_about_thread``) or has
    muted it. An unread entry with the same ``group_key`` is bumped (count + 1, newest text, back to
    the top) instead of adding another. Articles: the caller checks who may see them. Those who
    want this kind by mail get it mailed later (``mail.notices``), unless they have seen it by then."""
    ids = [uid for uid in dict.fromkeys(recipient_ids) if uid != actor_id]
    created: Created = []
    for start in range(0, len(ids), CHUNK):
        chunk = await _wanting(kind, ids[start : start + CHUNK])
        if thread_id is not None and chunk:
            chunk = await _may_hear(kind, thread_id, chunk)
        if chunk:
            written = await _write(
                chunk,
                kind=kind,
                text=text[:TEXT_MAX],
                url=url[:TEXT_MAX],
                actor_id=actor_id,
                thread_id=thread_id,
                post_id=post_id,
                article_id=article_id,
                group_key=group_key,
            )
            # Mailed a few minutes later unless seen in the app by then (community/mail/notices.py).
            await mail_later(kind, written)
            created += written
    if created:
        # Live delivery must not lose it: recorded with the notifications, in the same transaction.
        await record(NotificationsCreated(tuple(created)))
    return created


async def announce(created: Created) -> None:
    """After the commit: tell live delivery which notifications are new (or newly grouped)."""
    if created:
        await publish(NotificationsCreated(tuple(created)))


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


async def _wanting(kind: str, ids: list[int]) -> list[int]:
    """Those who have not switched this kind off (no settings row: everything on)."""
    if kind not in policy.MUTABLE_NOTICES:
        return ids
    rows = await fetch_rows(
        f"SELECT user_id, muted_kinds FROM notification_settings WHERE user_id IN ({_marks(ids)})", *ids
    )
    off = {r["user_id"] for r in rows if kind in _json_list(r["muted_kinds"])}
    return [uid for uid in ids if uid not in off]


def _json_list(value: object) -> list[str]:
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, list) else []


async def _may_hear(kind: str, thread_id: int, ids: list[int]) -> list[int]:
    facts = await Thread.filter(id=thread_id).values(
        "author_id",
        "is_deleted",
        "private_org_id",
        visibility="category__visibility",
        tiers="category__tiers",
    )
    if not facts:
        return []
    thread = facts[0]
    states = await Post.filter(thread_id=thread_id, is_opening=True).values_list("state", flat=True)
    opening_state = states[0] if states else None
    allowed = {
        actor.id
        for actor in (await load_actors(ids)).values()
        if policy.may_hear_about_thread(
            actor,
            kind,
            visibility=thread["visibility"],
            tiers=thread["tiers"],
            author_id=thread["author_id"],
            opening_state=opening_state,
            is_deleted=thread["is_deleted"],
            private_org_id=thread["private_org_id"],
        )
    }
    if kind in THREAD_MUTE_SILENCES and allowed:
        listed = list(allowed)
        muted = await fetch_rows(
            f"SELECT user_id FROM watch WHERE target_type = ? AND target_key = ? AND level = ? "
            f"AND user_id IN ({_marks(listed)})",
            WatchTarget.THREAD, str(thread_id), WatchLevel.MUTED, *listed,
        )  # fmt: skip
        allowed -= {r["user_id"] for r in muted}
    return [uid for uid in ids if uid in allowed]


_COLUMNS = (
    "user_id", "kind", "actor_id", "thread_id", "post_id", "article_id", "text", "url", "group_key",
    "count", "created_at", "updated_at",
)  # fmt: skip
# Rows per INSERT: 12 parameters each stays far below every database's limit on parameters.
INSERT_ROWS = 500


async def _write(
    ids: list[int],
    *,
    kind: str,
    text: str,
    url: str,
    actor_id: int | None,
    thread_id: int | None,
    post_id: int | None,
    article_id: int | None,
    group_key: str | None,
) -> Created:
    """Raw SQL: building 1,000 ORM objects (and IN lists through the query builder) cost several
    times the queries themselves. The new rows' ids come back from the INSERT (RETURNING)."""
    now = utcnow()
    created: Created = []
    fresh = ids
    if group_key:
        existing = await fetch_rows(
            f"SELECT id, user_id FROM notification WHERE group_key = ? AND read_at IS NULL "
            f"AND user_id IN ({_marks(ids)})",
            group_key, *ids,
        )  # fmt: skip
        if existing:
            bumped = [r["id"] for r in existing]
            await fetch_rows(
                "UPDATE notification SET count = count + 1, updated_at = ?, text = ?, url = ?, "
                f"actor_id = ?, post_id = ? WHERE id IN ({_marks(bumped)})",
                now, text, url, actor_id, post_id, *bumped,
            )  # fmt: skip
            created += [(r["user_id"], r["id"]) for r in existing]
            grouped = {r["user_id"] for r in existing}
            fresh = [uid for uid in ids if uid not in grouped]
    row = (kind, actor_id, thread_id, post_id, article_id, text, url, group_key, 1, now, now)
    for start in range(0, len(fresh), INSERT_ROWS):
        batch = fresh[start : start + INSERT_ROWS]
        values = ", ".join(f"({_marks(_COLUMNS)})" for _ in batch)
        rows = await fetch_rows(
            f"INSERT INTO notification ({', '.join(_COLUMNS)}) VALUES {values} RETURNING id, user_id",
            *[value for uid in batch for value in (uid, *row)],
        )
        created += [(r["user_id"], r["id"]) for r in rows]
    return created


def clip(text: str, length: int = 80) -> str:
    """A title shortened for a notification's sentence."""
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
