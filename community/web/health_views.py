"""The channel-health dashboard (/health): figures, breakdowns and weekly trends as SVG charts
beside their tables, CSV exports, the threads behind each figure; and rating the support on a
question from its page."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from community import policy
from community.accounts import directory
from community.actor import Actor
from community.edge.auth import require_actor
from community.edge.reading import path_id
from community.errors import Invalid
from community.forum import lists
from community.health.charts import Series, chart
from community.health.dashboard import Dashboard, build_dashboard
from community.health.export import table_csv
from community.health.filters import shown_period
from community.health.threads import threads_behind
from community.models import Organisation, OrgKind
from community.support import ratings
from community.timeutil import utcnow
from community.web.forms import read_fields, thread_url
from community.web.forum_views import render_thread_page
from community.web.render import csv_download, flash, render

PARAMS = ("from", "to", "category", "tier", "organisation")


def _params(request: Request) -> dict[str, Any]:
    return {name: request.query_params.get(name) for name in PARAMS}


def weekly_charts(board: Dashboard) -> list[tuple[str, Markup]]:
    """The weekly trends drawn from the week-by-week table (shown beneath them), each with the
    title the page shows above it."""
    weeks = board.table("weeks").rows
    # Over a long period spanning years the axis says which ("Dec 2025": ticks are months apart
    # then), and every tooltip gives the day with its year (the trial read "30 Dec, 26 May,
    # 20 Oct" over two years). A few weeks across New Year keep the days: the page states the period.
    spans_years = board.filters.start.year != board.filters.end.year and board.filters.days > 120
    labels = [f"{row['week'].day} {row['week']:%b %Y}" for row in weeks]
    ticks = [row["week"].strftime("%b %Y" if spans_years else "%d %b") for row in weeks]

    def column(key: str) -> list[float | None]:
        return [row[key] for row in weeks]

    def drawn(chart_id: str, title: str, series: list[Series], **kw: Any) -> tuple[str, Markup]:
        return title, chart(chart_id, title, labels, series, ticks=ticks, **kw)

    return [
        drawn(
            "chart-asked", "Questions asked per week", [Series("Asked", column("asked"))],
            bars=True, whole=True,
        ),
        drawn(
            "chart-shares", "Share answered and solved per week",
            [Series("Answered", column("share_answered")), Series("Solved", column("share_solved"), "s2")],
            unit="%", y_max=100,
        ),
        drawn(
            "chart-first-answer", "Median time to first answer per week (hours)",
            [Series("Median first answer", column("first_answer_median"), "s3")], unit="h",
        ),
        drawn(
            "chart-gap", "Satisfied with the support: experts and askers per week",
            [Series("Experts", column("expert_satisfied"), "s1"),
             Series("Askers", column("asker_satisfied"), "s2")],
            unit="%", y_max=100,
        ),
    ]  # fmt: skip


async def _choices(actor: Actor) -> dict[str, Any]:
    """The filter form's lists: categories the actor sees, tiers, partner organisations (staff)."""
    cats = [s.category for s in await directory.list_categories(actor)]
    orgs = (
        await Organisation.filter(kind__not=OrgKind.COMPANY).order_by("name").values("slug", "name")
        if policy.dashboard_organisation(actor) is None
        else []
    )
    return {"categories": cats, "organisations": orgs}


async def dashboard_page(request: Request) -> Response:
    actor = await require_actor(request)
    settings = request.app.state.settings
    params = _params(request)
    context: dict[str, Any] = {"form": params, "errors": {}, "tiers": settings.partner_tiers}
    try:
        board = await build_dashboard(actor, params, settings.partner_tiers, utcnow().date())
    except Invalid as exc:
        start, end = shown_period(params, utcnow().date())
        context |= {"errors": exc.fields, "board": None, **await _choices(actor)}
        context["form"] = {**params, "from": start, "to": end}
        return await render(request, "health/dashboard.html", context, status_code=422)
    context |= {"board": board, "charts": weekly_charts(board), **await _choices(actor)}
    return await render(request, "health/dashboard.html", context)


async def export_csv(request: Request) -> Response:
    actor = await require_actor(request)
    settings = request.app.state.settings
    board = await build_dashboard(actor, _params(request), settings.partner_tiers, utcnow().date())
    key = request.query_params.get("table") or "summary"
    if key not in board.tables:
        raise Invalid({"table": f"Choose one of: {', '.join(board.tables)}."})
    name = f"channel-health-{key}-{board.filters.start}-{board.filters.end}.csv"
    return csv_download(table_csv(board.table(key)), name)


async def figure_threads(request: Request) -> Response:
    actor = await require_actor(request)
    settings = request.app.state.settings
    query = request.query_params
    params = {**_params(request), "figure": query.get("figure"), "member": query.get("member")}
    behind = await threads_behind(
        actor, params, settings.partner_tiers, utcnow().date(),
        page=lists.parse_page(query.get("page")), per_page=settings.page_size,
    )  # fmt: skip
    return await render(request, "health/threads.html", {"behind": behind})


async def rate(request: Request) -> Response:
    """The thread page's rating form: the asker's or an answering expert's."""
    actor = await require_actor(request)
    thread_id = path_id(request, "thread_id")
    _, values = await read_fields(request, "score", "comment")
    try:
        await ratings.rate_support(actor, thread_id, score=values["score"], comment=values["comment"])
    except Invalid as exc:
        extra = {"rating_form": values, "rating_errors": exc.fields}
        return await render_thread_page(request, actor, thread_id, 1, status=422, extra=extra)
    flash(request, "Thank you: your rating is saved. You can change it at any time.")
    return RedirectResponse(thread_url(thread_id) + "#support-rating", 303)


routes = [
    Route("/health", dashboard_page),
    Route("/health/export.csv", export_csv),
    Route("/health/threads", figure_threads),
    Route("/t/{thread_id:int}/rating", rate, methods=["POST"]),
]
