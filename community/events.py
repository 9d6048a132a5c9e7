"""Frozen event dataclasses emitted by the use cases, and the in-process dispatcher.

A use case never knows who listens: realtime delivery, notifications and indexing subscribe here.
An event live delivery must never lose is also ``record``-ed inside the use case's transaction (a
``PendingLiveEvent`` row): the recorder turns those rows into the live event log, so a crash after
the commit, a full queue or a database error while recording loses nothing. ``publish`` after the
commit only tells this process's listeners at once (the recorder wakes up early).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from community.models import PendingLiveEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    pass


@dataclass(frozen=True, slots=True)
class ThreadCreated(Event):
    thread_id: int
    post_id: int
    category_id: int
    author_id: int
    mentioned_user_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class PostCreated(Event):
    thread_id: int
    post_id: int
    author_id: int
    mentioned_user_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class PostEdited(Event):
    thread_id: int
    post_id: int
    editor_id: int


@dataclass(frozen=True, slots=True)
class PostDeleted(Event):
    thread_id: int
    post_id: int
    actor_id: int


@dataclass(frozen=True, slots=True)
class AnswerAccepted(Event):
    thread_id: int
    post_id: int
    actor_id: int


@dataclass(frozen=True, slots=True)
class PostVoted(Event):
    thread_id: int
    post_id: int
    score: int


@dataclass(frozen=True, slots=True)
class AccessChanged(Event):
    """Category visibility, a user's role, organisation or status changed."""

    user_id: int | None = None
    category_id: int | None = None


@dataclass(frozen=True, slots=True)
class PostFlagged(Event):
    thread_id: int
    post_id: int
    flagger_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class PostHidden(Event):
    """Hidden pending review (by flags or a rule: ``actor_id`` None) or by a moderator's decision."""

    thread_id: int
    post_id: int
    author_id: int
    actor_id: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class PostRestored(Event):
    thread_id: int
    post_id: int
    author_id: int
    actor_id: int


@dataclass(frozen=True, slots=True)
class ReviewItemChanged(Event):
    """Claimed, released or decided: moderators' queue pages show who handles what."""

    review_item_id: int
    state: str
    claimed_by_id: int | None = None
    decision: str | None = None


@dataclass(frozen=True, slots=True)
class NotificationsCreated(Event):
    """Notification rows committed (new, or grouped into an unread one): live delivery pushes them."""

    # (user id, notification id) pairs.
    items: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class ThreadModerated(Event):
    """A moderator closed, reopened, locked, pinned, moved, merged or marked a thread as a duplicate.

    ``other_thread_id``: the thread it was merged into or is a duplicate of; ``category_ids``: the
    categories whose lists changed (both, for a move)."""

    thread_id: int
    action: str
    actor_id: int
    other_thread_id: int | None = None
    category_ids: tuple[int, ...] = ()


Handler = Callable[[Event], Awaitable[None]]
_handlers: list[Handler] = []


def subscribe(handler: Handler) -> None:
    if handler not in _handlers:
        _handlers.append(handler)


def unsubscribe(handler: Handler) -> None:
    if handler in _handlers:
        _handlers.remove(handler)


async def publish(event: Event) -> None:
    """Call every handler; a failing listener is logged and never fails the use case."""
    for handler in list(_handlers):
        try:
            await handler(event)
        except Exception:
            log.exception("event handler %r failed for %r", handler, event)


async def record(*events: Event) -> None:
    """Call inside the use case's transaction: the events commit (or roll back) with the change."""
    rows = [PendingLiveEvent(kind=type(e).__name__, data=dataclasses.asdict(e)) for e in events]
    if len(rows) == 1:
        await rows[0].save()
    elif rows:
        await PendingLiveEvent.bulk_create(rows)


def _kinds() -> dict[str, type[Event]]:
    # From this module's names, not Event.__subclasses__(): a slots dataclass is a new class, and
    # the one it replaced may still be listed there.
    return {
        name: value
        for name, value in globals().items()
        if isinstance(value, type) and issubclass(value, Event) and value is not Event
    }


def _tuples(value: Any) -> Any:
    """JSON gives lists back where the event held tuples (frozen, hashable)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def decode(kind: str, data: dict[str, Any]) -> Event | None:
    """The event a ``record``-ed row holds (None for a kind this version does not know)."""
    cls = _kinds().get(kind)
    if cls is None:
        return None
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        return cls(**{k: _tuples(v) for k, v in data.items() if k in names})
    except TypeError:
        return None
