"""Domain events -> the (stream, kind, payload) rows of the live event log.

A payload holds data, not per-viewer output: the hub decides per connection what to send
(``hub.Hub``), from the payload and the connection's actor. It is read when the event is
recorded: the post as stored (already sanitised) and the facts that decide who may see it.

``entries_for_all`` builds a whole batch with a fixed number of queries (threads, posts, review
items, notifications, unread counts: one or two each), whatever the number of events: at ~95 posts
a second, reading per event (about six queries each) was what made the recorder fall behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from community.actor import UNREAD_SQL
from community.db import fetch_rows
from community.events import (
    AnswerAccepted,
    Event,
    NotificationsCreated,
    PostCreated,
    PostDeleted,
    PostEdited,
    PostFlagged,
    PostHidden,
    PostRestored,
    PostVoted,
    ReviewItemChanged,
    ThreadCreated,
)
from community.forum import thread_page
from community.models import Notification, Post, ReviewItem, Thread
from community.realtime import log

Entry = tuple[str, str, dict[str, Any]]
_BULKY_THREAD_COLUMNS = frozenset({"source_ref"})
# Ids per IN (...) list: well inside every database's limit on parameters.
_CHUNK = 1000

_POST_EVENTS = (PostCreated, PostEdited, PostDeleted, PostHidden, PostRestored)
# Events that may have opened or changed a review item for their post (a post hidden by flags
# comes with PostFlagged, one hidden by a decision with ReviewItemChanged).
_QUEUE_EVENTS = (ThreadCreated, PostCreated, PostEdited, PostFlagged)
_THREAD_EVENTS = (*_POST_EVENTS, AnswerAccepted, PostVoted)
_VOTE_FIELDS = ("id", "author_id", "state", "score")
_ITEM_VALUES: dict[str, str] = {
    "thread_title": "thread__title",
    "author_name": "user__display_name",
    "author_handle": "user__handle",
    "claimed_by_name": "claimed_by__display_name",
    "decided_by_name": "decided_by__display_name",
}
_ITEM_FIELDS = (
    "id", "kind", "state", "post_id", "thread_id", "reason", "created_at", "claimed_at",
    "claimed_by_id", "decision", "decided_at",
)  # fmt: skip


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


async def thread_facts(thread_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """What deciding visibility and updating a thread page needs: the thread's columns, its
    category's visibility and the state of its opening post."""
    names = [*Thread._meta.fields_db_projection, *(f"{n}_id" for n in sorted(Thread._meta.fk_fields))]
    columns = [c for c in dict.fromkeys(names) if c not in _BULKY_THREAD_COLUMNS]
    facts: dict[int, dict[str, Any]] = {}
    for ids in _chunks(thread_ids):
        rows = await Thread.filter(id__in=ids).values(
            *columns, visibility="category__visibility", tiers="category__tiers"
        )
        facts.update((r["id"], dict(r)) for r in rows)
        opening = Post.filter(thread_id__in=ids, is_opening=True)
        for thread_id, state in await opening.values_list("thread_id", "state"):
            if thread_id in facts:
                facts[thread_id]["opening_state"] = state
    for f in facts.values():
        f.setdefault("opening_state", "deleted")
        f["tiers"] = list(f["tiers"] or [])
    return facts


async def queue_items(item_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    items: dict[int, dict[str, Any]] = {}
    for ids in _chunks(item_ids):
        rows = await ReviewItem.filter(id__in=ids).values(*_ITEM_FIELDS, **_ITEM_VALUES)
        items.update((r["id"], jsonable(r)) for r in rows)
    return items


async def queue_item(item_id: int) -> dict[str, Any] | None:
    return (await queue_items([item_id])).get(item_id)


@dataclass
class _Facts:
    """Everything a batch of events needs, read once."""

    threads: dict[int, dict[str, Any]] = field(default_factory=dict)
    posts: dict[int, dict[str, Any]] = field(default_factory=dict)
    item_of_post: dict[int, int] = field(default_factory=dict)
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    notifications: dict[int, dict[str, Any]] = field(default_factory=dict)
    unread: dict[int, int] = field(default_factory=dict)


async def _read_facts(events: Sequence[Event]) -> _Facts:
    facts = _Facts()
    facts.threads = {
        k: jsonable(v)
        for k, v in (
            await thread_facts([e.thread_id for e in events if isinstance(e, _THREAD_EVENTS)])
        ).items()
    }
    post_ids = [e.post_id for e in events if isinstance(e, (*_POST_EVENTS, PostVoted))]
    for ids in _chunks(post_ids):
        facts.posts.update((r["id"], r) for r in await thread_page.post_rows(ids))
    for ids in _chunks(e.post_id for e in events if isinstance(e, _QUEUE_EVENTS)):
        rows = await ReviewItem.filter(post_id__in=ids).order_by("updated_at", "id").values("id", "post_id")
        facts.item_of_post.update((r["post_id"], r["id"]) for r in rows)  # the latest one wins
    wanted = [e.review_item_id for e in events if isinstance(e, ReviewItemChanged)]
    facts.items = await queue_items([*wanted, *facts.item_of_post.values()])
    pairs = [pair for e in events if isinstance(e, NotificationsCreated) for pair in e.items]
    for ids in _chunks(nid for _, nid in pairs):
        rows = await Notification.filter(id__in=ids).values(
            "id", "user_id", "kind", "text", "url", "count", "thread_id", "created_at"
        )
        facts.notifications.update((r["id"], r) for r in rows)
    for ids in _chunks(uid for uid, _ in pairs):
        marks = ", ".join("?" * len(ids))
        rows = await fetch_rows(
            f'SELECT u.id, {UNREAD_SQL} AS unread FROM "user" u WHERE u.id IN ({marks})', *ids
        )
        facts.unread.update((int(r["id"]), int(r["unread"])) for r in rows)  # as the bell counts (99+)
    return facts


def _notification_entries(event: NotificationsCreated, facts: _Facts) -> list[Entry]:
    by_user: dict[int, list[int]] = {}
    for user_id, notification_id in event.items:
        by_user.setdefault(user_id, []).append(notification_id)
    entries: list[Entry] = []
    for user_id, ids in by_user.items():
        rows = [facts.notifications[i] for i in dict.fromkeys(ids) if i in facts.notifications]
        rows = [{k: v for k, v in r.items() if k != "user_id"} for r in rows if r["user_id"] == user_id]
        payload = {"unread": facts.unread.get(user_id, 0), "items": jsonable(rows)}
        entries.append((log.user_stream(user_id), "notification", payload))
    return entries


def _entries(event: Event, facts: _Facts) -> list[Entry]:
    entries: list[Entry] = []
    thread = facts.threads.get(event.thread_id) if isinstance(event, _THREAD_EVENTS) else None
    if isinstance(event, _POST_EVENTS):
        post = facts.posts.get(event.post_id)
        if thread is not None and post is not None:
            entries.append(
                (log.thread_stream(event.thread_id), "post", {"thread": thread, "post": jsonable(post)})
            )
    elif isinstance(event, AnswerAccepted):
        if thread is not None:
            entries.append((log.thread_stream(event.thread_id), "accepted", {"thread": thread}))
    elif isinstance(event, PostVoted):
        post = facts.posts.get(event.post_id)
        if thread is not None and post is not None:
            payload = {"thread": thread, "post": {k: post[k] for k in _VOTE_FIELDS}}
            entries.append((log.thread_stream(event.thread_id), "score", payload))
    elif isinstance(event, ReviewItemChanged):
        item = facts.items.get(event.review_item_id)
        if item:
            entries.append((log.QUEUE_STREAM, "item", {"item": item}))
    elif isinstance(event, NotificationsCreated):
        entries += _notification_entries(event, facts)
    if isinstance(event, _QUEUE_EVENTS):
        item_id = facts.item_of_post.get(event.post_id)
        item = facts.items.get(item_id) if item_id is not None else None
        if item:
            entries.append((log.QUEUE_STREAM, "item", {"item": item}))
    return entries


async def entries_for_all(events: Sequence[Event]) -> list[Entry]:
    """The log rows a batch of events makes, in the events' order (none for events nobody
    watches live)."""
    if not events:
        return []
    facts = await _read_facts(events)
    return [entry for event in events for entry in _entries(event, facts)]


async def entries_for(event: Event) -> list[Entry]:
    return await entries_for_all([event])
