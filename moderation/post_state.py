"""Changing a post's state (visible, hidden, deleted, pending) with everything that follows from it."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import F

from community import visibility
from community.models import (
    Post,
    PostState,
    Thread,
    User,
)
from community.search.outbox import POST, THREAD, index_later
from community.timeutil import utcnow


async def set_post_state(post: Post, thread: Thread, state: str) -> None:
    """Change a post's state with everything that follows from it: counters when it enters or
    leaves 'deleted' (the author's) or the counted states (the thread's replies), the thread's
    activity when a held post is approved, its version (page cache) and the search outbox."""
    was = post.state
    updates: dict[str, Any] = {"version": F("version") + 1}
    if (was == PostState.DELETED) != (state == PostState.DELETED):
        step = -1 if state == PostState.DELETED else 1
        if post.is_opening:
            updates["is_deleted"] = state == PostState.DELETED
        await User.filter(id=post.author_id).update(post_count=F("post_count") + step)
    if not post.is_opening and (was in PostState.COUNTED) != (state in PostState.COUNTED):
        updates["reply_count"] = F("reply_count") + (1 if state in PostState.COUNTED else -1)
    if was == PostState.PENDING and state == PostState.VISIBLE:
        # Approved: new to everyone now, so the thread comes up as active now.
        updates["last_activity_at"] = max(utcnow(), thread.last_activity_at)
    if state == PostState.DELETED and thread.accepted_post_id == post.id:
        updates["accepted_post_id"] = None
        await User.filter(id=post.author_id).update(accepted_count=F("accepted_count") - 1)
    await Post.filter(id=post.id).update(state=state)
    await Thread.filter(id=thread.id).update(**updates)
    if post.is_opening:  # the question hidden or shown: duplicates' banners name it or not
        await visibility.refresh_duplicates_of(thread.id)
    # The whole thread when its question or accepted answer changed; otherwise the post and the
    # thread's own document (search.sources.changes_for).
    whole = post.is_opening or "accepted_post_id" in updates
    await index_later((THREAD, thread.id) if whole else (POST, post.id))
    post.state = state
