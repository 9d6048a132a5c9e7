"""Loading the threads and posts a person may see: 404, exactly like a missing one, for anything
else. ``policy`` decides; this module asks it with what it loads.
"""

from __future__ import annotations

from tortoise.expressions import F, Q, Subquery
from tortoise.queryset import QuerySet

from community import policy
from community.actor import Actor
from community.errors import NotFound
from community.models import (
    Post,
    PostState,
    Thread,
)


async def refresh_duplicates_of(thread_id: int) -> None:
    """Pages of threads marked duplicates of this one show its title in their banner (to those
    who may see it): when its title or audience changes, their cached pages must go too."""
    await Thread.filter(duplicate_of_id=thread_id).update(version=F("version") + 1)


async def load_visible_thread(actor: Actor, thread_id: int, *, check_opening: bool = True) -> Thread:
    """The thread if the actor may see it; otherwise 404, exactly like a missing one.

    A thread whose question is held or hidden by moderation is seen by its author and moderators
    only: its title may be the very thing that was held (``check_opening=False`` when the caller
    checks that itself from the opening post it loads anyway)."""
    thread = await Thread.filter(id=thread_id).select_related("category").first()
    if (
        thread is None
        or thread.is_deleted
        or not policy.can_see_place(actor, thread.category, thread.private_org_id)
    ):
        raise NotFound("No such thread.")
    if check_opening:
        states = await Post.filter(thread_id=thread.id, is_opening=True).values_list("state", flat=True)
        if not states or not policy.can_see_thread(
            actor, thread.author_id, states[0], private_org_id=thread.private_org_id
        ):
            raise NotFound("No such thread.")
    return thread


def without_others_private(actor: Actor, threads: QuerySet[Thread]) -> QuerySet[Thread]:
    """``threads`` without the private questions the actor may not see (``policy.can_see_private``
    as a filter: staff see every one, a partner their own organisation's)."""
    if actor.is_staff:
        return threads
    return threads.filter(Q(private_org_id__isnull=True) | Q(private_org_id=actor.organisation_id))


async def others_private_exist(actor: Actor) -> bool:
    """Whether any private question is out of the actor's sight (counts must then leave them out)."""
    if actor.is_staff:
        return False
    return (
        await Thread.filter(private_org_id__isnull=False)
        .exclude(private_org_id=actor.organisation_id)
        .exists()
    )


def visible_threads(actor: Actor, visible_category_ids: list[int]) -> QuerySet[Thread]:
    """Threads in lists and counts: in a visible category, not deleted, not another
    organisation's private question (``policy.can_see_private``), and (for everyone but
    moderators and the author) not held or hidden by moderation."""
    query = without_others_private(
        actor, Thread.filter(is_deleted=False, category_id__in=visible_category_ids)
    )
    if actor.is_moderator:
        return query
    held = Subquery(
        Post.filter(is_opening=True, state__in=list(policy.THREAD_HIDING_STATES)).values("thread_id")
    )
    return query.filter(Q(id__not_in=held) | Q(author_id=actor.id))


async def load_visible_post(actor: Actor, post_id: int) -> tuple[Post, Thread]:
    """The post and its thread if the actor may see them; 404 otherwise, with the same message
    whether the post is missing or in a thread the actor may not see."""
    post = await Post.filter(id=post_id).first()
    if post is None:
        raise NotFound("No such post.")
    try:
        thread = await load_visible_thread(actor, post.thread_id)
    except NotFound:
        raise NotFound("No such post.") from None
    if post.state == PostState.PENDING and not policy.can_see_post_body(actor, post):
        raise NotFound("No such post.")
    return post, thread
