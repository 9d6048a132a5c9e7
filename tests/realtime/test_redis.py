"""Several workers share one Redis: an event made on one reaches clients on another through Redis,
and a Redis outage neither stops posting nor loses live events. Run when COMMUNITY_TEST_REDIS_URL is
set (CI's PostgreSQL pass); each test uses its own channel prefix, the outage test its own Redis.

The receiving worker runs in the test's process so the test can see what reached it from Redis
(rather than from its safety poll of the database), and its recorder records nothing: every worker
records any worker's pending events, and one it recorded itself goes to its own hub directly, never
through Redis. Both buses are subscribed before anything is published (a worker publishes only
then). How fast delivery is, is measured by tests/benchmarks/bench_live_paths.py, not asserted here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from community.accounts import directory, people
from community.forum import threads
from community.models import Role
from tests.conftest import REDIS_URL
from tests.realtime.conftest import (
    answer,
    channel_prefix,
    free_port,
    in_process_server,
    live,
    start_server,
    token_for,
)
from tests.waiting import WAIT_SECONDS, eventually

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="COMMUNITY_TEST_REDIS_URL is not set")


async def bus_state(server: Any) -> str:
    async with httpx.AsyncClient(timeout=5) as client:
        return (await client.get(f"{server.base}/healthz")).json()["live"]["bus"]


async def wait_for_bus(server: Any, state: str) -> None:
    async def reached() -> bool:
        return await bus_state(server) == state

    await eventually(reached, interval=0.1, what=f"the bus of {server.base} never became {state}")


def over_redis(server: Any) -> set[int]:
    """Ids of the live events that reach ``server`` from Redis, sent by another worker, from now on
    (not its own recorder's, handed to its hub directly; not its safety poll's or gap filling's,
    read from the database)."""
    bus = server.app.state.live.bus
    arrived: set[int] = set()
    handle = bus._handle

    def spy(data: bytes | str) -> None:
        message = json.loads(data)
        if message.get("t") == "event" and message.get("o") != bus.origin:
            arrived.add(message["id"])
        handle(data)

    bus._handle = spy
    return arrived


async def records_nothing(server: Any) -> None:
    """``server``'s recorder records nothing from now on, so the other worker records (and
    publishes) every event the test makes there. Left as it is, it polls the pending events every
    0.5 s and now and then takes one before the worker that made it: that event reaches this hub
    without crossing Redis (the outage test saw one "over the bus" while Redis was down)."""

    async def nothing() -> int:
        return 0

    server.app.state.live.recorder.drain = nothing


async def both_connected(*servers: Any) -> None:
    """Each bus subscribed: a worker publishes only then, and receives only what comes after."""
    for server in servers:
        await wait_for_bus(server, "ok")


async def came_over_redis(carried: set[int], event: dict[str, Any]) -> None:
    await eventually(lambda: event["id"] in carried, what=f"event {event['id']} never came over Redis")


async def test_an_event_on_one_worker_reaches_a_client_on_another(world, tmp_path):
    assert REDIS_URL
    prefix = channel_prefix()
    a = start_server(
        world, tmp_path / "a", {"COMMUNITY_REDIS_URL": REDIS_URL, "COMMUNITY_REDIS_PREFIX": prefix}
    )
    try:
        partner, expert = await token_for(world.partner), await token_for(world.expert)
        thread = await threads.create_thread(
            world.actor(world.partner), category="general", kind="question",
            title="Does the warranty cover refurbished units?", body="Asking for a customer.",
        )  # fmt: skip
        async with in_process_server(world, redis_url=REDIS_URL, redis_prefix=prefix) as b:
            await records_nothing(b)
            await both_connected(a, b)
            carried = over_redis(b)
            async with live(b, partner, streams=[f"thread:{thread.id}"]) as client:
                posted = []
                for n in range(3):
                    post = await answer(a, expert, thread.id, f"Answer {n} from worker A.")
                    posted.append(post["id"])
                    event = await client.next(type="event", kind="post", within=WAIT_SECONDS)
                    assert event["data"]["post_id"] == post["id"]
                    # Through Redis, not (only) the database's safety poll.
                    await came_over_redis(carried, event)
                assert [e["data"]["post_id"] for e in client.events("post")] == posted
    finally:
        a.stop()


async def test_access_changed_on_one_worker_is_applied_on_another(world, tmp_path):
    assert REDIS_URL
    prefix = channel_prefix()
    gold = await threads.create_thread(
        world.actor(world.partner), category="gold-programme", kind="question",
        title="Which rebate applies to gold partners?", body="Details follow.",
    )  # fmt: skip
    other = start_server(
        world, tmp_path / "other", {"COMMUNITY_REDIS_URL": REDIS_URL, "COMMUNITY_REDIS_PREFIX": prefix}
    )
    try:
        async with (
            in_process_server(world, redis_url=REDIS_URL, redis_prefix=prefix) as here,
            live(other, await token_for(world.colleague), streams=[f"thread:{gold.id}"]) as client,
        ):
            await both_connected(here, other)
            await directory.update_category(
                world.settings, world.actor(world.admin), world.gold_only, name="Gold programme",
                description="", visibility="staff", position=0,
            )  # fmt: skip
            gone = await client.next(type="unsubscribed", within=3)
            assert gone["stream"] == f"thread:{gold.id}"
    finally:
        other.stop()


@pytest.fixture
def own_redis(tmp_path: Path):  # type: ignore[no-untyped-def]
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
        )  # fmt: skip
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                import socket

                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return proc
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    state = {"proc": start()}

    def stop() -> None:
        state["proc"].terminate()
        state["proc"].wait(5)

    def restart() -> None:
        state["proc"] = start()

    yield f"redis://127.0.0.1:{port}/0", stop, restart
    if state["proc"].poll() is None:
        stop()


async def test_redis_outage_keeps_posting_and_delivery_catches_up(world, tmp_path, own_redis):
    url, stop_redis, restart_redis = own_redis
    prefix = channel_prefix()
    a = start_server(world, tmp_path / "a", {"COMMUNITY_REDIS_URL": url, "COMMUNITY_REDIS_PREFIX": prefix})
    try:
        partner, expert = await token_for(world.partner), await token_for(world.expert)
        thread = await threads.create_thread(
            world.actor(world.partner), category="general", kind="question",
            title="Is the new firmware safe to install?", body="Asking before a rollout.",
        )  # fmt: skip
        async with (
            in_process_server(world, redis_url=url, redis_prefix=prefix) as b,
            live(b, partner, streams=[f"thread:{thread.id}"]) as client,
            live(b, await token_for(world.moderator), streams=["queue"]) as moderator,
        ):
            await records_nothing(b)
            await both_connected(a, b)
            carried = over_redis(b)
            before = await answer(a, expert, thread.id, "Before the outage.")
            event = await client.next(type="event", kind="post", within=WAIT_SECONDS)
            assert event["data"]["post_id"] == before["id"]
            await came_over_redis(carried, event)

            stop_redis()
            await wait_for_bus(a, "degraded")
            await wait_for_bus(b, "degraded")
            during = [await answer(a, expert, thread.id, f"During the outage {n}.") for n in range(3)]
            # Still delivered, from the database, while Redis is away.
            for post in during:
                event = await client.next(type="event", kind="post", within=WAIT_SECONDS)
                assert event["data"]["post_id"] == post["id"]
                assert event["id"] not in carried
            # An access change made meanwhile (its bus message is lost) is still applied.
            await people.set_role(None, world.moderator, role=Role.EXPERT)
            assert (await moderator.next(type="unsubscribed", within=2 * WAIT_SECONDS))["stream"] == "queue"

            restart_redis()
            await wait_for_bus(a, "ok")
            await wait_for_bus(b, "ok")
            after = await answer(a, expert, thread.id, "After the outage.")
            event = await client.next(type="event", kind="post", within=WAIT_SECONDS)
            assert event["data"]["post_id"] == after["id"]
            # Redis carries events between the workers again.
            await came_over_redis(carried, event)
            ids = [e["id"] for e in client.events()]  # posts, and the asker's notifications
            assert ids == sorted(ids) and len(ids) == len(set(ids))
            assert [e["data"]["post_id"] for e in client.events("post")] == [
                before["id"], *(p["id"] for p in during), after["id"],
            ]  # fmt: skip
    finally:
        a.stop()
