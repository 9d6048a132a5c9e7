"""The scheduled work behind response targets (``community/jobs.py`` runs it exactly once, in the
job's transaction): half-way to the first-answer target the routed experts are reminded; at the
target, and at the solution target, the moderators hear that the question is overdue.

Each handler looks at the question as it is when the job is due: answered (or solved, for the
solution target), closed or deleted by then, it does nothing. So an answer that arrives a second
before the deadline means no reminder, and a restart between the reminder and the escalation
loses neither (both are rows, due or done). An expert who has gone away since the question was
routed is replaced in the reminder by their stand-in, judged at the job's due time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.expressions import F

from community.actor import as_aware
from community.experts.profiles import find_cover, load_staff
from community.experts.targets import ESCALATE_JOB, REMIND_JOB, SOLUTION_JOB, clock_of
from community.jobs import AfterCommit, Handler
from community.models import QuestionRouting, ResponseClock, Role, ScheduledJob, Thread, ThreadStatus, User
from community.notifications import expert_notices
from community.notifications.delivery import Created, announce
from community.timeutil import utcnow


def job_handlers() -> dict[str, Handler]:
    return {REMIND_JOB: remind, ESCALATE_JOB: escalate, SOLUTION_JOB: escalate_solution}


def _after(created: Created) -> AfterCommit | None:
    if not created:
        return None

    async def after() -> None:
        await announce(created)

    return after


async def _waiting(job: ScheduledJob) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The thread and its clock, if the question is still open and has a clock."""
    thread_id = job.payload.get("thread_id")
    if type(thread_id) is not int:
        return None
    rows = await Thread.filter(id=thread_id).values("id", "title", "status", "is_deleted", "accepted_post_id")
    if not rows or rows[0]["is_deleted"] or rows[0]["status"] != ThreadStatus.OPEN:
        return None
    clock = await clock_of(thread_id)
    return (rows[0], clock) if clock is not None else None


async def moderator_ids() -> list[int]:
    """Moderators and admins who are not suspended (no category has moderators of its own: every
    moderator moderates every category)."""
    now = utcnow()
    rows = await User.filter(role__in=[Role.MODERATOR, Role.ADMIN]).values("id", "suspended_until")
    return [r["id"] for r in rows if (until := as_aware(r["suspended_until"])) is None or until <= now]


async def remind(job: ScheduledJob) -> AfterCommit | None:
    found = await _waiting(job)
    if found is None or found[1]["answered"]:
        return None
    thread, clock = found
    routed = await QuestionRouting.filter(thread_id=thread["id"], passed_on_at=None).values_list(
        "expert_id", flat=True
    )
    created = await expert_notices.reminder(
        thread["id"], thread["title"], await around(list(routed), job.due_at),
        as_aware(clock["first_answer_due"]) or job.due_at,
    )  # fmt: skip
    await ResponseClock.filter(thread_id=thread["id"]).update(reminded_at=job.due_at)
    return _after(created)


async def around(expert_ids: list[int], when: datetime) -> list[int]:
    """Whom to remind of a question routed to ``expert_ids``: an expert who has gone away since is
    replaced by their stand-in when the stand-in is around (as routing does); with nobody to stand
    in, the expert is reminded anyway, so that the reminder waits for them. The stand-in is found
    along the chain of stand-ins (any staff member may stand in), never in a loop."""
    people = await load_staff(when)
    chosen: list[int] = []
    for expert_id in expert_ids:
        expert = people.get(expert_id)
        if expert is not None and not expert.is_available(when):
            cover = find_cover(people, expert, when).by
            if cover is not None:
                expert_id = cover.id
        if expert_id not in chosen:
            chosen.append(expert_id)
    return chosen


async def escalate(job: ScheduledJob) -> AfterCommit | None:
    return await _escalate(job, solution=False)


async def escalate_solution(job: ScheduledJob) -> AfterCommit | None:
    return await _escalate(job, solution=True)


async def _escalate(job: ScheduledJob, *, solution: bool) -> AfterCommit | None:
    """Past the first-answer target without an answer, or the solution target without an
    accepted answer: the moderators hear of it, and the question shows staff it is overdue."""
    found = await _waiting(job)
    if found is None:
        return None
    thread, clock = found
    if (thread["accepted_post_id"] is not None) if solution else clock["answered"]:
        return None
    due = as_aware(clock["solution_due" if solution else "first_answer_due"]) or job.due_at
    created = await expert_notices.escalated(
        thread["id"], thread["title"], await moderator_ids(), due, solution
    )
    mark = "solution_escalated_at" if solution else "escalated_at"
    await ResponseClock.filter(thread_id=thread["id"]).update(**{mark: job.due_at})
    # The question's page now shows staff that it is overdue: its cached copies must go.
    await Thread.filter(id=thread["id"]).update(version=F("version") + 1)
    return _after(created)
