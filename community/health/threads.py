"""The threads behind a figure: every dashboard number links to the questions it counts, listed
as the viewer may see them (another organisation's private question never appears)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

from community import policy
from community.actor import Actor
from community.errors import Invalid
from community.forum.lists import SUMMARY_FIELDS, SUMMARY_RELATED, ThreadList
from community.health.filters import Filters, read_filters
from community.health.questions import Question, overdue, questions
from community.health.rating_figures import ratings
from community.models import Thread, ThreadKind
from community.timeutil import utcnow
from community.visibility import visible_threads

FIGURES = {
    "asked": "Questions asked",
    "answered": "Questions answered",
    "unanswered": "Questions without an answer",
    "solved": "Questions solved",
    "unsolved": "Questions not solved",
    "rated": "Questions with a support rating",
    "overdue": "Questions overdue now (past a response target)",
}


def _matches(figure: str, q: Question, rated: set[int], late: set[int]) -> bool:
    return {
        "overdue": q.id in late,
        "asked": True,
        "answered": q.answered,
        "unanswered": not q.answered,
        "solved": q.solved,
        "unsolved": not q.solved,
        "rated": q.id in rated,
    }[figure]


async def threads_behind(
    actor: Actor,
    params: Mapping[str, object],
    tiers: tuple[str, ...],
    today: date,
    *,
    page: int = 1,
    per_page: int = 20,
) -> tuple[Filters, str, ThreadList]:
    """The questions a figure counts, newest first, that the actor may see."""
    filters = await read_filters(actor, params, tiers, today)
    figure = params.get("figure") or "asked"
    if figure not in FIGURES:
        raise Invalid({"figure": f"Choose one of: {', '.join(FIGURES)}."})
    counted = await questions(filters)
    rated = {r["thread_id"] for r in await ratings(filters)} if figure == "rated" else set()
    late = set(await overdue(filters, counted, utcnow())) if figure == "overdue" else set()
    wanted = {q.id: q.asked_at for q in counted if _matches(str(figure), q, rated, late)}
    visible = await policy.visible_category_ids(actor)
    seen = set(
        await visible_threads(actor, visible)
        .filter(kind=ThreadKind.QUESTION, created_at__gte=filters.since, created_at__lt=filters.until)
        .values_list("id", flat=True)
    )
    ids = sorted((i for i in wanted if i in seen), key=lambda i: (wanted[i], i), reverse=True)
    pages = max(1, math.ceil(len(ids) / per_page))
    page = min(max(page, 1), pages)
    shown = ids[(page - 1) * per_page : page * per_page]
    rows = await Thread.filter(id__in=shown).values(*SUMMARY_FIELDS, **SUMMARY_RELATED) if shown else []
    order = {i: n for n, i in enumerate(shown)}
    rows.sort(key=lambda r: order[r["id"]])
    return (
        filters,
        str(figure),
        ThreadList(items=rows, total=len(ids), page=page, pages=pages, per_page=per_page),
    )
