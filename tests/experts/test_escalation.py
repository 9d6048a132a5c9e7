"""Response targets kept by scheduled jobs, with a clock the tests move by hand: the reminder
half-way, the escalation at the target, exactly once with two workers racing (run it on the real
PostgreSQL too), nothing lost to a restart between them, and no reminder for a question answered
a moment before its deadline."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from community.experts import escalation, profiles, waiting
from community.forum import posts, threads
from community.jobs import JobRunner
from community.models import (
    ExpertProfile,
    Notification,
    ResponseClock,
    ResponseTarget,
    ScheduledJob,
    Thread,
    User,
)
from tests.experts.conftest import Experts
from tests.test_jobs import Clock

REPO = Path(__file__).resolve().parents[2]


def fresh_clock() -> Clock:
    """The hand-moved clock, starting now: a question asked at the clock's start is a new one
    (routing tells the experts of questions still within their target)."""
    clock = Clock()
    clock.now = datetime.now(UTC).replace(microsecond=0)
    return clock


def runner(clock: Clock) -> JobRunner:
    return JobRunner(escalation.job_handlers(), clock=clock, batch=3)


async def ask(experts: Experts, clock: Clock, title: str = "VPN drops every hour on the X200") -> Thread:
    w = experts.world
    return await threads.create_thread(
        w.actor(w.partner), category="general", kind="question", title=title, body="Details please.",
        tags="networking", created_at=clock.now,
    )  # fmt: skip


async def kinds_for(user_id: int) -> list[str]:
    return list(await Notification.filter(user_id=user_id).order_by("id").values_list("kind", flat=True))


async def test_reminder_at_half_the_target_then_escalation_to_the_moderators(experts: Experts) -> None:
    clock = fresh_clock()
    thread = await ask(experts, clock)
    w = experts.world
    clock.advance(hours=11, minutes=59)
    assert await runner(clock).run_due() == 0
    clock.advance(minutes=1)  # 12 h: half of the default 24 h
    assert await runner(clock).run_due() == 1
    assert await kinds_for(experts.net.id) == ["routed", "response_reminder"]
    assert "response_escalated" not in await kinds_for(w.moderator.id)
    clock.advance(hours=12)
    assert await runner(clock).run_due() == 1
    assert "response_escalated" in await kinds_for(w.moderator.id)
    assert "response_escalated" in await kinds_for(w.admin.id)
    assert "response_escalated" not in await kinds_for(experts.net.id)
    # Plain English (the trial read "Overdue: no a first answer by its target").
    told = await Notification.get(user_id=w.moderator.id, kind="response_escalated")
    assert told.text.startswith("Overdue: no first answer by its target (")
    reminded = await Notification.get(user_id=experts.net.id, kind="response_reminder")
    assert reminded.text.startswith("Still waiting for a first answer (target ")
    clock_row = await ResponseClock.get(thread_id=thread.id)
    assert clock_row.reminded_at is not None and clock_row.escalated_at is not None
    rows = await waiting.waiting(w.actor(w.moderator), clock.now)
    assert [(r.thread_id, r.overdue) for r in rows] == [(thread.id, True)]


async def test_two_workers_racing_remind_and_escalate_exactly_once(experts: Experts) -> None:
    clock = fresh_clock()
    asked = [await ask(experts, clock, f"Question number {n} about the VPN") for n in range(6)]
    clock.advance(hours=25)  # every reminder and every escalation is due
    done = await asyncio.gather(runner(clock).run_due(), runner(clock).run_due())
    assert sum(done) == 12
    for thread in asked:
        reminders = await Notification.filter(thread_id=thread.id, kind="response_reminder").count()
        escalations = await Notification.filter(thread_id=thread.id, kind="response_escalated").count()
        # Nina and Ned are reminded once each; the moderator and the admin hear once each.
        assert (reminders, escalations) == (2, 2), thread.id


async def test_a_restart_between_reminder_and_escalation_loses_nothing(experts: Experts) -> None:
    clock = fresh_clock()
    thread = await ask(experts, clock)
    clock.advance(hours=12)
    assert await runner(clock).run_due() == 1  # the reminder, then the process stops
    # A new process (a new runner, nothing in memory) comes up after the target has passed.
    clock.advance(hours=20)
    assert await runner(clock).run_due() == 1
    assert await Notification.filter(thread_id=thread.id, kind="response_escalated").count() == 2
    assert await Notification.filter(thread_id=thread.id, kind="response_reminder").count() == 2
    assert await runner(clock).run_due() == 0


async def test_an_answer_just_before_the_deadline_means_no_reminder_and_no_escalation(
    experts: Experts,
) -> None:
    clock = fresh_clock()
    thread = await ask(experts, clock)
    clock.advance(hours=11, minutes=59, seconds=59)
    w = experts.world
    await posts.reply(
        w.actor(w.colleague), thread.id, body="We had that: update the firmware.", created_at=clock.now
    )
    clock.advance(days=2)
    assert await runner(clock).run_due() == 2  # both jobs ran, and did nothing
    assert (
        await Notification.filter(
            thread_id=thread.id, kind__in=["response_reminder", "response_escalated"]
        ).count()
        == 0
    )
    assert await waiting.waiting(w.actor(w.moderator), clock.now) == []


async def test_solution_target_escalates_unless_an_answer_is_accepted(experts: Experts) -> None:
    w = experts.world
    await ResponseTarget.create(category_id=w.general.id, first_answer_hours=4, solution_hours=48)
    clock = fresh_clock()
    solved = await ask(experts, clock, "First question with a solution target")
    unsolved = await ask(experts, clock, "Second question with a solution target")
    answers = [
        await posts.reply(w.actor(w.expert), t.id, body="Try this.", created_at=clock.now)
        for t in (solved, unsolved)
    ]
    await posts.accept_answer(w.actor(w.partner), answers[0].id)
    clock.advance(hours=49)
    await runner(clock).run_due()
    assert await Notification.filter(thread_id=solved.id, kind="response_escalated").count() == 0
    assert await Notification.filter(thread_id=unsolved.id, kind="response_escalated").count() == 2
    told = await Notification.get(thread_id=unsolved.id, user_id=w.moderator.id, kind="response_escalated")
    assert told.text.startswith("Overdue: no accepted answer by its target (")
    rows = await waiting.waiting(w.actor(w.expert), clock.now)
    assert [(r.thread_id, r.target, r.overdue) for r in rows] == [(unsolved.id, "solution", True)]


async def test_an_expert_away_by_the_reminder_is_replaced_by_their_stand_in(experts: Experts) -> None:
    """Nina was routed the question, then went away with Bill standing in: half-way, Bill and Ned
    are reminded, not Nina. Ned, away with nobody to stand in, is still reminded (it waits for him)."""
    clock = fresh_clock()
    thread = await ask(experts, clock)
    w = experts.world
    back = (clock.now + timedelta(days=3)).date().isoformat()
    for who, stand_in in ((experts.net, experts.billing.handle), (experts.net2, "")):
        me = w.actor(await User.get(id=who.id).select_related("organisation"))
        await profiles.update_expertise(
            me, me.handle, tags="networking", categories=[], away_until=back, stand_in=stand_in
        )
    clock.advance(hours=12)
    assert await runner(clock).run_due() == 1
    reminded = await Notification.filter(thread_id=thread.id, kind="response_reminder").values_list(
        "user_id", flat=True
    )
    assert sorted(reminded) == sorted([experts.billing.id, experts.net2.id])


async def test_the_reminder_follows_the_chain_of_stand_ins_to_any_staff_member(experts: Experts) -> None:
    """Nina away with Ned standing in, Ned away too with the moderator (no expertise of his own)
    standing in: the moderator is reminded, as routing would have chosen him (before: reminders
    looked among experts only, and one step along the chain)."""
    clock = fresh_clock()
    thread = await ask(experts, clock)
    w = experts.world
    back = clock.now + timedelta(days=3)
    await ExpertProfile.filter(user_id=experts.net.id).update(away_until=back, stand_in_id=experts.net2.id)
    await ExpertProfile.filter(user_id=experts.net2.id).update(away_until=back, stand_in_id=w.moderator.id)
    clock.advance(hours=12)
    assert await runner(clock).run_due() == 1
    reminded = await Notification.filter(thread_id=thread.id, kind="response_reminder").values_list(
        "user_id", flat=True
    )
    assert list(reminded) == [w.moderator.id]


# Two worker processes (not two tasks of one): each opens the database itself, waits for the other
# at a barrier, then does every reminder and escalation that is due.
WORKER = """
import asyncio, pathlib, sys, time
from community.db import close_db, init_db
from community.experts import escalation
from community.jobs import JobRunner

async def main() -> None:
    url, barrier, me = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
    await init_db(url)
    (barrier / me).touch()
    deadline = time.monotonic() + 30
    while len(list(barrier.iterdir())) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    print(await JobRunner(escalation.job_handlers(), batch=2).run_due())
    await close_db()

asyncio.run(main())
"""


async def test_two_worker_processes_remind_and_escalate_exactly_once(experts: Experts, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Thirty questions a day old: sixty jobs due. Two processes race for them over the real
    database (SQLite's file, or the PostgreSQL test database): each job is done once, by one of
    them, and every question has exactly one reminder per routed expert and one escalation per
    moderator."""
    day_old = fresh_clock()
    day_old.now -= timedelta(hours=25)
    asked = [await ask(experts, day_old, f"Question number {n} about the VPN") for n in range(30)]
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    url = experts.world.settings.database_url
    pipe = asyncio.subprocess.PIPE
    args = [sys.executable, "-c", WORKER, url, str(barrier)]
    workers = [
        await asyncio.create_subprocess_exec(*args, f"worker-{n}", stdout=pipe, stderr=pipe, cwd=REPO)
        for n in range(2)
    ]
    outputs = [await w.communicate() for w in workers]
    assert all(w.returncode == 0 for w in workers), [err.decode()[-2000:] for _, err in outputs]
    # No attempt failed: on SQLite the claim waits for the write lock rather than failing "database
    # is locked" (before: a read first, then a write, failed at once when the other process wrote).
    assert not [err for _, err in outputs if b"failed" in err], [err.decode()[-2000:] for _, err in outputs]
    done = [int(out.decode().split()[-1]) for out, _ in outputs]
    assert sum(done) == 60, done
    for thread in asked:
        reminders = await Notification.filter(thread_id=thread.id, kind="response_reminder").count()
        escalations = await Notification.filter(thread_id=thread.id, kind="response_escalated").count()
        assert (reminders, escalations) == (2, 2), (thread.id, done)

    left = await ScheduledJob.filter(kind__startswith="experts.", done_at=None).values(
        "key", "due_at", "attempts", "last_error"
    )
    assert not left, (left, done, datetime.now(UTC))
