"""The hub's hole filling racing the bus (found by tests/load/load_faults.py: under load with two
workers, listeners got the same event id twice, and lost the one after it).

A row ahead of a missing id makes the hub read the missing ids from the database. While that read
is in flight the bus may bring the missing row itself: the hub delivers it and moves its cursor on.
The rows the read then returns are already delivered and must be ignored; before the fix they
were delivered again and the cursor stepped past the next id, which the hub then dropped when it
arrived.
"""

from __future__ import annotations

import asyncio
from typing import Any

from community.realtime import hub as hub_module
from community.realtime.hub import Hub
from community.realtime.log import LiveMessage


def row(event_id: int) -> LiveMessage:
    return LiveMessage(event_id, "thread:1", "post", {"post": {"id": event_id}})


async def test_a_gap_filled_while_the_bus_brings_it_is_delivered_once(monkeypatch):
    rows = {i: row(i) for i in (60, 61, 62)}
    reading = asyncio.Event()
    release = asyncio.Event()

    async def since(after: int, *, upto: int | None = None, **_: Any) -> list[LiveMessage]:
        reading.set()
        await release.wait()
        return [rows[i] for i in sorted(rows) if after < i <= (upto or 10**9)]

    monkeypatch.setattr(hub_module.log, "since", since)
    hub = Hub(bus=None)  # type: ignore[arg-type]
    delivered: list[int] = []
    monkeypatch.setattr(hub, "_deliver", lambda message: delivered.append(message.id))
    hub.cursor = 59

    hub.ingest(rows[61])  # 60 is missing: a hole
    hub._gap_timer.cancel()  # type: ignore[union-attr]
    hub._gap_timer = None
    filling = asyncio.create_task(hub._fill_gap())
    await reading.wait()
    hub.ingest(rows[60])  # the bus brings it while the database is read
    release.set()
    await filling
    hub.ingest(rows[62])

    assert delivered == [60, 61, 62]
    assert hub.cursor == 62
