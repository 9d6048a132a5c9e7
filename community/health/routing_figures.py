"""Routed questions per expert and how fast each answered them (staff only)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from community.health.stats import Timing, moment
from community.models import Post, PostState, QuestionRouting, User

_CHUNK = 500


async def routed_per_expert(question_ids: list[int]) -> list[dict[str, Any]]:
    """For each expert the period's questions were routed to: how many, how many they answered
    themselves, and the time from routing to their first answer (median, 90th percentile). A
    question passed on counts for both the expert who passed it and the one who took it."""
    routings: list[dict[str, Any]] = []
    answers: dict[tuple[int, int], Any] = {}
    for start in range(0, len(question_ids), _CHUNK):
        chunk = question_ids[start : start + _CHUNK]
        routings += await QuestionRouting.filter(thread_id__in=chunk).values(
            "thread_id", "expert_id", "routed_at"
        )
        rows = await Post.filter(thread_id__in=chunk, is_opening=False, state=PostState.VISIBLE).values(
            "thread_id", "author_id", "created_at"
        )
        for row in rows:
            key = (row["thread_id"], row["author_id"])
            at = moment(row["created_at"])
            if key not in answers or at < answers[key]:
                answers[key] = at
    routed: dict[int, int] = defaultdict(int)
    waits: dict[int, list[float]] = defaultdict(list)
    for r in routings:
        routed[r["expert_id"]] += 1
        answered = answers.get((r["thread_id"], r["expert_id"]))
        routed_at = moment(r["routed_at"])
        if answered is not None and routed_at is not None:
            waits[r["expert_id"]].append(max(0.0, (answered - routed_at).total_seconds()))
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
