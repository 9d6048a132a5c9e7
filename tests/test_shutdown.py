"""Stopping the app: every step of the shutdown runs even when one of them fails."""

from __future__ import annotations

import asyncio
import logging

import pytest

from community import app as app_module
from community.forum import threads
from community.models import Thread


async def _dies() -> None:
    raise RuntimeError("the job runner fell over")


async def test_a_dead_background_task_does_not_lose_the_last_view_counts(app, world, caplog, monkeypatch):
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question", title="Counting views", body="Body"
    )
    monkeypatch.setattr(app.state.jobs, "run_forever", _dies)
    with caplog.at_level(logging.ERROR, logger="community"):
        async with app.router.lifespan_context(app):
            for viewer in (world.partner, world.colleague, world.expert):
                app.state.view_counter.record(thread.id, viewer.id)
    assert (await Thread.get(id=thread.id)).view_count == 3
    assert "a background task had stopped with an error" in caplog.text


async def test_an_unreachable_message_bus_does_not_stop_the_rest_of_the_shutdown(app, world, monkeypatch):
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question", title="Counting views", body="Body"
    )

    async def bus_gone() -> None:
        raise ConnectionError("Redis went away")

    async with app.router.lifespan_context(app):
        monkeypatch.setattr(app.state.live, "stop", bus_gone)
        app.state.view_counter.record(thread.id, world.partner.id)
    assert (await Thread.get(id=thread.id)).view_count == 1


async def test_a_step_that_never_ends_is_given_up_and_the_rest_still_runs(app, world, monkeypatch, caplog):
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question", title="Counting views", body="Body"
    )

    async def hangs() -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(app_module, "SHUTDOWN_STEP_SECONDS", 0.5)
    with caplog.at_level(logging.ERROR, logger="community"):
        async with asyncio.timeout(20), app.router.lifespan_context(app):
            monkeypatch.setattr(app.state.live, "stop", hangs)
            app.state.view_counter.record(thread.id, world.partner.id)
    assert (await Thread.get(id=thread.id)).view_count == 1
    assert "gave up waiting to stop live updates" in caplog.text


@pytest.fixture(autouse=True)
def _no_gc_freeze(monkeypatch):  # type: ignore[no-untyped-def]
    """The lifespan freezes the collector for a long-lived server; a test process runs many apps."""
    import gc

    monkeypatch.setattr(gc, "freeze", lambda: None)
