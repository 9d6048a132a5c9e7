"""What the experts directory and a routed question's page say in numbers, read from the posts
themselves: answers, accepted answers, and median times to a first answer.

Every figure counts only what the viewer may see (the categories passed in), so a figure never
betrays that restricted threads exist. Times are UTC wall-clock hours (no business hours).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from community.actor import as_aware
from community.db import fetch_rows
from community.models import PostState, ThreadKind

# The category's "usually answered within" reads its latest answered questions, so it follows
# how support works now rather than years ago.
CATEGORY_SAMPLE = 200


@dataclass(frozen=True)
class ExpertFigures:
    answers: int = 0
    accepted: int = 0
    median_first_answer_hours: float | None = None


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def hours_between(start: datetime | str | None, end: datetime | str | None) -> float | None:
    a, b = as_aware(start), as_aware(end)
    if a is None or b is None:
        return None
    return max((b - a).total_seconds(), 0.0) / 3600


def median_hours(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known), 1) if known else None


async def expert_figures(
    user_ids: Sequence[int], category_ids: Sequence[int], private_org_id: int | None = None, *, staff: bool
) -> dict[int, ExpertFigures]:
    """Per expert: answers to questions, accepted answers, and the median time from a question to
    their first answer in it; three grouped queries whatever the number of experts. Private
    questions count for staff, and for the partner organisation they belong to."""
    ids, cats = list(user_ids), list(category_ids)
    if not ids or not cats:
        return {uid: ExpertFigures() for uid in ids}
    scope = (
        f"p.author_id IN ({_marks(ids)}) AND t.category_id IN ({_marks(cats)}) "
        "AND t.is_deleted = ? AND t.kind = ?"
    )
    params: list[object] = [*ids, *cats, False, ThreadKind.QUESTION]
    if not staff:
        scope += " AND (t.private_org_id IS NULL OR t.private_org_id = ?)"
        params.append(private_org_id)
    answered = await fetch_rows(
        "SELECT p.author_id, t.id AS thread_id, t.created_at AS asked_at, MIN(p.created_at) AS answered_at, "
        "COUNT(*) AS answers FROM post p JOIN thread t ON t.id = p.thread_id "
        f"WHERE {scope} AND p.is_opening = ? AND p.state = ? AND p.author_id <> t.author_id "
        "GROUP BY p.author_id, t.id, t.created_at",
        *params, False, PostState.VISIBLE,
    )  # fmt: skip
    accepted = await fetch_rows(
        "SELECT p.author_id, COUNT(*) AS n FROM thread t JOIN post p ON p.id = t.accepted_post_id "
        f"WHERE {scope} AND p.state = ? GROUP BY p.author_id",
        *params, PostState.VISIBLE,
    )  # fmt: skip
    answers: dict[int, int] = defaultdict(int)
    times: dict[int, list[float | None]] = defaultdict(list)
    for row in answered:
        answers[row["author_id"]] += int(row["answers"])
        times[row["author_id"]].append(hours_between(row["asked_at"], row["answered_at"]))
    accepted_by = {row["author_id"]: int(row["n"]) for row in accepted}
    return {
        uid: ExpertFigures(answers[uid], accepted_by.get(uid, 0), median_hours(times.get(uid, [])))
        for uid in ids
    }


async def category_median_first_answer(category_id: int) -> float | None:
    """The median time from question to first answer (by anyone but the asker) over the
    category's latest ``CATEGORY_SAMPLE`` answered questions; None when none was answered yet."""
    rows = await fetch_rows(
        "SELECT t.id, t.created_at AS asked_at, MIN(p.created_at) AS answered_at FROM thread t "
        "JOIN post p ON p.thread_id = t.id AND p.is_opening = ? AND p.state = ? "
        "AND p.author_id <> t.author_id "
        "WHERE t.category_id = ? AND t.kind = ? AND t.is_deleted = ? "
        "GROUP BY t.id, t.created_at ORDER BY t.created_at DESC LIMIT ?",
        False, PostState.VISIBLE, category_id, ThreadKind.QUESTION, False, CATEGORY_SAMPLE,
    )  # fmt: skip
    return median_hours([hours_between(r["asked_at"], r["answered_at"]) for r in rows])
