"""Stopping the app: every step of the shutdown runs even when one of them fails."""

from __future__ import annotations

import logging

import pytest

from community.forum import threads
from community.models import Thread

# Known defect (stop note, 2026-12-06): with the supervised indexer's database lease, running the
# whole lifespan in-process on SQLite sometimes never finishes (a query waits on a connection lock
# a cancelled task left held). On a real server that would hang SIGTERM. Until it is found, these
# tests would hang the suite instead of failing it.
pytestmark = pytest.mark.skip(reason="hangs intermittently since the indexer lease: see the stop note")


async def _dies() -> None:
    raise RuntimeError("the job runner fell over")


async def test_a_dead_background_task_does_not_lose_the_last_view_counts(app, world, caplog, monkeypatch):
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question", title="Counting views", body="Body"
    )
    monkeypatch.setattr(app.state.jobs, "run_forever", _dies)
    with caplog.at_level(logging.ERROR, logger="community"):
        async with app.router.lifespan_context(app):
            for _ in range(3):
                app.state.view_counter.record(thread.id)
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
        app.state.view_counter.record(thread.id)
    assert (await Thread.get(id=thread.id)).view_count == 1


@pytest.fixture(autouse=True)
def _no_gc_freeze(monkeypatch):  # type: ignore[no-untyped-def]
    """The lifespan freezes the collector for a long-lived server; a test process runs many apps."""
    import gc

    monkeypatch.setattr(gc, "freeze", lambda: None)
