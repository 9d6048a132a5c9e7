"""Moderators' thread actions: close/reopen, lock, pin and move (merging and duplicates live in
``merging``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from community import policy, validation
from community.actor import Actor, load_actor
from community.errors import Conflict, Forbidden, NotFound
from community.events import ThreadModerated, publish
from community.models import (
    Category,
    ReviewItem,
    Thread,
    ThreadStatus,
)
from community.notifications import forum_notices
from community.notifications.delivery import Created, announce
from community.search.outbox import THREAD, index_later
from community.visibility import load_visible_thread, refresh_duplicates_of
from moderation.audit import audit

# The author's notice: a ``forum_notices`` function with its facts bound, called in the change's transaction.
TellAuthor = Callable[[], Awaitable[Created]]


def _require_moderator(actor: Actor) -> None:
    if not policy.can_moderate_threads(actor):
        raise Forbidden("Only moderators can do this to a thread.")


async def thread_for_moderator(actor: Actor, thread_id: int) -> Thread:
    _require_moderator(actor)
    return await load_visible_thread(actor, thread_id)


def _flag_value(value: object, fields: dict[str, str], name: str) -> bool:
    """true/false from JSON, "1"/"0" from a form."""
    if isinstance(value, bool):
        return value
    if value in ("1", "0"):
        return value == "1"
    fields[name] = f"{name} is true or false."
    return False


async def apply_change(
    actor: Actor,
    thread: Thread,
    action: str,
    changes: dict[str, Any],
    *,
    reason: str = "",
    tell_author: TellAuthor | None = None,
    category_ids: tuple[int, ...] = (),
    audited: bool = True,
) -> bool:
    """Change simple thread fields once: the update only applies while the fields still hold what
    the caller read, so a repeated or concurrent request changes nothing (and returns False).
    ``audited``: a moderation action (the audit log); an author closing their own thread is not."""
    before = {name: getattr(thread, name) for name in changes}
    if before == changes:
        return False
    created: Created = []
    async with in_transaction():
        updated = await Thread.filter(id=thread.id, **before).update(**changes, version=F("version") + 1)
        if not updated:
            return False
        if audited:
            await audit(
                actor.id, f"thread.{action}", "thread", thread.id, reason=reason, before=before, after=changes
            )
        await index_later((THREAD, thread.id))
        if tell_author is not None:
            created = await tell_author()
    for name, value in changes.items():
        setattr(thread, name, value)
    await announce(created)
    await publish(
        ThreadModerated(thread.id, action, actor.id, category_ids=category_ids or (thread.category_id,))
    )
    return True


async def set_status(actor: Actor, thread_id: int, *, status: object, reason: object = "") -> Thread:
    """Close (no new answers) or reopen. Moderators; an author may close their own thread."""
    thread = await load_visible_thread(actor, thread_id)
    fields: dict[str, str] = {}
    value = validation.choice(status, (ThreadStatus.OPEN, ThreadStatus.CLOSED), fields, "status")
    reason_text = validation.reason(reason, fields)
    validation.raise_if(fields)
    if not policy.can_change_thread_status(actor, thread, value):
        raise Forbidden("Only moderators (or the author, to close) can change the status.")
    changes: dict[str, Any] = {"status": value}
    if value == ThreadStatus.OPEN and thread.duplicate_of_id is not None:
        changes["duplicate_of_id"] = None  # reopening a duplicate says it was not one after all
    action = "close" if value == ThreadStatus.CLOSED else "reopen"
    # The author closing their own thread is no moderation: no audit entry, no notice.
    moderating = policy.can_moderate_threads(actor)
    notice = partial(forum_notices.thread_changed, actor.id, thread, action, reason_text)
    await apply_change(
        actor, thread, action, changes, reason=reason_text, tell_author=notice if moderating else None,
        audited=moderating,
    )  # fmt: skip
    return thread


async def set_locked(actor: Actor, thread_id: int, *, locked: object, reason: object = "") -> Thread:
    """Locked: nobody but moderators may post, edit, delete, vote or accept in it."""
    thread = await thread_for_moderator(actor, thread_id)
    fields: dict[str, str] = {}
    value = _flag_value(locked, fields, "locked")
    reason_text = validation.reason(reason, fields, required=value)
    validation.raise_if(fields)
    action = "lock" if value else "unlock"
    notice = partial(forum_notices.thread_changed, actor.id, thread, action, reason_text)
    await apply_change(actor, thread, action, {"locked": value}, reason=reason_text, tell_author=notice)
    return thread


async def set_pinned(actor: Actor, thread_id: int, *, pinned: object, reason: object = "") -> Thread:
    """Pinned threads come first in their category's list."""
    thread = await thread_for_moderator(actor, thread_id)
    fields: dict[str, str] = {}
    value = _flag_value(pinned, fields, "pinned")
    reason_text = validation.reason(reason, fields)
    validation.raise_if(fields)
    await apply_change(actor, thread, "pin" if value else "unpin", {"pinned": value}, reason=reason_text)
    return thread


async def move_thread(actor: Actor, thread_id: int, *, category: object, reason: object = "") -> Thread:
    """Into another category: whoever may see the new category sees it (and only they), so the
    search index rebuilds its documents and open review items follow it."""
    thread = await thread_for_moderator(actor, thread_id)
    fields: dict[str, str] = {}
    reason_text = validation.reason(reason, fields)
    target: Category | None = None
    if not isinstance(category, str) or not validation.SLUG_RE.match(category):
        fields["category"] = "Choose a category."
    else:
        target = await Category.filter(slug=category).first()
        if target is None:
            fields["category"] = "Choose one of the categories listed."
        elif target.id == thread.category_id:
            fields["category"] = "The thread is already in this category."
    validation.raise_if(fields)
    assert target is not None
    source_id = thread.category_id
    created: Created = []
    async with in_transaction():
        updated = await Thread.filter(id=thread.id, category_id=source_id, is_deleted=False).update(
            category_id=target.id, version=F("version") + 1
        )
        if not updated:
            raise Conflict("The thread was just moved or removed by someone else. Reload it.")
        await ReviewItem.filter(thread_id=thread.id).update(category_id=target.id)
        await refresh_duplicates_of(thread.id)
        await audit(
            actor.id, "thread.move", "thread", thread.id, reason=reason_text,
            before={"category": thread.category.slug}, after={"category": target.slug},
        )  # fmt: skip
        await index_later((THREAD, thread.id))
        author = await load_actor(thread.author_id)
        named = target.name if author is not None and policy.can_see_category(author, target) else None
        created = await forum_notices.thread_moved(actor.id, thread, named, reason_text)
    thread.category_id, thread.category = target.id, target
    await announce(created)
    await publish(ThreadModerated(thread.id, "move", actor.id, category_ids=(source_id, target.id)))
    return thread


@dataclass(frozen=True, slots=True)
class ThreadState:
    """Banners and moderator controls on a thread page."""

    duplicate_of: dict[str, Any] | None
    can_moderate: bool
    can_close: bool
    can_flag: bool
    categories: list[dict[str, Any]]


async def thread_state(actor: Actor, thread: Thread) -> ThreadState:
    duplicate_of = None
    if thread.duplicate_of_id is not None:
        try:
            original = await load_visible_thread(actor, thread.duplicate_of_id)
            duplicate_of = {"id": original.id, "title": original.title}
        except NotFound:
            duplicate_of = None
    moderating = policy.can_moderate_threads(actor)
    categories = (
        await Category.exclude(id=thread.category_id).order_by("position", "name").values("slug", "name")
        if moderating
        else []
    )
    return ThreadState(
        duplicate_of=duplicate_of,
        can_moderate=moderating,
        can_close=policy.can_change_thread_status(actor, thread, ThreadStatus.CLOSED),
        can_flag=policy.can_flag_thread(actor, thread),
        categories=categories,
    )
