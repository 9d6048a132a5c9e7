"""Websocket listeners for the load script, in a process of their own (one core of parsing).

Each listener follows docs/api.md as a careful client would: ``hello`` with the streams it wants,
a ``ping`` every heartbeat, and after any disconnect (a killed worker, a resync) a reconnection with
backoff and jitter whose ``hello`` carries ``after`` = the last id seen. It records what arrived:
the post ids per stream, ids that did not grow (a duplicate or a reordering), events on streams it
was not granted (a leak), resyncs and close codes. At the end the parent sends the last event id in
the log; a listener is settled once it has seen that id (an event, a ``ready`` or a ``pong``), which
means every event up to it on its streams reached it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import random
import time
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

FATAL_CLOSES = {4401, 4403}
CONNECTING_AT_ONCE = 50


@dataclass
class Listener:
    token: str
    user_id: int
    wanted: list[str]
    last: int | None = None
    granted: set[str] = field(default_factory=set)
    first_granted: set[str] | None = None
    denied: set[str] = field(default_factory=set)
    lost: dict[str, int] = field(default_factory=dict)  # stream -> last id when access ended
    posts: dict[str, set[int]] = field(default_factory=lambda: collections.defaultdict(set))
    scores: dict[str, set[int]] = field(default_factory=lambda: collections.defaultdict(set))
    queued: set[int] = field(default_factory=set)  # posts of review-queue items
    duplicates: int = 0
    duplicate_examples: list[dict[str, Any]] = field(default_factory=list)
    since_hello: list[str] = field(default_factory=list)  # message types since the last hello
    leaks: int = 0
    events: int = 0
    connects: int = 0
    ready: bool = False
    settled: bool = False
    fatal: str = ""
    closes: collections.Counter[str] = field(default_factory=collections.Counter)

    def seen(self, event_id: int) -> None:
        self.last = max(self.last or 0, event_id)

    def result(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "granted": sorted(self.first_granted or ()),
            "denied": sorted(self.denied),
            "lost": self.lost,
            "posts": {s: sorted(p) for s, p in self.posts.items()},
            "scores": {s: sorted(p) for s, p in self.scores.items()},
            "queued": sorted(self.queued),
            "duplicates": self.duplicates,
            "duplicate_examples": self.duplicate_examples,
            "leaks": self.leaks,
            "events": self.events,
            "connects": self.connects,
            "settled": self.settled,
            "fatal": self.fatal,
            "closes": dict(self.closes),
            "last": self.last,
        }


@dataclass
class Target:
    """The id every listener must reach before it stops (set at the end by the parent)."""

    final: int | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)


def on_message(listener: Listener, message: dict[str, Any], target: Target) -> None:
    kind = message.get("type")
    listener.since_hello.append(f"{kind}:{message.get('id', '')}")
    if len(listener.since_hello) > 40:
        del listener.since_hello[:20]
    if kind == "welcome":
        _welcome(listener, message)
    elif kind == "event":
        _event(listener, message)
    elif kind in ("ready", "pong"):
        listener.seen(int(message["id"]))
        listener.ready = listener.ready or kind == "ready"
    elif kind == "unsubscribed" and message.get("reason") != "asked":
        listener.lost.setdefault(message["stream"], listener.last or 0)
        listener.granted.discard(message["stream"])
    elif kind == "resync":
        listener.closes[f"resync:{message.get('reason')}"] += 1
    if target.final is not None and (listener.last or 0) >= target.final:
        listener.settled = True


def _welcome(listener: Listener, message: dict[str, Any]) -> None:
    granted = set(message.get("streams") or ())
    if listener.first_granted is None:
        listener.first_granted = set(granted)
    for stream in listener.granted - granted:
        listener.lost.setdefault(stream, listener.last or 0)
    listener.granted = granted
    listener.denied |= {d.get("stream", "") for d in message.get("denied") or ()}


def _event(listener: Listener, message: dict[str, Any]) -> None:
    event_id, stream = int(message["id"]), message.get("stream", "")
    listener.events += 1
    if listener.last is not None and event_id <= listener.last:
        listener.duplicates += 1
        if len(listener.duplicate_examples) < 5:
            listener.duplicate_examples.append(
                {
                    "id": event_id,
                    "last": listener.last,
                    "stream": stream,
                    "kind": message.get("kind"),
                    "connection": listener.connects,
                    "before": listener.since_hello[-6:],
                }
            )
        return
    listener.last = event_id
    if stream not in listener.granted:
        listener.leaks += 1
    kind, data = message.get("kind"), message.get("data") or {}
    if kind == "post":
        listener.posts[stream].add(int(data["post_id"]))
    elif kind == "score":
        listener.scores[stream].add(int(data["post_id"]))
    elif kind == "item" and (data.get("item") or {}).get("post_id") is not None:
        listener.queued.add(int(data["item"]["post_id"]))


async def _pinger(ws: ClientConnection, target: Target, heartbeat: float) -> None:
    """A ping every heartbeat, and every second once the final id is known (its pong settles)."""
    waited = 0.0
    while True:
        await asyncio.sleep(1.0)
        waited += 1.0
        if waited >= heartbeat or target.final is not None:
            waited = 0.0
            await ws.send('{"type": "ping"}')


async def _session(ws: ClientConnection, listener: Listener, target: Target) -> None:
    await ws.send(json.dumps({"type": "hello", "after": listener.last, "streams": listener.wanted}))
    listener.since_hello = [f"hello:{listener.last}"]
    pinger = asyncio.create_task(_pinger(ws, target, 20.0))
    try:
        async for raw in ws:
            on_message(listener, json.loads(raw), target)
            if listener.settled:
                return
    finally:
        pinger.cancel()


async def follow(listener: Listener, url: str, target: Target, gate: asyncio.Semaphore) -> None:
    backoff = 0.5
    headers = {"Authorization": f"Bearer {listener.token}"}
    while not target.stop.is_set() and not listener.settled:
        try:
            async with gate:
                ws = await connect(
                    url,
                    additional_headers=headers,
                    open_timeout=30,
                    max_size=2**23,
                    ping_interval=20,
                    ping_timeout=60,
                    close_timeout=2,
                )
            async with ws:
                listener.connects += 1
                backoff = 0.5
                await _session(ws, listener, target)
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else 1006
            listener.closes[str(code)] += 1
            if code in FATAL_CLOSES:
                listener.fatal = f"closed {code}"
                return
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            listener.closes[type(exc).__name__] += 1
        if listener.settled:
            return
        await asyncio.sleep(backoff * random.uniform(0.5, 1.5))
        backoff = min(backoff * 2, 8.0)


async def _listen(
    specs: list[dict[str, Any]],
    url: str,
    events: Queue[Any],
    commands: Queue[Any],
    settle_seconds: float,
) -> dict[str, Any]:
    target = Target()
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
    listeners = [Listener(s["token"], s["user_id"], s["streams"]) for s in specs]
    tasks = [asyncio.create_task(follow(one, url, target, gate)) for one in listeners]
    started = time.monotonic()
    # Polled: a thousand tasks each setting an event would say no more than this count.
    while sum(one.ready for one in listeners) < len(listeners) and time.monotonic() - started < 180:  # noqa: ASYNC110
        await asyncio.sleep(0.5)
    events.put({"ready": sum(one.ready for one in listeners), "seconds": time.monotonic() - started})
    loop = asyncio.get_running_loop()
    target.final = await loop.run_in_executor(None, commands.get)
    settle_started = time.monotonic()
    while not all(one.settled or one.fatal for one in listeners):
        if time.monotonic() - settle_started > settle_seconds:
            break
        await asyncio.sleep(0.5)
    target.stop.set()
    for task in tasks:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "settle_seconds": time.monotonic() - settle_started,
        "listeners": [one.result() for one in listeners],
    }


def run(
    specs: list[dict[str, Any]],
    url: str,
    events: Queue[Any],
    commands: Queue[Any],
    out: str,
    settle_seconds: float,
) -> None:
    """The child process's entry point (multiprocessing, spawn)."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    result = asyncio.run(_listen(specs, url, events, commands, settle_seconds))
    Path(out).write_text(json.dumps(result))
    events.put({"done": True})
