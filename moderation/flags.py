"""Flagging a post or a whole thread: the flag goes to the review queue, and enough flags hide the
post at once pending review.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from community import policy, validation, visibility
from community.actor import Actor
from community.errors import Forbidden
from community.events import (
    Event,
    PostFlagged,
    PostHidden,
    publish,
)
from community.models import (
    Flag,
    FlagReason,
    Post,
    PostState,
    ReviewItem,
    ReviewKind,
    Thread,
)
from community.notifications import moderation_notices
from community.notifications.delivery import Created, announce
from community.policy import require_can_post
from community.ports import ModerationGate
from community.timeutil import utcnow
from moderation.audit import audit
from moderation.post_state import _set_post_state
from moderation.queue import open_item, post_key

NOTE_MAX = 500


@dataclass(frozen=True, slots=True)
class FlagOutcome:
    flag: Flag
    open_weight: int
    hidden: bool


async def post_for_flag(actor: Actor, post_id: int) -> tuple[Post, Thread]:
    """The post to show on the flag form: the same checks as ``flag_post``, before any input."""
    require_can_post(actor)
    post, thread = await visibility.load_visible_post(actor, post_id)
    if post.author_id == actor.id:
        raise Forbidden("You cannot flag your own post.")
    if not policy.can_flag(actor, post):
        raise Forbidden("This post cannot be flagged.")
    return post, thread


async def flag_post(
    gate: ModerationGate, actor: Actor, post_id: int, *, reason: object, note: object = ""
) -> FlagOutcome:
    """Flag a post once (flagging again changes the reason). The flag goes to the review queue;
    when the unresolved flags weigh enough, the post is hidden at once pending review."""
    post, thread = await post_for_flag(actor, post_id)
    return await _flag(gate, actor, post, thread, post_key(post.id), ReviewKind.FLAGGED_POST, reason, note)


async def thread_for_flag(actor: Actor, thread_id: int) -> tuple[Post, Thread]:
    """The thread to show on its flag form, and its opening post (which carries its flags)."""
    require_can_post(actor)
    thread = await visibility.load_visible_thread(actor, thread_id)
    if not policy.can_flag_thread(actor, thread):
        raise Forbidden("You cannot flag your own thread.")
    opening = await Post.get(thread_id=thread.id, is_opening=True)
    return opening, thread


async def flag_thread(
    gate: ModerationGate, actor: Actor, thread_id: int, *, reason: object, note: object = ""
) -> FlagOutcome:
    """Flag a thread as a whole (its title, its topic). Its flags sit on its opening post, so at the
    threshold the whole thread is hidden pending review, and one queue item covers both."""
    opening, thread = await thread_for_flag(actor, thread_id)
    key = f"thread:{thread.id}"
    return await _flag(gate, actor, opening, thread, key, ReviewKind.FLAGGED_THREAD, reason, note)


async def _flag(
    gate: ModerationGate, actor: Actor, post: Post, thread: Thread, key: str, kind: str,
    reason: object, note: object,
) -> FlagOutcome:  # fmt: skip
    fields: dict[str, str] = {}
    reason_value = validation.choice(reason, FlagReason.ALL, fields, "reason")
    note_text = validation.short_text(note, fields, "note", "The note", required=False, max_len=NOTE_MAX)
    if reason_value == FlagReason.OTHER and not note_text and "note" not in fields:
        fields["note"] = "Please say what is wrong with it."
    validation.raise_if(fields)
    weight = gate.flag_weight(actor.role)
    events: list[Event] = []
    what = "Flagged thread" if kind == ReviewKind.FLAGGED_THREAD else "Flagged"
    notes: Created = []
    async with in_transaction():
        flag = await Flag.filter(flagger_id=actor.id, target=key).first()
        if flag is None:
            flag = await Flag.create(
                target=key, post_id=post.id, thread_id=thread.id, flagger_id=actor.id,
                reason=reason_value, note=note_text, weight=weight,
            )  # fmt: skip
        else:
            flag.reason, flag.note, flag.weight = reason_value, note_text, weight
            flag.resolution, flag.resolved_at = None, None
            await flag.save(
                update_fields=["reason", "note", "weight", "resolution", "resolved_at", "updated_at"]
            )
        # One person's flags on a question and on its thread count once (the heavier one).
        heaviest: dict[int, int] = {}
        for row in await Flag.filter(post_id=post.id, resolution__isnull=True).values("flagger_id", "weight"):
            heaviest[row["flagger_id"]] = max(row["weight"], heaviest.get(row["flagger_id"], 0))
        open_weight = sum(heaviest.values())
        label = FlagReason.LABELS[reason_value]
        item = await open_item(
            post, thread.id, thread.category_id, kind, f"{what}: {label}", actor_id=actor.id, notes=notes
        )
        hidden = False
        if post.state == PostState.VISIBLE and gate.flag_hides(open_weight):
            await _set_post_state(post, thread, PostState.HIDDEN)
            await audit(
                None, "post.auto_hide", "post", post.id,
                reason=f"Flags reached the threshold ({open_weight}): {label}",
                before={"state": PostState.VISIBLE}, after={"state": PostState.HIDDEN},
            )  # fmt: skip
            hidden = True
            events.append(PostHidden(thread.id, post.id, post.author_id, None, f"{what}: {label}"))
            notes += await moderation_notices.post_hidden(None, post, thread, f"flagged as {label.lower()}")
        await ReviewItem.filter(id=item.id).update(updated_at=utcnow())
    await publish(PostFlagged(thread.id, post.id, actor.id, reason_value))
    for event in events:
        await publish(event)
    await announce(notes)
    return FlagOutcome(flag=flag, open_weight=open_weight, hidden=hidden)
