"""The websocket endpoint ``/ws``: connections, their subscriptions, and the fan-out of live events.

Every worker has one ``Hub``. It receives every row of the live event log (from its own recorder
and, through the bus, from every other worker), puts them in id order, and offers each to the
connections subscribed to its stream after checking, per connection, that the viewer may see it
(``messages.Renderer``). The protocol is described in docs/api.md ("Live updates").

- Order and holes: rows may arrive out of order (two workers) or not at all (Redis down). A row
  that arrives ahead of a missing id waits ``GAP_WAIT`` for it, then the hole is filled from the
  database (ids commit in order: ``log``). The hub also polls the log every ``POLL_SECONDS`` (every
  ``POLL_DEGRADED_SECONDS`` while the bus is down), so nothing committed is ever left behind.
- Resume: ``hello`` with ``after`` registers the subscriptions and notes the hub's position ``D``
  in one step; rows up to ``D`` come from the database, later ones live: no gap, no duplicate.
- Slow clients: a message is written at once while the socket takes it; otherwise it waits in
  the connection's bounded outbox, drained by a task of its own, so the fan-out never waits. An
  overflowing outbox is dropped and replaced by one ``resync`` message.
- Access: ``AccessChanged`` travels over the bus; every hub reloads the actors concerned and
  re-checks their subscriptions (a suspended or signed-out user is disconnected). While the bus is
  down, and when it comes back, every connection is re-checked (such messages may be lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.websockets import WebSocket

from community import database_epoch, policy
from community.accounts.tokens import actor_for_token
from community.actor import load_actors
from community.edge.auth import SESSION_AUTH_VERSION, bearer_token, require_actor, usable
from community.errors import Forbidden, Unauthenticated
from community.realtime import log
from community.realtime.bus import Message, MessageBus
from community.realtime.connection import (
    CLOSE_BAD,
    CLOSE_FORBIDDEN,
    CLOSE_SIGNED_OUT,
    CLOSE_TIMEOUT,
    Connection,
)
from community.realtime.entries import thread_facts
from community.realtime.gc_pacing import CollectorPacer
from community.realtime.log import QUEUE_STREAM, LiveMessage
from community.realtime.messages import DENY, Renderer, encode, may_see_thread
from community.validation import positive_int

logger = logging.getLogger(__name__)

RAW_SEND = "community.live.send"
GAP_WAIT = 0.05
POLL_SECONDS = 5.0
POLL_DEGRADED_SECONDS = 1.0
CATCH_UP_LIMIT = 500
HELLO_TIMEOUT = 10.0
MAX_CLIENT_MESSAGE = 4096
MAX_THREAD_STREAMS = 20


class Hub:
    def __init__(
        self,
        bus: MessageBus,
        *,
        heartbeat: float = 25.0,
        queue_limit: int = 256,
        allowed_origins: Iterable[str] = (),
        on_access_changed: Callable[[], None] | None = None,
    ) -> None:
        self.bus = bus
        self.heartbeat = heartbeat
        self.queue_limit = queue_limit
        self.allowed_origins = {o.rstrip("/") for o in allowed_origins}
        self.on_access_changed = on_access_changed
        self.connections: set[Connection] = set()
        self.subscribers: dict[str, set[Connection]] = {}
        self.cursor = 0
        self.epoch: str | None = None  # the database's life (``database_epoch``): a restore changes it
        self.pending: dict[int, LiveMessage] = {}
        self.overflows = 0
        self.delivered = 0
        self._gap_timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._filling = False
        self.collector = CollectorPacer()

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        self.cursor = await log.latest_id()
        self.epoch = await database_epoch.current()
        await self.bus.start(self.on_bus_message, self.bus_connected)
        self._loops = [
            asyncio.create_task(self._poll_forever()),
            asyncio.create_task(self._sweep_forever()),
            asyncio.create_task(self.collector.run()),
        ]

    async def stop(self) -> None:
        self.collector.stop()
        for task in [*self._loops, *self._tasks]:
            task.cancel()
        for conn in list(self.connections):
            conn.drop()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.bus.close()

    def stats(self) -> dict[str, Any]:
        return {
            "connections": len(self.connections),
            "last_id": self.cursor,
            "bus": "ok" if self.bus.healthy else "degraded",
            "overflows": self.overflows,
        }

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- rows in, in id order -------------------------------------------------------------------

    def on_bus_message(self, message: Message) -> None:
        kind = message.get("t")
        if kind == "event":
            try:
                self.ingest(LiveMessage.from_bus(message))
            except (KeyError, TypeError, ValueError):
                logger.warning("ignored a malformed live message")
        elif kind == "access":
            if self.on_access_changed is not None:
                self.on_access_changed()
            self.spawn(self.access_changed(message.get("user_id"), message.get("category_id")))

    def ingest(self, message: LiveMessage) -> None:
        if message.id <= self.cursor or message.id in self.pending:
            return
        self.pending[message.id] = message
        self._drain()

    def _drain(self) -> None:
        while self.cursor + 1 in self.pending:
            self.cursor += 1
            self._deliver(self.pending.pop(self.cursor))
        if self.pending and self._gap_timer is None:
            self._gap_timer = asyncio.get_running_loop().call_later(GAP_WAIT, self._gap_due)

    def _gap_due(self) -> None:
        self._gap_timer = None
        if self.pending:
            self.spawn(self._fill_gap())

    def _complete_upto(self, upto: int) -> None:
        """Every id up to ``upto`` is known (in ``pending``) or will never exist."""
        for key in sorted(k for k in self.pending if k <= upto):
            message = self.pending.pop(key)
            if key <= self.cursor:
                continue  # delivered meanwhile (the bus brought it while the database was read)
            self.cursor = key
            self._deliver(message)
        self.cursor = max(self.cursor, upto)
        self._drain()

    async def _fill_gap(self) -> None:
        if self._filling or not self.pending:
            return
        self._filling = True
        try:
            first = min(self.pending)
            rows = await log.since(self.cursor, upto=first - 1, limit=CATCH_UP_LIMIT)
            for row in rows:
                if row.id > self.cursor:  # the bus may have brought it during the read
                    self.pending.setdefault(row.id, row)
            self._complete_upto(rows[-1].id if len(rows) == CATCH_UP_LIMIT else first - 1)
        except Exception:
            logger.exception("could not fill a gap in the live event log")
        finally:
            self._filling = False
            if self.pending and self._gap_timer is None:
                self._gap_timer = asyncio.get_running_loop().call_later(GAP_WAIT, self._gap_due)

    async def catch_up(self) -> None:
        """Take every committed row after the cursor from the database (bus reconnected, poll)."""
        while True:
            rows = await log.since(self.cursor, limit=CATCH_UP_LIMIT)
            if not rows:
                return
            for row in rows:
                if row.id > self.cursor:
                    self.pending.setdefault(row.id, row)
            self._complete_upto(rows[-1].id)
            if len(rows) < CATCH_UP_LIMIT:
                return

    async def _poll_forever(self) -> None:
        loop = asyncio.get_running_loop()
        recheck_due = loop.time()
        while True:
            await asyncio.sleep(POLL_SECONDS if self.bus.healthy else POLL_DEGRADED_SECONDS)
            try:
                await self.notice_restore()
                await self.catch_up()
                # Access changes travel over the bus only: while it is down, re-check everyone.
                if not self.bus.healthy and loop.time() >= recheck_due:
                    recheck_due = loop.time() + POLL_SECONDS
                    await self.access_changed(None, None)
            except Exception:
                logger.exception("could not read the live event log")

    async def notice_restore(self) -> None:
        """The database was put back to an earlier moment (``community restore`` gives it a new
        epoch; one put back by hand has a log whose newest id is below this hub's cursor): the
        log's ids start again below what was delivered, so every new event would be taken for one
        already seen. Go on from the restored log, and tell every connection that what it shows
        is of another moment (``resync``/``restored``: reload)."""
        # The cursor before the reads: the bus may deliver newer rows while they wait, and a cursor
        # that moved past the newest id read is no restore (it was: a resync to every connection
        # and a row delivered twice, in the load and fault run).
        cursor = self.cursor
        token, latest = await database_epoch.current(), await log.latest_id()
        if token == self.epoch and latest >= cursor:
            return
        logger.warning(
            "the database was restored: live events go on from id %d (was %d)", latest, self.cursor
        )
        self.epoch, self.cursor = token, latest
        self.pending.clear()
        restored = encode({"type": "resync", "reason": "restored"})
        for conn in list(self.connections):
            conn.skip_upto = min(conn.skip_upto, latest)
            conn.offer(restored)

    async def bus_connected(self) -> None:
        """The bus is (back) up: take what it may have missed, rows and access changes alike."""
        await self.catch_up()
        await self.access_changed(None, None)

    # --- fan-out ----------------------------------------------------------------------------------

    def _deliver(self, message: LiveMessage) -> None:
        self.delivered += 1
        subscribers = self.subscribers.get(message.stream)
        if not subscribers:
            return
        renderer = Renderer(message)
        for conn in list(subscribers):
            if message.id <= conn.skip_upto:
                continue
            try:
                text = renderer.for_actor(conn.actor)
            except Exception:
                logger.exception("could not prepare live event %s", message.id)
                return
            if text is DENY:
                self.lose(conn, message.stream)
            elif text is not None:
                conn.offer(text)

    def subscribe(self, conn: Connection, stream: str) -> None:
        conn.streams.add(stream)
        self.subscribers.setdefault(stream, set()).add(conn)

    def unsubscribe(self, conn: Connection, stream: str) -> None:
        conn.streams.discard(stream)
        subscribers = self.subscribers.get(stream)
        if subscribers is not None:
            subscribers.discard(conn)
            if not subscribers:
                del self.subscribers[stream]

    def unsubscribe_all(self, conn: Connection) -> None:
        for stream in list(conn.streams):
            self.unsubscribe(conn, stream)

    def lose(self, conn: Connection, stream: str) -> None:
        """The viewer may no longer see this stream."""
        if stream not in conn.streams:
            return
        if stream.startswith("user:"):
            conn.close(CLOSE_FORBIDDEN, {"code": "forbidden", "message": "Access was withdrawn."})
            return
        self.unsubscribe(conn, stream)
        conn.offer(encode({"type": "unsubscribed", "stream": stream, "reason": "not_found"}))

    # --- access changes ------------------------------------------------------------------------

    async def access_changed(self, user_id: int | None, category_id: int | None) -> None:
        """Reload the actors concerned (everyone when a whole tier or category changed is not
        needed: category rules live in the rows) and re-check what they listen to."""
        conns = [c for c in self.connections if user_id is None or c.actor.id == user_id]
        if not conns:
            return
        if user_id is not None or category_id is None:
            fresh = await load_actors({c.actor.id for c in conns})
            for conn in conns:
                actor = fresh.get(conn.actor.id)
                if conn.token and user_id is not None:
                    actor = await actor_for_token(conn.token)  # revoked meanwhile?
                if actor is None or (conn.token is None and actor.auth_version != conn.auth_version):
                    conn.close(CLOSE_SIGNED_OUT, {"code": "unauthenticated", "message": "Signed out."})
                    continue
                try:
                    usable(actor)
                except Forbidden as exc:
                    conn.close(CLOSE_FORBIDDEN, {"code": "forbidden", "message": exc.message})
                    continue
                conn.actor = actor
        await self._recheck(conn for conn in conns if not conn.dropped)

    async def _recheck(self, conns: Iterable[Connection]) -> None:
        # The streams as they are now: a hello still authorising adds streams during the read
        # below (it checked them itself); judged without their facts they would be "not found".
        streams = {conn: list(conn.streams) for conn in conns}
        thread_ids = {
            int(s.split(":", 1)[1]) for ss in streams.values() for s in ss if s.startswith("thread:")
        }
        facts = await thread_facts(sorted(thread_ids))
        for conn, judged in streams.items():
            for stream in judged:
                if stream not in conn.streams:
                    continue  # left meanwhile
                if stream == QUEUE_STREAM and not policy.can_moderate(conn.actor):
                    self.lose(conn, stream)
                elif stream.startswith("thread:"):
                    f = facts.get(int(stream.split(":", 1)[1]))
                    if f is None or not may_see_thread(conn.actor, f):
                        self.lose(conn, stream)

    # --- heartbeats ------------------------------------------------------------------------------

    async def _sweep_forever(self) -> None:
        """Clients ping every ``heartbeat`` seconds; one silent for 2.5 times that is gone."""
        while True:
            await asyncio.sleep(self.heartbeat / 2)
            limit = time.monotonic() - 2.5 * self.heartbeat
            for conn in [c for c in self.connections if c.last_seen < limit]:
                conn.close(CLOSE_TIMEOUT)

    # --- one connection ------------------------------------------------------------------------

    def origin_allowed(self, websocket: WebSocket) -> bool:
        """A browser always sends Origin: it must be this site (cross-site websocket hijacking).
        Clients with a Bearer token carry no ambient credentials and may omit it."""
        origin = websocket.headers.get("origin")
        if origin is None:
            return bearer_token(websocket) is not None
        origin = origin.rstrip("/")
        if origin in self.allowed_origins:
            return True
        host = websocket.headers.get("host", "")
        parts = urlsplit(origin)
        return bool(host) and parts.netloc == host and parts.scheme in ("http", "https")

    async def serve(self, websocket: WebSocket) -> None:
        if not self.origin_allowed(websocket):
            await websocket.close(code=1008)  # before accepting: an HTTP 403
            return
        try:
            actor = await require_actor(websocket)
        except (Unauthenticated, Forbidden) as exc:
            await websocket.accept()
            code = "unauthenticated" if isinstance(exc, Unauthenticated) else "forbidden"
            await websocket.send_text(encode({"type": "error", "code": code, "message": exc.message}))
            await websocket.close(CLOSE_SIGNED_OUT if code == "unauthenticated" else CLOSE_FORBIDDEN)
            return
        await websocket.accept()
        token = bearer_token(websocket)
        auth_version = None if token else websocket.session.get(SESSION_AUTH_VERSION)
        # uvicorn's own send when the outermost middleware kept it: fewer layers per message.
        send = websocket.scope.get(RAW_SEND, websocket._send)
        conn = Connection(self, send, actor, token, auth_version)
        conn.handler = asyncio.current_task()
        self.connections.add(conn)
        self.collector.connection_opened()
        try:
            await self._converse(websocket, conn)
        except asyncio.CancelledError:
            if not conn.dropped:
                raise
        finally:
            conn.drop()
            self.connections.discard(conn)

    async def _converse(self, websocket: WebSocket, conn: Connection) -> None:
        receive = websocket._receive
        try:
            first = await asyncio.wait_for(receive(), HELLO_TIMEOUT)
        except TimeoutError:
            await conn.send({"type": "websocket.close", "code": CLOSE_TIMEOUT})
            return
        hello = self._parse(first)
        if hello is None or hello.get("type") != "hello":
            if first["type"] != "websocket.disconnect":
                err = {"type": "error", "code": "bad_message", "message": "Send hello first."}
                await conn.send({"type": "websocket.send", "text": encode(err)})
                await conn.send({"type": "websocket.close", "code": CLOSE_BAD})
            return
        await self._hello(conn, hello)
        conn.start_sending()
        while True:
            raw = await receive()
            if raw["type"] == "websocket.disconnect":
                return
            conn.last_seen = time.monotonic()
            message = self._parse(raw)
            if message is None:
                conn.close(CLOSE_BAD, {"code": "bad_message", "message": "Messages are JSON objects."})
                continue
            await self._handle(conn, message)

    @staticmethod
    def _parse(raw: dict[str, Any]) -> dict[str, Any] | None:
        text = raw.get("text")
        if (
            raw.get("type") != "websocket.receive"
            or not isinstance(text, str)
            or len(text) > MAX_CLIENT_MESSAGE
        ):
            return None
        try:
            message = json.loads(text)
        except ValueError:
            return None
        return message if isinstance(message, dict) else None

    async def _handle(self, conn: Connection, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ping":
            conn.offer(encode({"type": "pong", "id": self.cursor}))
        elif kind == "subscribe":
            stream = message.get("stream")
            refusal = await self._authorise(conn, stream)
            if refusal is not None:
                conn.offer(encode({"type": "error", **refusal}))
            else:
                self.subscribe(conn, stream)  # type: ignore[arg-type]
                conn.offer(encode({"type": "subscribed", "stream": stream, "id": self.cursor}))
        elif kind == "unsubscribe":
            stream = message.get("stream")
            if isinstance(stream, str) and stream in conn.streams and not stream.startswith("user:"):
                self.unsubscribe(conn, stream)
            conn.offer(encode({"type": "unsubscribed", "stream": stream, "reason": "asked"}))
        else:
            conn.offer(encode({"type": "error", "code": "bad_message", "message": f"Unknown type {kind!r}."}))

    async def _authorise(
        self, conn: Connection, stream: object, facts: dict[int, dict[str, Any]] | None = None
    ) -> dict[str, Any] | None:
        """None when the actor may listen to ``stream``; otherwise the error to send. ``facts``:
        the threads' facts when read already (a ``hello`` reads all of its threads in one go)."""
        refusal = {"code": "not_found", "stream": stream, "message": "No such stream."}
        if not isinstance(stream, str) or len(stream) > 40:
            return {**refusal, "code": "bad_message"}
        if stream == QUEUE_STREAM:
            if policy.can_moderate(conn.actor):
                return None
            return {**refusal, "code": "forbidden", "message": "Only moderators see the review queue."}
        if stream == log.user_stream(conn.actor.id):
            return None
        thread_id = _thread_id(stream)
        if thread_id is None:
            return refusal
        if sum(s.startswith("thread:") for s in conn.streams) >= MAX_THREAD_STREAMS:
            return {**refusal, "code": "too_many", "message": "Too many threads at once."}
        if facts is None:
            facts = await thread_facts([thread_id])
        # The rule the re-check on access changes applies (``_recheck``), so what a hello grants
        # the next re-check keeps.
        f = facts.get(thread_id)
        if f is None or not may_see_thread(conn.actor, f):
            return {**refusal, "message": "No such thread."}
        return None

    async def _hello(self, conn: Connection, hello: dict[str, Any]) -> None:
        after = hello.get("after")
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            after = None
        wanted = hello.get("streams")
        wanted = (
            [s for s in wanted if isinstance(s, str)][: MAX_THREAD_STREAMS + 2]
            if isinstance(wanted, list)
            else []
        )
        granted, denied = [log.user_stream(conn.actor.id)], []
        # Every thread asked for in one read (two queries), not two queries per thread: a worker's
        # listeners all reconnect at once after a restart (issue 13's reconnection storm).
        ids = [i for s in wanted if isinstance(s, str) and len(s) <= 40 and (i := _thread_id(s))]
        facts = await thread_facts(ids) if ids else {}
        for stream in dict.fromkeys(wanted):
            if stream in granted:
                continue
            refusal = await self._authorise(conn, stream, facts)
            if refusal is None:
                granted.append(stream)
                conn.streams.add(stream)  # counted by _authorise's limit
            else:
                denied.append(refusal)
        # Register and note the position in one step: rows up to it come from the database.
        for stream in granted:
            self.subscribe(conn, stream)
        upto = self.cursor
        head = [encode({"type": "welcome", "user_id": conn.actor.id, "streams": granted, "denied": denied,
                        "heartbeat": self.heartbeat})]  # fmt: skip
        if after is not None and after > upto and after > await log.latest_id():
            # An id no committed event has: one from the log before the database was restored.
            head.append(encode({"type": "resync", "reason": "restored"}))
            after = None
        conn.skip_upto = after if after is not None else upto
        if after is not None and after < upto:
            head += await self._catch_up_messages(conn, after, upto, granted)
        head.append(encode({"type": "ready", "id": max(upto, after or 0)}))
        conn.outbox.extendleft(reversed(head))
        conn.outbox_bytes += sum(len(t) for t in head)

    async def _catch_up_messages(
        self, conn: Connection, after: int, upto: int, streams: list[str]
    ) -> list[str]:
        oldest = await log.oldest_id()
        rows = await log.since(after, upto=upto, streams=streams, limit=CATCH_UP_LIMIT + 1)
        if len(rows) > CATCH_UP_LIMIT or (oldest is not None and after + 1 < oldest):
            return [encode({"type": "resync", "reason": "too_far_behind"})]
        # A post's latest row says all there is to say about it (and never shows a body that was
        # hidden meanwhile): earlier rows of the same post are left out.
        latest: dict[tuple[str, str, Any], int] = {}
        for row in rows:
            post = row.payload.get("post") if row.kind == "post" else None
            key = (row.stream, row.kind, post.get("id") if isinstance(post, dict) else row.id)
            latest[key] = row.id
        keep = set(latest.values())
        out = []
        for row in rows:
            if row.id not in keep:
                continue
            text = Renderer(row).for_actor(conn.actor)
            if text is DENY:
                self.lose(conn, row.stream)
            elif text is not None and row.stream in conn.streams:
                out.append(text)
        return out


def _thread_id(stream: str) -> int | None:
    kind, _, ident = stream.partition(":")
    return positive_int(ident) if kind == "thread" else None


async def live_endpoint(websocket: WebSocket) -> None:
    await websocket.app.state.live.hub.serve(websocket)
