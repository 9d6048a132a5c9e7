"""Keeps full garbage collections from pausing live delivery.

Every open websocket holds a few hundred container objects (protocol state, the request scope, the
connection's own sets). With thousands connected, a full collection walks all of them and stalls the
event loop: `tests/benchmarks/bench_live.py` at 5,000 clients gave p99 767 ms with the collector as
is and 211 ms with it off. Connections live long, so once a burst of connects has settled their
objects are moved out of the collector's reach (``gc.freeze``). So that cyclic garbage left by
closed connections is not kept for ever, everything goes back to the collector once in a long while:
one deliberate full collection (a pause of a few hundred ms at 5,000 clients) instead of many.
"""

from __future__ import annotations

import asyncio
import gc
import logging

log = logging.getLogger(__name__)


class CollectorPacer:
    def __init__(self, *, settle: float = 1.0, refresh: float = 900.0) -> None:
        self.settle = settle
        self.refresh = refresh
        self._timer: asyncio.TimerHandle | None = None

    def connection_opened(self) -> None:
        """Freeze once connects have paused for ``settle`` seconds (not once per connect: a
        freeze walks nothing, but a burst of 5,000 connects needs only one)."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(self.settle, self._freeze)

    def _freeze(self) -> None:
        self._timer = None
        gc.freeze()

    async def run(self) -> None:
        """Every ``refresh`` seconds: let the collector see everything once, then freeze again."""
        while True:
            await asyncio.sleep(self.refresh)
            gc.unfreeze()
            found = gc.collect()
            gc.freeze()
            log.debug("live: periodic full collection freed %d objects", found)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
