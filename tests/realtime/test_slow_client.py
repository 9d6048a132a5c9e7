"""A client that stops reading never slows the others: its outbox is bounded, and when it
overflows the client is told to resync and disconnected."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from typing import Any

from community.events import PostEdited
from community.forum import posts, threads
from community.realtime import log
from community.realtime.entries import entries_for
from tests.realtime.conftest import in_process_server, live, token_for
from tests.waiting import WAIT_SECONDS, eventually


def stuck_client(base: str, token: str, stream: str) -> socket.socket:
    """A websocket client that says hello and then never reads (with a tiny receive buffer)."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: {token}\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head, head
    payload = json.dumps({"type": "hello", "streams": [stream]}).encode()
    mask = os.urandom(4)
    sock.sendall(
        bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    )
    return sock


async def test_a_slow_client_does_not_delay_a_fast_one(world):
    """Behaviour only: how fast the fast client gets its events beside a stuck one is measured by
    tests/benchmarks/bench_live_paths.py."""
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question", title="Which firmware is current?",
        body="Asking for a customer.",
    )  # fmt: skip
    post = await posts.reply(world.actor(world.expert), thread.id, body="Version 4.2, released in May.")
    stream = f"thread:{thread.id}"
    # A big post (~40 KB as the page shows it), edited over and over.
    (entry,) = await entries_for(PostEdited(thread.id, post.id, world.expert.id))
    entry[2]["post"]["body_html"] = "<p>" + "Long text to fill buffers. " * 1500 + "</p>"
    queue_limit = 8
    async with in_process_server(world, live_queue_limit=queue_limit) as srv:
        hub = srv.app.state.live.hub

        def listening() -> list[Any]:
            return [c for c in hub.connections if stream in c.streams]

        headers = await token_for(world.partner)
        # Blocking socket calls run in a thread: the server shares this event loop.
        stuck = await asyncio.to_thread(stuck_client, srv.base, headers["Authorization"], stream)
        try:
            (stuck_conn,) = await eventually(listening, what="the stuck client never subscribed")
            async with live(srv, headers, streams=[stream]) as fast:
                await eventually(lambda: len(listening()) == 2, what="the fast client never subscribed")
                published: list[int] = []
                backlog_seen = 0  # the most the stuck client had waiting when the fast one had its event

                async def publish_one() -> None:
                    (message,) = await log.append([entry])
                    published.append(message.id)
                    await srv.app.state.live.bus.publish(message.to_bus())
                    event = await fast.next(type="event", kind="post", within=WAIT_SECONDS)
                    assert event["id"] == message.id

                for _ in range(300):
                    await publish_one()
                    if hub.overflows:
                        break
                    backlog_seen = max(backlog_seen, len(stuck_conn.outbox))
                assert hub.overflows == 1, "the stuck client never overflowed"
                # The fast client had each event while the stuck one's outbox was filling up to
                # its limit: its deliveries never waited for the stuck one.
                assert backlog_seen == queue_limit, backlog_seen
                assert stuck_conn not in listening()
                assert len([c for c in hub.connections if c.streams]) == 1  # the stuck one listens no more
                # After the overflow the fast client still gets everything.
                for _ in range(5):
                    await publish_one()
                # Every event once, in order, nothing lost.
                assert [e["id"] for e in fast.events("post")] == published
            # When the stuck client reads at last, it finds a resync message (and then a close).
            assert b'{"type":"resync","reason":"overflow"}' in await asyncio.to_thread(
                read_until_resync, stuck
            )
        finally:
            stuck.close()


def read_until_resync(sock: socket.socket) -> bytes:
    sock.settimeout(5)
    data = b""
    while b'"type":"resync"' not in data:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    return data
