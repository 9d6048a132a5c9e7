"""Posts: answer or reply, edit with revisions, soft delete, helpful votes, accept an answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from community import policy, validation, visibility
from community.actor import Actor
from community.errors import Conflict, Forbidden, Invalid, NotFound
from community.events import AnswerAccepted, PostCreated, PostDeleted, PostEdited, PostVoted, publish, record
from community.experts import targets as response_targets
from community.forum import thread_page
from community.forum.thread_page import PostView
from community.forum.threads import set_thread_tags
from community.models import Post, PostRevision, PostState, Thread, User, Vote
from community.notifications import forum_notices
from community.notifications.delivery import Created, announce
from community.policy import require_can_post
from community.ports import ModerationGate
from community.post_text import render_post_body
from community.search.outbox import POST, THREAD, index_later
from community.timeutil import utcnow
from community.transactions import WithinTransaction
from community.visibility import load_visible_post, load_visible_thread
from moderation import screening

_LOCKED = "This thread is locked by a moderator: nothing in it can be changed."


async def locate_post(actor: Actor, post_id: int, per_page: int) -> tuple[int, int]:
    """The thread and the page of it that shows the post now (for links that must land on it)."""
    post, thread = await load_visible_post(actor, post_id)
    return thread.id, await thread_page.page_of_post(actor, thread, post, per_page)


async def post_for_edit(actor: Actor, post_id: int) -> tuple[Post, Thread]:
    """The post to prefill an edit form: the same checks as ``edit_post``, before any input."""
    require_can_post(actor)
    post, thread = await load_visible_post(actor, post_id)
    if not policy.can_edit_post(actor, post, locked=thread.locked):
        raise Forbidden(_LOCKED if thread.locked else "You can edit your own posts only.")
    return post, thread


async def post_for_delete(actor: Actor, post_id: int) -> tuple[Post, Thread]:
    """The post to show on a delete confirmation: the same checks as ``delete_post``."""
    post, thread = await load_visible_post(actor, post_id)
    if not policy.can_delete_post(actor, post, locked=thread.locked):
        raise Forbidden(_LOCKED if thread.locked else "You can delete your own posts only.")
    return post, thread


async def get_post_view(actor: Actor, post_id: int) -> tuple[Thread, PostView]:
    """One post (and its thread) as the actor sees it, with what they may do to it: the API
    answers a read, a new answer or an edit with this."""
    post, thread = await load_visible_post(actor, post_id)
    return thread, await thread_page.get_post_view(actor, thread, post.id)


async def reply(
    actor: Actor,
    thread_id: int,
    *,
    body: object,
    created_at: datetime | None = None,
    gate: ModerationGate | None = None,
    ip: str | None = None,
    within: WithinTransaction | None = None,
) -> Post:
    """An answer to a question or a reply in a discussion; ``gate``: the moderation rules it
    passes (views hand in the app's); ``ip``: where the request came from (rate limits);
    ``within``: the caller's last step inside the transaction, given the new post's id."""
    require_can_post(actor)
    thread = await load_visible_thread(actor, thread_id)
    if not policy.can_reply(actor, thread):
        raise Forbidden(_LOCKED if thread.locked else "This thread is closed: no new answers can be added.")
    fields: dict[str, str] = {}
    text = validation.body(body, fields)
    validation.raise_if(fields)
    screened = await screening.screen(gate, thread.category_id, {"body": text}, author=actor, ip=ip)
    text = screened.texts["body"]
    html, mentioned = await render_post_body(text)
    when = created_at or utcnow()
    async with in_transaction():
        post = await Post.create(
            thread_id=thread.id, author_id=actor.id, body_source=text, body_html=html, created_at=when,
            state=screened.state,
        )  # fmt: skip
        notes: Created = []
        await screening.record_screening(screened, post, thread.id, thread.category_id, notes)
        await PostRevision.create(post=post, number=1, editor_id=actor.id, body_source=text, body_html=html)
        # A held post waits unseen: it neither counts nor bumps the thread until it is approved.
        bump: dict[str, Any] = (
            {"reply_count": F("reply_count") + 1, "last_activity_at": max(when, thread.last_activity_at)}
            if post.state in PostState.COUNTED
            else {}
        )
        await Thread.filter(id=thread.id).update(version=F("version") + 1, **bump)
        await User.filter(id=actor.id).update(post_count=F("post_count") + 1)
        # The answer's own document and its thread's (which rolls answers up), not its siblings'.
        await index_later((POST, post.id))
        notes += await forum_notices.on_new_post(actor, thread, post, mentioned)
        if thread.is_question:
            await response_targets.note_answer(thread.id, thread.author_id, actor.id, post.state, when)
        event = PostCreated(thread.id, post.id, actor.id, tuple(mentioned))
        await record(event)
        if within is not None:
            await within(post.id)
    await publish(event)
    await announce(notes)
    return post


async def edit_post(
    actor: Actor,
    post_id: int,
    *,
    body: object = validation.KEEP,
    title: object = None,
    tags: object = None,
    note: object = "",
    gate: ModerationGate | None = None,
) -> Post:
    """Edit by the author or staff; every save keeps a full revision. The opening post also
    carries the thread's title and tags (None keeps them, as ``KEEP`` keeps the body). ``gate``:
    the new-account link limit applies to edits too (views hand in the app's)."""
    require_can_post(actor)
    post, thread = await load_visible_post(actor, post_id)
    if not policy.can_edit_post(actor, post, locked=thread.locked):
        raise Forbidden(_LOCKED if thread.locked else "You can edit your own posts only.")
    fields: dict[str, str] = {}
    text = validation.body(post.body_source if body is validation.KEEP else body, fields)
    new_title = validation.title(title, fields) if post.is_opening and title is not None else None
    new_tags = validation.tags(tags, fields) if post.is_opening and tags is not None else None
    note_text = validation.short_text(
        note, fields, "note", "The edit note", required=False, max_len=validation.EDIT_NOTE_MAX
    )
    validation.raise_if(fields)
    await screening.screen_edit(gate, actor, {"title": new_title or "", "body": text})
    html, _ = await render_post_body(text)
    now = utcnow()
    async with in_transaction():
        number = post.revision_count + 1
        # Optimistic lock: of two edits of the same revision, the second is told, not lost.
        saved = await Post.filter(id=post.id, revision_count=post.revision_count).update(
            body_source=text, body_html=html, edited_at=now, edited_by_id=actor.id, revision_count=number
        )
        if not saved:
            raise Conflict("Someone else edited this post meanwhile. Reload it and apply your change again.")
        post.body_source, post.body_html = text, html
        post.edited_at, post.edited_by_id, post.revision_count = now, actor.id, number
        await PostRevision.create(
            post=post,
            number=number,
            editor_id=actor.id,
            title=new_title if new_title is not None else (thread.title if post.is_opening else None),
            tag_names=new_tags if new_tags is not None else (thread.tag_names if post.is_opening else None),
            body_source=text,
            body_html=html,
            note=note_text,
        )
        updates: dict[str, Any] = {"version": F("version") + 1}
        if new_title is not None:
            updates["title"] = new_title
            await visibility.refresh_duplicates_of(thread.id)
        if new_tags is not None:
            updates["tag_names"] = new_tags
            await set_thread_tags(thread, new_tags)
        await Thread.filter(id=thread.id).update(**updates)
        await index_later((THREAD, thread.id) if post.is_opening else (POST, post.id))
        notes: Created = []
        await screening.resubmit_after_edit(post, thread, actor.id, notes)
        edited = PostEdited(thread.id, post.id, actor.id)
        await record(edited)
    await publish(edited)
    await announce(notes)
    return post


async def delete_post(actor: Actor, post_id: int) -> Post:
    """Soft delete: the text stays in the database and its revisions. Deleting the opening post
    deletes the thread."""
    post, thread = await load_visible_post(actor, post_id)
    if not policy.can_delete_post(actor, post, locked=thread.locked):
        raise Forbidden(_LOCKED if thread.locked else "You can delete your own posts only.")
    async with in_transaction():
        # Conditional: of two deletes racing, only one changes the counters.
        if not await Post.filter(id=post.id).exclude(state=PostState.DELETED).update(state=PostState.DELETED):
            return post
        thread = await Thread.get(id=thread.id)
        updates: dict[str, Any] = {"version": F("version") + 1}
        if post.is_opening:
            updates["is_deleted"] = True
            await visibility.refresh_duplicates_of(thread.id)
        elif post.state in PostState.COUNTED:
            updates["reply_count"] = F("reply_count") - 1
        if thread.accepted_post_id == post.id:
            updates["accepted_post_id"] = None
            await User.filter(id=post.author_id).update(accepted_count=F("accepted_count") - 1)
        await Thread.filter(id=thread.id).update(**updates)
        await User.filter(id=post.author_id).update(post_count=F("post_count") - 1)
        # The whole thread when it went or lost its accepted answer (every post shows "solved").
        whole = post.is_opening or "accepted_post_id" in updates
        await index_later((THREAD, thread.id) if whole else (POST, post.id))
        deleted = PostDeleted(thread.id, post.id, actor.id)
        await record(deleted)
    post.state = PostState.DELETED
    await publish(deleted)
    return post


async def vote(actor: Actor, post_id: int, *, helpful: bool = True) -> int:
    """Mark a post helpful (or take the vote back). One vote per person; not on one's own post.
    Returns the new score."""
    post, thread = await load_visible_post(actor, post_id)
    if post.author_id == actor.id:
        raise Forbidden("You cannot vote on your own post.")
    if not policy.can_vote(actor, post, locked=thread.locked):
        raise Forbidden(_LOCKED if thread.locked else "This post cannot be voted on.")
    delta, score = 0, post.score
    async with in_transaction():
        if helpful:
            # The unique (post, user) index decides a double submit: the loser adds nothing.
            try:
                async with in_transaction():
                    await Vote.create(post_id=post.id, user_id=actor.id)
                delta = 1
            except IntegrityError:
                delta = 0
        else:
            delta = -await Vote.filter(post_id=post.id, user_id=actor.id).delete()
        if delta:
            await Post.filter(id=post.id).update(score=F("score") + delta)
            thread_updates: dict[str, Any] = {"version": F("version") + 1}
            if post.is_opening:
                thread_updates["score"] = F("score") + delta
            await Thread.filter(id=thread.id).update(**thread_updates)
            await index_later((THREAD, thread.id) if post.is_opening else (POST, post.id))
            score = (await Post.filter(id=post.id).values_list("score", flat=True))[0]
            await record(PostVoted(thread.id, post.id, score))
    if delta:
        await publish(PostVoted(thread.id, post.id, score))
    return score


async def accept_answer(actor: Actor, post_id: int, *, accept: bool = True) -> Thread:
    """One accepted answer per question, changeable: by the asker or staff."""
    post, thread = await load_visible_post(actor, post_id)
    if not thread.is_question:
        raise Invalid({"post": "Only answers to questions can be accepted."})
    if post.is_opening:
        raise Invalid({"post": "The question itself cannot be accepted as its answer."})
    if policy.is_frozen_for(actor, thread.locked):
        raise Forbidden(_LOCKED)
    if not policy.can_accept(actor, thread):
        raise Forbidden("Only the person who asked, or an expert, can accept an answer.")
    if accept and not policy.can_accept_post(actor, thread, post.author_id):
        raise Forbidden("Your own answer is accepted by the person who asked, not by you.")
    if post.state != PostState.VISIBLE:
        raise Conflict("This answer is not visible and cannot be accepted.")
    previous = thread.accepted_post_id
    target = post.id if accept else None
    if not accept and previous != post.id:
        return thread
    if previous == target:
        return thread
    async with in_transaction():
        # Conditional: two people accepting at once cannot both move the counters.
        moved = await Thread.filter(id=thread.id, accepted_post_id=previous).update(
            accepted_post_id=target, version=F("version") + 1
        )
        if not moved:
            raise Conflict("The accepted answer was just changed by someone else. Reload the thread.")
        if previous is not None:
            old = await Post.filter(id=previous).values("author_id")
            if old:
                await User.filter(id=old[0]["author_id"]).update(accepted_count=F("accepted_count") - 1)
        if target is not None:
            await User.filter(id=post.author_id).update(accepted_count=F("accepted_count") + 1)
        changed = [(POST, pid) for pid in (previous, target) if pid is not None]
        await index_later((THREAD, thread.id), *changed)
        notes = await forum_notices.on_accepted(actor, thread, post) if target is not None else []
        accepted = AnswerAccepted(thread.id, post.id, actor.id)
        await record(accepted)
    thread.accepted_post_id = target
    await publish(accepted)
    await announce(notes)
    return thread


async def list_revisions(actor: Actor, post_id: int) -> tuple[Post, Thread, list[dict[str, Any]]]:
    post, thread = await load_visible_post(actor, post_id)
    if not policy.can_see_post_body(actor, post):
        raise NotFound("No such post.")
    revisions = (
        await PostRevision.filter(post_id=post.id)
        .order_by("number")
        .values(
            "number",
            "title",
            "tag_names",
            "body_source",
            "body_html",
            "note",
            "created_at",
            editor_name="editor__display_name",
            editor_handle="editor__handle",
        )
    )
    return post, thread, revisions
