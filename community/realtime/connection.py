"""One websocket connection of the live hub: who it is, what it listens to, and its bounded outbox.

A slow client never delays the others: a message is written at once while the socket takes it,
otherwise it waits in this connection's outbox (at most ``Hub.queue_limit`` messages and
``OUTBOX_BYTES``), drained by a task of its own; an overflowing outbox is replaced by one
``resync`` message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from community.actor import Actor
from community.realtime.messages import encode


class Hub(Protocol):
    """What a connection needs of the hub that owns it (``hub.Hub``)."""

    queue_limit: int
    heartbeat: float
    overflows: int

    def spawn(self, coro: Any) -> asyncio.Task[Any]: ...

    def unsubscribe_all(self, conn: Connection) -> None: ...


logger = logging.getLogger("community.realtime.hub")

OUTBOX_BYTES = 4 * 1024 * 1024
# Close codes (4000-4999 are the application's).
CLOSE_RESYNC, CLOSE_SIGNED_OUT, CLOSE_FORBIDDEN, CLOSE_TIMEOUT, CLOSE_BAD = 4000, 4401, 4403, 4408, 4400


class Connection:
    """One websocket: who it is, what it listens to, and its outbox.

    Sending is eager: while nothing waits in the outbox, a message is written at once, inside the
    fan-out (uvicorn's send completes without suspending while the socket is writable), so a
    broadcast costs no task switch per client. Only when a send must wait (the socket's buffer is
    full: a slow client) does a task take over and drain the outbox; meanwhile new messages queue."""

    __slots__ = ("actor", "auth_version", "closing", "dropped", "handler", "hub", "last_seen", "outbox",
                 "outbox_bytes", "send", "sender", "skip_upto", "started", "streams", "token")  # fmt: skip

    def __init__(
        self, hub: Hub, send: Callable[..., Any], actor: Actor, token: str | None, auth_version: Any
    ):
        self.hub = hub
        self.send = send
        self.actor = actor
        self.token = token
        self.auth_version = auth_version
        self.streams: set[str] = set()
        self.outbox: deque[str] = deque()
        self.outbox_bytes = 0
        self.skip_upto = 0
        self.last_seen = time.monotonic()
        self.closing = False
        self.dropped = False
        self.handler: asyncio.Task[Any] | None = None
        # The task draining the outbox, while there is one (also: until ``hello`` is answered).
        self.sender: asyncio.Task[None] | None = None
        self.started = False  # until ``hello`` is answered, everything queues

    def offer(self, text: str) -> None:
        if self.closing or self.dropped:
            return
        if self.started and self.sender is None and not self.outbox:
            self._send_now(text)
            return
        self.outbox.append(text)
        self.outbox_bytes += len(text)
        if len(self.outbox) > self.hub.queue_limit or self.outbox_bytes > OUTBOX_BYTES:
            self._overflow()

    def _send_now(self, text: str) -> None:
        coro = self.send({"type": "websocket.send", "text": text})
        try:
            waiting_for = coro.send(None)
        except StopIteration:
            return
        except (OSError, RuntimeError):
            coro.close()
            return  # the peer is gone: the receiving side ends the connection
        self.sender = self.hub.spawn(self._drain(coro, waiting_for))

    def start_sending(self) -> None:
        """After ``hello``: send what queued meanwhile (welcome, catch-up, live events)."""
        self.started = True
        self.sender = self.hub.spawn(self._drain(None, None))

    async def _drain(self, coro: Any, waiting_for: Any) -> None:
        try:
            if coro is not None:
                await _finish(coro, waiting_for)
            send = self.send
            outbox = self.outbox
            while outbox:
                text = outbox.popleft()
                self.outbox_bytes -= len(text)
                await send({"type": "websocket.send", "text": text})
                if not self.streams and text.startswith('{"type":"resync"'):
                    await send({"type": "websocket.close", "code": CLOSE_RESYNC})
                    self.closing = True
                    return
        except (OSError, RuntimeError):
            logger.debug("live connection closed while sending")
        finally:
            if self.sender is asyncio.current_task():
                self.sender = None

    def _overflow(self) -> None:
        """Too slow to keep up: forget what waits and tell the client to resume from its last id."""
        self.hub.overflows += 1
        self.outbox.clear()
        self.outbox.append(encode({"type": "resync", "reason": "overflow"}))
        self.outbox_bytes = 0
        self.hub.unsubscribe_all(self)
        # If even the resync cannot be written soon, the connection is dropped.
        asyncio.get_running_loop().call_later(self.hub.heartbeat, self.drop)

    def close(self, code: int, error: dict[str, Any] | None = None) -> None:
        """Send an error (if any) and close once the outbox is written (or after a second)."""
        if self.closing or self.dropped:
            return
        self.hub.unsubscribe_all(self)
        if error is not None:
            self.offer(encode({"type": "error", **error}))
        self.closing = True
        self.hub.spawn(self._close_after_outbox(code))

    async def _close_after_outbox(self, code: int) -> None:
        for _ in range(50):
            if not self.outbox and self.sender is None:
                break
            await asyncio.sleep(0.02)
        if self.sender is not None:
            self.sender.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.send({"type": "websocket.close", "code": code}), 1.0)
        self.drop()

    def drop(self) -> None:
        """End the connection now, written or not (a dead or stuck peer)."""
        if self.dropped:
            return
        self.dropped = True
        self.hub.unsubscribe_all(self)
        for task in (self.sender, self.handler):
            if task is not None and task is not asyncio.current_task():
                task.cancel()


async def _finish(coro: Any, waiting_for: Any) -> None:
    """Run a coroutine that was started by hand (``coro.send``) and suspended on ``waiting_for``
    to its end, as a task would: wait for what it yielded, then resume it."""
    while True:
        try:
            if waiting_for is None:
                await asyncio.sleep(0)
            else:
                await asyncio.shield(waiting_for)
        except asyncio.CancelledError:
            coro.close()
            raise
        except BaseException:
            pass  # the coroutine reads the future's outcome itself when resumed
        try:
            waiting_for = coro.send(None)
        except StopIteration:
            return
