"""What the forum tells people. Who hears about new threads, new posts and accepted answers (called
inside ``forum.threads.create_thread``, ``forum.posts.reply`` and ``forum.posts.accept_answer``);
what a thread's author hears when a moderator closes, locks, moves, merges or marks it as a
duplicate (``forum.thread_actions`` and ``forum.merging`` decide when, and whether the author may
see the other thread or category; the texts are here).

Each person hears about one post once, by its most specific reason: a mention, then an answer or
reply to their own thread, then a new post in a thread they watch.
"""

from __future__ import annotations

from community.actor import Actor
from community.models import NotificationKind as Kind
from community.models import Post, PostState, Thread
from community.notifications import watchers
from community.notifications.delivery import Created, clip, notify


def post_url(post_id: int) -> str:
    """A post's permanent address: it leads to the right page of its thread, whatever the order."""
    return f"/posts/{post_id}"


async def on_new_thread(actor: Actor, thread: Thread, post: Post, mentioned: list[int]) -> Created:
    """The author watches what they start (preferences permitting); people mentioned in the
    question, and people watching its category or one of its tags, hear about it. Nothing while the
    question waits for review."""
    await watchers.auto_watch(actor, thread.id, started=True)
    if post.state != PostState.VISIBLE:
        return []
    title = clip(thread.title)
    created = await _mentions(actor, thread, post, mentioned)
    told = {uid for uid, _ in created} | {actor.id}
    watching = await watchers.question_watchers(thread.category_id, list(thread.tag_names or []))
    what = "question" if thread.is_question else "discussion"
    created += await notify(
        kind=Kind.WATCHED_QUESTION,
        recipient_ids=[uid for uid in watching if uid not in told],
        text=f"New {what} by {actor.display_name}: “{title}”",
        url=f"/t/{thread.id}",
        actor_id=actor.id,
        thread_id=thread.id,
        post_id=post.id,
    )
    return created


async def on_new_post(actor: Actor, thread: Thread, post: Post, mentioned: list[int]) -> Created:
    """The replier watches the thread (preferences permitting); people mentioned, the thread's
    author and its watchers hear about the post. Replies pile up into one unread entry per thread
    and reason. Nothing while the post waits for review."""
    await watchers.auto_watch(actor, thread.id, started=False)
    if post.state != PostState.VISIBLE:
        return []
    title = clip(thread.title)
    url = post_url(post.id)
    created = await _mentions(actor, thread, post, mentioned)
    told = {uid for uid, _ in created} | {actor.id}
    if thread.author_id not in told:
        kind = Kind.ANSWER if thread.is_question else Kind.REPLY
        verb = "answered your question" if thread.is_question else "replied to your discussion"
        created += await notify(
            kind=kind,
            recipient_ids=[thread.author_id],
            text=f"{actor.display_name} {verb} “{title}”",
            url=url,
            actor_id=actor.id,
            thread_id=thread.id,
            post_id=post.id,
            group_key=f"thread:{thread.id}:{kind}",
        )
        told.add(thread.author_id)
    watching = [uid for uid in await watchers.thread_watchers(thread.id) if uid not in told]
    created += await notify(
        kind=Kind.WATCHED_THREAD,
        recipient_ids=watching,
        text=f"{actor.display_name} posted in “{title}”",
        url=url,
        actor_id=actor.id,
        thread_id=thread.id,
        post_id=post.id,
        group_key=f"thread:{thread.id}:{Kind.WATCHED_THREAD}",
    )
    return created


async def on_accepted(actor: Actor, thread: Thread, post: Post) -> Created:
    return await notify(
        kind=Kind.ACCEPTED,
        recipient_ids=[post.author_id],
        text=f"Your answer to “{clip(thread.title)}” was accepted",
        url=post_url(post.id),
        actor_id=actor.id,
        thread_id=thread.id,
        post_id=post.id,
    )


async def _mentions(actor: Actor, thread: Thread, post: Post, mentioned: list[int]) -> Created:
    """Only people who may see the thread: ``notify`` leaves out the rest."""
    return await notify(
        kind=Kind.MENTION,
        recipient_ids=mentioned,
        text=f"{actor.display_name} mentioned you in “{clip(thread.title)}”",
        url=post_url(post.id),
        actor_id=actor.id,
        thread_id=thread.id,
        post_id=post.id,
    )


# -- what a thread's author hears when a moderator acts on it --------------------------------------

_UNSEEN_THREAD = "a thread you cannot see"
_THREAD_CHANGES = {
    "close": "closed your thread",
    "reopen": "reopened your thread",
    "not_duplicate": "reopened your thread",
    "lock": "locked your thread",
    "unlock": "unlocked your thread",
}


async def thread_changed(moderator_id: int, thread: Thread, action: str, reason: str) -> Created:
    """Closed, reopened (also when it was not a duplicate after all), locked or unlocked."""
    return await _tell_thread_author(moderator_id, thread, _THREAD_CHANGES[action], reason)


async def thread_marked_duplicate(
    moderator_id: int, thread: Thread, original_title: str | None, reason: str
) -> Created:
    """``original_title`` None: the author may not see the original, and the notice does not name it."""
    original = f"“{original_title}”" if original_title is not None else _UNSEEN_THREAD
    return await _tell_thread_author(
        moderator_id, thread, f"marked your thread as a duplicate of {original}", reason
    )


async def thread_moved(moderator_id: int, thread: Thread, category_name: str | None, reason: str) -> Created:
    """``category_name`` None: the author may not see the new category, so the notice neither names
    it nor links to the thread."""
    if category_name is None:
        what = "moved your thread to a category you cannot see"
        return await _tell_thread_author(moderator_id, thread, what, reason, url="/")
    return await _tell_thread_author(moderator_id, thread, f"moved your thread to {category_name}", reason)


async def thread_merged(
    moderator_id: int, source: Thread, target: Thread, reason: str, *, target_seen: bool
) -> Created:
    """The source's author. A target they may not see (its title can be the confidential part) is
    not named, and the notice is about their own, now merged, thread, linking nowhere."""
    if target_seen:
        into, url, about = f"“{target.title}”", f"/t/{target.id}", target.id
    else:
        into, url, about = _UNSEEN_THREAD, "/", source.id
    why = f" ({reason})" if reason else ""
    return await notify(
        kind=Kind.THREAD_MODERATED, recipient_ids=[source.author_id],
        text=f"A moderator merged your thread “{source.title}” into {into}{why}",
        url=url, actor_id=moderator_id, thread_id=about,
    )  # fmt: skip


async def merged_into_thread(
    moderator_id: int, source: Thread, target: Thread, *, source_seen: bool
) -> Created:
    """The target's author; the source is named only if they may see it."""
    named = f"“{source.title}”" if source_seen else _UNSEEN_THREAD
    return await notify(
        kind=Kind.THREAD_MODERATED, recipient_ids=[target.author_id],
        text=f"A moderator merged {named} into your thread “{target.title}”",
        url=f"/t/{target.id}", actor_id=moderator_id, thread_id=target.id,
    )  # fmt: skip


async def _tell_thread_author(
    moderator_id: int, thread: Thread, what: str, reason: str, url: str | None = None
) -> Created:
    text = f"A moderator {what}: “{thread.title}”" + (f" ({reason})" if reason else "")
    return await notify(
        kind=Kind.THREAD_MODERATED,
        recipient_ids=[thread.author_id],
        text=text,
        url=url or f"/t/{thread.id}",
        actor_id=moderator_id,
        thread_id=thread.id,
    )
