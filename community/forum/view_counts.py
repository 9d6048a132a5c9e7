"""Counting page views without making a read wait for a write."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from tortoise.expressions import F

from community.models import (
    Thread,
)

VIEW_PERIOD_SECONDS = 30 * 60
"""A viewer's reloads of a thread within this long of the view that counted count no further."""
MAX_REMEMBERED_VIEWS = 50_000
"""(viewer, thread) pairs a worker remembers (about 8 MB, measured with tracemalloc); the oldest
is forgotten first."""


class ViewCounter:
    """Counts page views in memory and writes them in one UPDATE per thread every few seconds,
    so reading a page never waits for a write. The write leaves ``version`` alone: a popular
    page stays cached (its view count may lag by the cache's TTL) instead of being rebuilt at
    every flush while dozens of readers wait.

    A view counts once per viewer per thread per ``VIEW_PERIOD_SECONDS`` (reloading, paging
    through the answers or coming back from a reply adds nothing). Who viewed what is remembered
    in this worker's memory only, in a map bounded to ``max_remembered`` pairs, oldest first out:
    no query, no write and no shared store on the hottest page, at the cost of a count that may
    run a little high. That is acceptable because the count is a popularity hint shown in lists,
    not a figure anyone bills or ranks people by: with several workers (or hosts) a person
    whose requests land on different workers is counted at most once per worker per period; a
    restart forgets who was seen; and when more than ``max_remembered`` pairs were seen within
    one period, the oldest are forgotten early. Each of those over-counts once, never per reload.
    Every page needs a signed-in viewer, so the viewer is the user's id."""

    def __init__(
        self,
        *,
        period: float = VIEW_PERIOD_SECONDS,
        max_remembered: int = MAX_REMEMBERED_VIEWS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pending: dict[int, int] = {}
        # (viewer, thread) packed in one int -> when their view counted; oldest first.
        self._seen: OrderedDict[int, float] = OrderedDict()
        self._period = period
        self._max = max_remembered
        self._clock = clock

    def record(self, thread_id: int, viewer_id: int) -> bool:
        """Count ``viewer_id``'s view of the thread unless it was counted within the period;
        True when it counted."""
        now = self._clock()
        seen = self._seen
        while seen:  # forget what has expired; every entry is younger than those after it
            oldest, when = next(iter(seen.items()))
            if now - when < self._period:
                break
            del seen[oldest]
        key = (viewer_id << 32) | thread_id  # ids are 32-bit (IntField): one int, not a tuple
        if key in seen:
            return False
        seen[key] = now
        if len(seen) > self._max:
            seen.popitem(last=False)
        self._pending[thread_id] = self._pending.get(thread_id, 0) + 1
        return True

    async def flush(self) -> None:
        pending, self._pending = self._pending, {}
        for thread_id, n in pending.items():
            await Thread.filter(id=thread_id).update(view_count=F("view_count") + n)
