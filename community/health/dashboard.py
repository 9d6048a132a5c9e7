"""The dashboard as tables: every figure, breakdown and weekly trend is a ``Table`` (columns with a
kind, rows of raw values, links to the threads behind a figure), so the page, its CSV exports and
the JSON API show the same numbers from one computation."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from community import policy
from community.actor import Actor
from community.health import activity
from community.health.filters import Filters, read_filters
from community.health.questions import (
    Question,
    QuestionFigures,
    figures,
    late_among,
    overdue_clocks,
    questions,
    weeks_of,
)
from community.health.rating_figures import RatingFigures, rating_figures, ratings
from community.health.routing_figures import routed_per_expert
from community.health.stats import Timing
from community.models import Category, Organisation
from community.timeutil import utcnow

HOUR = 3600.0


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # int | number | pct | points | hours | score | text | date


@dataclass
class Table:
    key: str  # also the name of its CSV export
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]  # values by column key; "_links": {column key: url}
    note: str = ""


@dataclass
class Dashboard:
    filters: Filters
    staff_view: bool  # False: a partner organisation's admin (their organisation only)
    tables: dict[str, Table] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def table(self, key: str) -> Table:
        return self.tables[key]


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / HOUR, 2)


def threads_url(filters: Filters, figure: str, **changes: object) -> str:
    return f"/health/threads?{filters.query(figure=figure, **changes)}"


async def build_dashboard(
    actor: Actor, params: Mapping[str, object], tiers: tuple[str, ...], today: date
) -> Dashboard:
    """Every figure for the filters ``params`` asks for (``read_filters`` checks them)."""
    filters = await read_filters(actor, params, tiers, today)
    staff_view = policy.dashboard_organisation(actor) is None
    board = Dashboard(filters, staff_view)
    read = await _read(filters, staff_view)
    qs, rated = read.questions, read.ratings
    qf = figures(qs)
    late = late_among(read.clocks, qs, read.now)
    board.tables["summary"] = _summary(filters, qf, rating_figures(rated), len(late), read, board.notes)
    board.tables["timings"] = _timings(filters, qf)
    names = await _names(qs)
    by_category = _group(qs, rated, lambda q: q.category_id, lambda r: r["category_id"])
    board.tables["categories"] = _breakdown(
        "categories", "By category", "Category", filters, by_category, _named(names["categories"], "category")
    )
    by_tier = _group(qs, rated, lambda q: q.tier or "", lambda r: r["tier"] or "")
    board.tables["tiers"] = _breakdown(
        "tiers",
        "By partner tier",
        "Tier",
        filters,
        by_tier,
        lambda key: (key or "(none)", {"tier": key or None}),
    )
    by_org = _group(qs, rated, lambda q: q.organisation_id, lambda r: r["organisation_id"])
    board.tables["organisations"] = _breakdown(
        "organisations", "By organisation", "Organisation", filters, by_org,
        _named(names["organisations"], "organisation"),
    )  # fmt: skip
    board.tables["weeks"] = _weeks(filters, qs, rated)
    board.tables["contributors"] = _contributors(filters, read.contributors)
    if read.routed is not None:
        board.tables["experts"] = _experts(filters, read.routed)
    return board


@dataclass
class _Read:
    """What the dashboard reads from the database, before any arithmetic."""

    now: datetime  # "overdue now" is judged at this moment
    questions: list[Question]
    ratings: list[dict[str, Any]]
    clocks: list[dict[str, Any]]
    participation: activity.Participation
    articles: activity.ArticleFigures | None  # None: split by tier or organisation (not counted so)
    flags: activity.FlagFigures | None  # None: not staff
    contributors: list[dict[str, Any]]
    routed: list[dict[str, Any]] | None  # None: not staff


async def _read(filters: Filters, staff_view: bool) -> _Read:
    """The dashboard's queries at once: they are independent, so on PostgreSQL they run side by side
    on pooled connections (SQLite takes them one by one on its one connection, and turns rows into
    Python while the next query runs)."""

    async def none() -> None:
        return None

    articles_counted = filters.tier is None and filters.organisation is None
    now = utcnow()
    found = await asyncio.gather(
        questions(filters), ratings(filters), overdue_clocks(filters, now), activity.participation(filters),
        activity.articles(filters) if articles_counted else none(),
        activity.flag_figures(filters) if staff_view else none(),
        activity.contributors(filters),
        routed_per_expert(filters) if staff_view else none(),
    )  # fmt: skip
    return _Read(now, *found)


def _named(names: dict[int, tuple[str, str]], param: str) -> Callable[[Any], tuple[str, dict[str, Any]]]:
    """A breakdown row's name and the filter that narrows the dashboard to it (by slug)."""

    def name_of(key: Any) -> tuple[str, dict[str, Any]]:
        name, slug = names.get(key, ("?", ""))
        return name, {param: slug or None}

    return name_of


def _summary(
    filters: Filters, qf: QuestionFigures, rf: RatingFigures, late: int, read: _Read, notes: list[str]
) -> Table:
    def row(figure: str, value: Any, unit: str, link: str | None = None) -> dict[str, Any]:
        return {
            "figure": figure,
            "value": value,
            "unit": unit,
            **({"_links": {"value": link}} if link else {}),
        }

    def link(figure: str) -> str:
        return threads_url(filters, figure)

    rows = [
        row("Questions asked", qf.asked, "count", link("asked")),
        row("Questions answered", qf.answered, "count", link("answered")),
        # A share links to what it counts (the trial: "Share answered 71.4%" led to the unanswered
        # ones); the rest have rows of their own.
        row("Share answered", qf.share_answered, "percent", link("answered")),
        row("Questions without an answer", qf.asked - qf.answered, "count", link("unanswered")),
        row("Questions solved", qf.solved, "count", link("solved")),
        row("Share solved", qf.share_solved, "percent", link("solved")),
        row("Questions not solved", qf.asked - qf.solved, "count", link("unsolved")),
        row("Median time to first answer", hours(qf.first_answer.median), "hours", link("answered")),
        row("90th percentile time to first answer", hours(qf.first_answer.p90), "hours", link("answered")),
        row("Median time to accepted answer", hours(qf.accepted.median), "hours", link("solved")),
        row("Support rating by askers (satisfied)", rf.asker.satisfied, "percent", link("rated")),
        row("Support rating by experts (satisfied)", rf.expert.satisfied, "percent", link("rated")),
        row("Gap (experts minus askers)", rf.gap, "points", link("rated")),
    ]  # fmt: skip
    rows.append(row("Questions overdue now", late, "count", link("overdue")))
    taking_part = read.participation
    rows += [
        row("Active partner organisations", taking_part.organisations, "count", link("active")),
        row("Active partner members", taking_part.members, "count", link("active")),
    ]
    if (art := read.articles) is not None:
        rows += [
            row("Articles published", art.published, "count", "/kb"),
            row("Article views", art.views, "count", "/kb"),
            row("Articles rated helpful", art.share_helpful, "percent", "/kb"),
        ]
    else:
        notes.append(
            "Article figures are not split by tier or organisation: clear those filters to see them."
        )
    if (flags := read.flags) is not None:
        rows += [
            row("Flags raised", flags.raised, "count", link("flagged")),
            row("Flags decided", flags.decided, "count", link("flagged")),
            row("Median time to a flag decision", hours(flags.decision.median), "hours", link("flagged")),
        ]
    columns = [
        Column("figure", "Figure", "text"),
        Column("value", "Value", "number"),
        Column("unit", "Unit", "text"),
    ]
    return Table("summary", "Figures", columns, rows)


def _timings(filters: Filters, qf: QuestionFigures) -> Table:
    def row(what: str, timing: Timing, figure: str) -> dict[str, Any]:
        url = threads_url(filters, figure)
        return {
            "what": what, "count": timing.count, "median": hours(timing.median), "p90": hours(timing.p90),
            "_links": {"count": url, "median": url, "p90": url},
        }  # fmt: skip

    rows = [
        row("First answer (anyone but the asker)", qf.first_answer, "answered"),
        row("First answer by a peer (partner)", qf.first_peer, "answered_by_peer"),
        row("First answer by an expert (staff)", qf.first_expert, "answered_by_expert"),
        row("Accepted answer", qf.accepted, "solved"),
        row("Accepted answer by a peer", qf.accepted_peer, "solved_by_peer"),
        row("Accepted answer by an expert", qf.accepted_expert, "solved_by_expert"),
    ]
    columns = [
        Column("what", "Time from asking to", "text"),
        Column("count", "Questions"),
        Column("median", "Median (hours)", "hours"),
        Column("p90", "90th percentile (hours)", "hours"),
    ]
    return Table("timings", "Response times", columns, rows)


Group = dict[Any, tuple[list[Question], list[dict[str, Any]]]]


def _group(
    qs: Iterable[Question],
    rated: Iterable[dict[str, Any]],
    q_key: Callable[[Question], Any],
    r_key: Callable[[dict[str, Any]], Any],
) -> Group:
    groups: Group = defaultdict(lambda: ([], []))
    for q in qs:
        groups[q_key(q)][0].append(q)
    for r in rated:
        groups[r_key(r)][1].append(r)
    return groups


# The gap (the dashboard's main figure) and the two shares it is the difference of come first: a
# breakdown has twelve columns, and on a narrow screen the last ones are a sideways scroll away.
BREAKDOWN_COLUMNS = [
    Column("asked", "Asked"),
    Column("asker_satisfied", "Askers satisfied", "pct"),
    Column("expert_satisfied", "Experts satisfied", "pct"),
    Column("gap", "Gap (points)", "points"),
    Column("share_answered", "Answered", "pct"),
    Column("share_solved", "Solved", "pct"),
    Column("first_answer_median", "Median first answer (h)", "hours"),
    Column("asker_count", "Askers' ratings"),
    Column("asker_mean", "Askers' mean (1-5)", "score"),
    Column("expert_count", "Experts' ratings"),
    Column("expert_mean", "Experts' mean (1-5)", "score"),
]


RATING_KEYS = ("asker_count", "asker_satisfied", "asker_mean", "expert_count", "expert_satisfied",
               "expert_mean", "gap")  # fmt: skip


def _figures_row(
    filters: Filters, qs: list[Question], rated: list[dict[str, Any]], scope: dict[str, Any]
) -> dict[str, Any]:
    qf, rf = figures(qs), rating_figures(rated)
    asker, expert = rf.asker, rf.expert
    asked, answered, solved, rated_url = (
        threads_url(filters, figure, **scope) for figure in ("asked", "answered", "solved", "rated")
    )
    return {
        "asked": qf.asked, "share_answered": qf.share_answered, "share_solved": qf.share_solved,
        "first_answer_median": hours(qf.first_answer.median),
        "asker_count": asker.count, "asker_satisfied": asker.satisfied, "asker_mean": asker.mean,
        "expert_count": expert.count, "expert_satisfied": expert.satisfied, "expert_mean": expert.mean,
        "gap": rf.gap,
        "_links": {
            "asked": asked, "share_answered": answered, "first_answer_median": answered,
            "share_solved": solved,
            **dict.fromkeys(RATING_KEYS, rated_url),
        },
    }  # fmt: skip


def _breakdown(
    key: str,
    title: str,
    label: str,
    filters: Filters,
    groups: Group,
    name_of: Callable[[Any], tuple[str, dict[str, Any]]],
) -> Table:
    rows = []
    for group_key, (qs, rated) in groups.items():
        name, scope = name_of(group_key)
        row = {"name": name, **_figures_row(filters, qs, rated, scope)}
        row["_links"]["name"] = f"/health?{filters.query(**scope)}"
        rows.append(row)
    rows.sort(key=lambda r: (-r["asked"], r["name"]))
    return Table(key, title, [Column("name", label, "text"), *BREAKDOWN_COLUMNS], rows)


def _weeks(filters: Filters, qs: list[Question], rated: list[dict[str, Any]]) -> Table:
    week_of = {q.id: q.week for q in qs}
    groups = _group(qs, rated, lambda q: q.week, lambda r: week_of.get(r["thread_id"]))
    rows = []
    for monday in weeks_of(filters):
        first, last = max(monday, filters.start), min(monday + timedelta(days=6), filters.end)
        week_qs, week_rated = groups.get(monday, ([], []))
        scope = {"from": first.isoformat(), "to": last.isoformat()}
        rows.append({"week": monday, **_figures_row(filters, week_qs, week_rated, scope)})
    columns = [Column("week", "Week of", "date"), *BREAKDOWN_COLUMNS]
    return Table(
        "weeks",
        "Week by week",
        columns,
        rows,
        note="Weeks start on Monday (UTC); the first and last may be partial.",
    )


def _contributors(filters: Filters, rows: list[dict[str, Any]]) -> Table:
    out = [
        {
            "name": r["display_name"],
            "organisation": r["organisation"],
            "role": r["role"],
            "answers": int(r["answers"]),
            "accepted": int(r["accepted"] or 0),
            "_links": {
                "name": f"/u/{r['handle']}",
                "answers": threads_url(filters, "answers_by", member=r["handle"]),
                "accepted": threads_url(filters, "accepted_by", member=r["handle"]),
            },
        }
        for r in rows
    ]
    columns = [
        Column("name", "Member", "text"), Column("organisation", "Organisation", "text"),
        Column("role", "Role", "text"), Column("answers", "Answers"), Column("accepted", "Accepted"),
    ]  # fmt: skip
    return Table("contributors", "Top contributors", columns, out)


def _experts(filters: Filters, rows: list[dict[str, Any]]) -> Table:
    def links(handle: str) -> dict[str, str]:
        answered = threads_url(filters, "routed_answered", member=handle)
        return {
            "expert": f"/u/{handle}", "routed": threads_url(filters, "routed", member=handle),
            "answered": answered, "median": answered, "p90": answered,
        }  # fmt: skip

    out = [
        {
            "expert": r["expert"], "routed": r["routed"], "answered": r["answered"],
            "median": hours(r["median"]), "p90": hours(r["p90"]), "_links": links(r["handle"]),
        }
        for r in rows
    ]  # fmt: skip
    columns = [
        Column("expert", "Expert", "text"), Column("routed", "Routed to them"),
        Column("answered", "Answered by them"), Column("median", "Median from routing (hours)", "hours"),
        Column("p90", "90th percentile (hours)", "hours"),
    ]  # fmt: skip
    return Table(
        "experts", "Routed questions per expert", columns, out,
        note="Questions of the period routed to each expert (a question passed on counts for both), "
        "and the time from routing to that expert's own first answer.",
    )  # fmt: skip


async def _names(qs: list[Question]) -> dict[str, dict[int, tuple[str, str]]]:
    """Names and slugs of the categories and organisations the questions name (two queries)."""
    cats = {q.category_id for q in qs}
    orgs = {q.organisation_id for q in qs}
    return {
        "categories": {
            r["id"]: (r["name"], r["slug"])
            for r in (await Category.filter(id__in=list(cats)).values("id", "name", "slug") if cats else [])
        },
        "organisations": {
            r["id"]: (r["name"], r["slug"])
            for r in (
                await Organisation.filter(id__in=list(orgs)).values("id", "name", "slug") if orgs else []
            )
        },
    }
