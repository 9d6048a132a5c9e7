"""The moderation overview: what waits, how fast it is handled, by whom, and where trouble gathers.

Each figure is one grouped query (the same SQL on SQLite and PostgreSQL); only the median is
computed here, from the week's decision times, since SQLite has no percentile function.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.functions import Count

from community import policy
from community.actor import Actor
from community.errors import Forbidden
from community.models import AuditEntry, Flag, ReviewItem, ReviewKind, ReviewState, User
from community.services.threads import utcnow

WEEK = timedelta(days=7)
FLAG_WINDOW = timedelta(days=30)
TOP = 10
# Decisions a week beyond this are sampled by recency for the median (it hardly moves by then).
MEDIAN_SAMPLE = 20_000
FLAG_KINDS = [ReviewKind.FLAGGED_POST, ReviewKind.FLAGGED_THREAD]


@dataclass
class Overview:
    since: datetime  # start of "this week" (the last 7 days)
    flags_since: datetime  # start of the most-flagged window (the last 30 days)
    waiting: list[dict[str, Any]]  # kind, count: every kind, zeros included
    waiting_total: int
    oldest: dict[str, Any] | None  # the item waiting longest
    moderators: list[dict[str, Any]]  # handle, display_name, decisions, actions (this week)
    decided_this_week: int  # flagged items decided this week
    median_seconds_to_decision: int | None
    flagged_users: list[dict[str, Any]]  # handle, display_name, flags
    flagged_threads: list[dict[str, Any]]  # id, title, flags


async def overview(actor: Actor) -> Overview:
    if not policy.can_moderate(actor):
        raise Forbidden("Only moderators can see the moderation overview.")
    now = utcnow()
    since, flags_since = now - WEEK, now - FLAG_WINDOW
    pending = ReviewItem.filter(state=ReviewState.PENDING)
    counts = dict(await pending.annotate(n=Count("id")).group_by("kind").values_list("kind", "n"))
    waiting = [{"kind": kind, "count": counts.get(kind, 0)} for kind in ReviewKind.ALL]
    oldest_rows = (
        await pending.order_by("created_at", "id")
        .limit(1)
        .values("id", "kind", "reason", "created_at", thread_title="thread__title")
    )
    oldest = oldest_rows[0] if oldest_rows else None
    if oldest:
        oldest["waiting_seconds"] = max(0, int((now - oldest["created_at"]).total_seconds()))
    return Overview(
        since=since,
        flags_since=flags_since,
        waiting=waiting,
        waiting_total=sum(counts.values()),
        oldest=oldest,
        moderators=await _per_moderator(since),
        **await _time_to_decision(since),
        flagged_users=await _flagged_users(flags_since),
        flagged_threads=await _flagged_threads(flags_since),
    )


async def _per_moderator(since: datetime) -> list[dict[str, Any]]:
    """Review decisions and all audited actions (thread actions, sanctions...) per person."""
    decided = dict(
        await ReviewItem.filter(
            state=ReviewState.DECIDED, decided_at__gte=since, decided_by_id__not_isnull=True
        )
        .annotate(n=Count("id"))
        .group_by("decided_by_id")
        .values_list("decided_by_id", "n")
    )
    acted = dict(
        await AuditEntry.filter(created_at__gte=since, actor_id__not_isnull=True)
        .annotate(n=Count("id"))
        .group_by("actor_id")
        .values_list("actor_id", "n")
    )
    people = await User.filter(id__in=list(set(decided) | set(acted))).values("id", "handle", "display_name")
    rows = [{**p, "decisions": decided.get(p["id"], 0), "actions": acted.get(p["id"], 0)} for p in people]
    return sorted(rows, key=lambda r: (-r["decisions"], -r["actions"], r["display_name"]))


async def _time_to_decision(since: datetime) -> dict[str, Any]:
    """From the first flag (the item's creation) to the decision, for flagged items decided this week."""
    query = ReviewItem.filter(state=ReviewState.DECIDED, decided_at__gte=since, kind__in=FLAG_KINDS)
    rows = await query.order_by("-decided_at").limit(MEDIAN_SAMPLE).values_list("created_at", "decided_at")
    seconds = [max(0.0, (decided - created).total_seconds()) for created, decided in rows]
    return {
        "decided_this_week": len(seconds) if len(seconds) < MEDIAN_SAMPLE else await query.count(),
        "median_seconds_to_decision": int(statistics.median(seconds)) if seconds else None,
    }


async def _flagged_users(since: datetime) -> list[dict[str, Any]]:
    """Whose posts drew the most flags (a thread's flags are on its opening post: its author's)."""
    by_author = (
        await Flag.filter(created_at__gte=since, post_id__not_isnull=True)
        .annotate(n=Count("id"))
        .group_by("post__author_id")
        .order_by("-n", "post__author_id")
        .limit(TOP)
        .values_list("post__author_id", "n")
    )
    names = {
        u["id"]: u
        for u in await User.filter(id__in=[a for a, _ in by_author]).values("id", "handle", "display_name")
    }
    return [
        {"handle": names[a]["handle"], "display_name": names[a]["display_name"], "flags": n}
        for a, n in by_author
        if a in names
    ]


async def _flagged_threads(since: datetime) -> list[dict[str, Any]]:
    """Threads whose posts (or the thread itself) drew the most flags."""
    rows = (
        await Flag.filter(created_at__gte=since)
        .annotate(n=Count("id"))
        .group_by("thread_id", "thread__title")
        .order_by("-n", "thread_id")
        .limit(TOP)
        .values("thread_id", "n", title="thread__title")
    )
    return [{"id": r["thread_id"], "title": r["title"], "flags": r["n"]} for r in rows]
