"""The two ratings side by side: what askers said of the support they got and what the experts
who answered said of how well they helped, per category, tier and organisation, with the gap."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from community.db import fetch_rows
from community.health.filters import Filters
from community.health.questions import thread_conditions
from community.health.stats import mean, share
from community.models import RatingSide, ThreadKind

SATISFIED = 4  # a rating of 4 or 5 counts as satisfied


@dataclass(frozen=True)
class SideFigures:
    count: int
    mean: float | None  # 1 to 5
    satisfied: float | None  # percent of ratings of 4 or 5


@dataclass(frozen=True)
class RatingFigures:
    asker: SideFigures
    expert: SideFigures

    @property
    def gap(self) -> float | None:
        """Points between how experts and askers see the support (satisfied shares): positive when
        the company thinks it helped more than partners felt helped."""
        if self.asker.satisfied is None or self.expert.satisfied is None:
            return None
        return self.expert.satisfied - self.asker.satisfied


async def ratings(filters: Filters) -> list[dict[str, Any]]:
    """Ratings of the questions asked in the period (matching the filters): one query."""
    extra, params = thread_conditions(filters)
    return await fetch_rows(
        "SELECT r.thread_id, r.side, r.score, t.category_id, u.organisation_id, o.tier "
        'FROM support_rating r JOIN thread t ON t.id = r.thread_id JOIN "user" u ON u.id = t.author_id '
        "JOIN organisation o ON o.id = u.organisation_id "
        f"WHERE t.kind = ? AND t.is_deleted = ? AND t.created_at >= ? AND t.created_at < ?{extra}",
        ThreadKind.QUESTION, False, filters.since, filters.until, *params,
    )  # fmt: skip


def _side(scores: list[int]) -> SideFigures:
    return SideFigures(
        len(scores), mean([float(s) for s in scores]), share(sum(s >= SATISFIED for s in scores), len(scores))
    )


def rating_figures(rows: Iterable[dict[str, Any]]) -> RatingFigures:
    rows = list(rows)
    return RatingFigures(
        _side([r["score"] for r in rows if r["side"] == RatingSide.ASKER]),
        _side([r["score"] for r in rows if r["side"] == RatingSide.EXPERT]),
    )
