"""The message bus that carries live events to every worker's hub: in-process or Redis pub/sub.

A message is a small JSON object: ``{"t": "event", "id": ..., "stream": ..., "kind": ...,
"payload": ...}`` for a row of the live event log, or ``{"t": "access", "user_id": ...,
"category_id": ...}`` when access rules changed. ``publish`` hands a message to this process's
handler at once (no round trip through Redis for local clients) and then to the other processes.

The bus may lose messages (Redis down, a worker restarting): the database log is the truth, and
the hub fills any hole from it (see ``hub.Hub``). ``healthy`` tells the hub whether it must poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Message = dict[str, Any]
OnMessage = Callable[[Message], None]
OnConnected = Callable[[], Awaitable[None]]


class MessageBus(Protocol):
    healthy: bool

    async def start(self, on_message: OnMessage, on_connected: OnConnected) -> None:
        """Begin delivering messages (local and remote) to ``on_message``; ``on_connected`` runs
        each time the bus (re)connects, so the hub can catch up on what it may have missed."""
        ...

    async def publish(self, message: Message) -> None:
        """Deliver to this process at once, then to every other; never raises."""
        ...

    async def close(self) -> None: ...


class InProcessBus:
    """One worker: every message stays in this process."""

    healthy = True

    def __init__(self) -> None:
        self._on_message: OnMessage | None = None

    async def start(self, on_message: OnMessage, on_connected: OnConnected) -> None:
        self._on_message = on_message

    async def publish(self, message: Message) -> None:
        if self._on_message is not None:
            self._on_message(message)

    async def close(self) -> None:
        self._on_message = None


class RedisBus:
    """Redis pub/sub on one channel (``<prefix>:live``) shared by every worker and host.

    Each message carries this process's ``origin`` so it does not handle its own messages twice.
    While Redis is unreachable, publishing is skipped (the rows are in the database) and the
    listener retries with backoff; each successful (re)subscription calls ``on_connected``."""

    RETRY_MIN, RETRY_MAX = 0.2, 2.0

    def __init__(self, url: str, prefix: str = "community") -> None:
        import redis.asyncio as aioredis

        self.channel = f"{prefix}:live"
        self.origin = uuid.uuid4().hex
        self.healthy = False
        self._redis = aioredis.Redis.from_url(
            url, socket_connect_timeout=2, socket_keepalive=True, health_check_interval=15
        )
        self._on_message: OnMessage | None = None
        self._on_connected: OnConnected | None = None
        self._task: asyncio.Task[None] | None = None
        self._warned = False

    async def start(self, on_message: OnMessage, on_connected: OnConnected) -> None:
        self._on_message, self._on_connected = on_message, on_connected
        self._task = asyncio.create_task(self._listen_forever())

    async def publish(self, message: Message) -> None:
        if self._on_message is not None:
            self._on_message(message)
        if not self.healthy:
            return
        data = json.dumps({**message, "o": self.origin})
        # Twice: after an outage the pool may hand out a connection that died with the old server.
        for attempt in (1, 2):
            try:
                await self._redis.publish(self.channel, data)
                return
            except Exception as exc:
                if attempt == 2:
                    self._down(exc)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self._redis.aclose()

    def _down(self, exc: BaseException) -> None:
        if self.healthy or not self._warned:
            log.warning("Redis message bus unavailable (%s): live events go through the database", exc)
            self._warned = True
        self.healthy = False

    async def _listen_forever(self) -> None:
        delay = self.RETRY_MIN
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                if not self.healthy:
                    log.info("Redis message bus connected")
                self.healthy, self._warned, delay = True, False, self.RETRY_MIN
                if self._on_connected is not None:
                    await self._on_connected()
                async for raw in pubsub.listen():
                    if raw.get("type") == "message":
                        self._handle(raw["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._down(exc)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.RETRY_MAX)

    def _handle(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        if not isinstance(message, dict) or message.pop("o", None) == self.origin:
            return
        if self._on_message is not None:
            try:
                self._on_message(message)
            except Exception:
                log.exception("live message handler failed")


def make_bus(redis_url: str | None, prefix: str) -> MessageBus:
    return RedisBus(redis_url, prefix) if redis_url else InProcessBus()
