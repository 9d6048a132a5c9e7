"""Live events cannot be lost (issue 13, defect 1): each is written in the transaction of the change
it reports, and the live event log is made from those rows, so a process that dies after the
commit, or a database error while recording, loses nothing; resuming with ``after`` replays all."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from community.errors import Invalid
from community.forum import posts, threads
from community.models import LiveEvent, PendingLiveEvent
from community.realtime import log, recorder
from community.realtime.bus import InProcessBus
from community.realtime.recorder import Recorder


async def _question(world):  # type: ignore[no-untyped-def]
    return await threads.create_thread(
        world.actor(world.partner), category="general", kind="question",
        title="Which rebate applies to refurbished units?",
        body="Our distributor quotes two different rebates for the same refurbished unit.",
    )  # fmt: skip


async def test_an_event_nobody_recorded_yet_survives_the_process(world) -> None:
    """No recorder runs (the worker was killed right after the commit): the event waits in the
    database, and whichever recorder starts next puts it in the log."""
    thread = await _question(world)
    answer = await posts.reply(world.actor(world.expert), thread.id, body="The partner rebate applies.")
    assert await PendingLiveEvent.all().count() >= 2  # the question, the answer (and notices)
    assert not await LiveEvent.filter(kind="post").exists()

    fresh = Recorder(InProcessBus(), timedelta(hours=1))  # a new process
    assert await fresh.drain() >= 2
    rows = await log.since(0, streams=[log.thread_stream(thread.id)])
    assert [r.payload["post"]["id"] for r in rows if r.kind == "post"] == [answer.id]
    assert not await PendingLiveEvent.exists()


async def test_a_database_error_while_recording_loses_nothing(world, monkeypatch) -> None:
    thread = await _question(world)
    answer = await posts.reply(world.actor(world.expert), thread.id, body="The partner rebate applies.")
    real = recorder.entries_for_all
    calls = 0

    async def failing(events):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("server closed the connection unexpectedly")
        return await real(events)

    monkeypatch.setattr(recorder, "entries_for_all", failing)
    rec = Recorder(InProcessBus(), timedelta(hours=1))
    with contextlib.suppress(ConnectionError):
        await rec.drain()
    # Rolled back: nothing half-recorded, everything still pending.
    assert not await LiveEvent.exists()
    assert await PendingLiveEvent.exists()
    await rec.drain()
    rows = await log.since(0)
    assert [r.payload["post"]["id"] for r in rows if r.kind == "post"] == [answer.id]
    assert not await PendingLiveEvent.exists()


async def test_a_rolled_back_change_leaves_no_event(world) -> None:
    thread = await _question(world)
    await Recorder(InProcessBus(), timedelta(hours=1)).drain()
    before = await PendingLiveEvent.all().count()
    with contextlib.suppress(Invalid):
        await posts.reply(world.actor(world.expert), thread.id, body="")  # refused: nothing written
    assert await PendingLiveEvent.all().count() == before


async def test_resume_replays_every_recorded_event_in_id_order(world) -> None:
    thread = await _question(world)
    made = [
        (await posts.reply(world.actor(world.expert), thread.id, body=f"Answer number {i} of the burst.")).id
        for i in range(30)
    ]
    await Recorder(InProcessBus(), timedelta(hours=1)).drain()
    rows = await log.since(0, streams=[log.thread_stream(thread.id)])
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    assert [r.payload["post"]["id"] for r in rows if r.kind == "post"] == made
