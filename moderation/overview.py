"""The moderation overview: what waits, how fast it is handled, by whom, and where trouble gathers.

Each figure is one grouped query (the same SQL on SQLite and PostgreSQL); only the median is
computed here, from the week's decision times, since SQLite has no percentile function.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.functions import Count

from community import policy
from community.actor import Actor
from community.errors import Forbidden
from community.models import AuditEntry, Flag, ReviewItem, ReviewKind, ReviewState, Role, Thread, User
from community.timeutil import utcnow

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
    flagged_users, flagged_threads = await _most_flagged(flags_since)
    return Overview(
        since=since,
        flags_since=flags_since,
        waiting=waiting,
        waiting_total=sum(counts.values()),
        oldest=oldest,
        moderators=await _per_moderator(since),
        **await _time_to_decision(since),
        flagged_users=flagged_users,
        flagged_threads=flagged_threads,
    )


async def _per_moderator(since: datetime) -> list[dict[str, Any]]:
    """Review decisions and all audited actions (thread actions, sanctions...) per moderator and
    admin (an expert's or partner's own audited steps are not moderation)."""
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
    people = await User.filter(
        id__in=list(set(decided) | set(acted)), role__in=[Role.MODERATOR, Role.ADMIN]
    ).values("id", "handle", "display_name")
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


async def _most_flagged(since: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Whose posts and which threads drew the most flags: one pass over the recent flags, grouped
    by thread and author (a thread's own flags sit on its opening post: its author's)."""
    groups = (
        await Flag.filter(created_at__gte=since, post_id__not_isnull=True)
        .annotate(n=Count("id"))
        .group_by("thread_id", "post__author_id")
        .values_list("thread_id", "post__author_id", "n")
    )
    by_thread: Counter[int] = Counter()
    by_author: Counter[int] = Counter()
    for thread_id, author_id, n in groups:
        by_thread[thread_id] += n
        by_author[author_id] += n
    top_threads = sorted(by_thread.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    top_authors = sorted(by_author.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    titles = dict(await Thread.filter(id__in=[t for t, _ in top_threads]).values_list("id", "title"))
    people = {
        u["id"]: u
        for u in await User.filter(id__in=[a for a, _ in top_authors]).values("id", "handle", "display_name")
    }
    users = [
        {"handle": people[a]["handle"], "display_name": people[a]["display_name"], "flags": n}
        for a, n in top_authors
        if a in people
    ]
    threads = [{"id": t, "title": titles[t], "flags": n} for t, n in top_threads if t in titles]
    return users, threads
