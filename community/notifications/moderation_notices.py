"""What moderation tells people: moderators about new review items, flaggers about the outcome,
authors about their post being hidden, restored or edited, members about their sanctions. Called
inside the moderation use cases' transactions (``moderation.queue``, ``moderation.decisions``,
``moderation.flags``, ``moderation.audit``, ``moderation.sanctions``), which decide who is told and
when; the texts are here."""

from __future__ import annotations

from datetime import datetime

from community import policy
from community.actor import load_actor
from community.models import Decision, Post, PostState, SanctionKind, Thread, User
from community.models import NotificationKind as Kind
from community.notifications import forum_notices
from community.notifications.delivery import Created, clip, notify
from community.notifications.forum_notices import post_url
from community.post_text import mention_resolver

_OUTCOME = {
    Decision.HIDE: "agreed with your flag and hid the {what}",
    Decision.DELETE: "agreed with your flag and deleted the {what}",
    Decision.EDIT: "agreed with your flag and edited the {what}",
}


async def flag_outcome(
    moderator_id: int,
    post: Post,
    thread: Thread,
    flagger_ids: list[int],
    decision: str,
    *,
    thread_flag: bool = False,
) -> Created:
    """``thread_flag``: the flags were on the whole thread (its question), not on one post."""
    what = "thread" if thread_flag else "post"
    outcome = _OUTCOME.get(decision, "reviewed the {what} you flagged and kept it").format(what=what)
    return await notify(
        kind=Kind.FLAG_OUTCOME,
        recipient_ids=flagger_ids,
        text=f"A moderator {outcome} in “{clip(thread.title)}”",
        url=f"/t/{thread.id}",
        actor_id=moderator_id,
        thread_id=thread.id,
        post_id=post.id,
    )


async def post_hidden(
    actor_id: int | None,
    post: Post,
    thread: Thread,
    reason: str,
    *,
    deleted: bool = False,
    was_held: bool = False,
) -> Created:
    """The author hears why: by a moderator (``actor_id``) or, pending review, by flags or a rule.
    ``was_held``: the post waited for approval and a moderator refused it."""
    if was_held:
        what = "A moderator did not approve your post" + (
            "" if deleted else " (it stays hidden, you can edit it)"
        )
    elif deleted:
        what = "A moderator deleted your post"
    elif actor_id is None:
        what = "Your post was hidden pending review"
    else:
        what = "A moderator hid your post"
    because = f": {reason}" if reason else ""
    return await notify(
        kind=Kind.POST_HIDDEN,
        recipient_ids=[post.author_id],
        text=f"{what} in “{clip(thread.title, 60)}”{because}",
        url=f"/t/{thread.id}" if deleted else post_url(post.id),
        actor_id=actor_id,
        thread_id=thread.id,
        post_id=post.id,
    )


async def after_decision(moderator_id: int, post: Post, thread: Thread, before: str, reason: str) -> Created:
    """The author hears the decision on their post: hidden (also a hide confirming one pending
    review, now with the moderator's reason), deleted, restored or approved. A held post that is
    approved reaches everyone a new post would have reached when it was written."""
    was_held = before == PostState.PENDING
    if post.state == PostState.HIDDEN:
        return await post_hidden(moderator_id, post, thread, reason, was_held=was_held)
    if post.state == PostState.DELETED and before != PostState.DELETED:
        return await post_hidden(moderator_id, post, thread, reason, deleted=True, was_held=was_held)
    if post.state != PostState.VISIBLE or before == PostState.VISIBLE:
        return []
    created = await post_restored(moderator_id, post, thread, approved=before == PostState.PENDING)
    if before == PostState.PENDING:
        author = await load_actor(post.author_id)
        if author is not None:
            _, mentioned = await mention_resolver(post.body_source)
            announce_post = forum_notices.on_new_thread if post.is_opening else forum_notices.on_new_post
            created += await announce_post(author, thread, post, mentioned)
    return created


async def post_restored(actor_id: int, post: Post, thread: Thread, *, approved: bool = False) -> Created:
    """Back up after a hide, or (``approved``) published after waiting for review."""
    text = (
        f"A moderator approved your post in “{clip(thread.title)}”: everyone can see it now"
        if approved
        else f"A moderator restored your post in “{clip(thread.title)}”"
    )
    return await notify(
        kind=Kind.POST_APPROVED if approved else Kind.POST_RESTORED,
        recipient_ids=[post.author_id],
        text=text,
        url=post_url(post.id),
        actor_id=actor_id,
        thread_id=thread.id,
        post_id=post.id,
    )


async def new_review_item(moderator_ids: list[int], actor_id: int | None, reason: str) -> Created:
    """New items pile up into one unread entry per moderator."""
    return await notify(
        kind=Kind.REVIEW_ITEM,
        recipient_ids=moderator_ids,
        text=f"New in the review queue: {clip(reason, 120)}",
        url="/moderation/queue",
        actor_id=actor_id,
        group_key="review_queue",
    )


async def post_edited(moderator_id: int, post: Post, thread: Thread, reason: str) -> Created:
    """The author hears the moderator's reason."""
    return await notify(
        kind=Kind.POST_EDITED, recipient_ids=[post.author_id],
        text=f"A moderator edited your post in “{thread.title}”: {reason}",
        url=f"/t/{thread.id}#p{post.id}", actor_id=moderator_id, thread_id=thread.id, post_id=post.id,
    )  # fmt: skip


async def sanction_imposed(
    moderator_id: int, member: User, kind: str, until: datetime | None, reason: str
) -> Created:
    """A warning, or a silence or suspension in force ``until`` (``policy.INDEFINITE``: until lifted)."""
    return await notify(
        kind=Kind.SANCTION, recipient_ids=[member.id], actor_id=moderator_id,
        text=_sanction_text(kind, until, reason), url=f"/u/{member.handle}",
    )  # fmt: skip


async def sanction_lifted(moderator_id: int, member: User, kind: str, reason: str) -> Created:
    noun = "silence" if kind == SanctionKind.SILENCE else "suspension"
    return await notify(
        kind=Kind.SANCTION, recipient_ids=[member.id], actor_id=moderator_id,
        text=f"A moderator has lifted your {noun}." + (f" {reason}" if reason else ""),
        url=f"/u/{member.handle}",
    )  # fmt: skip


def _sanction_text(kind: str, until: datetime | None, reason: str) -> str:
    if kind == SanctionKind.WARN:
        return f"A moderator has sent you a warning: {reason}"
    if kind == SanctionKind.SILENCE:
        return f"Your account is silenced {policy.sanction_end(until)} (you can still read): {reason}"
    return f"Your account is suspended {policy.sanction_end(until)}: {reason}"
