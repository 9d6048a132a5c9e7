"""Due work (reminders, escalations, digests) kept in the database and done exactly once.

A use case ``schedule``s a job, by a key that names it, inside its own transaction; a
``JobRunner`` in every worker process claims due jobs and runs their handler. The handler's
writes and the job's ``done_at`` commit in one transaction, and the row is claimed with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite has one writer at a time), so with several
workers or hosts a job is done once, and a crash before the commit leaves it due for the next
worker. A handler that raises is rolled back and retried later with a growing delay.

Handlers must do only database work inside the transaction (``notifications.delivery.notify``
joins it); anything that must wait for the commit (live announcements) is returned as an
``AfterCommit`` callable and run once the commit has succeeded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from community.actor import as_aware
from community.models import ScheduledJob
from community.timeutil import utcnow

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]
Handler = Callable[[ScheduledJob], Awaitable[AfterCommit | None]]
Clock = Callable[[], datetime]

KEY_MAX = 200
ERROR_MAX = 2_000


async def schedule(kind: str, key: str, due_at: datetime, payload: dict[str, Any] | None = None) -> bool:
    """Record ``key`` as due at ``due_at``; False (and nothing changes) if the key exists already,
    done or not. Joins the caller's transaction when there is one."""
    if len(key) > KEY_MAX:
        raise ValueError(f"job key longer than {KEY_MAX} characters: {key[:40]}...")
    if await ScheduledJob.exists(key=key):
        return False
    try:
        # A savepoint, so that losing a race on the unique key leaves the caller's transaction usable.
        async with in_transaction():
            await ScheduledJob.create(kind=kind, key=key, due_at=due_at, payload=payload or {})
    except IntegrityError:
        return False
    return True


async def cancel(key: str) -> bool:
    """Forget a job that is not done yet (an answer arrived before the reminder)."""
    return bool(await ScheduledJob.filter(key=key, done_at=None).delete())


async def cancel_prefix(prefix: str) -> int:
    """Forget every pending job whose key starts with ``prefix`` (all of a thread's reminders)."""
    return await ScheduledJob.filter(key__startswith=prefix, done_at=None).delete()


async def backlog(now: datetime) -> dict[str, Any]:
    """For /healthz: how many jobs are due and not done, how late the oldest of them is, and how
    many were given up after their last attempt (a reminder or escalation that never went out)."""
    due = ScheduledJob.filter(done_at=None, due_at__lte=now)
    oldest = await due.order_by("due_at").first().values_list("due_at", flat=True)
    late = max((now - as_aware(oldest)).total_seconds(), 0.0) if oldest is not None else 0.0  # type: ignore[arg-type]
    return {
        "due": await due.count(),
        "oldest_due_seconds": round(late, 1),
        "failed": await ScheduledJob.filter(failed=True).count(),
    }


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min... capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3_600))


class JobRunner:
    """Claims and runs due jobs of the kinds it has handlers for."""

    def __init__(
        self,
        handlers: Mapping[str, Handler],
        *,
        clock: Clock = utcnow,
        batch: int = 50,
        idle_seconds: float = 5.0,
        max_attempts: int = 8,
    ) -> None:
        self.handlers = dict(handlers)
        self.clock = clock
        self.batch = batch
        self.idle_seconds = idle_seconds
        self.max_attempts = max_attempts
        self.last_pass: datetime | None = None  # when run_forever last finished a pass (this process)
        self.failures = 0  # passes in a row that failed (a database outage)

    async def run_due(self) -> int:
        """Do every job due now that no other worker holds; return how many this runner did."""
        if not self.handlers:
            return 0
        done = 0
        while True:
            ids = await self._due_ids()
            finished = [await self._run_one(job_id) for job_id in ids]
            done += sum(finished)
            if len(ids) < self.batch or not any(finished):
                return done

    async def run_forever(self) -> None:
        """Poll for due work until cancelled; a database outage is logged and waited out."""
        while True:
            try:
                await self.run_due()
                self.failures = 0
                self.last_pass = self.clock()
                await asyncio.sleep(self.idle_seconds)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.failures += 1
                pause = min(self.idle_seconds * 2**self.failures, 300.0)
                log.exception("scheduled jobs: could not run due work; trying again in %.0f s", pause)
                await asyncio.sleep(pause)

    def describe(self) -> dict[str, Any]:
        """For /healthz: this process's runner, seconds since its last pass and failures in a row."""
        age = None if self.last_pass is None else round((self.clock() - self.last_pass).total_seconds(), 1)
        return {"last_pass_age_seconds": age, "failures_here": self.failures}

    async def _due_ids(self) -> list[int]:
        rows = (
            await ScheduledJob.filter(done_at=None, due_at__lte=self.clock(), kind__in=list(self.handlers))
            .order_by("due_at", "id")
            .limit(self.batch)
            .values_list("id", flat=True)
        )
        return [int(i) for i in rows]

    async def _run_one(self, job_id: int) -> bool:
        now = self.clock()
        try:
            async with in_transaction() as conn:
                due = ScheduledJob.filter(id=job_id, done_at=None, due_at__lte=now)
                # PostgreSQL: a job another worker holds is skipped, not waited for. SQLite has no
                # FOR UPDATE: the conditional update is the claim, and it comes first, before any
                # read, so that a second worker waits for the write lock (busy timeout) instead of
                # failing "database is locked" on a read it then tries to turn into a write.
                postgres = conn.capabilities.dialect == "postgres"
                if postgres and await due.select_for_update(skip_locked=True).first() is None:
                    return False
                if not await due.update(done_at=now):
                    return False
                job = await ScheduledJob.get(id=job_id)
                after_commit = await self.handlers[job.kind](job)
        except Exception as exc:
            log.exception("scheduled job %s failed", job_id)
            await self._retry_later(job_id, exc, now)
            return False
        if after_commit is not None:
            try:
                await after_commit()
            except Exception:
                log.exception("scheduled job %s: work after commit failed (the job itself is done)", job_id)
        return True

    async def _retry_later(self, job_id: int, exc: Exception, now: datetime) -> None:
        """Count the failure and try again later, or give up. Only a job nobody has done meanwhile
        is touched: another worker may have claimed and finished it while this one failed (SQLite
        answers a second writer "database is locked"), and writing back what was read here would
        undo that worker's done_at: the job would run twice (found by two worker processes)."""
        rows = await ScheduledJob.filter(id=job_id, done_at=None).values("attempts", "key")
        if not rows:
            return
        attempts = int(rows[0]["attempts"]) + 1
        changes: dict[str, Any] = {
            "attempts": attempts,
            "last_error": f"{type(exc).__name__}: {exc}"[:ERROR_MAX],
        }
        if attempts >= self.max_attempts:
            changes |= {"failed": True, "done_at": now}
        else:
            changes["due_at"] = now + retry_delay(attempts)
        updated = await ScheduledJob.filter(id=job_id, done_at=None, attempts=attempts - 1).update(**changes)
        if updated and attempts >= self.max_attempts:
            log.error("scheduled job %s (%s) gave up after %d attempts", job_id, rows[0]["key"], attempts)
