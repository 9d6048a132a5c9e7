"""Frozen event dataclasses emitted by the use cases after commit, and the in-process dispatcher.

A use case never knows who listens: realtime delivery, notifications and indexing subscribe here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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
