"""A per-person request window kept in this process, for endpoints that write nothing (the editor's
preview and suggestions): enough to stop a runaway script, without a database row per keystroke.

Limits that guard what is saved (posts, sign-ins) live in the database instead (moderation.rules.limits,
accounts.throttle): a window in memory is per worker and forgets on restart, which is fine only here.
"""

from __future__ import annotations

import time
from collections import deque

from community.errors import RateLimited


class Window:
    """At most ``limit`` requests per ``seconds`` for each key."""

    MAX_KEYS = 10_000  # beyond this, the oldest keys are forgotten (memory stays bounded)

    def __init__(self, limit: int, seconds: float, what: str) -> None:
        self.limit = limit
        self.seconds = seconds
        self.what = what
        self._seen: dict[object, deque[float]] = {}

    def hit(self, key: object, now: float | None = None) -> None:
        """Count one request; RateLimited (429, with the seconds to wait) when the window is full."""
        now = time.monotonic() if now is None else now
        times = self._seen.pop(key, None) or deque()
        while times and times[0] <= now - self.seconds:
            times.popleft()
        self._seen[key] = times  # re-inserted: the dict's order is the order of last use
        if len(times) >= self.limit:
            wait = max(1, int(times[0] + self.seconds - now + 0.999))
            raise RateLimited(f"Too many {self.what} in a short time. Try again in {wait} s.", wait)
        times.append(now)
        if len(self._seen) > self.MAX_KEYS:
            del self._seen[next(iter(self._seen))]
