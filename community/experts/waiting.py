"""The staff "Waiting" view: every open question still waiting for a first answer, or for an
accepted answer where the category sets a solution target, the least time left first.

Time left is on the UTC wall clock (``targets``): negative means overdue by that much.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tortoise.expressions import Q, Subquery

from community import policy
from community.actor import Actor, as_aware
from community.errors import Forbidden
from community.experts.targets import CLOCK_FIELDS, settle_answered
from community.models import QuestionRouting, ResponseClock, ThreadStatus
from community.visibility import visible_threads

WAITING_MAX = 200


@dataclass
class Waiting:
    thread_id: int
    title: str
    category_slug: str
    category_name: str
    asked_at: datetime
    due: datetime
    target: str  # "first_answer" or "solution"
    seconds_left: int  # zero or negative: overdue by that much
    experts: list[str]
    expert_ids: list[int] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return self.seconds_left <= 0

    @property
    def time_text(self) -> str:
        """How long is left (or overdue by): "45 min", "7 h 54 min", from two days on "9 days"
        (the trial read "Overdue by 216 h 5 min")."""
        return duration_text(abs(self.seconds_left))


def duration_text(seconds: int) -> str:
    hours, minutes = seconds // 3600, (seconds % 3600) // 60
    if hours >= 48:
        return f"{hours // 24} days"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


@dataclass
class WaitingPage:
    """The Waiting view: the rows shown (``mine``: only those routed to the viewer), and how
    many wait in all, are overdue, and are routed to the viewer."""

    rows: list[Waiting]
    total: int
    overdue: int
    routed_to_me: int
    mine: bool


async def waiting(actor: Actor, now: datetime, *, limit: int = WAITING_MAX) -> list[Waiting]:
    """Open questions still waiting for a first answer, or for a solution past which a target is
    set, the least time left first (the overdue ones head the list)."""
    return (await _waiting(actor, now))[:limit]


async def waiting_page(actor: Actor, now: datetime, *, mine: bool = False) -> WaitingPage:
    """The Waiting view, optionally only the questions routed to the viewer (still on them)."""
    found = await _waiting(actor, now)
    routed_to_me = [w for w in found if actor.id in w.expert_ids]
    shown = routed_to_me if mine else found
    return WaitingPage(
        rows=shown[:WAITING_MAX], total=len(shown), overdue=sum(w.overdue for w in shown),
        routed_to_me=len(routed_to_me), mine=mine,
    )  # fmt: skip


async def _waiting(actor: Actor, now: datetime) -> list[Waiting]:
    if not policy.can_see_response_times(actor):
        raise Forbidden("The waiting questions are for staff.")
    visible = visible_threads(actor, await policy.visible_category_ids(actor))
    clocks = (
        await ResponseClock.filter(
            thread__status=ThreadStatus.OPEN, thread_id__in=Subquery(visible.values("id"))
        )
        .filter(
            Q(answered_at__isnull=True) | Q(solution_due__isnull=False, thread__accepted_post_id__isnull=True)
        )
        .values(
            *CLOCK_FIELDS,
            title="thread__title",
            accepted_post_id="thread__accepted_post_id",
            category_slug="thread__category__slug",
            category_name="thread__category__name",
        )
    )
    await settle_answered(clocks)
    found: list[Waiting] = []
    for c in clocks:
        if not c["answered"]:
            target, due = "first_answer", as_aware(c["first_answer_due"])
        elif c["solution_due"] is not None and c["accepted_post_id"] is None:
            target, due = "solution", as_aware(c["solution_due"])
        else:
            continue
        assert due is not None
        found.append(
            Waiting(
                thread_id=c["thread_id"],
                title=c["title"],
                category_slug=c["category_slug"],
                category_name=c["category_name"],
                asked_at=as_aware(c["asked_at"]) or due,
                due=due,
                target=target,
                seconds_left=int((due - now).total_seconds()),
                experts=[],
            )
        )
    found.sort(key=lambda w: (w.seconds_left, w.thread_id))
    names = await QuestionRouting.filter(
        thread_id__in=[w.thread_id for w in found], passed_on_at=None
    ).values_list("thread_id", "expert_id", "expert__display_name")
    by_thread: dict[int, list[tuple[int, str]]] = {}
    for thread_id, expert_id, name in names:
        by_thread.setdefault(thread_id, []).append((expert_id, name))
    for w in found:
        w.experts = [name for _, name in by_thread.get(w.thread_id, [])]
        w.expert_ids = [uid for uid, _ in by_thread.get(w.thread_id, [])]
    return found
