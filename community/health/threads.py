"""The threads behind a figure: every dashboard number links to the threads it counts, listed as
the viewer may see them (another organisation's private question never appears).

Most figures count the questions asked in the period (``questions``); a few count something else
and list the threads it happened in: a member's answers given in the period (top contributors),
the questions routed to an expert (staff), the threads partners took part in, and the threads
flagged in the period (staff). Each list is computed by the same rule as its figure."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from community import policy, validation
from community.actor import Actor
from community.db import fetch_rows
from community.errors import Invalid
from community.forum.lists import SUMMARY_FIELDS, SUMMARY_RELATED, ThreadList
from community.health.filters import Filters, read_filters
from community.health.questions import Question, overdue, questions, thread_conditions
from community.health.rating_figures import ratings
from community.health.routing_figures import routings
from community.health.stats import moment
from community.models import Post, PostState, RatingSide, Role, SupportRating, Thread, ThreadKind, User
from community.timeutil import utcnow
from community.visibility import visible_threads

# The period's questions, chosen by what is known of each: figure -> (title, rule).
QUESTION_FIGURES: dict[str, tuple[str, Callable[[Question], bool]]] = {
    "asked": ("Questions asked", lambda q: True),
    "answered": ("Questions answered", lambda q: q.answered),
    "unanswered": ("Questions without an answer", lambda q: not q.answered),
    "answered_by_peer": ("Questions a peer (partner) answered", lambda q: q.first_peer is not None),
    "answered_by_expert": ("Questions an expert (staff) answered", lambda q: q.first_expert is not None),
    "solved": ("Questions solved", lambda q: q.solved),
    "unsolved": ("Questions not solved", lambda q: not q.solved),
    "solved_by_peer": (
        "Questions solved by a peer's answer",
        lambda q: q.solved and not q.accepted_by_expert,
    ),
    "solved_by_expert": ("Questions solved by an expert's answer", lambda q: bool(q.accepted_by_expert)),
}
FIGURES = {
    **{key: title for key, (title, _) in QUESTION_FIGURES.items()},
    "rated": "Questions with a support rating",
    "overdue": "Questions overdue now (past a response target)",
    "routed": "Questions routed to {member}",
    "routed_answered": "Questions routed to {member} that they answered",
    "answers_by": "Questions {member} answered in the period",
    "accepted_by": "Questions where {member}'s answer in the period was accepted",
    "active": "Threads partners took part in during the period",
    "flagged": "Threads flagged in the period",
}
NEEDS_MEMBER = {"routed", "routed_answered", "answers_by", "accepted_by"}
STAFF_ONLY = {"routed", "routed_answered", "flagged"}  # the dashboard shows these figures to staff only
_CHUNK = 500


@dataclass(frozen=True)
class Behind:
    filters: Filters
    figure: str
    title: str
    noun: str  # "question" or "thread"
    listing: ThreadList
    # figure "rated", for staff (who read every rating): each listed question's scores by side,
    # {"asker": [2], "expert": [5, 4]}, so the gap reads without opening each thread.
    scores: dict[int, dict[str, list[int]]] = field(default_factory=dict)
    # Questions the viewer answered and has not rated: their scores wait for the viewer's own.
    held_back: frozenset[int] = frozenset()


# A member's answers given in the period to questions matching the filters (top contributors).
_ANSWERS_BY_SQL = """
SELECT t.id, MIN(t.created_at) AS at FROM post p JOIN thread t ON t.id = p.thread_id
JOIN "user" q ON q.id = t.author_id JOIN organisation o ON o.id = q.organisation_id
WHERE p.author_id = ? AND p.is_opening = ? AND p.state = ? AND p.author_id <> t.author_id AND t.kind = ?
  AND t.is_deleted = ? AND p.created_at >= ? AND p.created_at < ? {accepted}{extra}
GROUP BY t.id
"""
# Threads partners posted in during the period (active partner organisations and members).
_ACTIVE_SQL = """
SELECT t.id, MIN(t.created_at) AS at FROM post p JOIN thread t ON t.id = p.thread_id
JOIN "user" u ON u.id = p.author_id JOIN organisation o ON o.id = u.organisation_id
WHERE u.role = ? AND t.is_deleted = ? AND p.created_at >= ? AND p.created_at < ?{extra}
GROUP BY t.id
"""
# Threads flagged in the period (flags raised, decided, time to decision).
_FLAGGED_SQL = """
SELECT t.id, MIN(t.created_at) AS at FROM flag f JOIN thread t ON t.id = f.thread_id
JOIN "user" u ON u.id = t.author_id JOIN organisation o ON o.id = u.organisation_id
WHERE f.created_at >= ? AND f.created_at < ?{extra}
GROUP BY t.id
"""


async def _member(value: object) -> User:
    user = None
    if isinstance(value, str) and validation.can_name_something(value):
        user = await User.filter(handle=value).first()
    if user is None:
        raise Invalid({"member": "Choose a member from the dashboard's tables."})
    return user


async def _rows(sql: str, *params: object) -> dict[int, datetime]:
    found = {}
    for row in await fetch_rows(sql, *params):
        at = moment(row["at"])
        assert at is not None
        found[int(row["id"])] = at
    return found


async def _wanted(figure: str, filters: Filters, member: User | None) -> dict[int, datetime]:
    """The threads the figure counts: id -> when the thread was started (newest first)."""
    if figure in QUESTION_FIGURES or figure in ("rated", "overdue"):
        counted = await questions(filters)
        if figure == "rated":
            rated = {r["thread_id"] for r in await ratings(filters)}
            return {q.id: q.asked_at for q in counted if q.id in rated}
        if figure == "overdue":
            late = await overdue(filters, counted, utcnow())
            return {q.id: q.asked_at for q in counted if q.id in late}
        rule = QUESTION_FIGURES[figure][1]
        return {q.id: q.asked_at for q in counted if rule(q)}
    if figure in ("routed", "routed_answered"):
        assert member is not None
        return {
            r["thread_id"]: r["asked_at"]
            for r in await routings(filters, expert_id=member.id)
            if figure == "routed" or r["answered_at"] is not None
        }
    if figure in ("answers_by", "accepted_by"):
        assert member is not None
        extra, params = thread_conditions(filters, user="q")
        accepted = "AND t.accepted_post_id = p.id " if figure == "accepted_by" else ""
        return await _rows(
            _ANSWERS_BY_SQL.format(accepted=accepted, extra=extra),
            member.id, False, PostState.VISIBLE, ThreadKind.QUESTION, False, filters.since, filters.until,
            *params,
        )  # fmt: skip
    if figure == "active":
        extra, params = thread_conditions(filters, user="u")
        return await _rows(
            _ACTIVE_SQL.format(extra=extra), Role.PARTNER, False, filters.since, filters.until, *params
        )
    extra, params = thread_conditions(filters)
    return await _rows(_FLAGGED_SQL.format(extra=extra), filters.since, filters.until, *params)


async def _visible(actor: Actor, ids: list[int]) -> set[int]:
    """Of these threads, those the actor may see (in chunks: a bound list stays short)."""
    visible = await policy.visible_category_ids(actor)
    seen: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        seen.update(await visible_threads(actor, visible).filter(id__in=chunk).values_list("id", flat=True))
    return seen


async def threads_behind(
    actor: Actor,
    params: Mapping[str, object],
    tiers: tuple[str, ...],
    today: date,
    *,
    page: int = 1,
    per_page: int = 20,
) -> Behind:
    """The threads a figure counts, newest first, that the actor may see."""
    filters = await read_filters(actor, params, tiers, today)
    figure = params.get("figure") or "asked"
    staff_view = policy.dashboard_organisation(actor) is None
    shown_figures = [f for f in FIGURES if staff_view or f not in STAFF_ONLY]
    if figure not in shown_figures:
        raise Invalid({"figure": f"Choose one of: {', '.join(shown_figures)}."})
    figure = str(figure)
    member = await _member(params.get("member")) if figure in NEEDS_MEMBER else None
    wanted = await _wanted(figure, filters, member)
    seen = await _visible(actor, list(wanted))
    ids = sorted((i for i in wanted if i in seen), key=lambda i: (wanted[i], i), reverse=True)
    pages = max(1, math.ceil(len(ids) / per_page))
    page = min(max(page, 1), pages)
    shown = ids[(page - 1) * per_page : page * per_page]
    rows: list[dict[str, Any]] = (
        await Thread.filter(id__in=shown).values(*SUMMARY_FIELDS, **SUMMARY_RELATED) if shown else []
    )
    order = {i: n for n, i in enumerate(shown)}
    rows.sort(key=lambda r: order[r["id"]])
    title = FIGURES[figure].format(member=member.display_name if member else "")
    noun = "thread" if figure in ("active", "flagged") else "question"
    listing = ThreadList(items=rows, total=len(ids), page=page, pages=pages, per_page=per_page)
    scores: dict[int, dict[str, list[int]]] = {}
    held: set[int] = set()
    if figure == "rated" and policy.can_read_support_ratings(actor) and shown:
        held = await _awaiting_own_rating(actor, shown)
        for r in await ratings(filters):
            if r["thread_id"] in order and r["thread_id"] not in held:
                sides = scores.setdefault(r["thread_id"], {RatingSide.ASKER: [], RatingSide.EXPERT: []})
                sides[r["side"]].append(int(r["score"]))
    return Behind(filters, figure, title, noun, listing, scores, frozenset(held))


async def _awaiting_own_rating(actor: Actor, thread_ids: list[int]) -> set[int]:
    """The questions among ``thread_ids`` the actor answered and has not rated yet: their scores
    are not listed to them, as on the question's page (``support.ratings.rating_panel`` says why)."""
    if not policy.can_rate_as_expert(actor, answered=True):
        return set()
    answered = await Post.filter(
        thread_id__in=thread_ids, author_id=actor.id, is_opening=False, state=PostState.VISIBLE
    ).values_list("thread_id", flat=True)
    rated = await SupportRating.filter(thread_id__in=thread_ids, rater_id=actor.id).values_list(
        "thread_id", flat=True
    )
    return set(answered) - set(rated)
