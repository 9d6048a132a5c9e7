"""The dashboard's figures beyond questions: articles (published, read, found helpful), who took
part, the top contributors and the flags with the time moderators took to decide them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from community.db import fetch_rows
from community.health.filters import Filters
from community.health.questions import thread_conditions
from community.health.stats import Timing, moment, seconds_between, share
from community.models import ArticleState, PostState, Role, ThreadKind

CONTRIBUTORS_SHOWN = 10


@dataclass(frozen=True)
class ArticleFigures:
    published: int
    views: int
    rated: int
    helpful: int
    share_helpful: float | None


async def articles(filters: Filters) -> ArticleFigures:
    """Articles published in the period, reads of any article on its days, and the helpful share of
    the ratings given in it (by category only: articles have no asker organisation)."""
    cat_sql, cat_params = (
        ("", []) if filters.category is None else (" AND a.category_id = ?", [filters.category.id])
    )
    published = await fetch_rows(
        "SELECT COUNT(*) AS n FROM article a WHERE a.published_at >= ? AND a.published_at < ? "
        f"AND a.state <> ?{cat_sql}",
        filters.since, filters.until, ArticleState.DRAFT, *cat_params,
    )  # fmt: skip
    views = await fetch_rows(
        "SELECT COALESCE(SUM(v.views), 0) AS n FROM article_view_day v JOIN article a ON a.id = v.article_id "
        f"WHERE v.day >= ? AND v.day <= ?{cat_sql}",
        filters.start, filters.end, *cat_params,
    )  # fmt: skip
    ratings = await fetch_rows(
        "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN r.helpful THEN 1 ELSE 0 END), 0) AS helpful "
        "FROM article_rating r JOIN article a ON a.id = r.article_id "
        f"WHERE r.updated_at >= ? AND r.updated_at < ?{cat_sql}",
        filters.since, filters.until, *cat_params,
    )  # fmt: skip
    rated, helpful = int(ratings[0]["n"]), int(ratings[0]["helpful"])
    return ArticleFigures(int(published[0]["n"]), int(views[0]["n"]), rated, helpful, share(helpful, rated))


@dataclass(frozen=True)
class Participation:
    organisations: int
    members: int


async def participation(filters: Filters) -> Participation:
    """Partner organisations and partners that asked, answered or replied in the period."""
    extra, params = thread_conditions(filters, user="u")
    rows = await fetch_rows(
        "SELECT COUNT(DISTINCT p.author_id) AS members, COUNT(DISTINCT u.organisation_id) AS orgs "
        'FROM post p JOIN thread t ON t.id = p.thread_id JOIN "user" u ON u.id = p.author_id '
        "JOIN organisation o ON o.id = u.organisation_id "
        f"WHERE u.role = ? AND t.is_deleted = ? AND p.created_at >= ? AND p.created_at < ?{extra}",
        Role.PARTNER, False, filters.since, filters.until, *params,
    )  # fmt: skip
    return Participation(int(rows[0]["orgs"]), int(rows[0]["members"]))


async def contributors(filters: Filters) -> list[dict[str, Any]]:
    """Who answered most questions in the period (questions matching the filters, by the asker's
    organisation and tier), with how many of their answers were accepted."""
    extra, params = thread_conditions(filters, user="q")
    return await fetch_rows(
        "SELECT a.handle, a.display_name, a.role, org.name AS organisation, COUNT(*) AS answers, "
        "SUM(CASE WHEN t.accepted_post_id = p.id THEN 1 ELSE 0 END) AS accepted "
        'FROM post p JOIN thread t ON t.id = p.thread_id JOIN "user" a ON a.id = p.author_id '
        'JOIN organisation org ON org.id = a.organisation_id JOIN "user" q ON q.id = t.author_id '
        "JOIN organisation o ON o.id = q.organisation_id "
        "WHERE p.is_opening = ? AND p.state = ? AND p.author_id <> t.author_id AND t.kind = ? "
        f"AND t.is_deleted = ? AND p.created_at >= ? AND p.created_at < ?{extra} "
        "GROUP BY a.handle, a.display_name, a.role, org.name ORDER BY answers DESC, accepted DESC, a.handle "
        f"LIMIT {CONTRIBUTORS_SHOWN}",
        False, PostState.VISIBLE, ThreadKind.QUESTION, False, filters.since, filters.until, *params,
    )  # fmt: skip


@dataclass(frozen=True)
class FlagFigures:
    raised: int
    decided: int
    decision: Timing  # seconds from the flag to the moderator's decision


async def flag_figures(filters: Filters) -> FlagFigures:
    """Flags raised in the period on threads matching the filters, and how long deciding took (the
    decided ones' times only are read: a busy queue's open flags are counted, not fetched)."""
    extra, params = thread_conditions(filters)
    joins = 'FROM flag f JOIN thread t ON t.id = f.thread_id JOIN "user" u ON u.id = t.author_id '
    joins += "JOIN organisation o ON o.id = u.organisation_id "
    period = f"WHERE f.created_at >= ? AND f.created_at < ?{extra}"
    raised, decided = await asyncio.gather(
        fetch_rows(f"SELECT COUNT(*) AS n {joins}{period}", filters.since, filters.until, *params),
        fetch_rows(
            f"SELECT f.created_at, f.resolved_at {joins}{period} AND f.resolved_at IS NOT NULL",
            filters.since, filters.until, *params,
        ),
    )  # fmt: skip
    waits = []
    for row in decided:
        flagged = moment(row["created_at"])
        assert flagged is not None
        wait = seconds_between(flagged, moment(row["resolved_at"]))
        if wait is not None:
            waits.append(wait)
    return FlagFigures(int(raised[0]["n"]), len(waits), Timing.of(waits))
