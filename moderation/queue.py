"""The review queue: opening items, listing what waits, one item with its context, claiming."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from community import policy, validation
from community.actor import Actor
from community.errors import Conflict, Forbidden, NotFound
from community.events import (
    ReviewItemChanged,
    publish,
    record,
)
from community.models import (
    Category,
    Flag,
    FlagReason,
    Post,
    ReviewItem,
    ReviewKind,
    ReviewState,
    Role,
    Thread,
    User,
)
from community.notifications import moderation_notices
from community.notifications.delivery import Created
from community.timeutil import utcnow

QUEUE_PAGE = 50


def require_moderator(actor: Actor) -> None:
    if not policy.can_moderate(actor):
        raise Forbidden("Only moderators can use the review queue.")


@dataclass
class Queue:
    items: list[dict[str, Any]]
    total: int
    filters: dict[str, str]


async def list_queue(
    actor: Actor, *, kind: str | None = None, category: str | None = None, reason: str | None = None
) -> Queue:
    """Pending items, oldest first, with who has claimed each and how long it has waited."""
    require_moderator(actor)
    fields: dict[str, str] = {}
    query = ReviewItem.filter(state=ReviewState.PENDING)
    if kind:
        query = query.filter(kind=validation.choice(kind, ReviewKind.ALL, fields, "kind"))
    if reason:
        reason_value = validation.choice(reason, FlagReason.ALL, fields, "reason")
        if not fields:
            query = query.filter(post__flags__reason=reason_value, post__flags__resolution__isnull=True)
    if category:
        cat = await Category.filter(slug=category).first() if validation.SLUG_RE.match(category) else None
        if cat is None:
            fields["category"] = "No such category."
        else:
            query = query.filter(category_id=cat.id)
    validation.raise_if(fields)
    rows = (
        await query.distinct()
        .order_by("created_at", "id")
        .limit(QUEUE_PAGE)
        .values(
            "id", "kind", "post_id", "thread_id", "user_id", "reason", "created_at", "claimed_at",
            "claimed_by_id", thread_title="thread__title", author_name="user__display_name",
            author_handle="user__handle", claimed_by_name="claimed_by__display_name",
        )
    )  # fmt: skip
    total = await query.distinct().count()
    now = utcnow()
    for row in rows:
        row["waiting_seconds"] = max(0, int((now - row["created_at"]).total_seconds()))
    filters = {"kind": kind or "", "category": category or "", "reason": reason or ""}
    return Queue(items=rows, total=total, filters=filters)


@dataclass
class ItemView:
    item: ReviewItem
    post: Post | None
    thread: Thread | None
    author: User | None
    flags: list[dict[str, Any]]
    author_history: dict[str, Any]
    claimed_by_name: str | None
    decided_by_name: str | None


async def get_item(actor: Actor, item_id: int) -> ItemView:
    """One item with the content (also what was hidden), the thread, every flag with its note and
    the author's history: posts, flags against them, earlier decisions."""
    require_moderator(actor)
    item = await ReviewItem.filter(id=item_id).first()
    if item is None:
        raise NotFound("No such review item.")
    post = await Post.filter(id=item.post_id).first() if item.post_id else None
    thread = await Thread.filter(id=item.thread_id).first() if item.thread_id else None
    author = await User.filter(id=item.user_id).first() if item.user_id else None
    flags = (
        await Flag.filter(post_id=item.post_id).order_by("created_at", "id")
        .values("id", "reason", "note", "weight", "resolution", "created_at",
                flagger_name="flagger__display_name", flagger_handle="flagger__handle")
        if item.post_id else []
    )  # fmt: skip
    history: dict[str, Any] = {"post_count": 0, "flags_against": 0, "decisions": []}
    if author is not None:
        history["post_count"] = author.post_count
        history["flags_against"] = await Flag.filter(post__author_id=author.id).count()
        history["decisions"] = (
            await ReviewItem.filter(user_id=author.id, state=ReviewState.DECIDED)
            .order_by("-decided_at")
            .limit(10)
            .values("id", "kind", "decision", "decision_reason", "decided_at")
        )
    names = {
        u["id"]: u["display_name"]
        for u in await User.filter(id__in=[i for i in (item.claimed_by_id, item.decided_by_id) if i]).values(
            "id", "display_name"
        )
    }
    return ItemView(
        item=item,
        post=post,
        thread=thread,
        author=author,
        flags=flags,
        author_history=history,
        claimed_by_name=names.get(item.claimed_by_id) if item.claimed_by_id else None,
        decided_by_name=names.get(item.decided_by_id) if item.decided_by_id else None,
    )


async def claim_item(actor: Actor, item_id: int, *, release: bool = False) -> ReviewItem:
    """Say 'I am handling this' (or let go of it). Claiming what another moderator holds is a
    conflict: they see each other's claims on the queue."""
    require_moderator(actor)
    item = await ReviewItem.filter(id=item_id).first()
    if item is None:
        raise NotFound("No such review item.")
    if item.state != ReviewState.PENDING:
        raise Conflict("This item was already decided.")
    async with in_transaction():
        if release:
            updated = await ReviewItem.filter(id=item.id, claimed_by_id=actor.id).update(
                claimed_by_id=None, claimed_at=None
            )
        else:
            now = utcnow()
            updated = (
                await ReviewItem.filter(id=item.id, state=ReviewState.PENDING, claimed_by_id=None).update(
                    claimed_by_id=actor.id, claimed_at=now
                )
                or await ReviewItem.filter(id=item.id, claimed_by_id=actor.id).count()
            )
        if not updated:
            raise Conflict("Another moderator is handling this item.")
        await item.refresh_from_db()
        changed = ReviewItemChanged(item.id, item.state, item.claimed_by_id)
        await record(changed)
    await publish(changed)
    return item


async def waiting_count(actor: Actor) -> int | None:
    """How many items wait for a decision (the moderator's navigation shows it); None for
    everyone else. One count on the pending index."""
    if not actor.is_moderator:
        return None
    return await ReviewItem.filter(state=ReviewState.PENDING).count()


def waiting_label(seconds: int) -> str:
    """'just now', '3 min', '2 h', '4 d': how long an item has waited, for the queue."""
    return "just now" if seconds < 60 else duration_label(seconds)


def duration_label(seconds: float) -> str:
    """'under a minute', '3 min', '2 h', '4 d': a length of time ("just now" is a moment, not a
    duration: the overview's median time to a decision read "just now")."""
    seconds = int(seconds)
    if seconds < 60:
        return "under a minute"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86_400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86_400} d"


def post_key(post_id: int) -> str:
    return f"post:{post_id}"


async def open_item(
    post: Post,
    thread_id: int,
    category_id: int,
    kind: str,
    reason: str,
    *,
    actor_id: int | None = None,
    notes: Created | None = None,
) -> ReviewItem:
    """The post's pending review item, created if there is none (one open item per post). A new
    item tells the moderators (but ``actor_id``, who caused it); what that created is added to
    ``notes`` for the caller to announce after its commit."""
    item = await ReviewItem.filter(open_key=post_key(post.id)).first()
    if item is None:
        item = await ReviewItem.create(
            kind=kind,
            post_id=post.id,
            thread_id=thread_id,
            user_id=post.author_id,
            category_id=category_id,
            open_key=post_key(post.id),
            reason=reason[:200],
        )
        created = await _tell_moderators(actor_id, reason)
        if notes is not None:
            notes += created
    return item


async def _tell_moderators(actor_id: int | None, reason: str) -> Created:
    """Every moderator hears of a new item (but whoever caused it: ``notify`` leaves the actor out)."""
    moderators = await User.filter(role__in=[Role.MODERATOR, Role.ADMIN]).values_list("id", flat=True)
    return await moderation_notices.new_review_item(list(moderators), actor_id, reason)
