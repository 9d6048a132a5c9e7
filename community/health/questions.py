"""The questions of a period, one row each with the times that matter: when it was asked, its
first answer by anyone but the asker (and the first by a peer, the first by an expert), and its
accepted answer. Every question figure of the dashboard is computed from these rows, so the
totals, the breakdowns and the weekly trends cannot disagree.

"Peers" are partners; "experts" are staff (experts, moderators, administrators), by their role now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from community.db import fetch_rows
from community.health.filters import Filters
from community.health.stats import Timing, moment, seconds_between, share
from community.models import PostState, Role, ThreadKind, ThreadStatus


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    asked_at: datetime
    category_id: int
    organisation_id: int
    tier: str | None
    first_answer: float | None  # seconds from asking, by anyone but the asker
    first_peer: float | None
    first_expert: float | None
    accepted: float | None  # seconds from asking to the accepted answer's posting
    accepted_by_expert: bool | None

    @property
    def answered(self) -> bool:
        return self.first_answer is not None

    @property
    def solved(self) -> bool:
        return self.accepted is not None

    @property
    def week(self) -> date:
        """The Monday (UTC) of the week it was asked in."""
        day = self.asked_at.date()
        return day - timedelta(days=day.weekday())


_QUESTIONS_SQL = """
SELECT t.id, t.created_at, t.category_id, u.organisation_id, o.tier,
       (SELECT ap.created_at FROM post ap WHERE ap.id = t.accepted_post_id) AS accepted_at,
       (SELECT aa.role FROM post ap JOIN "user" aa ON aa.id = ap.author_id WHERE ap.id = t.accepted_post_id)
           AS accepted_role,
       f.first_at, f.first_peer_at, f.first_expert_at
FROM thread t
JOIN "user" u ON u.id = t.author_id
JOIN organisation o ON o.id = u.organisation_id
LEFT JOIN (
    SELECT p.thread_id, MIN(p.created_at) AS first_at,
           MIN(CASE WHEN a.role = ? THEN p.created_at END) AS first_peer_at,
           MIN(CASE WHEN a.role <> ? THEN p.created_at END) AS first_expert_at
    FROM post p JOIN thread q ON q.id = p.thread_id JOIN "user" a ON a.id = p.author_id
    WHERE p.is_opening = ? AND p.state = ? AND p.author_id <> q.author_id
      AND q.kind = ? AND q.is_deleted = ? AND q.created_at >= ? AND q.created_at < ?
    GROUP BY p.thread_id
) f ON f.thread_id = t.id
WHERE t.kind = ? AND t.is_deleted = ? AND t.created_at >= ? AND t.created_at < ? {extra}
"""


def thread_conditions(
    filters: Filters, thread: str = "t", org: str = "o", user: str = "u"
) -> tuple[str, list[Any]]:
    """SQL conditions (and their parameters) for the optional filters, on a thread ``t`` asked by
    user ``u`` of organisation ``o``."""
    sql, params = "", []
    if filters.category is not None:
        sql += f" AND {thread}.category_id = ?"
        params.append(filters.category.id)
    if filters.tier is not None:
        sql += f" AND {org}.tier = ?"
        params.append(filters.tier)
    if filters.organisation is not None:
        sql += f" AND {user}.organisation_id = ?"
        params.append(filters.organisation.id)
    return sql, params


async def questions(filters: Filters) -> list[Question]:
    """Every question asked in the period (not deleted), with its answer times: one query. The
    first answers are grouped by thread in a subquery (one integer key): a quarter faster on SQLite
    than grouping the joined rows by every column shown."""
    extra, params = thread_conditions(filters)
    rows = await fetch_rows(
        _QUESTIONS_SQL.format(extra=extra),
        Role.PARTNER, Role.PARTNER, False, PostState.VISIBLE, ThreadKind.QUESTION, False,
        filters.since, filters.until, ThreadKind.QUESTION, False, filters.since, filters.until, *params,
    )  # fmt: skip
    return [_question(r) for r in rows]


def _question(row: dict[str, Any]) -> Question:
    asked = moment(row["created_at"])
    assert asked is not None
    accepted_role = row["accepted_role"]
    return Question(
        id=row["id"],
        asked_at=asked,
        category_id=row["category_id"],
        organisation_id=row["organisation_id"],
        tier=row["tier"],
        first_answer=seconds_between(asked, moment(row["first_at"])),
        first_peer=seconds_between(asked, moment(row["first_peer_at"])),
        first_expert=seconds_between(asked, moment(row["first_expert_at"])),
        accepted=seconds_between(asked, moment(row["accepted_at"])),
        accepted_by_expert=None if accepted_role is None else accepted_role != Role.PARTNER,
    )


@dataclass(frozen=True)
class QuestionFigures:
    asked: int
    answered: int
    solved: int
    share_answered: float | None
    share_solved: float | None
    first_answer: Timing
    first_peer: Timing
    first_expert: Timing
    accepted: Timing
    accepted_peer: Timing
    accepted_expert: Timing


def figures(items: Iterable[Question]) -> QuestionFigures:
    qs = list(items)
    answered = sum(q.answered for q in qs)
    solved = sum(q.solved for q in qs)
    return QuestionFigures(
        asked=len(qs),
        answered=answered,
        solved=solved,
        share_answered=share(answered, len(qs)),
        share_solved=share(solved, len(qs)),
        first_answer=Timing.of(q.first_answer for q in qs if q.first_answer is not None),
        first_peer=Timing.of(q.first_peer for q in qs if q.first_peer is not None),
        first_expert=Timing.of(q.first_expert for q in qs if q.first_expert is not None),
        accepted=Timing.of(q.accepted for q in qs if q.accepted is not None),
        accepted_peer=Timing.of(
            q.accepted for q in qs if q.accepted is not None and not q.accepted_by_expert
        ),
        accepted_expert=Timing.of(q.accepted for q in qs if q.accepted is not None and q.accepted_by_expert),
    )


def weeks_of(filters: Filters) -> list[date]:
    """The Mondays of the weeks the period touches (the first and last may be partial)."""
    first = filters.start - timedelta(days=filters.start.weekday())
    return [first + timedelta(weeks=n) for n in range((filters.end - first).days // 7 + 1)]


_CLOCKS_SQL = """
SELECT c.thread_id, c.first_answer_due, c.solution_due FROM response_clock c
JOIN thread t ON t.id = c.thread_id JOIN "user" u ON u.id = t.author_id
JOIN organisation o ON o.id = u.organisation_id
WHERE t.kind = ? AND t.is_deleted = ? AND t.status = ? AND t.created_at >= ? AND t.created_at < ?
  AND (c.first_answer_due <= ? OR c.solution_due <= ?) {extra}
"""


async def overdue_clocks(filters: Filters, now: datetime) -> list[dict[str, Any]]:
    """The response clocks of the period's open questions (matching the filters) with a deadline
    passed by ``now``, met or not (``late_among`` tells): one query."""
    extra, params = thread_conditions(filters)
    return await fetch_rows(
        _CLOCKS_SQL.format(extra=extra),
        ThreadKind.QUESTION, False, ThreadStatus.OPEN, filters.since, filters.until, now, now, *params,
    )  # fmt: skip


def late_among(clocks: Iterable[dict[str, Any]], items: Iterable[Question], now: datetime) -> dict[int, str]:
    """Of these questions, those past a response target now (the categories' targets,
    ``community.experts.targets``): thread id -> "first_answer" or "solution". The same rule as the
    Waiting view, read only: unanswered past the first-answer deadline, or unsolved past the
    solution deadline."""
    by_id = {q.id: q for q in items}
    found: dict[int, str] = {}
    for row in clocks:
        q = by_id.get(row["thread_id"])
        if q is None:
            continue
        first_due, solution_due = moment(row["first_answer_due"]), moment(row["solution_due"])
        if not q.answered and first_due is not None and first_due <= now:
            found[q.id] = "first_answer"
        elif not q.solved and solution_due is not None and solution_due <= now:
            found[q.id] = "solution"
    return found


async def overdue(filters: Filters, items: Iterable[Question], now: datetime) -> dict[int, str]:
    """Of the period's questions, those open and past a response target now (``late_among``)."""
    return late_among(await overdue_clocks(filters, now), items, now)
