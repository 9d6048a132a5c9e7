"""Domain events -> rows of the live event log -> the message bus.

Services publish events after their commit and never know about live delivery; the recorder
listens, reads what a page needs to update itself (the post as stored, already sanitised, and the
facts that decide who may see it), appends log rows and publishes them. It works from a queue in
its own task, so a request never waits for it, and it takes whatever queued up in one batch.

A payload holds data, not per-viewer output: the hub decides per connection what to send
(``hub.Hub``), from the payload and the connection's actor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from community.events import (
    AccessChanged,
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
from community.notifications import centre
from community.realtime import log
from community.realtime.bus import MessageBus

logger = logging.getLogger(__name__)

Entry = tuple[str, str, dict[str, Any]]
PRUNE_EVERY_SECONDS = 3600.0
_BULKY_THREAD_COLUMNS = frozenset({"source_ref"})

_POST_EVENTS = (PostCreated, PostEdited, PostDeleted, PostHidden, PostRestored)
# Events that may have opened or changed a review item for their post (a post hidden by flags
# comes with PostFlagged, one hidden by a decision with ReviewItemChanged).
_QUEUE_EVENTS = (ThreadCreated, PostCreated, PostEdited, PostFlagged)


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


async def thread_facts(thread_ids: list[int]) -> dict[int, dict[str, Any]]:
    """What deciding visibility and updating a thread page needs: the thread's columns, its
    category's visibility and the state of its opening post."""
    if not thread_ids:
        return {}
    names = [*Thread._meta.fields_db_projection, *(f"{n}_id" for n in sorted(Thread._meta.fk_fields))]
    columns = [c for c in dict.fromkeys(names) if c not in _BULKY_THREAD_COLUMNS]
    rows = await Thread.filter(id__in=thread_ids).values(
        *columns, visibility="category__visibility", tiers="category__tiers"
    )
    facts = {r["id"]: dict(r) for r in rows}
    for thread_id, state in await Post.filter(thread_id__in=list(facts), is_opening=True).values_list(
        "thread_id", "state"
    ):
        facts[thread_id]["opening_state"] = state
    for f in facts.values():
        f.setdefault("opening_state", "deleted")
        f["tiers"] = list(f["tiers"] or [])
    return facts


async def queue_item(item_id: int) -> dict[str, Any] | None:
    rows = await ReviewItem.filter(id=item_id).values(
        "id", "kind", "state", "post_id", "thread_id", "reason", "created_at", "claimed_at",
        "claimed_by_id", "decision", "decided_at", thread_title="thread__title",
        author_name="user__display_name", author_handle="user__handle",
        claimed_by_name="claimed_by__display_name", decided_by_name="decided_by__display_name",
    )  # fmt: skip
    return jsonable(rows[0]) if rows else None


async def _post_entries(thread_id: int, post_id: int) -> list[Entry]:
    facts = (await thread_facts([thread_id])).get(thread_id)
    rows = await thread_page.post_rows([post_id])
    if facts is None or not rows:
        return []
    payload = {"thread": jsonable(facts), "post": jsonable(rows[0])}
    return [(log.thread_stream(thread_id), "post", payload)]


async def _queue_entries(post_id: int) -> list[Entry]:
    ids = (
        await ReviewItem.filter(post_id=post_id).order_by("-updated_at").limit(1).values_list("id", flat=True)
    )
    item = await queue_item(ids[0]) if ids else None
    return [(log.QUEUE_STREAM, "item", {"item": item})] if item else []


async def _notification_entries(items: tuple[tuple[int, int], ...]) -> list[Entry]:
    by_user: dict[int, list[int]] = {}
    for user_id, notification_id in items:
        by_user.setdefault(user_id, []).append(notification_id)
    entries: list[Entry] = []
    for user_id, ids in by_user.items():
        rows = await Notification.filter(id__in=ids, user_id=user_id).values(
            "id", "kind", "text", "url", "count", "thread_id", "created_at"
        )
        unread = await centre.unread_count(user_id)  # as the bell counts (99+)
        payload = {"unread": unread, "items": jsonable(rows)}
        entries.append((log.user_stream(user_id), "notification", payload))
    return entries


async def entries_for(event: Event) -> list[Entry]:
    """The log rows one domain event makes (none for events nobody watches live)."""
    entries: list[Entry] = []
    if isinstance(event, _POST_EVENTS):
        entries += await _post_entries(event.thread_id, event.post_id)
    elif isinstance(event, AnswerAccepted):
        facts = (await thread_facts([event.thread_id])).get(event.thread_id)
        if facts:
            entries.append((log.thread_stream(event.thread_id), "accepted", {"thread": jsonable(facts)}))
    elif isinstance(event, PostVoted):
        facts = (await thread_facts([event.thread_id])).get(event.thread_id)
        post = await Post.filter(id=event.post_id).values("id", "author_id", "state", "score")
        if facts and post:
            payload = {"thread": jsonable(facts), "post": post[0]}
            entries.append((log.thread_stream(event.thread_id), "score", payload))
    elif isinstance(event, ReviewItemChanged):
        item = await queue_item(event.review_item_id)
        if item:
            entries.append((log.QUEUE_STREAM, "item", {"item": item}))
    elif isinstance(event, NotificationsCreated):
        entries += await _notification_entries(event.items)
    if isinstance(event, _QUEUE_EVENTS):
        entries += await _queue_entries(event.post_id)
    return entries


class Recorder:
    """Subscribed to domain events in the app's lifespan; one per worker process."""

    def __init__(self, bus: MessageBus, retention: timedelta) -> None:
        self.bus = bus
        self.retention = retention
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._next_prune = 0.0

    async def on_event(self, event: Event) -> None:
        if isinstance(event, AccessChanged):
            # Not logged: every worker re-checks its connections and forgets cached pages.
            await self.bus.publish(
                {"t": "access", "user_id": event.user_id, "category_id": event.category_id}
            )
        else:
            self._queue.put_nowait(event)

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
            await self._record(self._take_all())

    def _take_all(self) -> list[Event]:
        batch = []
        while not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def _run_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get(), *self._take_all()]
            try:
                await self._record(batch)
            except Exception:
                logger.exception("could not record %d live event(s)", len(batch))
            if loop.time() >= self._next_prune:
                self._next_prune = loop.time() + PRUNE_EVERY_SECONDS
                try:
                    await log.prune(datetime.now(UTC) - self.retention)
                except Exception:
                    logger.exception("could not prune the live event log")

    async def _record(self, batch: list[Event]) -> None:
        entries: list[Entry] = []
        for event in batch:
            entries += await entries_for(event)
        for message in await log.append(entries):
            await self.bus.publish(message.to_bus())
