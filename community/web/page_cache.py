"""A small in-process cache of rendered pages.

Correctness comes from the key, not from invalidation: the caller puts into the key everything
that changes the page (the thread's content version, the viewer's permissions, the session's CSRF
token...), and the thread version is read fresh from the database on every request. A changed
thread therefore simply misses. The TTL bounds how long secondary details (an author's new display
name, view counts) may lag; the size bound keeps memory flat.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable


class PageCache:
    def __init__(self, max_entries: int = 2_000, ttl_seconds: float = 60.0) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, bytes]] = OrderedDict()
        self._rendering: dict[Hashable, asyncio.Future[bytes]] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            if entry is not None:
                del self._entries[key]
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: Hashable, body: bytes) -> None:
        self._entries[key] = (time.monotonic() + self.ttl_seconds, body)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def get_or_render(self, key: Hashable, render: Callable[[], Awaitable[bytes]]) -> bytes:
        """The cached page, or one render shared by every request that missed at once (when a
        popular page changes, 64 concurrent readers cost one render, not 64)."""
        body = self.get(key)
        if body is not None:
            return body
        pending = self._rendering.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._rendering[key] = future
        try:
            body = await render()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody logs it as lost
            raise
        finally:
            del self._rendering[key]
        future.set_result(body)
        self.put(key, body)
        return body

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
