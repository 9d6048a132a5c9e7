"""Notifications: written in the caller's transaction, announced after its commit.

A use case calls ``notify`` inside its transaction (so a notification is never lost), keeps what it
returns, and after the commit passes it to ``announce`` so live delivery can push it.
"""

from __future__ import annotations

from collections.abc import Iterable

from community.events import NotificationsCreated, publish
from community.models import Notification

Created = list[tuple[int, int]]


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
    """Record one notification per recipient (never the actor themself); returns (user id,
    notification id) pairs for ``announce``. Call it inside the use case's transaction."""
    created: Created = []
    for user_id in dict.fromkeys(recipient_ids):
        if user_id == actor_id:
            continue
        row = await Notification.create(
            user_id=user_id,
            kind=kind,
            actor_id=actor_id,
            thread_id=thread_id,
            post_id=post_id,
            article_id=article_id,
            text=text[:300],
            url=url[:300],
            group_key=group_key,
        )
        created.append((user_id, row.id))
    return created


async def announce(created: Created) -> None:
    """After the commit: tell live delivery which notifications are new."""
    if created:
        await publish(NotificationsCreated(tuple(created)))
