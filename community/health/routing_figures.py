"""Routed questions per expert and how fast each answered them (staff only)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from community.db import fetch_rows
from community.health.filters import Filters
from community.health.questions import thread_conditions
from community.health.stats import Timing, moment
from community.models import PostState, ThreadKind, User

# One row per routing of a question of the period, with that expert's first visible answer in it.
# Before: every answer to the period's questions was read into Python in chunks of 500 threads to
# find the routed experts' own (120-310 ms at 100,000 posts with no routing at all, SQLite).
_ROUTINGS_SQL = """
SELECT r.thread_id, t.created_at AS asked_at, r.expert_id, r.routed_at, MIN(p.created_at) AS answered_at
FROM question_routing r
JOIN thread t ON t.id = r.thread_id
JOIN "user" u ON u.id = t.author_id
JOIN organisation o ON o.id = u.organisation_id
LEFT JOIN post p ON p.thread_id = r.thread_id AND p.author_id = r.expert_id
    AND p.is_opening = ? AND p.state = ?
WHERE t.kind = ? AND t.is_deleted = ? AND t.created_at >= ? AND t.created_at < ? {extra}
GROUP BY r.id, r.thread_id, t.created_at, r.expert_id, r.routed_at
"""


# The dashboard needs how many per expert and the answered routings' times only: the question
# rows of the unanswered ones (most of them) are counted in SQL, never fetched.
_PERIOD_JOINS = """
FROM question_routing r
JOIN thread t ON t.id = r.thread_id
JOIN "user" u ON u.id = t.author_id
JOIN organisation o ON o.id = u.organisation_id
"""
_PERIOD_WHERE = "WHERE t.kind = ? AND t.is_deleted = ? AND t.created_at >= ? AND t.created_at < ? {extra}"
_ROUTED_COUNTS_SQL = f"SELECT r.expert_id, COUNT(*) AS n {_PERIOD_JOINS} {_PERIOD_WHERE} GROUP BY r.expert_id"
_ROUTED_ANSWERED_SQL = f"""
SELECT r.expert_id, r.routed_at, MIN(p.created_at) AS answered_at {_PERIOD_JOINS}
JOIN post p ON p.thread_id = r.thread_id AND p.author_id = r.expert_id AND p.is_opening = ? AND p.state = ?
{_PERIOD_WHERE} GROUP BY r.id, r.expert_id, r.routed_at
"""


async def routings(filters: Filters, *, expert_id: int | None = None) -> list[dict[str, Any]]:
    """Every routing of a question of the period (matching the filters), optionally to one expert:
    ``thread_id``, ``asked_at``, ``expert_id``, ``routed_at`` and ``answered_at`` (that expert's
    first visible answer in it, or None), times as aware datetimes."""
    extra, params = thread_conditions(filters)
    if expert_id is not None:
        extra += " AND r.expert_id = ?"
        params.append(expert_id)
    rows = await fetch_rows(
        _ROUTINGS_SQL.format(extra=extra),
        False, PostState.VISIBLE, ThreadKind.QUESTION, False, filters.since, filters.until, *params,
    )  # fmt: skip
    for row in rows:
        for key in ("asked_at", "routed_at", "answered_at"):
            row[key] = moment(row[key])
    return rows


async def routed_per_expert(filters: Filters) -> list[dict[str, Any]]:
    """For each expert the period's questions (matching the filters) were routed to: how many, how
    many they answered themselves, and the time from routing to their first answer (median, 90th
    percentile). A question passed on counts for both the expert who passed it and the one who
    took it."""
    extra, params = thread_conditions(filters)
    period = (ThreadKind.QUESTION, False, filters.since, filters.until, *params)
    counts, answered = await asyncio.gather(
        fetch_rows(_ROUTED_COUNTS_SQL.format(extra=extra), *period),
        fetch_rows(_ROUTED_ANSWERED_SQL.format(extra=extra), False, PostState.VISIBLE, *period),
    )
    routed = {int(r["expert_id"]): int(r["n"]) for r in counts}
    waits: dict[int, list[float]] = defaultdict(list)
    for row in answered:
        at, routed_at = moment(row["answered_at"]), moment(row["routed_at"])
        if at is not None and routed_at is not None:
            waits[row["expert_id"]].append(max(0.0, (at - routed_at).total_seconds()))
    people = {
        u["id"]: u for u in await User.filter(id__in=list(routed)).values("id", "display_name", "handle")
    }
    out = []
    for expert_id, count in sorted(routed.items(), key=lambda item: -item[1]):
        timing = Timing.of(waits[expert_id])
        person = people.get(expert_id, {"display_name": "?", "handle": ""})
        out.append({
            "expert": person["display_name"], "handle": person["handle"], "routed": count,
            "answered": timing.count, "median": timing.median, "p90": timing.p90,
        })  # fmt: skip
    return out
