"""Reconnecting: a client that sends the last id it saw gets what it missed, then live events,
with nothing lost and nothing twice; heartbeats end silent connections."""

from __future__ import annotations

import asyncio
import random

import pytest
from websockets.exceptions import ConnectionClosed

from tests.realtime.conftest import answer, api, ask, live, start_server, token_for


async def test_reconnect_catches_up_from_the_last_id(server, world):
    partner, expert = await token_for(world.partner), await token_for(world.expert)
    # Asked by a colleague: the listener gets the thread's events only, no notifications of its own.
    thread = await ask(server, await token_for(world.colleague))
    stream = f"thread:{thread['id']}"
    async with live(server, partner, streams=[stream]) as client:
        first = await answer(server, expert, thread["id"], "Before the connection dropped.")
        last_id = (await client.next(type="event", kind="post"))["id"]
    # While away: two new answers, one of them edited twice (only its latest state is replayed).
    # A watcher on the same stream sees the last edit arrive: from then on it is in the log (the
    # recorder writes events a moment after the commit; until then a resume gets them live).
    async with live(server, expert, streams=[stream]) as watcher:
        second = await answer(server, expert, thread["id"], "Missed answer one.")
        third = await answer(server, expert, thread["id"], "Missed answer two.")
        for text in ("Missed answer two, edited.", "Missed answer two, edited again."):
            assert (
                await api(server, "PATCH", f"/posts/{third['id']}", expert, json={"body": text})
            ).status_code == 200
        await watcher.next(
            within=15, type="event", where=lambda m: "edited again" in str(m.get("data", {}).get("html"))
        )
    async with live(server, partner, streams=[stream], after=last_id) as client:
        caught_up = client.events()
        assert [e["data"]["post_id"] for e in caught_up] == [second["id"], third["id"]]
        assert "edited again" in caught_up[-1]["data"]["html"]
        assert all(e["id"] > last_id for e in caught_up)
        ready = next(m for m in client.received if m["type"] == "ready")
        assert ready["id"] >= caught_up[-1]["id"]
        # ...then live events resume on the same connection.
        fourth = await answer(server, expert, thread["id"], "Live again.")
        assert (await client.next(type="event", kind="post"))["data"]["post_id"] == fourth["id"]
    assert first["id"] not in [e["data"]["post_id"] for e in caught_up]


async def test_nothing_lost_or_doubled_while_reconnecting_under_fire(server, world):
    partner, expert = await token_for(world.partner), await token_for(world.expert)
    thread = await ask(server, await token_for(world.colleague))
    stream = f"thread:{thread['id']}"
    made: list[int] = []

    async def poster() -> None:
        for n in range(15):
            made.append((await answer(server, expert, thread["id"], f"Answer number {n}."))["id"])
            await asyncio.sleep(random.uniform(0, 0.05))

    task = asyncio.create_task(poster())
    seen_ids: list[int] = []
    seen_posts: set[int] = set()
    after = 0
    rng = random.Random(7)
    while not task.done() or set(made) - seen_posts:
        async with live(server, partner, streams=[stream], after=after) as client:
            await client.quiet(rng.uniform(0.05, 0.3))
            for event in client.events():
                seen_ids.append(event["id"])
                seen_posts.add(event["data"]["post_id"])
            after = max([after, *(m["id"] for m in client.received if m["type"] in ("event", "ready"))])
    await task
    assert seen_posts == set(made)
    assert len(seen_ids) == len(set(seen_ids)), "an event arrived twice"
    assert seen_ids == sorted(seen_ids)


@pytest.fixture
def quick_heartbeat_server(world, tmp_path):  # type: ignore[no-untyped-def]
    srv = start_server(world, tmp_path / "hb", {"COMMUNITY_LIVE_HEARTBEAT_SECONDS": "1"})
    yield srv
    srv.stop()


async def test_heartbeats_keep_live_clients_and_end_silent_ones(quick_heartbeat_server, world):
    headers = await token_for(world.partner)
    async with (
        live(quick_heartbeat_server, headers) as pinging,
        live(quick_heartbeat_server, headers) as silent,
    ):
        assert pinging.welcome["heartbeat"] == 1
        for _ in range(8):
            await pinging.send(type="ping")
            assert (await pinging.next(type="pong"))["id"] >= 0
            await asyncio.sleep(0.5)
        with pytest.raises(ConnectionClosed) as closed:
            await silent.next(within=3)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408
        await pinging.send(type="ping")
        await pinging.next(type="pong")
