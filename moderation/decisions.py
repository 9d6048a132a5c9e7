"""Deciding a review item: keep, hide, delete, restore or edit the post, once.

``decide_item`` reads as the steps it takes, in the manner of Discourse's service objects and
reviewables: the policy (moderators only), the item, the validated input (the contract, which
depends on the item: only a post can be edited, only a flagged thread retitled), then one
transaction of named steps, and the events and notices after the commit. Each decision is one
function (``_keep``, ``_hide``, ``_delete``, ``_restore``, ``_edit``); what follows any decision on a
post (audit entry, flags resolved, flaggers and author told) is written once, after it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from community import post_text, validation, visibility
from community.actor import Actor
from community.errors import Conflict, NotFound
from community.events import (
    Event,
    PostEdited,
    PostHidden,
    PostRestored,
    ReviewItemChanged,
    publish,
    record,
)
from community.experts import routing
from community.models import (
    Decision,
    Flag,
    FlagResolution,
    Post,
    PostRevision,
    PostState,
    ReviewItem,
    ReviewKind,
    ReviewState,
    Thread,
)
from community.notifications import moderation_notices
from community.notifications.delivery import Created, announce
from community.search.outbox import POST, THREAD, index_later
from community.timeutil import utcnow
from moderation.audit import audit
from moderation.post_state import set_post_state
from moderation.queue import require_moderator

# The author is told why their post went down or was rewritten: these decisions need a reason.
_TOLD_WHY = (Decision.HIDE, Decision.DELETE, Decision.EDIT)
# Taken down by flags or a rule, or held for review: a keep or an edit brings the post back.
_HELD = (PostState.HIDDEN, PostState.PENDING)


@dataclass(frozen=True, slots=True)
class DecisionInput:
    """The contract: a decision this item allows, the reason the author is told and, for an edit,
    the new text (already rendered) and maybe the flagged thread's new title."""

    decision: str
    reason: str
    text: str = ""
    html: str = ""
    title: str | None = None


@dataclass(slots=True)
class Deciding:
    """One decision under way: what the steps read, and what they leave for after the commit."""

    actor: Actor
    item: ReviewItem
    asked: DecisionInput
    now: datetime = field(default_factory=utcnow)
    events: list[Event] = field(default_factory=list)
    edit_notes: Created = field(default_factory=list)  # the author told of an edit: announced first
    notes: Created = field(default_factory=list)


@dataclass(slots=True)
class DecidedPost:
    """The item's post and thread, with how they were before the decision (the audit entry's
    "before", the notices' "was it down already?")."""

    post: Post
    thread: Thread
    state_before: str
    body_before: str
    title_before: str


async def decide_item(
    actor: Actor,
    item_id: int,
    *,
    decision: object,
    reason: object = "",
    body: object = None,
    title: object = None,
) -> ReviewItem:
    """Apply a decision once: the item is marked decided with a conditional update on its pending
    state, so a second moderator deciding at the same moment gets a conflict and nothing twice.

    ``edit`` rewrites the post with ``body`` (what was wrong taken out) and keeps it up: a new
    revision whose note is the reason, the author told why. On a flagged thread the edit may also
    give the thread a new ``title`` (often what the flag was about)."""
    require_moderator(actor)
    item = await _load_item(item_id)
    asked = await _read_decision(item, decision=decision, reason=reason, body=body, title=title)
    _require_pending(item)
    deciding = Deciding(actor, item, asked)
    async with in_transaction():
        await _mark_decided(deciding)
        decided = await _load_post(deciding)
        if decided is None:
            await _record_item_decision(deciding)
        else:
            await _decide_post(deciding, decided)
        await _record_events(deciding)
    await _publish(deciding)
    return deciding.item


def offered(post_state: str | None) -> list[tuple[str, str]]:
    """The decisions that make sense for a post in this state, each with the words a moderator
    reads (``decide_item`` still takes any of them: a state can change while the page is open)."""
    if post_state is None:
        return [(Decision.KEEP, "Keep")]
    if post_state == PostState.PENDING:
        return [
            (Decision.KEEP, "Approve: publish it"),
            (Decision.EDIT, "Edit it, then publish it"),
            (Decision.HIDE, "Do not approve: keep it hidden (the author may edit it)"),
            (Decision.DELETE, "Do not approve: delete it"),
        ]
    if post_state == PostState.DELETED:
        return [(Decision.KEEP, "Leave it deleted"), (Decision.RESTORE, "Restore it")]
    if post_state == PostState.HIDDEN:
        return [
            (Decision.RESTORE, "Restore it: the flags were wrong"),
            (Decision.EDIT, "Edit it, then restore it"),
            (Decision.HIDE, "Keep it hidden (the author may edit it)"),
            (Decision.DELETE, "Delete it"),
        ]
    return [
        (Decision.KEEP, "Keep it: the flags were wrong"),
        (Decision.EDIT, "Edit it and keep it up"),
        (Decision.HIDE, "Hide it (the author may edit it)"),
        (Decision.DELETE, "Delete it"),
    ]


# What each decision did, in the words it was offered by: a held post waited to be published, a
# flagged one was up (or hidden by its flags) when it was decided.
_DECIDED_HELD = {
    Decision.KEEP: "Approved (published)",
    Decision.EDIT: "Edited, then published",
    Decision.HIDE: "Not approved (kept hidden)",
    Decision.DELETE: "Not approved (deleted)",
    Decision.RESTORE: "Restored",
}
_DECIDED_FLAGGED = {
    Decision.KEEP: "Kept (the flags were wrong)",
    Decision.EDIT: "Edited and kept up",
    Decision.HIDE: "Hidden",
    Decision.DELETE: "Deleted",
    Decision.RESTORE: "Restored",
}


def decided_words(kind: str, decision: str | None, *, about_a_post: bool = True) -> str:
    """A decided item's decision as the moderator chose it ("Approved (published)", "Kept ..."),
    never the stored word ("keep")."""
    if not about_a_post:
        return "Kept" if decision == Decision.KEEP else (decision or "").capitalize()
    held = kind in (ReviewKind.HELD_POST, ReviewKind.NEW_ACCOUNT)
    words = (_DECIDED_HELD if held else _DECIDED_FLAGGED).get(decision or "")
    return words or (decision or "").capitalize()


# -- before the transaction: the item, the contract ------------------------------------------------


async def _load_item(item_id: int) -> ReviewItem:
    item = await ReviewItem.filter(id=item_id).first()
    if item is None:
        raise NotFound("No such review item.")
    return item


async def _read_decision(
    item: ReviewItem, *, decision: object, reason: object, body: object, title: object
) -> DecisionInput:
    """Every field checked at once (one answer lists every problem), then the new text rendered."""
    fields: dict[str, str] = {}
    if decision in (None, ""):
        # The form offers its choices in words ("Approve: publish it"), not the stored names.
        fields["decision"] = (
            "Choose what to do with the post: one of the decisions listed."
            if item.post_id is not None
            else "Choose what to do: one of the decisions listed."
        )
        decision_value = ""
    else:
        decision_value = validation.choice(decision, Decision.ALL, fields, "decision")
    reason_text = validation.reason(reason, fields)
    if decision_value in _TOLD_WHY and not reason_text:
        fields.setdefault("reason", "Say why: the author is told.")
    text = _new_text(item, decision_value, body, fields)
    new_title = _new_title(item, decision_value, title, fields)
    validation.raise_if(fields)
    html = (await post_text.render_post_body(text))[0] if text else ""
    return DecisionInput(decision_value, reason_text, text, html, new_title)


def _new_text(item: ReviewItem, decision: str, body: object, fields: dict[str, str]) -> str:
    if decision != Decision.EDIT:
        return ""
    text = validation.body(body, fields)
    if item.post_id is None:
        fields["decision"] = "Only a post can be edited."
    return text


def _new_title(item: ReviewItem, decision: str, title: object, fields: dict[str, str]) -> str | None:
    if title in (None, ""):
        return None
    if decision != Decision.EDIT or item.kind != ReviewKind.FLAGGED_THREAD:
        fields["title"] = "Only an edit of a flagged thread can change its title."
        return None
    return validation.title(title, fields)


def _require_pending(item: ReviewItem) -> None:
    """The cheap early answer; ``_mark_decided`` is what guarantees it."""
    if item.state != ReviewState.PENDING:
        raise Conflict("This item was already decided.")


# -- inside the transaction ------------------------------------------------------------------------


async def _mark_decided(d: Deciding) -> None:
    """The one statement that lets a single moderator decide: the item changes only while it is
    still pending, so of two moderators deciding at once the second gets a conflict and its
    transaction (everything below) is rolled back."""
    updated = await ReviewItem.filter(id=d.item.id, state=ReviewState.PENDING).update(
        state=ReviewState.DECIDED, open_key=None, decided_by_id=d.actor.id, decided_at=d.now,
        decision=d.asked.decision, decision_reason=d.asked.reason, updated_at=d.now,
    )  # fmt: skip
    if not updated:
        raise Conflict("This item was already decided.")


async def _load_post(d: Deciding) -> DecidedPost | None:
    post = await Post.filter(id=d.item.post_id).first() if d.item.post_id else None
    if post is None:
        return None
    thread = await Thread.get(id=post.thread_id)
    return DecidedPost(post, thread, post.state, post.body_source, thread.title)


async def _record_item_decision(d: Deciding) -> None:
    """An item about no post (e.g. a new account): only the audit log records the decision."""
    await audit(d.actor.id, f"review.{d.asked.decision}", "review_item", d.item.id, reason=d.asked.reason)


async def _decide_post(d: Deciding, p: DecidedPost) -> None:
    """The decision itself, then what follows any decision on a post, in this order."""
    await _DECISIONS[d.asked.decision](d, p)
    await _record_in_audit_log(d, p)
    await _resolve_flags(d, p)
    _queue_post_event(d, p)
    d.notes += await moderation_notices.after_decision(
        d.actor.id, p.post, p.thread, p.state_before, d.asked.reason
    )
    if p.post.is_opening and p.state_before in _HELD and p.post.state == PostState.VISIBLE:
        d.notes += await routing.route_published_question(p.thread)


# -- one function per decision ---------------------------------------------------------------------


async def _keep(d: Deciding, p: DecidedPost) -> None:
    """The flags were wrong (or the held post is fine): it stays up, back up if it was taken down."""
    await _bring_back_if_held(p)


async def _hide(d: Deciding, p: DecidedPost) -> None:
    """Out of sight for everyone but its author (who may edit it) and the moderators."""
    await _move_to(p, PostState.HIDDEN)


async def _delete(d: Deciding, p: DecidedPost) -> None:
    """Gone from the thread and the counters; the audit log can still restore it."""
    await _move_to(p, PostState.DELETED)


async def _restore(d: Deciding, p: DecidedPost) -> None:
    await _move_to(p, PostState.VISIBLE)


async def _edit(d: Deciding, p: DecidedPost) -> None:
    """What was wrong taken out, the post kept (back) up: a new revision whose note is the reason,
    on a flagged thread maybe a new title, the author told."""
    if p.post.state == PostState.DELETED:
        raise Conflict("This post was deleted meanwhile: restore it before editing it.")
    await _save_new_text(d, p)
    await _retitle_thread(d, p)
    await _record_revision(d, p)
    await Thread.filter(id=p.thread.id).update(version=F("version") + 1)
    await index_later((THREAD, p.thread.id), (POST, p.post.id))
    d.edit_notes = await moderation_notices.post_edited(d.actor.id, p.post, p.thread, d.asked.reason)
    await _bring_back_if_held(p)


_DECISIONS: dict[str, Callable[[Deciding, DecidedPost], Awaitable[None]]] = {
    Decision.KEEP: _keep,
    Decision.HIDE: _hide,
    Decision.DELETE: _delete,
    Decision.RESTORE: _restore,
    Decision.EDIT: _edit,
}


async def _move_to(p: DecidedPost, state: str) -> None:
    if p.post.state != state:
        await set_post_state(p.post, p.thread, state)


async def _bring_back_if_held(p: DecidedPost) -> None:
    if p.post.state in _HELD:
        await set_post_state(p.post, p.thread, PostState.VISIBLE)


# -- the edit's steps ------------------------------------------------------------------------------


async def _save_new_text(d: Deciding, p: DecidedPost) -> None:
    """Conditional on the revision the moderator saw: an edit by the author meanwhile is a conflict."""
    post, asked = p.post, d.asked
    saved = await Post.filter(id=post.id, revision_count=post.revision_count).update(
        body_source=asked.text, body_html=asked.html, edited_at=utcnow(), edited_by_id=d.actor.id,
        revision_count=post.revision_count + 1,
    )  # fmt: skip
    if not saved:
        raise Conflict("The post was edited meanwhile. Reload the item and decide again.")
    post.body_source, post.body_html, post.revision_count = asked.text, asked.html, post.revision_count + 1


async def _retitle_thread(d: Deciding, p: DecidedPost) -> None:
    """A flagged thread's question may get a new title; duplicates' banners show it."""
    if d.asked.title is None or not p.post.is_opening:
        return
    p.thread.title = d.asked.title
    await Thread.filter(id=p.thread.id).update(title=d.asked.title)
    await visibility.refresh_duplicates_of(p.thread.id)


async def _record_revision(d: Deciding, p: DecidedPost) -> None:
    post, thread = p.post, p.thread
    await PostRevision.create(
        post_id=post.id, number=post.revision_count, editor_id=d.actor.id, body_source=post.body_source,
        body_html=post.body_html, note=d.asked.reason[:200],
        title=thread.title if post.is_opening else None,
        tag_names=thread.tag_names if post.is_opening else None,
    )  # fmt: skip


# -- what follows any decision on a post -----------------------------------------------------------


async def _record_in_audit_log(d: Deciding, p: DecidedPost) -> None:
    """Before and after, so the audit log can show (and undo) what the decision changed."""
    retitled = p.thread.title != p.title_before
    await audit(
        d.actor.id, f"post.{d.asked.decision}", "post", p.post.id, reason=d.asked.reason,
        before={"state": p.state_before, "body_source": p.body_before,
                **({"title": p.title_before} if retitled else {})},
        after={"state": p.post.state, "body_source": p.post.body_source,
               **({"title": p.thread.title} if retitled else {})},
    )  # fmt: skip


async def _resolve_flags(d: Deciding, p: DecidedPost) -> None:
    """The open flags agreed with or not, and each flagger told the outcome."""
    agreed = _agrees_with_flags(d, p)
    flagger_ids = list(
        await Flag.filter(post_id=p.post.id, resolution__isnull=True).values_list("flagger_id", flat=True)
    )
    if not flagger_ids:
        return
    await Flag.filter(post_id=p.post.id, resolution__isnull=True).update(
        resolution=FlagResolution.AGREED if agreed else FlagResolution.DISAGREED, resolved_at=d.now
    )
    outcome = d.asked.decision if agreed else Decision.KEEP
    d.notes += await moderation_notices.flag_outcome(
        d.actor.id,
        p.post,
        p.thread,
        flagger_ids,
        outcome,
        thread_flag=d.item.kind == ReviewKind.FLAGGED_THREAD,
    )


def _agrees_with_flags(d: Deciding, p: DecidedPost) -> bool:
    """The post stays down, or it was edited: either way something had to go."""
    return p.post.state != PostState.VISIBLE or d.asked.decision == Decision.EDIT


def _queue_post_event(d: Deciding, p: DecidedPost) -> None:
    """Pages showing the post hear that it came back or was hidden."""
    post = p.post
    if post.state == p.state_before:
        return
    if post.state == PostState.VISIBLE:
        d.events.append(PostRestored(p.thread.id, post.id, post.author_id, d.actor.id))
    elif post.state == PostState.HIDDEN:
        d.events.append(PostHidden(p.thread.id, post.id, post.author_id, d.actor.id, d.asked.reason))


# -- after the commit ------------------------------------------------------------------------------


async def _record_events(d: Deciding) -> None:
    """Still inside the transaction: the events live delivery must not lose commit with it."""
    item = d.item
    await item.refresh_from_db()
    d.events.append(ReviewItemChanged(item.id, item.state, item.claimed_by_id, d.asked.decision))
    if d.asked.decision == Decision.EDIT and item.post_id and item.thread_id:
        d.events.append(PostEdited(item.thread_id, item.post_id, d.actor.id))
    await record(*d.events)


async def _publish(d: Deciding) -> None:
    """Only what was committed is announced: the edit's notice, the events, then the other notices."""
    await announce(d.edit_notes)
    for event in d.events:
        await publish(event)
    await announce(d.notes)
