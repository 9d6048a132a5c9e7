"""The thread page: the question, one page of answers in their order, what the viewer may do with
each, and the version that keys the page cache.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from community import policy
from community.actor import Actor, ThreadStamp, thread_stamp_from_row
from community.db import fetch_rows
from community.errors import NotFound
from community.models import (
    ArticleState,
    Post,
    PostState,
    Thread,
)
from community.visibility import load_visible_thread
from moderation import held


@dataclass
class PostView:
    """One post as the actor sees it, with what the actor may do to it."""

    id: int
    author_id: int
    author_name: str
    author_handle: str
    author_role: str
    author_org: str
    author_avatar: str | None
    is_opening: bool
    body_html: str
    score: int
    state: str
    created_at: datetime
    edited_at: datetime | None
    revision_count: int
    is_accepted: bool = False
    voted: bool = False
    can_edit: bool = False
    can_delete: bool = False
    can_vote: bool = False
    can_accept: bool = False
    can_flag: bool = False
    can_promote: bool = False
    # The Markdown source, filled in only by ``attach_sources`` and only for posts the actor may edit.
    body_source: str | None = None
    # The knowledge-base article this answer became (published, and visible to the actor).
    article_id: int | None = None
    # Held for review: why, and what the author can do (only for those who see the post's text).
    held_reason: str | None = None


@dataclass
class ThreadView:
    thread: Thread
    question: PostView
    posts: list[PostView]
    page: int
    pages: int
    total_replies: int
    can_reply: bool
    can_accept: bool
    extra: dict[str, Any] = field(default_factory=dict)


_AUTHOR_VALUES = {
    "author_name": "author__display_name",
    "author_handle": "author__handle",
    "author_role": "author__role",
    "author_org": "author__organisation__name",
    "author_avatar": "author__avatar",
}


POST_FIELDS = (
    "id", "author_id", "is_opening", "body_html", "score", "state", "created_at", "edited_at",
    "revision_count",
)  # fmt: skip


def _post_view(actor: Actor, thread: Thread, row: dict[str, Any], voted: set[int]) -> PostView:
    pv = PostView(
        id=row["id"], author_id=row["author_id"], author_name=row["author_name"],
        author_handle=row["author_handle"], author_role=row["author_role"],
        author_org=row["author_org"], author_avatar=row["author_avatar"], is_opening=row["is_opening"],
        body_html=row["body_html"], score=row["score"], state=row["state"], created_at=row["created_at"],
        edited_at=row["edited_at"], revision_count=row["revision_count"],
    )  # fmt: skip
    pv.is_accepted = thread.accepted_post_id == pv.id
    if not policy.can_see_post_body(actor, pv):
        pv.body_html = ""
    pv.voted = pv.id in voted
    pv.can_edit = policy.can_edit_post(actor, pv, locked=thread.locked)
    pv.can_delete = policy.can_delete_post(actor, pv, locked=thread.locked)
    pv.can_vote = policy.can_vote(actor, pv, locked=thread.locked)
    pv.can_flag = policy.offers_flag(actor, pv)
    pv.can_promote = not pv.is_opening and pv.state == PostState.VISIBLE and policy.can_curate(actor)
    pv.can_accept = (
        not pv.is_opening
        and pv.state == PostState.VISIBLE
        and policy.can_accept_post(actor, thread, pv.author_id)
    )
    return pv


def post_view(actor: Actor, thread: Thread, row: dict[str, Any]) -> PostView:
    """A post row (``post_rows``) as ``actor`` sees it; live delivery renders posts with this."""
    return _post_view(actor, thread, row, set())


async def post_rows(post_ids: list[int]) -> list[dict[str, Any]]:
    """Posts as the thread page loads them (with their authors), for ``post_view``."""
    return await Post.filter(id__in=post_ids).values(*POST_FIELDS, **_AUTHOR_VALUES)


async def get_thread_view(
    actor: Actor, thread_id: int, page: int = 1, per_page: int = 50, *, with_sources: bool = False
) -> ThreadView:
    """A bounded number of queries whatever the thread's length: the thread, the opening and
    accepted posts, one page of replies, their count and the actor's votes on them."""
    thread = await load_visible_thread(actor, thread_id, check_opening=False)
    replies = _replies(actor, thread)
    accepted_id = thread.accepted_post_id if thread.is_question else None
    head_filter = Q(thread_id=thread.id, is_opening=True)
    if accepted_id:
        head_filter |= Q(id=accepted_id, thread_id=thread.id)
        replies = replies.exclude(id=accepted_id)
    head = {r["id"]: r for r in await Post.filter(head_filter).values(*POST_FIELDS, **_AUTHOR_VALUES)}
    opening = next((r for r in head.values() if r["is_opening"]), None)
    if opening is None or not policy.can_see_thread(
        actor, thread.author_id, opening["state"], private_org_id=thread.private_org_id
    ):
        raise NotFound("No such thread.")
    accepted = head.get(accepted_id) if accepted_id else None
    total = await replies.count() + (1 if accepted else 0)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    # The accepted answer takes the first slot of page 1; later pages shift by one.
    shift = 1 if accepted else 0
    offset = max(0, (page - 1) * per_page - shift)
    limit = per_page - shift if page == 1 else per_page
    order = ("-score", "created_at", "id") if thread.is_question else ("created_at", "id")
    rows = await replies.order_by(*order).offset(offset).limit(limit).values(*POST_FIELDS, **_AUTHOR_VALUES)
    if accepted and page == 1:
        rows.insert(0, accepted)
    ids = [opening["id"]] + [r["id"] for r in rows]
    voted, articles = await _votes_and_articles(actor, thread.id, ids)
    view = ThreadView(
        thread=thread,
        question=_post_view(actor, thread, opening, voted),
        posts=[_post_view(actor, thread, r, voted) for r in rows],
        page=page,
        pages=pages,
        total_replies=total,
        can_reply=policy.can_reply(actor, thread),
        can_accept=policy.can_accept(actor, thread),
    )
    by_post = {a["post_id"]: a["id"] for a in articles}
    for pv in view.posts:
        pv.article_id = by_post.get(pv.id)
    view.extra["articles"] = articles
    await attach_held_reasons([view.question, *view.posts])
    if with_sources:
        await attach_sources([view.question, *view.posts])
    return view


async def attach_held_reasons(views: list[PostView]) -> None:
    """Tell whoever sees a held post's text (its author, moderators) why it waits: one query, and
    only when such a post is among ``views``."""
    waiting = {pv.id: pv for pv in views if pv.state == PostState.PENDING and pv.body_html}
    if not waiting:
        return
    reasons = await held.held_reasons(list(waiting))
    for post_id, pv in waiting.items():
        pv.held_reason = reasons.get(post_id) or held.explain("")


_VOTES_AND_ARTICLES_SQL = (
    "SELECT 'v' AS k, post_id, NULL AS article_id, NULL AS title, NULL AS visibility, NULL AS tiers "
    "FROM vote WHERE user_id = ? AND post_id IN ({ids}) "
    "UNION ALL SELECT 'a' AS k, a.source_post_id, a.id, a.title, c.visibility, CAST(c.tiers AS TEXT) "
    "FROM article a JOIN category c ON c.id = a.category_id "
    "WHERE a.source_thread_id = ? AND a.state = ? ORDER BY 1, 3"
)


async def _votes_and_articles(
    actor: Actor, thread_id: int, post_ids: list[int]
) -> tuple[set[int], list[dict[str, Any]]]:
    """The actor's votes on these posts and the thread's published articles the actor may see,
    in one round trip (the thread page's query budget): answers show a "Best practice" badge,
    the thread links to its articles at the top."""
    sql = _VOTES_AND_ARTICLES_SQL.format(ids=", ".join("?" * len(post_ids)))
    rows = await fetch_rows(sql, actor.id, *post_ids, thread_id, ArticleState.PUBLISHED)
    voted = {r["post_id"] for r in rows if r["k"] == "v"}
    articles = [
        {"id": r["article_id"], "title": r["title"], "post_id": r["post_id"]}
        for r in rows
        if r["k"] == "a"
        and policy.can_see_category_rule(actor, r["visibility"], json.loads(r["tiers"] or "[]"))
    ]
    return voted, articles


def _replies(actor: Actor, thread: Thread) -> QuerySet[Post]:
    """The answers or replies the actor sees listed on the thread's pages."""
    replies = Post.filter(thread_id=thread.id, is_opening=False)
    if not actor.is_moderator:
        replies = replies.filter(Q(state__not=PostState.PENDING) | Q(author_id=actor.id))
    return replies


async def page_of_post(actor: Actor, thread: Thread, post: Post, per_page: int) -> int:
    """The page of the thread on which ``get_thread_view`` shows the post: answers move with their
    votes, so a link to a post finds its page when it is followed (one count query)."""
    accepted_id = thread.accepted_post_id if thread.is_question else None
    if post.is_opening or post.id == accepted_id:
        return 1
    replies = _replies(actor, thread)
    if accepted_id:
        replies = replies.exclude(id=accepted_id)
    if thread.is_question:
        earlier = (
            Q(score__gt=post.score)
            | Q(score=post.score, created_at__lt=post.created_at)
            | Q(score=post.score, created_at=post.created_at, id__lt=post.id)
        )
    else:
        earlier = Q(created_at__lt=post.created_at) | Q(created_at=post.created_at, id__lt=post.id)
    before = await replies.filter(earlier).count() + (1 if accepted_id else 0)
    return before // per_page + 1


async def attach_sources(views: list[PostView]) -> None:
    """Fill in the Markdown source of the posts the actor may edit (one query), so an API client
    can edit without a second round trip; nobody else sees another person's source."""
    editable = {pv.id: pv for pv in views if pv.can_edit}
    if not editable:
        return
    rows = await Post.filter(id__in=list(editable)).values_list("id", "body_source")
    for post_id, source in rows:
        editable[post_id].body_source = source


async def get_post_view(actor: Actor, thread: Thread, post_id: int) -> PostView:
    """One post of a thread the caller has already checked the actor may see, as that actor sees it
    (with its source if they may edit it). Use ``forum.posts.get_post_view`` from outside."""
    rows = await Post.filter(id=post_id, thread_id=thread.id).values(*POST_FIELDS, **_AUTHOR_VALUES)
    if not rows:
        raise NotFound("No such post.")
    voted, articles = await _votes_and_articles(actor, thread.id, [post_id])
    view = _post_view(actor, thread, rows[0], voted)
    view.article_id = next((a["id"] for a in articles if a["post_id"] == post_id), None)
    await attach_held_reasons([view])
    await attach_sources([view])
    return view


_STAMP_SQL = (
    "SELECT t.version, t.is_deleted, t.private_org_id, c.visibility, c.tiers "
    "FROM thread t JOIN category c ON c.id = t.category_id WHERE t.id = ?"
)


async def thread_version(actor: Actor, thread_id: int, stamp: ThreadStamp | None = None) -> int:
    """The thread's content version if the actor may see the thread, else 404.

    The page cache asks this on every view (one raw query, or none when the caller loaded the
    stamp with the actor); anything that changes what the page shows bumps the version, so a
    cached page is never served stale."""
    if stamp is None:
        rows = await fetch_rows(_STAMP_SQL, thread_id)
        stamp = thread_stamp_from_row(rows[0]) if rows else None
    if stamp is None or stamp.is_deleted:
        raise NotFound("No such thread.")
    if not policy.can_see_category_rule(actor, stamp.visibility, stamp.tiers):
        raise NotFound("No such thread.")
    if not policy.can_see_private(actor, stamp.private_org_id):
        raise NotFound("No such thread.")
    return stamp.version
