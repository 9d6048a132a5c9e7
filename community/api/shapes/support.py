"""Support ratings and the channel-health dashboard: what their JSON reads and answers."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from community.api.shapes import AuthorSummary, Body, Instant, Listing, Shape, text, utc
from community.api.shapes.forum import ThreadSummary, thread_summary
from community.health.dashboard import Dashboard, Table
from community.health.threads import Behind
from community.models import RatingSide
from community.settings import Settings
from community.support.ratings import COMMENT_MAX

Side = Annotated[
    str,
    Meta(
        description="asker: the support the asker got; expert: how well an expert who answered thinks "
        "they helped.",
        extra_json_schema={"enum": list(RatingSide.ALL)},
    ),
]


class SupportRating(Shape):
    """One person's rating of the support on a question."""

    thread_id: int
    side: Side
    score: Annotated[int, Meta(ge=1, le=5, description="1 (very poor) to 5 (excellent).")]
    comment: str
    rater: AuthorSummary
    created_at: Instant
    updated_at: Instant


class SupportRatingList(Shape):
    """The ratings on a question the caller may read: staff every one, anyone else their own."""

    items: list[SupportRating]
    total: int
    next: Annotated[None, Meta(description="Always null: one page.")]


class RatingInput(Body):
    """A rating of the support on a question (the asker once an answer is accepted or the question
    closed; an expert who answered at any time). Sending it again changes it."""

    required = ("score",)
    score: Annotated[
        int | str,
        Meta(description="1 (very poor) to 5 (excellent).",
             extra={"invalid": "The rating is a whole number from 1 to 5."}),
    ] | UnsetType = UNSET  # fmt: skip
    comment: (
        text("The comment must be text.", "What went well or not (optional).", maxLength=COMMENT_MAX)
        | UnsetType
    ) = UNSET


def rating(row: dict[str, Any]) -> SupportRating:
    return SupportRating(
        thread_id=row["thread_id"], side=row["side"], score=row["score"], comment=row["comment"],
        rater=AuthorSummary(handle=row["rater_handle"], display_name=row["rater_name"]),
        created_at=utc(row["created_at"]), updated_at=utc(row["updated_at"]),
    )  # fmt: skip


ColumnKind = Annotated[
    str,
    Meta(
        description="int, number, pct (0-100), points (a difference of two pct, -100 to 100), hours, "
        "score (1-5), text or date.",
        extra_json_schema={"enum": ["int", "number", "pct", "points", "hours", "score", "text", "date"]},
    ),
]


class DashboardColumn(Shape):
    key: str
    label: str
    kind: ColumnKind


class DashboardTable(Shape):
    """One table of the dashboard: rows of raw values by column key (null: nothing to measure),
    with ``links`` to the threads (or pages) behind a value, by column key."""

    key: Annotated[str, Meta(description="Also its CSV export: /health/export.csv?table=KEY.")]
    title: str
    columns: list[DashboardColumn]
    rows: list[dict[str, Any]]
    note: str


class DashboardFilters(Shape):
    from_: Annotated[date, Meta(description="First day (UTC), included.")] = msgspec.field(name="from")
    to: Annotated[date, Meta(description="Last day (UTC), included.")]
    category: str | None
    tier: str | None
    organisation: Annotated[
        str | None, Meta(description="A partner organisation's admin always gets their own.")
    ]


class HealthDashboard(Shape):
    """The channel-health dashboard (docs/dashboard.md defines every figure)."""

    filters: DashboardFilters
    staff_view: Annotated[
        bool, Meta(description="false: a partner organisation's admin, their own row only.")
    ]
    tables: dict[str, DashboardTable]
    notes: list[str]


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _table(table: Table, base_url: str) -> DashboardTable:
    rows = []
    for row in table.rows:
        out = {key: _json_value(v) for key, v in row.items() if key != "_links"}
        out["links"] = {key: base_url + url for key, url in row.get("_links", {}).items()}
        rows.append(out)
    columns = [DashboardColumn(c.key, c.label, c.kind) for c in table.columns]
    return DashboardTable(table.key, table.title, columns, rows, table.note)


def dashboard(board: Dashboard, base_url: str) -> HealthDashboard:
    f = board.filters
    return HealthDashboard(
        filters=DashboardFilters(
            from_=f.start, to=f.end, category=f.category.slug if f.category else None, tier=f.tier,
            organisation=f.organisation.slug if f.organisation else None,
        ),
        staff_view=board.staff_view,
        tables={key: _table(t, base_url) for key, t in board.tables.items()},
        notes=board.notes,
    )  # fmt: skip


class ThreadScores(Shape):
    """One listed question's support ratings (1-5), by side."""

    thread_id: int
    asker: list[int]
    experts: list[int]


class FigureThreads(Listing):
    """The threads behind a dashboard figure, as the caller may see them, newest first."""

    items: list[ThreadSummary]
    figure: str
    title: Annotated[str, Meta(description="What the figure counts, e.g. 'Questions answered'.")]
    scores: Annotated[
        list[ThreadScores],
        Meta(description="Figure rated, for staff: each listed question's ratings; otherwise empty."),
    ]


def figure_threads(settings: Settings, behind: Behind, next_url: str | None) -> FigureThreads:
    listing = behind.listing
    return FigureThreads(
        items=[thread_summary(settings, row) for row in listing.items], total=listing.total, next=next_url,
        figure=behind.figure, title=behind.title,
        scores=[
            ThreadScores(thread_id=tid, asker=sides["asker"], experts=sides["expert"])
            for tid, sides in behind.scores.items()
        ],
    )  # fmt: skip
