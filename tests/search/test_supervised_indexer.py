"""The search indexer is supervised (issue 13, defect 2): an error is logged and retried with
backoff and never ends it; a holder that stops working is replaced; /healthz shows the backlog."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import pytest

from community.forum import threads
from community.models import IndexerLease, IndexOutbox
from community.search import indexer as indexer_module
from community.search import queries
from community.search.indexer import Indexer
from community.search.lease import Lease
from community.timeutil import utcnow
from search_index.engine import WhooshSearch
from tests.waiting import eventually


@pytest.fixture
def index(tmp_path):  # type: ignore[no-untyped-def]
    ix = WhooshSearch(tmp_path / "search")
    yield ix
    ix.close()


async def _ask(world, title: str):  # type: ignore[no-untyped-def]
    return await threads.create_thread(
        world.actor(world.partner), category="general", kind="question", title=title,
        body="The tunnel drops every hour on the branch office router.",
    )  # fmt: skip


async def _found(index, world, q: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.doc_id for h in (await queries.search(index, world.actor(world.colleague), q)).results]


@contextlib.asynccontextmanager
async def running(indexer: Indexer):  # type: ignore[no-untyped-def]
    task = asyncio.create_task(indexer.run_forever())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_failing_catch_up_is_logged_retried_and_recovers(world, index, monkeypatch, caplog) -> None:
    """The database goes away while the indexer catches up (as in a PostgreSQL restart): the task
    logs it, waits, tries again, and the post becomes searchable once the database is back."""
    indexer = Indexer(index, Lease("test-index", ttl=5))
    await _ask(world, "A question indexed before the restart")
    await indexer.drain()  # not empty: catching up applies the outbox (no rebuild)
    thread = await _ask(world, "Quokka tunnel drops every hour")
    real = indexer_module.changes_for
    failures = 2

    async def database_gone(rows):  # type: ignore[no-untyped-def]
        nonlocal failures
        if failures:
            failures -= 1
            raise ConnectionResetError("the database closed the connection")
        return await real(rows)

    monkeypatch.setattr(indexer_module, "changes_for", database_gone)
    monkeypatch.setattr(Indexer, "RETRY_MIN", 0.05)
    with caplog.at_level(logging.ERROR, logger="community.search.indexer"):
        async with running(indexer) as task:

            async def searchable() -> bool:
                return f"thread:{thread.id}" in await _found(index, world, "quokka")

            await eventually(searchable, what="the post never became searchable")
            assert not task.done()
    assert indexer.failures == 2
    assert "ConnectionResetError" in (indexer.last_error or "")
    assert sum("search indexer failed" in r.getMessage() for r in caplog.records) == 2
    assert not await IndexOutbox.exists()


async def test_a_stuck_indexer_gives_up_and_starts_over(world, index, monkeypatch) -> None:
    await _ask(world, "A question indexed before")
    await Indexer(index).drain()
    thread = await _ask(world, "Wombat tunnel drops every hour")
    real = indexer_module.changes_for
    hangs = 1

    async def hangs_once(rows):  # type: ignore[no-untyped-def]
        nonlocal hangs
        if hangs:
            hangs -= 1
            await asyncio.Event().wait()  # a call that never returns
        return await real(rows)

    monkeypatch.setattr(indexer_module, "changes_for", hangs_once)
    monkeypatch.setattr(Indexer, "RETRY_MIN", 0.05)
    indexer = Indexer(index, Lease("test-index", ttl=0.3), stall_seconds=0.5)
    async with running(indexer):

        async def searchable() -> bool:
            return f"thread:{thread.id}" in await _found(index, world, "wombat")

        await eventually(searchable, what="the stuck indexer never started over")
    assert "no progress" in (indexer.last_error or "")


async def test_a_holder_that_stops_renewing_is_replaced(world, index) -> None:
    """Another process holds the lease but its heartbeat stopped (frozen, or its host gone):
    this one takes over once the heartbeat is older than the lease's ttl."""
    frozen = Lease("test-index", ttl=0.5)
    assert await frozen.try_acquire()
    thread = await _ask(world, "Numbat tunnel drops every hour")
    mine = Lease("test-index", ttl=0.5)
    assert not await mine.try_acquire()  # the holder is fresh
    indexer = Indexer(index, mine, retry_lock_seconds=0.05)
    async with running(indexer):

        async def searchable() -> bool:
            return f"thread:{thread.id}" in await _found(index, world, "numbat")

        await eventually(searchable, what="nobody replaced the frozen holder")
        assert (await IndexerLease.get(name="test-index")).holder == mine.holder
        assert not await frozen.renew()  # the old holder learns it lost the lease


async def test_two_processes_asking_at_once_get_one_lease(db) -> None:
    leases = [Lease("test-index", ttl=30) for _ in range(8)]
    won = await asyncio.gather(*(lease.try_acquire() for lease in leases))
    assert sum(won) == 1


async def test_healthz_reports_the_indexer_backlog_and_turns_unhealthy(world, client, app) -> None:
    await _ask(world, "Question the indexer has not seen yet")
    ok = await client.get("/healthz")
    assert ok.status_code == 200
    search = ok.json()["search"]
    assert search["backlog"] == 1 and search["oldest_age_seconds"] >= 0
    assert "indexer" in search and "live" in ok.json()
    # Older than COMMUNITY_INDEX_STALE_SECONDS: the load balancer is told.
    stale = app.state.settings.index_stale_seconds + 5
    await IndexOutbox.all().update(created_at=utcnow() - timedelta(seconds=stale))
    late = await client.get("/healthz")
    assert late.status_code == 503
    assert late.json()["status"] == "search_index_behind"
    assert late.json()["search"]["oldest_age_seconds"] >= stale
