"""Counting page views without making a read wait for a write."""

from __future__ import annotations

from tortoise.expressions import F

from community.models import (
    Thread,
)


class ViewCounter:
    """Counts page views in memory and writes them in one UPDATE per thread every few seconds,
    so reading a page never waits for a write. The write leaves ``version`` alone: a popular
    page stays cached (its view count may lag by the cache's TTL) instead of being rebuilt at
    every flush while dozens of readers wait."""

    def __init__(self) -> None:
        self._pending: dict[int, int] = {}

    def record(self, thread_id: int) -> None:
        self._pending[thread_id] = self._pending.get(thread_id, 0) + 1

    async def flush(self) -> None:
        pending, self._pending = self._pending, {}
        for thread_id, n in pending.items():
            await Thread.filter(id=thread_id).update(view_count=F("view_count") + n)
