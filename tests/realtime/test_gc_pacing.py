"""Connections' objects leave the collector's reach once connects settle, and come back to it now
and then (so garbage of closed connections is collected)."""

from __future__ import annotations

import asyncio
import gc
import weakref

from community.realtime.gc_pacing import CollectorPacer
from tests.waiting import eventually


async def test_a_burst_of_connects_is_frozen_once_it_settles() -> None:
    gc.unfreeze()
    pacer = CollectorPacer(settle=0.05)
    try:
        held = [[object()] for _ in range(1000)]  # a connection's containers, say
        for _ in range(5):
            pacer.connection_opened()
        assert gc.get_freeze_count() == 0  # not while connects keep coming
        await eventually(lambda: gc.get_freeze_count() >= len(held), what="the burst was never frozen")
    finally:
        pacer.stop()
        gc.unfreeze()


class _Node:
    pass


async def test_everything_goes_back_to_the_collector_periodically() -> None:
    node = _Node()
    node.itself = node  # type: ignore[attr-defined]  # a cycle: only a full collection frees it
    alive = weakref.ref(node)
    gc.freeze()
    del node
    gc.collect()
    assert alive() is not None  # frozen: out of the collector's reach
    pacer = CollectorPacer(refresh=0.05)
    task = asyncio.create_task(pacer.run())
    try:
        await eventually(lambda: alive() is None, what="the frozen cycle was never collected")
    finally:
        task.cancel()
        gc.unfreeze()
