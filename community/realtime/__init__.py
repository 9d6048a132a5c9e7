"""Live delivery: the message bus, the recorder that turns domain events into log rows, and the
websocket hub. ``Live`` wires them for one worker process; ``app.py`` starts it in the lifespan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from starlette.types import ASGIApp, Receive, Scope, Send

from community.events import subscribe, unsubscribe
from community.realtime.bus import make_bus
from community.realtime.hub import RAW_SEND, Hub
from community.realtime.recorder import Recorder
from community.settings import Settings


class Live:
    def __init__(self, settings: Settings, on_access_changed: Callable[[], None] | None = None) -> None:
        self.bus = make_bus(settings.redis_url, settings.redis_prefix)
        self.recorder = Recorder(self.bus, timedelta(hours=settings.live_retention_hours))
        self.hub = Hub(
            self.bus,
            heartbeat=settings.live_heartbeat_seconds,
            queue_limit=settings.live_queue_limit,
            allowed_origins=[settings.base_url],
            on_access_changed=on_access_changed,
        )

    async def start(self) -> None:
        await self.hub.start()
        self.recorder.start()
        subscribe(self.recorder.on_event)

    async def stop(self) -> None:
        unsubscribe(self.recorder.on_event)
        await self.recorder.stop()
        await self.hub.stop()


class LiveCursorMiddleware:
    """Keeps uvicorn's own ``send`` for websockets (``hub.RAW_SEND``), and notes the hub's
    position when a request starts, before any database read, so a page can
    tell its script where to resume from (``request.state.live_after``): every event up to it is
    already in what the page shows, and later ones come over the websocket."""

    def __init__(self, app: ASGIApp, live: Live) -> None:
        self.app = app
        self.live = live

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})["live_after"] = self.live.hub.cursor
        elif scope["type"] == "websocket":
            scope[RAW_SEND] = send
        await self.app(scope, receive, send)
