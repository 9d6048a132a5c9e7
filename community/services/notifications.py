"""Notifications: written in the caller's transaction, announced after its commit.

A use case calls ``notify`` inside its transaction (so a notification is never lost), keeps what it
returns, and after the commit passes it to ``announce`` so live delivery can push it.

Fan-out costs a fixed number of queries whatever the number of recipients (a thread with 1,000
watchers): who switched the kind off, who may see the thread, who muted it, and which unread
entries to group into are each one query; new rows go in with one bulk insert.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from tortoise.expressions import F

from community import policy
from community.actor import Actor
from community.events import NotificationsCreated, publish
from community.models import (
    Notification,
    NotificationKind,
    NotificationSettings,
    Post,
    Thread,
    User,
    Watch,
    WatchLevel,
    WatchTarget,
)

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


def utcnow() -> datetime:
    return datetime.now(UTC)


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
    the top) instead of adding another. Articles: the caller checks who may see them."""
    ids = [uid for uid in dict.fromkeys(recipient_ids) if uid != actor_id]
    created: Created = []
    for start in range(0, len(ids), CHUNK):
        chunk = await _wanting(kind, ids[start : start + CHUNK])
        if thread_id is not None and chunk:
            chunk = await _may_hear(kind, thread_id, chunk)
        if chunk:
            created += await _write(
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
    return created


async def announce(created: Created) -> None:
    """After the commit: tell live delivery which notifications are new (or newly grouped)."""
    if created:
        await publish(NotificationsCreated(tuple(created)))


async def _wanting(kind: str, ids: list[int]) -> list[int]:
    """Those who have not switched this kind off (no settings row: everything on)."""
    rows = await NotificationSettings.filter(user_id__in=ids).values_list("user_id", "muted_kinds")
    off = {uid for uid, muted in rows if kind in (muted or []) and kind in policy.MUTABLE_NOTICES}
    return [uid for uid in ids if uid not in off]


async def _may_hear(kind: str, thread_id: int, ids: list[int]) -> list[int]:
    facts = await Thread.filter(id=thread_id).values(
        "author_id", "is_deleted", visibility="category__visibility", tiers="category__tiers"
    )
    if not facts:
        return []
    thread = facts[0]
    states = await Post.filter(thread_id=thread_id, is_opening=True).values_list("state", flat=True)
    opening_state = states[0] if states else None
    allowed = {
        actor.id
        for actor in await actors(ids)
        if policy.may_hear_about_thread(
            actor,
            kind,
            visibility=thread["visibility"],
            tiers=thread["tiers"],
            author_id=thread["author_id"],
            opening_state=opening_state,
            is_deleted=thread["is_deleted"],
        )
    }
    if kind in THREAD_MUTE_SILENCES and allowed:
        muted = await Watch.filter(
            user_id__in=list(allowed),
            target_type=WatchTarget.THREAD,
            target_key=str(thread_id),
            level=WatchLevel.MUTED,
        ).values_list("user_id", flat=True)
        allowed -= set(muted)
    return [uid for uid in ids if uid in allowed]


_ACTOR_VALUES = ("id", "role", "organisation_id", "is_org_admin", "display_name", "handle", "status")


async def actors(ids: Sequence[int]) -> list[Actor]:
    """Several people as the policy sees them, in one query."""
    rows = await User.filter(id__in=list(ids)).values(
        *_ACTOR_VALUES, "auth_version", org_tier="organisation__tier", org_kind="organisation__kind"
    )
    return [Actor(**{**row, "is_org_admin": bool(row["is_org_admin"])}) for row in rows]


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
    now = utcnow()
    created: Created = []
    fresh = ids
    if group_key:
        existing = await Notification.filter(
            user_id__in=ids, group_key=group_key, read_at__isnull=True
        ).values_list("id", "user_id")
        if existing:
            await Notification.filter(id__in=[nid for nid, _ in existing]).update(
                count=F("count") + 1, updated_at=now, text=text, url=url, actor_id=actor_id, post_id=post_id
            )
            created += [(uid, nid) for nid, uid in existing]
            grouped = {uid for _, uid in existing}
            fresh = [uid for uid in ids if uid not in grouped]
    if fresh:
        # One INSERT for all (no ids come back from it): the rows are found again by their shared
        # creation time, which no other notification of the same kind for these people has.
        await Notification.bulk_create(
            [
                Notification(
                    user_id=uid,
                    kind=kind,
                    actor_id=actor_id,
                    thread_id=thread_id,
                    post_id=post_id,
                    article_id=article_id,
                    text=text,
                    url=url,
                    group_key=group_key,
                    created_at=now,
                )
                for uid in fresh
            ],
            batch_size=500,
        )
        created += await Notification.filter(user_id__in=fresh, kind=kind, created_at=now).values_list(
            "user_id", "id"
        )
    return created


def clip(text: str, length: int = 80) -> str:
    """A title shortened for a notification's sentence."""
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
