"""Recording live events under sustained posting: can one worker keep up with ~95 posts/s?

    .venv/bin/python tests/benchmarks/bench_recorder.py [--backlog 2000] [--rate 95] [--seconds 20] \
        [--postgres postgres://postgres@127.0.0.1:5432/postgres]

Builds a fresh SQLite database in a temp folder (or, with ``--postgres``, a fresh PostgreSQL
database beside the one named, dropped at the end): 20 questions by one partner, answered by five
experts (each answer notifies the asker, so a post makes a post event and a notification event).

1. **Backlog**: ``--backlog`` answers are posted with no recorder running, then recorded in one go;
   prints the events and posts recorded per second (the recorder's ceiling on this machine).
2. **Paced**: the recorder runs while answers are posted at ``--rate`` per second for
   ``--seconds`` by at most ``--clients`` at once (the rate reached is printed: on a busy machine
   the use cases themselves may not reach it); each answer's lag is the time from its use case
   returning to its ``post`` row arriving on the message bus. Prints the rate reached, lag
   p50/p95/max, and what was left.

It runs against whichever code is importable, so the figure before the change comes from the same
script with ``PYTHONPATH`` pointing at a checkout of the older commit (whose recorder took events from
memory after the commit: ``Recorder._record``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from community.accounts import directory, people
from community.actor import Actor
from community.db import close_db
from community.events import Event, subscribe, unsubscribe
from community.forum import posts, threads
from community.realtime.bus import InProcessBus
from community.realtime.recorder import Recorder
from community.settings import Settings
from tests.benchmarks.harness import service_database

THREADS = 20
BENCH_DB = f"bench_recorder_{os.getpid()}"
EXPERTS = 5


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _pg_admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _database(folder: Path, postgres: str | None) -> tuple[Settings, Actor]:
    url = f"{postgres.rsplit('/', 1)[0]}/{BENCH_DB}" if postgres else None
    return await service_database(folder, url)


async def _community(folder: Path, postgres: str | None) -> tuple[list[int], list[Actor]]:
    settings, asker = await _database(folder, postgres)
    await directory.create_category(settings, None, name="Bench", slug="bench")
    thread_ids = [
        (await threads.create_thread(
            asker, category="bench", kind="question", title=f"Question number {i} about rebates",
            body="Which rebate applies to refurbished units?",
        )).id
        for i in range(THREADS)
    ]  # fmt: skip
    experts = []
    for i in range(EXPERTS):
        user = await people.create_user(
            settings, email=f"e{i}@bench.example", display_name=f"Expert {i}", role="expert",
            organisation=None, password="long enough password",
        )  # fmt: skip
        user.organisation = await user.organisation  # type: ignore[misc]
        experts.append(Actor.from_user(user))
    return thread_ids, experts


async def _answer(thread_ids: list[int], experts: list[Actor], i: int) -> int:
    post = await posts.reply(
        experts[i % len(experts)], thread_ids[i % len(thread_ids)], body=f"Answer {i}: the partner rebate."
    )
    return post.id


async def backlog(thread_ids: list[int], experts: list[Actor], n: int) -> None:
    seen: list[Event] = []

    async def keep(event: Event) -> None:
        seen.append(event)

    subscribe(keep)
    start = time.perf_counter()
    for i in range(n):
        await _answer(thread_ids, experts, i)
    posting = time.perf_counter() - start
    unsubscribe(keep)
    recorder = Recorder(InProcessBus(), timedelta(hours=1))
    start = time.perf_counter()
    if hasattr(recorder, "drain"):
        events = await recorder.drain()
    else:  # the older recorder: the events it would have found in its queue, in one batch
        events = len(seen)
        await recorder._record(seen)  # type: ignore[attr-defined]
    took = time.perf_counter() - start
    print(f"backlog: {n} answers posted in {posting:.1f} s ({n / posting:.0f} posts/s through the use case)")
    rates = f"{events / took:.0f} events/s, {n / took:.0f} posts/s"
    print(f"backlog: {events} events recorded in {took:.2f} s: {rates}")


async def paced(
    thread_ids: list[int], experts: list[Actor], rate: float, seconds: float, clients: int
) -> None:
    arrived: dict[int, float] = {}

    def on_message(message: dict[str, Any]) -> None:
        if message.get("t") == "event" and message.get("kind") == "post":
            arrived.setdefault(int(message["payload"]["post"]["id"]), time.perf_counter())

    bus = InProcessBus()

    async def connected() -> None:
        return None

    await bus.start(on_message, connected)
    recorder = Recorder(bus, timedelta(hours=1))
    subscribe(recorder.on_event)
    recorder.start()
    done: dict[int, float] = {}
    tasks: set[asyncio.Task[None]] = set()

    slots = asyncio.Semaphore(clients)

    async def one(i: int) -> None:
        async with slots:  # as many posting at once as there are clients
            post_id = await _answer(thread_ids, experts, 100_000 + i)
            done[post_id] = time.perf_counter()

    start = time.perf_counter()
    i = 0
    while (now := time.perf_counter()) - start < seconds:
        due = int((now - start) * rate)
        while i < due and len(tasks) < clients:
            task = asyncio.create_task(one(i))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1
        await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)
    posted_in = time.perf_counter() - start
    deadline = time.perf_counter() + 120
    while len(arrived.keys() & done.keys()) < len(done) and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    unsubscribe(recorder.on_event)
    await recorder.stop()
    lags = [arrived[p] - t for p, t in done.items() if p in arrived]
    missing = len(done) - len(lags)
    print(
        f"paced: {len(done)} answers in {posted_in:.1f} s "
        f"({len(done) / posted_in:.0f} posts/s asked {rate:.0f}); "
        f"lag to the bus p50 {pct(lags, 0.5) * 1000:.0f} ms, p95 {pct(lags, 0.95) * 1000:.0f} ms, "
        f"max {max(lags, default=float('nan')) * 1000:.0f} ms; not recorded after 120 s: {missing}"
    )


async def main(args: argparse.Namespace) -> None:
    if args.postgres:
        await _pg_admin(args.postgres, f"CREATE DATABASE {BENCH_DB}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            thread_ids, experts = await _community(Path(tmp), args.postgres)
            where = "PostgreSQL" if args.postgres else "SQLite"
            print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {where}")
            if args.backlog:
                await backlog(thread_ids, experts, args.backlog)
            if args.seconds:
                await paced(thread_ids, experts, args.rate, args.seconds, args.clients)
            await close_db()
    finally:
        if args.postgres:
            await _pg_admin(args.postgres, f"DROP DATABASE IF EXISTS {BENCH_DB}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=95.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=8, help="answers being posted at once, at most")
    parser.add_argument("--postgres", help="an admin URL of a PostgreSQL server (a database is made)")
    asyncio.run(main(parser.parse_args()))
