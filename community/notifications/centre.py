"""The notification centre: a person's notifications (newest activity first, cursor-paginated),
the unread count, marking read, following one to what it is about, and preferences."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from community import policy, validation
from community.actor import UNREAD_SQL, Actor
from community.db import fetch_rows
from community.errors import Invalid, NotFound
from community.forum import posts
from community.models import Notification, NotificationKind, NotificationSettings, Post, Thread
from community.notifications.watchers import Preferences, preferences_of
from community.timeutil import utcnow

PAGE_SIZE = 20
PAGE_MAX = 100

# What each kind is, for the preferences form and the centre's filter.
KIND_LABELS = {
    NotificationKind.REPLY: "Replies to discussions you started",
    NotificationKind.ANSWER: "Answers to your questions",
    NotificationKind.MENTION: "Someone mentions you (@handle)",
    NotificationKind.ACCEPTED: "Your answer is accepted",
    NotificationKind.BEST_PRACTICE: "Your answer becomes a best practice (knowledge base)",
    NotificationKind.WATCHED_THREAD: "New posts in threads you watch",
    NotificationKind.WATCHED_QUESTION: "New questions in categories and tags you watch",
    NotificationKind.FLAG_OUTCOME: "The outcome of your flags",
    NotificationKind.POST_HIDDEN: "Your post is hidden, deleted or not approved by moderation",
    NotificationKind.POST_RESTORED: "Your post is restored",
    NotificationKind.POST_APPROVED: "Your post waiting for review is approved",
    NotificationKind.POST_EDITED: "A moderator edits your post",
    NotificationKind.THREAD_MODERATED: "Your thread is closed, locked, moved or merged by a moderator",
    NotificationKind.REVIEW_ITEM: "New items in the review queue (moderators)",
    NotificationKind.ARTICLE_REVIEW: "Articles that need your review (curators)",
    NotificationKind.SANCTION: "Warnings and restrictions on your account",
    NotificationKind.ANNOUNCEMENT: "Announcements",
    NotificationKind.ROUTED: "Questions routed or passed on to you (experts)",
    NotificationKind.RESPONSE_REMINDER: "Questions routed to you still waiting for an answer (experts)",
    NotificationKind.RESPONSE_ESCALATED: "Questions past their response target (moderators)",
}

_UNREAD_SQL = f'SELECT {UNREAD_SQL} AS unread FROM "user" u WHERE u.id = ?'


async def unread_count(user_id: int) -> int:
    """Unread notifications, counted up to ``actor.UNREAD_CAP + 1`` (one cheap query)."""
    rows = await fetch_rows(_UNREAD_SQL, user_id)
    return int(rows[0]["unread"]) if rows else 0


async def exact_unread_count(user_id: int) -> int:
    """For API clients, who show the number as they like (the bell stops at 99+)."""
    return await Notification.filter(user_id=user_id, read_at__isnull=True).count()


@dataclass
class NotificationPage:
    items: list[dict[str, Any]]
    next_cursor: str | None
    unread: int


_FIELDS = (
    "id", "kind", "actor_id", "thread_id", "post_id", "article_id", "text", "url", "count", "read_at",
    "created_at", "updated_at",
)  # fmt: skip


def _cursor(row: dict[str, Any]) -> str:
    raw = f"{row['updated_at'].isoformat()}|{row['id']}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse_cursor(value: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        when, _, ident = raw.partition("|")
        parsed = datetime.fromisoformat(when), int(ident)
        if parsed[0].tzinfo is None or not 0 < parsed[1] < 2**63:
            raise ValueError(when)
        return parsed
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise Invalid({"cursor": "This cursor is not one we gave out: start from the first page."}) from None


async def list_notifications(
    actor: Actor, *, cursor: str | None = None, limit: object = PAGE_SIZE, unread_only: bool = False
) -> NotificationPage:
    """Newest activity first (a grouped entry moves up when it grows). ``cursor`` continues after
    the last entry of the previous page. Entries about threads the actor may no longer see are left
    out, however they were delivered."""
    fields: dict[str, str] = {}
    size = _limit(limit, fields)
    after = _parse_cursor(cursor) if cursor else None
    validation.raise_if(fields)
    query = Notification.filter(user_id=actor.id)
    if unread_only:
        query = query.filter(read_at__isnull=True)
    if after is not None:
        when, ident = after
        query = query.filter(Q(updated_at__lt=when) | Q(updated_at=when, id__lt=ident))
    rows = await query.order_by("-updated_at", "-id").limit(size + 1).values(*_FIELDS)
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = _cursor(rows[-1]) if more and rows else None
    return NotificationPage(await _visible(actor, rows), next_cursor, await unread_count(actor.id))


def _limit(value: object, fields: dict[str, str]) -> int:
    if value is None or value == "":
        return PAGE_SIZE
    try:
        size = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        size = 0
    if not 1 <= size <= PAGE_MAX or isinstance(value, bool | float):
        fields["limit"] = f"Give a whole number from 1 to {PAGE_MAX}."
        return PAGE_SIZE
    return size


async def _visible(actor: Actor, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    thread_ids = {r["thread_id"] for r in rows if r["thread_id"] is not None}
    if not thread_ids:
        return rows
    facts = {
        t["id"]: t
        for t in await Thread.filter(id__in=list(thread_ids)).values(
            "id",
            "author_id",
            "is_deleted",
            "private_org_id",
            visibility="category__visibility",
            tiers="category__tiers",
        )
    }
    openings = dict(
        await Post.filter(thread_id__in=list(thread_ids), is_opening=True).values_list("thread_id", "state")
    )

    def shown(row: dict[str, Any]) -> bool:
        thread = facts.get(row["thread_id"])
        if thread is None:
            return row["thread_id"] is None
        return policy.may_hear_about_thread(
            actor, row["kind"], visibility=thread["visibility"], tiers=thread["tiers"],
            author_id=thread["author_id"], opening_state=openings.get(thread["id"]),
            is_deleted=thread["is_deleted"], private_org_id=thread["private_org_id"],
        )  # fmt: skip

    return [row for row in rows if shown(row)]


async def _own(actor: Actor, notification_id: int) -> Notification:
    """One of the actor's notifications that the centre would show them; 404 otherwise."""
    found = await Notification.filter(id=notification_id, user_id=actor.id).first()
    if found is None or not await _visible(actor, [{"thread_id": found.thread_id, "kind": found.kind}]):
        raise NotFound("No such notification.")
    return found


async def mark_read(actor: Actor, notification_id: int) -> dict[str, Any]:
    found = await _own(actor, notification_id)
    if found.read_at is None:
        await Notification.filter(id=found.id, read_at__isnull=True).update(read_at=utcnow())
    return (await Notification.filter(id=found.id).values(*_FIELDS))[0]


async def mark_read_on_arrival(user_id: int, notification_id: int) -> None:
    """The member followed a signed link of their own to what the notification is about
    (community/web/notification_links.py); a notification not theirs is left alone."""
    unread = Notification.filter(id=notification_id, user_id=user_id, read_at__isnull=True)
    await unread.update(read_at=utcnow())


async def mark_all_read(actor: Actor) -> int:
    """How many were unread."""
    return await Notification.filter(user_id=actor.id, read_at__isnull=True).update(read_at=utcnow())


async def open_notification(actor: Actor, notification_id: int, per_page: int) -> str:
    """Mark it read and say where it leads: the post on the page of its thread that shows it now
    (answers move with votes), or what it links to."""
    found = await _own(actor, notification_id)
    await mark_read(actor, found.id)
    if found.post_id is not None:
        try:
            thread_id, page = await posts.locate_post(actor, found.post_id, per_page)
        except NotFound:
            pass
        else:
            return thread_post_url(thread_id, page, found.post_id)
    return found.url


def thread_post_url(thread_id: int, page: int, post_id: int) -> str:
    return f"/t/{thread_id}" + (f"?page={page}" if page > 1 else "") + f"#p{post_id}"


# --- preferences ---------------------------------------------------------------------------------


def kinds_for(actor: Actor) -> list[str]:
    """The kinds the actor may switch off, in the form's order (staff-only ones for staff)."""
    return [k for k in policy.MUTABLE_NOTICES if actor.is_staff or k not in policy.STAFF_NOTICES]


async def get_preferences(actor: Actor) -> Preferences:
    return await preferences_of(actor.id)


async def set_preferences(
    actor: Actor, *, muted_kinds: object, watch_started: object, watch_answered: object
) -> Preferences:
    """Kinds switched off for the notification centre, and whether to watch automatically the
    threads one starts and answers."""
    fields: dict[str, str] = {}
    muted: list[str] = []
    if not isinstance(muted_kinds, list) or not all(isinstance(k, str) for k in muted_kinds):
        fields["muted_kinds"] = "Give a list of notification kinds."
    elif unknown := [k for k in muted_kinds if k not in policy.MUTABLE_NOTICES]:
        fields["muted_kinds"] = f"Not a kind that can be switched off: {', '.join(unknown)[:100]}."
    else:
        muted = sorted(set(muted_kinds))
    for name, value in (("watch_started", watch_started), ("watch_answered", watch_answered)):
        if not isinstance(value, bool):
            fields[name] = f"{name} is true or false."
    validation.raise_if(fields)
    assert isinstance(watch_started, bool) and isinstance(watch_answered, bool)
    values = {"muted_kinds": muted, "watch_started": watch_started, "watch_answered": watch_answered}
    updated = await NotificationSettings.filter(user_id=actor.id).update(**values)
    if not updated:
        await NotificationSettings.create(user_id=actor.id, **values)
    return Preferences(tuple(muted), watch_started, watch_answered)
