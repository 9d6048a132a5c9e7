"""Due work in the database: done once by whichever runner claims it, after a crash or a failure
too. Runs on SQLite and, with COMMUNITY_TEST_DATABASE_URL, on the real PostgreSQL (where the
racing runners hold separate pooled connections)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from community import jobs
from community.models import ScheduledJob, Tag


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def tagging_handler(done: list[str]):  # type: ignore[no-untyped-def]
    """A handler whose write is a tag named after the job and this run (a second run of the same
    job would add a second tag); ``done`` hears of committed runs only."""

    async def handle(job: ScheduledJob) -> jobs.AfterCommit:
        await Tag.create(name=f"{job.key}#{uuid.uuid4().hex[:6]}")
        await asyncio.sleep(0.005)  # room for a second runner to reach the same job

        async def after() -> None:
            done.append(job.key)

        return after

    return handle


async def test_a_job_waits_until_it_is_due_then_runs_once(db, clock: Clock) -> None:
    done: list[str] = []
    runner = jobs.JobRunner({"tag": tagging_handler(done)}, clock=clock)
    assert await jobs.schedule("tag", "tag:later", clock.now + timedelta(hours=12))

    assert await runner.run_due() == 0
    clock.advance(hours=12)
    assert await runner.run_due() == 1
    assert await runner.run_due() == 0

    assert done == ["tag:later"]
    assert await Tag.filter(name__startswith="tag:later#").count() == 1
    job = await ScheduledJob.get(key="tag:later")
    assert job.done_at == clock.now


async def test_scheduling_a_key_twice_keeps_the_first_and_the_callers_transaction(db, clock: Clock) -> None:
    async with in_transaction():
        assert await jobs.schedule("tag", "tag:once", clock.now, {"n": 1})
        assert not await jobs.schedule("tag", "tag:once", clock.now + timedelta(days=1), {"n": 2})
        await Tag.create(name="written in the same transaction")
    job = await ScheduledJob.get(key="tag:once")
    assert job.payload == {"n": 1} and job.due_at == clock.now
    assert await Tag.exists(name="written in the same transaction")


async def test_a_cancelled_job_never_runs(db, clock: Clock) -> None:
    done: list[str] = []
    await jobs.schedule("tag", "tag:thread:7:remind", clock.now)
    await jobs.schedule("tag", "tag:thread:7:escalate", clock.now)
    assert await jobs.cancel("tag:thread:7:remind")
    assert await jobs.cancel_prefix("tag:thread:7:") == 1
    assert await jobs.JobRunner({"tag": tagging_handler(done)}, clock=clock).run_due() == 0
    assert done == []


async def test_two_runners_racing_do_each_job_exactly_once(db, clock: Clock) -> None:
    done: list[str] = []
    keys = [f"tag:race:{n}" for n in range(40)]
    for key in keys:
        await jobs.schedule("tag", key, clock.now)
    runners = [jobs.JobRunner({"tag": tagging_handler(done)}, clock=clock, batch=7) for _ in range(2)]

    counts = await asyncio.gather(*(r.run_due() for r in runners))

    assert sum(counts) == len(keys)
    assert sorted(done) == sorted(keys)
    for key in keys:
        assert await Tag.filter(name__startswith=f"{key}#").count() == 1, key


async def test_a_runner_that_dies_mid_job_leaves_it_due_for_the_next(db, clock: Clock) -> None:
    class Killed(BaseException):
        """What a kill -9 looks like from inside: nothing after this line runs."""

    async def dies(job: ScheduledJob) -> None:
        await Tag.create(name=job.key)
        raise Killed

    await jobs.schedule("tag", "tag:crash", clock.now)
    with pytest.raises(Killed):
        await jobs.JobRunner({"tag": dies}, clock=clock).run_due()
    assert not await Tag.exists(name="tag:crash")

    done: list[str] = []
    assert await jobs.JobRunner({"tag": tagging_handler(done)}, clock=clock).run_due() == 1
    assert done == ["tag:crash"]


async def test_a_failing_job_is_rolled_back_and_retried_later_then_given_up(db, clock: Clock) -> None:
    async def fails(job: ScheduledJob) -> None:
        await Tag.create(name=job.key)
        raise RuntimeError("mail server said no")

    runner = jobs.JobRunner({"tag": fails}, clock=clock, max_attempts=3)
    await jobs.schedule("tag", "tag:flaky", clock.now)

    assert await runner.run_due() == 0
    job = await ScheduledJob.get(key="tag:flaky")
    assert (job.attempts, job.done_at, job.failed) == (1, None, False)
    assert job.last_error == "RuntimeError: mail server said no"
    assert job.due_at == clock.now + jobs.retry_delay(1)
    assert not await Tag.exists(name="tag:flaky")

    assert await runner.run_due() == 0  # not due again yet
    assert (await ScheduledJob.get(key="tag:flaky")).attempts == 1

    for _ in range(2):
        clock.advance(hours=1)
        await runner.run_due()
    job = await ScheduledJob.get(key="tag:flaky")
    assert (job.attempts, job.failed) == (3, True) and job.done_at is not None


async def test_jobs_of_kinds_a_runner_does_not_know_are_left_for_one_that_does(db, clock: Clock) -> None:
    done: list[str] = []
    await jobs.schedule("digest", "digest:weekly:1", clock.now)
    assert await jobs.JobRunner({"tag": tagging_handler(done)}, clock=clock).run_due() == 0
    assert await jobs.JobRunner({"digest": tagging_handler(done)}, clock=clock).run_due() == 1
    assert done == ["digest:weekly:1"]


async def test_healthz_reports_due_work_no_runner_has_done(client, db) -> None:  # type: ignore[no-untyped-def]
    """A reminder nobody runs (no worker for its kind, or none at all) shows on /healthz: how many
    are due, how late the oldest is, and how many were given up."""
    body = (await client.get("/healthz")).json()
    assert body["jobs"] == {"due": 0, "oldest_due_seconds": 0.0, "failed": 0,
                            "last_pass_age_seconds": None, "failures_here": 0}  # fmt: skip
    now = datetime.now(UTC)
    await jobs.schedule("nobody.runs.this", "late:1", now - timedelta(minutes=10))
    await jobs.schedule("nobody.runs.this", "later:1", now + timedelta(hours=1))  # not due yet
    await ScheduledJob.create(kind="tag", key="gave-up:1", due_at=now, done_at=now, failed=True)
    response = await client.get("/healthz")
    assert response.status_code == 200  # reported, the site still serves
    reported = response.json()["jobs"]
    assert (reported["due"], reported["failed"]) == (1, 1)
    assert 600 <= reported["oldest_due_seconds"] < 660


async def test_a_runner_says_when_it_last_went_through_due_work(db, clock: Clock) -> None:
    runner = jobs.JobRunner({"tag": tagging_handler([])}, clock=clock, idle_seconds=0.01)
    assert runner.describe() == {"last_pass_age_seconds": None, "failures_here": 0}
    task = asyncio.create_task(runner.run_forever())
    await asyncio.sleep(0.1)
    task.cancel()
    clock.advance(seconds=30)
    assert runner.describe() == {"last_pass_age_seconds": 30.0, "failures_here": 0}


async def test_a_failure_never_undoes_a_job_another_worker_finished(db, clock: Clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """One worker's attempt fails (SQLite answers the second writer "database is locked") while
    another worker claims and finishes the same job: counting the failure must leave it done.
    Before: the failure wrote back the row it had read, done_at empty, and the job ran again 30 s
    later (a second reminder; found by tests/experts/test_escalation.py's two worker processes).
    SQLite's race: on PostgreSQL a worker never claims a row another one holds (SKIP LOCKED)."""
    if not db.database_url.startswith("sqlite://"):
        pytest.skip("PostgreSQL's claim skips a job another worker holds: no failure to count")
    path = db.database_url.removeprefix("sqlite://")

    async def fails(job: ScheduledJob) -> None:
        raise RuntimeError("database is locked")

    assert await jobs.schedule("tag", "tag:contended", clock.now)
    real_delay = jobs.retry_delay

    def finished_meanwhile(attempts: int) -> timedelta:
        # Between this worker reading the failed job and writing its retry, the other one commits.
        with contextlib.closing(sqlite3.connect(path)) as other:
            other.execute(
                "UPDATE scheduled_job SET done_at = ? WHERE key = ?",
                (clock.now.isoformat(" "), "tag:contended"),
            )
            other.commit()
        return real_delay(attempts)

    monkeypatch.setattr(jobs, "retry_delay", finished_meanwhile)
    assert await jobs.JobRunner({"tag": fails}, clock=clock).run_due() == 0
    job = await ScheduledJob.get(key="tag:contended")
    assert job.done_at is not None and job.attempts == 0 and not job.failed
