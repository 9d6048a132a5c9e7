"""An access re-check running while a connection's hello is still authorising its streams
(found by tests/load/load_faults.py: with 1,000 listeners, those reconnecting after a worker was
killed were still in their hello when Redis came back and every connection was re-checked).

The re-check reads the facts of the threads its connections listen to, then judges each stream.
A stream the hello added during that read has no facts in it: before the fix it was judged
"not found", the client told ``unsubscribed`` for a thread it may see, and the hello then
subscribed it again, so events kept coming on a stream the client had been told it lost.
"""

from __future__ import annotations

import asyncio
from typing import Any

from community.realtime import hub as hub_module
from community.realtime.hub import Hub


class FakeConnection:
    def __init__(self) -> None:
        self.streams = {"user:7", "thread:1"}
        self.actor = object()
        self.sent: list[str] = []
        self.dropped = False

    def offer(self, text: str) -> None:
        self.sent.append(text)


async def test_a_stream_added_during_the_recheck_is_not_judged_without_its_facts(monkeypatch):
    reading, release = asyncio.Event(), asyncio.Event()
    visible = {"is_deleted": False, "visibility": "all", "tiers": [], "opening_state": "visible"}

    async def thread_facts(ids: list[int]) -> dict[int, dict[str, Any]]:
        reading.set()
        await release.wait()
        return {i: {"id": i, **visible} for i in ids}

    monkeypatch.setattr(hub_module, "thread_facts", thread_facts)
    monkeypatch.setattr(hub_module, "may_see_thread", lambda actor, facts: True)
    hub = Hub(bus=None)  # type: ignore[arg-type]
    conn = FakeConnection()
    for stream in conn.streams:
        hub.subscribers.setdefault(stream, set()).add(conn)  # type: ignore[arg-type]

    checking = asyncio.create_task(hub._recheck([conn]))  # type: ignore[list-item]
    await reading.wait()
    conn.streams.add("thread:2")  # the hello authorised one more stream meanwhile
    hub.subscribers.setdefault("thread:2", set()).add(conn)  # type: ignore[arg-type]
    release.set()
    await checking

    assert conn.sent == []
    assert conn.streams == {"user:7", "thread:1", "thread:2"}
