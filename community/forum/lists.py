"""Thread lists: latest, unanswered and solved, by category, tag or author, one page at a time."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from community import policy, validation
from community.actor import Actor
from community.errors import Invalid, NotFound
from community.experts.targets import overdue_among
from community.models import (
    Category,
    Thread,
    ThreadKind,
    ThreadStatus,
)
from community.timeutil import utcnow
from community.visibility import load_visible_thread, visible_threads

LIST_FILTERS = ("latest", "unanswered", "solved")


@dataclass
class ThreadList:
    items: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    per_page: int

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None


MAX_PAGE_NUMBER = 100_000


def parse_page(raw: object) -> int:
    """The page an address asks for, read kindly (pages people type or edit): anything but a
    whole number from 1 is the first page. The API is strict (``community.api.params.page``)."""
    page = validation.positive_int(raw, MAX_PAGE_NUMBER) if raw not in (None, "") else None
    return page or 1


async def list_threads(
    actor: Actor,
    *,
    category: str | None = None,
    tag: str | None = None,
    status: str | None = None,
    show: str = "latest",
    author_id: int | None = None,
    page: int = 1,
    per_page: int = 20,
) -> ThreadList:
    """Threads the actor may see. Unknown or invisible categories give 404, an unknown status 422."""
    visible = await policy.visible_category_ids(actor)
    query = visible_threads(actor, visible)
    if category:
        cat = (
            await Category.filter(slug=category).first() if validation.can_name_something(category) else None
        )
        if cat is None or cat.id not in visible:
            raise NotFound("No such category.")
        query = query.filter(category_id=cat.id)
    if tag:
        if not validation.can_name_something(tag):
            raise Invalid({"tag": "The tag has characters that are not allowed or is too long."})
        query = query.filter(thread_tags__tag__name=tag.strip().lower())
    if status:
        if status not in (ThreadStatus.OPEN, ThreadStatus.CLOSED):
            raise Invalid({"status": "Status is open or closed."})
        query = query.filter(status=status)
    if show not in LIST_FILTERS:
        raise Invalid({"show": "This list cannot be shown that way: choose Latest, Unanswered or Solved."})
    if show == "unanswered":
        query = query.filter(kind=ThreadKind.QUESTION, reply_count=0)
    elif show == "solved":
        query = query.filter(accepted_post_id__isnull=False)
    if author_id is not None:
        query = query.filter(author_id=author_id)
    total = await query.count()
    pages = max(1, math.ceil(total / per_page))
    # Pinned threads (a welcome, the rules) head every list but a member's own threads.
    ordering = (
        ("-last_activity_at", "-id") if author_id is not None else ("-pinned", "-last_activity_at", "-id")
    )
    rows = (
        await query.order_by(*ordering)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .values(*SUMMARY_FIELDS, **SUMMARY_RELATED)
    )
    if policy.can_see_response_times(actor) and rows:
        # Staff see which questions are past their response target ("overdue": which target).
        overdue = await overdue_among([r["id"] for r in rows], utcnow())
        for row in rows:
            row["overdue"] = overdue.get(row["id"])
    return ThreadList(items=rows, total=total, page=page, pages=pages, per_page=per_page)


# One row of a thread list; also what the API answers after accepting an answer.
SUMMARY_FIELDS = (
    "id", "title", "kind", "status", "pinned", "tag_names", "view_count", "reply_count",
    "score", "accepted_post_id", "created_at", "last_activity_at", "locked", "duplicate_of_id",
    "private_org_id",
)  # fmt: skip


SUMMARY_RELATED = {
    "category_slug": "category__slug",
    "category_name": "category__name",
    "author_name": "author__display_name",
    "author_handle": "author__handle",
}


async def get_thread_summary(actor: Actor, thread_id: int) -> dict[str, Any]:
    """One thread as a list row (same fields as ``list_threads`` items); 404 if not visible."""
    thread = await load_visible_thread(actor, thread_id)
    rows = await Thread.filter(id=thread.id).values(*SUMMARY_FIELDS, **SUMMARY_RELATED)
    return rows[0]
