"""Who hears about new threads, new posts and accepted answers; called inside those use cases'
transactions (``forum.threads.create_thread``, ``forum.posts.reply``, ``forum.posts.accept_answer``).

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
