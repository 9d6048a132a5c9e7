"""Flagging a post or a whole thread: the flag goes to the review queue, and enough flags hide the
post at once pending review.

The flow reads as its steps, in the manner of Discourse's ``PostActionCreator``: the target loaded
and checked (who may flag what they can see: ``post_for_flag``, ``thread_for_flag``), the validated
input (``_read_flag``), one transaction of named steps (the flag recorded, the queue item opened,
the post hidden when the flags weigh enough), and the events and notices after the commit. A page
that shows the target before taking the flag checks it once and passes it to ``flag``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from community import policy, validation, visibility
from community.actor import Actor
from community.errors import Forbidden, NotFound
from community.events import (
    Event,
    PostFlagged,
    PostHidden,
    publish,
    record,
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
from moderation.post_state import set_post_state
from moderation.queue import open_item, post_key

NOTE_MAX = 500


@dataclass(frozen=True, slots=True)
class FlagOutcome:
    flag: Flag
    open_weight: int
    hidden: bool


@dataclass(frozen=True, slots=True)
class FlagTarget:
    """What is flagged, once the flagger may flag it: the post that carries the flags (a thread's
    sit on its opening post), its thread, the flag's key and the kind of queue item it opens."""

    post: Post
    thread: Thread
    key: str
    kind: str

    @property
    def is_thread(self) -> bool:
        return self.kind == ReviewKind.FLAGGED_THREAD


@dataclass(frozen=True, slots=True)
class FlagInput:
    """The contract: one of the reasons, and a note (required for 'something else')."""

    reason: str
    note: str

    @property
    def label(self) -> str:
        return FlagReason.LABELS[self.reason]


@dataclass(slots=True)
class Flagging:
    """One flag under way: what the steps read, and what they leave for after the commit."""

    actor: Actor
    target: FlagTarget
    asked: FlagInput
    weight: int
    events: list[Event] = field(default_factory=list)
    notes: Created = field(default_factory=list)

    @property
    def what(self) -> str:
        return f"{'Flagged thread' if self.target.is_thread else 'Flagged'}: {self.asked.label}"


# -- the target: loaded and checked once -----------------------------------------------------------


async def post_for_flag(actor: Actor, post_id: int) -> FlagTarget:
    """The post to flag (and to show on the flag form): seen by the actor, not their own, not deleted."""
    require_can_post(actor)
    post, thread = await visibility.load_visible_post(actor, post_id)
    if post.author_id == actor.id:
        raise Forbidden("You cannot flag your own post.")
    if not policy.can_flag(actor, post):
        raise Forbidden("This post cannot be flagged.")
    return FlagTarget(post, thread, post_key(post.id), ReviewKind.FLAGGED_POST)


async def thread_for_flag(actor: Actor, thread_id: int) -> FlagTarget:
    """The thread to flag, by its opening post (which carries its flags): the opening post is
    loaded anyway, so the visibility check reads its state from it rather than asking twice."""
    require_can_post(actor)
    thread = await visibility.load_visible_thread(actor, thread_id, check_opening=False)
    opening = await Post.filter(thread_id=thread.id, is_opening=True).first()
    if opening is None or not policy.can_see_thread(
        actor, thread.author_id, opening.state, private_org_id=thread.private_org_id
    ):
        raise NotFound("No such thread.")
    if not policy.can_flag_thread(actor, thread):
        raise Forbidden("You cannot flag your own thread.")
    return FlagTarget(opening, thread, f"thread:{thread.id}", ReviewKind.FLAGGED_THREAD)


# -- the use cases ---------------------------------------------------------------------------------


async def flag_post(
    gate: ModerationGate, actor: Actor, post_id: int, *, reason: object, note: object = ""
) -> FlagOutcome:
    """Flag a post once (flagging again changes the reason). The flag goes to the review queue;
    when the unresolved flags weigh enough, the post is hidden at once pending review."""
    return await flag(gate, actor, await post_for_flag(actor, post_id), reason=reason, note=note)


async def flag_thread(
    gate: ModerationGate, actor: Actor, thread_id: int, *, reason: object, note: object = ""
) -> FlagOutcome:
    """Flag a thread as a whole (its title, its topic). Its flags sit on its opening post, so at the
    threshold the whole thread is hidden pending review, and one queue item covers both."""
    return await flag(gate, actor, await thread_for_flag(actor, thread_id), reason=reason, note=note)


async def flag(
    gate: ModerationGate, actor: Actor, target: FlagTarget, *, reason: object, note: object = ""
) -> FlagOutcome:
    """Flag a target from ``post_for_flag`` or ``thread_for_flag`` (checked already, not again)."""
    flagging = Flagging(actor, target, _read_flag(reason, note), weight=gate.flag_weight(actor.role))
    async with in_transaction():
        recorded = await _record_flag(flagging)
        open_weight = await _open_weight(target.post)
        item = await open_item(
            target.post, target.thread.id, target.thread.category_id, target.kind, flagging.what,
            actor_id=actor.id, notes=flagging.notes,
        )  # fmt: skip
        hidden = await _hide_when_flags_weigh_enough(gate, flagging, open_weight)
        await ReviewItem.filter(id=item.id).update(updated_at=utcnow())
        await record(_flagged(flagging), *flagging.events)
    await _publish(flagging)
    return FlagOutcome(flag=recorded, open_weight=open_weight, hidden=hidden)


# -- the steps -------------------------------------------------------------------------------------


def _read_flag(reason: object, note: object) -> FlagInput:
    fields: dict[str, str] = {}
    reason_value = validation.choice(reason, FlagReason.ALL, fields, "reason")
    note_text = validation.short_text(note, fields, "note", "The note", required=False, max_len=NOTE_MAX)
    if reason_value == FlagReason.OTHER and not note_text and "note" not in fields:
        fields["note"] = "Please say what is wrong with it."
    validation.raise_if(fields)
    return FlagInput(reason_value, note_text)


async def _record_flag(f: Flagging) -> Flag:
    """One flag per person and target: flagging again changes it and opens it again."""
    asked, target = f.asked, f.target
    flag = await Flag.filter(flagger_id=f.actor.id, target=target.key).first()
    if flag is None:
        return await Flag.create(
            target=target.key, post_id=target.post.id, thread_id=target.thread.id, flagger_id=f.actor.id,
            reason=asked.reason, note=asked.note, weight=f.weight,
        )  # fmt: skip
    flag.reason, flag.note, flag.weight = asked.reason, asked.note, f.weight
    flag.resolution, flag.resolved_at = None, None
    await flag.save(update_fields=["reason", "note", "weight", "resolution", "resolved_at", "updated_at"])
    return flag


async def _open_weight(post: Post) -> int:
    """The unresolved flags' weight: one person's flags on a question and on its thread count once
    (the heavier one)."""
    heaviest: dict[int, int] = {}
    for row in await Flag.filter(post_id=post.id, resolution__isnull=True).values("flagger_id", "weight"):
        heaviest[row["flagger_id"]] = max(row["weight"], heaviest.get(row["flagger_id"], 0))
    return sum(heaviest.values())


async def _hide_when_flags_weigh_enough(gate: ModerationGate, f: Flagging, open_weight: int) -> bool:
    """At the gate's threshold a visible post is hidden pending review, by no one (the rules): in
    the audit log, live on the page, the author told."""
    post, thread, label = f.target.post, f.target.thread, f.asked.label
    if post.state != PostState.VISIBLE or not gate.flag_hides(open_weight):
        return False
    await set_post_state(post, thread, PostState.HIDDEN)
    await audit(
        None, "post.auto_hide", "post", post.id,
        reason=f"Flags reached the threshold ({open_weight}): {label}",
        before={"state": PostState.VISIBLE}, after={"state": PostState.HIDDEN},
    )  # fmt: skip
    f.events.append(PostHidden(thread.id, post.id, post.author_id, None, f.what))
    f.notes += await moderation_notices.post_hidden(None, post, thread, f"flagged as {label.lower()}")
    return True


def _flagged(f: Flagging) -> PostFlagged:
    return PostFlagged(f.target.thread.id, f.target.post.id, f.actor.id, f.asked.reason)


async def _publish(f: Flagging) -> None:
    """After the commit: the flag, then what it caused, then the notices."""
    await publish(_flagged(f))
    for event in f.events:
        await publish(event)
    await announce(f.notes)
