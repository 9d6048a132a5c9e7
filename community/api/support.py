"""Support ratings on a question, and the channel-health dashboard as JSON."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from community.api.operations import area
from community.api.params import page, page_url, query_flag, query_text, query_typed, settings_of
from community.api.requests import read_body
from community.api.responses import ShapeResponse
from community.api.shapes.support import (
    FigureThreads,
    HealthDashboard,
    RatingInput,
    SupportRating,
    SupportRatingList,
    dashboard,
    figure_threads,
    rating,
)
from community.edge.auth import require_actor
from community.edge.reading import path_id
from community.health.dashboard import build_dashboard
from community.health.threads import threads_behind
from community.support import ratings
from community.timeutil import utcnow

DASHBOARD_PARAMS = ("from", "to", "category", "tier", "organisation")


async def rate_support(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_body(request, RatingInput)
    row = await ratings.rate_support(actor, path_id(request, "id"), **data.args(comment=""))
    return ShapeResponse(rating(row))


async def list_ratings(request: Request) -> Response:
    actor = await require_actor(request)
    show_others = query_flag(request, "show_others")
    rows = await ratings.ratings_of(actor, path_id(request, "id"), show_others=show_others)
    return ShapeResponse(SupportRatingList(items=[rating(r) for r in rows], total=len(rows), next=None))


async def threads_behind_figure(request: Request) -> Response:
    actor = await require_actor(request)
    settings = settings_of(request)
    params = {name: query_text(request, name) for name in (*DASHBOARD_PARAMS, "member")}
    params.update({name: query_typed(request, name) for name in ("from", "to", "figure")})
    behind = await threads_behind(
        actor,
        params,
        settings.partner_tiers,
        utcnow().date(),
        page=page(request),
        per_page=settings.page_size,
    )
    following = behind.listing.next_page
    return ShapeResponse(
        figure_threads(settings, behind, page_url(request, following) if following else None)
    )


async def health_dashboard(request: Request) -> Response:
    actor = await require_actor(request)
    settings = settings_of(request)
    params = {name: query_text(request, name) for name in DASHBOARD_PARAMS}
    params.update({name: query_typed(request, name) for name in ("from", "to")})
    board = await build_dashboard(actor, params, settings.partner_tiers, utcnow().date())
    return ShapeResponse(dashboard(board, settings.base_url))


_route = area("support")
routes = [
    _route("PUT", "/threads/{id:int}/rating", rate_support, "rateSupport", "Rate the support on a question",
           ok=(200, SupportRating, "The caller's rating, as saved."), errors=(404,), params=("Id",),
           body=RatingInput,
           description="The asker rates the support they got once they accepted an answer or closed the "
           "question; an expert who answered rates how well they think they helped. One rating per person "
           "and question: sending it again changes it. 403 for anyone else (or an asker too early)."),
    _route("GET", "/threads/{id:int}/ratings", list_ratings, "listSupportRatings",
           "The support ratings on a question", ok=(200, SupportRatingList, "Staff: every rating; "
           "anyone else: their own. An expert who answered and has not rated yet gets none of the others' "
           "(the asker's score would anchor their own) unless `show_others=true`."), errors=(404, 422),
           params=("Id", "ShowOtherRatings")),
    _route("GET", "/health-dashboard", health_dashboard, "getHealthDashboard", "The channel-health dashboard",
           ok=(200, HealthDashboard, "Every table of the dashboard for the period and filters."),
           errors=(422,),
           params=("PeriodFrom", "PeriodTo", "Category", "DashboardTier", "DashboardOrganisation"),
           description="Staff see every organisation; a partner organisation's admin sees their own "
           "organisation's figures only (403 for other partners). The period defaults to the last 28 days "
           "(UTC, today included). docs/dashboard.md defines every figure."),
    _route("GET", "/health-dashboard/threads", threads_behind_figure, "listThreadsBehindAFigure",
           "The threads behind a dashboard figure",
           ok=(200, FigureThreads, "One page of the threads the figure counts, newest first."), errors=(422,),
           params=("PeriodFrom", "PeriodTo", "Category", "DashboardTier", "DashboardOrganisation",
                   "DashboardFigure", "DashboardMember", "Page"),
           description="The list each number of the dashboard links to, with the same filters: staff, and a "
           "partner organisation's admin for their own organisation (the staff-only figures routed, "
           "routed_answered and flagged are a 422 for them). answers_by, accepted_by, routed and "
           "routed_answered need member (a handle). Only threads the caller may see are listed."),
]  # fmt: skip
