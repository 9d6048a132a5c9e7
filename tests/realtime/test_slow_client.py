"""A client that stops reading never slows the others: its outbox is bounded, and when it
overflows the client is told to resync and disconnected."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time

from community.events import PostEdited
from community.forum import posts, threads
from community.realtime import log
from community.realtime.recorder import entries_for
from tests.realtime.conftest import in_process_server, live, token_for


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
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question", title="Which firmware is current?",
        body="Asking for a customer.",
    )  # fmt: skip
    post = await posts.reply(world.actor(world.expert), thread.id, body="Version 4.2, released in May.")
    stream = f"thread:{thread.id}"
    # A big post (~40 KB as the page shows it), edited over and over.
    (entry,) = await entries_for(PostEdited(thread.id, post.id, world.expert.id))
    entry[2]["post"]["body_html"] = "<p>" + "Long text to fill buffers. " * 1500 + "</p>"
    async with in_process_server(world, live_queue_limit=8) as srv:
        hub = srv.app.state.live.hub
        headers = await token_for(world.partner)
        # Blocking socket calls run in a thread: the server shares this event loop.
        stuck = await asyncio.to_thread(stuck_client, srv.base, headers["Authorization"], stream)
        try:
            async with live(srv, headers, streams=[stream]) as fast:
                async with asyncio.timeout(5):
                    while len([c for c in hub.connections if stream in c.streams]) < 2:  # noqa: ASYNC110
                        await asyncio.sleep(0.01)
                latencies = []
                for _ in range(300):
                    (message,) = await log.append([entry])
                    started = time.monotonic()
                    await srv.app.state.live.bus.publish(message.to_bus())
                    event = await fast.next(type="event", kind="post", within=5)
                    latencies.append(time.monotonic() - started)
                    assert event["id"] == message.id
                    if hub.overflows:
                        break
                assert hub.overflows == 1, "the stuck client never overflowed"
                # The fast client got every event at once, also while the stuck one was full.
                assert sorted(latencies)[len(latencies) // 2] < 0.05 and max(latencies) < 1.0, latencies
                assert len([c for c in hub.connections if c.streams]) == 1  # the stuck one listens no more
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
