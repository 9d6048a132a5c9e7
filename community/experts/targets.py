"""Response targets per category (a first answer within so many hours, optionally a solution),
how many experts a new question is routed to, and each question's clock: its deadlines, the
reminder and escalation jobs that keep them, and which questions are overdue.

The clock is the UTC wall clock: no business hours, no time zones, weekends count. A target
changed later applies to questions asked from then on; a question keeps the deadlines it was
asked with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from community import jobs, policy, validation
from community.actor import Actor, as_aware
from community.db import fetch_rows
from community.errors import Forbidden, NotFound
from community.models import Category, PostState, ResponseClock, ResponseTarget, ThreadStatus

DEFAULT_FIRST_ANSWER_HOURS = 24
DEFAULT_ROUTE_COUNT = 3
MAX_HOURS = 24 * 90
MAX_ROUTE_COUNT = 10

REMIND_JOB = "experts.remind"
ESCALATE_JOB = "experts.escalate"
SOLUTION_JOB = "experts.solution"


@dataclass(frozen=True)
class Targets:
    first_answer_hours: int = DEFAULT_FIRST_ANSWER_HOURS
    solution_hours: int | None = None
    route_count: int = DEFAULT_ROUTE_COUNT


def job_key(kind: str, thread_id: int) -> str:
    return f"{kind}:thread:{thread_id}"


async def targets_for(category_id: int) -> Targets:
    row = await ResponseTarget.filter(category_id=category_id).values(
        "first_answer_hours", "solution_hours", "route_count"
    )
    return Targets(**row[0]) if row else Targets()


async def list_targets(actor: Actor) -> list[tuple[dict[str, Any], Targets]]:
    """Every category with its targets (the admin page)."""
    if not policy.can_set_response_targets(actor):
        raise Forbidden("Only admins set response targets.")
    rows = {
        r["category_id"]: Targets(r["first_answer_hours"], r["solution_hours"], r["route_count"])
        for r in await ResponseTarget.all().values(
            "category_id", "first_answer_hours", "solution_hours", "route_count"
        )
    }
    cats = await Category.all().order_by("position", "name").values("id", "slug", "name")
    return [(c, rows.get(c["id"], Targets())) for c in cats]


def _hours(value: object, fields: dict[str, str], name: str, label: str, *, required: bool) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            fields[name] = f"{label} is required."
        return None
    number = validation.positive_int(value, MAX_HOURS)
    if number is None:
        fields[name] = f"{label} is a whole number of hours from 1 to {MAX_HOURS}."
    return number


async def set_targets(
    actor: Actor, category: str, *, first_answer_hours: object, solution_hours: object, route_count: object
) -> Targets:
    """``solution_hours`` empty: no solution target."""
    if not policy.can_set_response_targets(actor):
        raise Forbidden("Only admins set response targets.")
    cat = await Category.filter(slug=category).first() if validation.can_name_something(category) else None
    if cat is None:
        raise NotFound("No such category.")
    fields: dict[str, str] = {}
    first = _hours(first_answer_hours, fields, "first_answer_hours", "The first-answer target", required=True)
    solution = _hours(solution_hours, fields, "solution_hours", "The solution target", required=False)
    count = validation.positive_int(route_count, MAX_ROUTE_COUNT)
    if count is None:
        fields["route_count"] = f"Route new questions to 1 to {MAX_ROUTE_COUNT} experts."
    if first is not None and solution is not None and solution < first:
        fields["solution_hours"] = "The solution target cannot be sooner than the first-answer target."
    validation.raise_if(fields)
    assert first is not None and count is not None
    await ResponseTarget.update_or_create(
        category_id=cat.id,
        defaults={"first_answer_hours": first, "solution_hours": solution, "route_count": count},
    )
    return Targets(first, solution, count)


# --- a question's clock ------------------------------------------------------------------------------


async def start_clock(thread_id: int, asked_at: datetime, targets: Targets) -> ResponseClock:
    """Inside the asking transaction: the deadlines, and the jobs that remind the routed experts at
    half the first-answer target and escalate at the target (and at the solution target)."""
    first_due = asked_at + timedelta(hours=targets.first_answer_hours)
    solution_due = asked_at + timedelta(hours=targets.solution_hours) if targets.solution_hours else None
    clock = await ResponseClock.create(
        thread_id=thread_id, asked_at=asked_at, first_answer_due=first_due, solution_due=solution_due
    )
    payload = {"thread_id": thread_id}
    await jobs.schedule(
        REMIND_JOB, job_key(REMIND_JOB, thread_id), asked_at + (first_due - asked_at) / 2, payload
    )
    await jobs.schedule(ESCALATE_JOB, job_key(ESCALATE_JOB, thread_id), first_due, payload)
    if solution_due is not None:
        await jobs.schedule(SOLUTION_JOB, job_key(SOLUTION_JOB, thread_id), solution_due, payload)
    return clock


async def note_answer(thread_id: int, asker_id: int, author_id: int, state: str, when: datetime) -> None:
    """Inside the answering transaction: the first visible answer by someone else stops the clock
    for the first answer (its reminder and escalation then do nothing)."""
    if author_id != asker_id and state == PostState.VISIBLE:
        await ResponseClock.filter(thread_id=thread_id, answered_at=None).update(answered_at=when)


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


async def first_answers(thread_ids: Iterable[int]) -> dict[int, datetime]:
    """When each of these questions got its first visible answer by someone other than the asker
    (questions without one are left out): one query."""
    ids = list(dict.fromkeys(thread_ids))
    if not ids:
        return {}
    rows = await fetch_rows(
        "SELECT t.id, MIN(p.created_at) AS answered_at FROM thread t JOIN post p ON p.thread_id = t.id "
        f"WHERE t.id IN ({_marks(ids)}) AND p.is_opening = ? AND p.state = ? AND p.author_id <> t.author_id "
        "GROUP BY t.id",
        *ids, False, PostState.VISIBLE,
    )  # fmt: skip
    return {r["id"]: as_aware(r["answered_at"]) for r in rows if r["answered_at"] is not None}  # type: ignore[misc]


async def settle_answered(clocks: list[dict[str, Any]]) -> None:
    """Fill in ``answered`` on clock rows (``thread_id``, ``answered_at``) from the posts, and note
    answers the clock had not heard of (approved after review)."""
    unsure = [c["thread_id"] for c in clocks if c["answered_at"] is None]
    found = await first_answers(unsure)
    for clock in clocks:
        if clock["answered_at"] is None and clock["thread_id"] in found:
            clock["answered_at"] = found[clock["thread_id"]]
            await ResponseClock.filter(thread_id=clock["thread_id"], answered_at=None).update(
                answered_at=found[clock["thread_id"]]
            )
        clock["answered"] = clock["answered_at"] is not None


def overdue_kind(clock: dict[str, Any], now: datetime) -> str | None:
    """ "first_answer" or "solution" when that deadline has passed unmet; None otherwise."""
    if not clock["answered"] and as_aware(clock["first_answer_due"]) <= now:  # type: ignore[operator]
        return "first_answer"
    due = as_aware(clock.get("solution_due"))
    if due is not None and due <= now and clock.get("accepted_post_id") is None:
        return "solution"
    return None


CLOCK_FIELDS = ("thread_id", "asked_at", "first_answer_due", "solution_due", "answered_at")


async def overdue_among(thread_ids: Sequence[int], now: datetime) -> dict[int, str]:
    """Of these (a page of a list), the open questions past a target: thread id -> which target."""
    if not thread_ids:
        return {}
    clocks = (
        await ResponseClock.filter(thread_id__in=list(thread_ids), thread__status=ThreadStatus.OPEN)
        .filter(
            Q(answered_at__isnull=True, first_answer_due__lte=now)
            | Q(solution_due__lte=now, thread__accepted_post_id__isnull=True)
        )
        .values(*CLOCK_FIELDS, accepted_post_id="thread__accepted_post_id")
    )
    await settle_answered(clocks)
    return {c["thread_id"]: kind for c in clocks if (kind := overdue_kind(c, now)) is not None}


async def clock_of(thread_id: int) -> dict[str, Any] | None:
    rows = await ResponseClock.filter(thread_id=thread_id).values(
        *CLOCK_FIELDS, "reminded_at", "escalated_at", "solution_escalated_at",
        accepted_post_id="thread__accepted_post_id", status="thread__status",
    )  # fmt: skip
    if not rows:
        return None
    await settle_answered(rows)
    return rows[0]
