"""Deciding a review item: keep, hide, delete, restore or edit the post, once."""

from __future__ import annotations

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
)
from community.models import (
    Decision,
    Flag,
    FlagResolution,
    NotificationKind,
    Post,
    PostRevision,
    PostState,
    ReviewItem,
    ReviewKind,
    ReviewState,
    Thread,
)
from community.notifications import moderation_notices
from community.notifications.delivery import Created, announce, notify
from community.search.outbox import POST, THREAD, index_later
from community.timeutil import utcnow
from moderation.audit import audit
from moderation.post_state import _set_post_state
from moderation.queue import require_moderator

REASON_MAX = 500


_TARGET_STATE = {
    Decision.HIDE: PostState.HIDDEN,
    Decision.DELETE: PostState.DELETED,
    Decision.RESTORE: PostState.VISIBLE,
}


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
    item = await ReviewItem.filter(id=item_id).first()
    if item is None:
        raise NotFound("No such review item.")
    fields: dict[str, str] = {}
    decision_value = validation.choice(decision, Decision.ALL, fields, "decision")
    reason_text = validation.short_text(
        reason, fields, "reason", "The reason", required=False, max_len=REASON_MAX
    )
    if decision_value in (Decision.HIDE, Decision.DELETE, Decision.EDIT) and not reason_text:
        fields.setdefault("reason", "Say why: the author is told.")
    new_text, new_html = "", ""
    if decision_value == Decision.EDIT:
        new_text = validation.body(body, fields)
        if item.post_id is None:
            fields["decision"] = "Only a post can be edited."
    new_title: str | None = None
    if title not in (None, ""):
        if decision_value != Decision.EDIT or item.kind != ReviewKind.FLAGGED_THREAD:
            fields["title"] = "Only an edit of a flagged thread can change its title."
        else:
            new_title = validation.title(title, fields)
    validation.raise_if(fields)
    if new_text:
        new_html, _ = await post_text.render_post_body(new_text)
    created: list[tuple[int, int]] = []
    if item.state != ReviewState.PENDING:
        raise Conflict("This item was already decided.")
    events: list[Event] = []
    notes: Created = []
    now = utcnow()
    async with in_transaction():
        updated = await ReviewItem.filter(id=item.id, state=ReviewState.PENDING).update(
            state=ReviewState.DECIDED, open_key=None, decided_by_id=actor.id, decided_at=now,
            decision=decision_value, decision_reason=reason_text, updated_at=now,
        )  # fmt: skip
        if not updated:
            raise Conflict("This item was already decided.")
        post = await Post.filter(id=item.post_id).first() if item.post_id else None
        if post is not None:
            thread = await Thread.get(id=post.thread_id)
            before, before_source, before_title = post.state, post.body_source, thread.title
            target = _TARGET_STATE.get(decision_value)
            if decision_value in (Decision.KEEP, Decision.EDIT) and before in (
                PostState.HIDDEN,
                PostState.PENDING,
            ):
                target = PostState.VISIBLE
            if decision_value == Decision.EDIT:
                if post.state == PostState.DELETED:
                    raise Conflict("This post was deleted meanwhile: restore it before editing it.")
                created = await _edit_as_moderator(
                    actor, post, thread, new_text, new_html, reason_text, new_title
                )
            if target is not None and target != before:
                await _set_post_state(post, thread, target)
            retitled = {"title": before_title} if thread.title != before_title else {}
            await audit(
                actor.id, f"post.{decision_value}", "post", post.id, reason=reason_text,
                before={"state": before, "body_source": before_source, **retitled},
                after={"state": post.state, "body_source": post.body_source,
                       **({"title": thread.title} if retitled else {})},
            )  # fmt: skip
            # An edit agrees with the flags: something had to go.
            agreed = post.state != PostState.VISIBLE or decision_value == Decision.EDIT
            resolution = FlagResolution.AGREED if agreed else FlagResolution.DISAGREED
            flagger_ids = [
                r["flagger_id"]
                for r in await Flag.filter(post_id=post.id, resolution__isnull=True).values("flagger_id")
            ]
            if flagger_ids:
                await Flag.filter(post_id=post.id, resolution__isnull=True).update(
                    resolution=resolution, resolved_at=now
                )
                decided = decision_value if agreed else Decision.KEEP
                notes += await moderation_notices.flag_outcome(actor.id, post, thread, flagger_ids, decided)
            if post.state != before:
                if post.state == PostState.VISIBLE:
                    events.append(PostRestored(thread.id, post.id, post.author_id, actor.id))
                elif post.state == PostState.HIDDEN:
                    events.append(PostHidden(thread.id, post.id, post.author_id, actor.id, reason_text))
            notes += await moderation_notices.after_decision(actor.id, post, thread, before, reason_text)
        else:
            await audit(actor.id, f"review.{decision_value}", "review_item", item.id, reason=reason_text)
    await item.refresh_from_db()
    events.append(ReviewItemChanged(item.id, item.state, item.claimed_by_id, decision_value))
    if decision_value == Decision.EDIT and item.post_id and item.thread_id:
        events.append(PostEdited(item.thread_id, item.post_id, actor.id))
    await announce(created)
    for event in events:
        await publish(event)
    await announce(notes)
    return item


async def _edit_as_moderator(
    actor: Actor, post: Post, thread: Thread, text: str, html: str, reason: str, title: str | None = None
) -> list[tuple[int, int]]:
    """Inside the decision's transaction: the new text (and, for a thread's question, maybe a new
    title) as a revision noting the reason, the thread's page and search documents refreshed, the
    author told."""
    saved = await Post.filter(id=post.id, revision_count=post.revision_count).update(
        body_source=text, body_html=html, edited_at=utcnow(), edited_by_id=actor.id,
        revision_count=post.revision_count + 1,
    )  # fmt: skip
    if not saved:
        raise Conflict("The post was edited meanwhile. Reload the item and decide again.")
    post.body_source, post.body_html, post.revision_count = text, html, post.revision_count + 1
    if title is not None and post.is_opening:
        thread.title = title
        await Thread.filter(id=thread.id).update(title=title)
        await visibility.refresh_duplicates_of(thread.id)
    await PostRevision.create(
        post_id=post.id, number=post.revision_count, editor_id=actor.id, body_source=text, body_html=html,
        note=reason[:200], title=thread.title if post.is_opening else None,
        tag_names=thread.tag_names if post.is_opening else None,
    )  # fmt: skip
    await Thread.filter(id=thread.id).update(version=F("version") + 1)
    await index_later((THREAD, thread.id), (POST, post.id))
    return await notify(
        kind=NotificationKind.POST_EDITED, recipient_ids=[post.author_id],
        text=f"A moderator edited your post in “{thread.title}”: {reason}",
        url=f"/t/{thread.id}#p{post.id}", actor_id=actor.id, thread_id=thread.id, post_id=post.id,
    )  # fmt: skip
