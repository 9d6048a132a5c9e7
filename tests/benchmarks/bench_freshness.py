"""Search freshness under sustained answering into long threads: how soon is a new answer searchable?

    .venv/bin/python tests/benchmarks/bench_freshness.py [--threads 20] [--answers 90] \
        [--rate 95] [--seconds 30] [--clients 8] [--postgres postgres://postgres@127.0.0.1:5432/postgres]

Builds a fresh SQLite database in a temp folder (or, with ``--postgres``, a fresh PostgreSQL
database beside the one named, dropped at the end) with ``--threads`` questions of ``--answers``
answers each (issue 13 saw 90-answer threads), indexes them, then runs the app's indexer
(``Indexer.run_forever``) while answers are posted into those threads, up to ``--rate`` per second
by at most ``--clients`` at once, for ``--seconds``. An answer's freshness is the time from its use
case returning to the index commit that holds its document (the app's searches see a commit at
once); the time to the end of its outbox batch (rows deleted) is printed beside it. Prints the
rate reached, freshness p50/p95/max, the outbox rows applied per second, the longest wait of an
index write for the index's lock (a background merge holds it), and how long the backlog took to
clear after the last answer.

Runs against whichever code is importable: the figure before a change comes from the same script
with ``PYTHONPATH`` at a checkout of the older commit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from community.accounts import directory, people
from community.actor import Actor
from community.db import close_db
from community.forum import posts, threads
from community.search import indexer as indexer_module
from community.search.indexer import Indexer
from search_index.engine import WhooshSearch
from tests.benchmarks.bench_recorder import BENCH_DB, _pg_admin, pct
from tests.benchmarks.harness import service_database


def _make_indexer(index: WhooshSearch, folder: Path) -> Indexer:
    try:
        from community.search.lease import Lease
    except ImportError:  # the older code: a lock file
        from community.search.indexer import IndexerLock  # type: ignore[attr-defined]

        return Indexer(index, IndexerLock(folder / "indexer.lock"))  # type: ignore[arg-type]
    return Indexer(index, Lease("bench-freshness"))


async def _community(
    folder: Path, postgres: str | None, n_threads: int, n_answers: int
) -> tuple[list[int], list[Actor]]:
    url = f"{postgres.rsplit('/', 1)[0]}/{BENCH_DB}" if postgres else None
    settings, asker = await service_database(folder, url)
    await directory.create_category(settings, None, name="Bench", slug="bench")
    experts = []
    for i in range(5):
        user = await people.create_user(
            settings, email=f"e{i}@bench.example", display_name=f"Expert {i}", role="expert",
            organisation=None, password="long enough password",
        )  # fmt: skip
        user.organisation = await user.organisation  # type: ignore[misc]
        experts.append(Actor.from_user(user))
    thread_ids = []
    for t in range(n_threads):
        thread = await threads.create_thread(
            asker, category="bench", kind="question", title=f"Question {t} about refurbished rebates",
            body="Which rebate applies to refurbished units sold to schools?",
        )  # fmt: skip
        thread_ids.append(thread.id)
        for a in range(n_answers):
            await posts.reply(
                experts[a % 5], thread.id, body=f"Answer {a} to {t}: the partner rebate, capped."
            )
    return thread_ids, experts


class _Timed:
    """Notes when each answer's outbox rows were applied, and how long index writes waited."""

    def __init__(self, indexer: Indexer, index: WhooshSearch) -> None:
        self.applied: dict[int, float] = {}  # post id -> its outbox batch done
        self.committed: dict[int, float] = {}  # post id -> the index commit holding its document
        self.rows = 0
        self.longest_write = 0.0
        self.reading = 0.0  # seconds building documents from the database
        self.writing = 0.0  # seconds in the index's apply
        real_changes, real_drain = indexer_module.changes_for, indexer.drain_once
        batch: list[dict[str, Any]] = []

        async def changes_for(rows: list[dict[str, Any]]) -> Any:
            batch[:] = rows
            start = time.perf_counter()
            try:
                return await real_changes(rows)
            finally:
                self.reading += time.perf_counter() - start

        async def drain_once(**kwargs: Any) -> int:
            n = await real_drain(**kwargs)
            now = time.perf_counter()
            self.rows += n
            for row in batch:
                if row["kind"] == "post":
                    self.applied.setdefault(row["object_id"], now)
            batch.clear()
            return n

        real_apply = index.apply

        def apply(upserts: Any, deletes: Any) -> None:
            start = time.perf_counter()
            real_apply(upserts, deletes)
            now = time.perf_counter()
            for doc in upserts:
                if doc.kind == "post":
                    self.committed.setdefault(doc.post_id, now)
            took = now - start
            self.writing += took
            self.longest_write = max(self.longest_write, took)

        indexer_module.changes_for = changes_for  # type: ignore[assignment]
        indexer.drain_once = drain_once  # type: ignore[method-assign]
        index.apply = apply  # type: ignore[method-assign]


async def measure(args: argparse.Namespace, folder: Path) -> None:
    start = time.perf_counter()
    thread_ids, experts = await _community(folder, args.postgres, args.threads, args.answers)
    index = WhooshSearch(folder / "search")
    indexer = _make_indexer(index, folder)
    await indexer.drain()
    where = "PostgreSQL" if args.postgres else "SQLite"
    built = time.perf_counter() - start
    print(f"{args.threads} threads of {args.answers} answers built and indexed in {built:.0f} s")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {where}")
    timed = _Timed(indexer, index)
    task = asyncio.create_task(indexer.run_forever())
    done: dict[int, float] = {}
    slots = asyncio.Semaphore(args.clients)
    tasks: set[asyncio.Task[None]] = set()

    async def one(i: int) -> None:
        async with slots:
            post = await posts.reply(
                experts[i % 5], thread_ids[i % len(thread_ids)], body=f"New answer {i}: ask the distributor."
            )
            done[post.id] = time.perf_counter()

    start = time.perf_counter()
    i = 0
    while (now := time.perf_counter()) - start < args.seconds:
        while i < int((now - start) * args.rate) and len(tasks) < args.clients:
            t = asyncio.create_task(one(i))
            tasks.add(t)
            t.add_done_callback(tasks.discard)
            i += 1
        await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)
    posted_in = time.perf_counter() - start
    last = time.perf_counter()
    deadline = last + 300
    while len(timed.applied.keys() & done.keys()) < len(done) and not task.done():
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.05)
    cleared = time.perf_counter() - last
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    lags = [timed.committed[p] - t for p, t in done.items() if p in timed.committed]
    batch_lags = [timed.applied[p] - t for p, t in done.items() if p in timed.applied]
    took = time.perf_counter() - start
    print(
        f"{len(done)} answers in {posted_in:.1f} s ({len(done) / posted_in:.0f}/s, asked {args.rate:.0f}); "
        f"freshness p50 {pct(lags, 0.5) * 1000:.0f} ms, p95 {pct(lags, 0.95) * 1000:.0f} ms, "
        f"max {max(lags, default=float('nan')) * 1000:.0f} ms (to the index commit holding it); "
        f"to its outbox batch done: p50 {pct(batch_lags, 0.5) * 1000:.0f} ms, "
        f"p95 {pct(batch_lags, 0.95) * 1000:.0f} ms"
    )
    print(
        f"outbox rows applied {timed.rows / took:.0f}/s; "
        f"longest index write {timed.longest_write * 1000:.0f} ms; "
        f"reading {timed.reading:.1f} s, writing {timed.writing:.1f} s; "
        f"every answer applied {cleared:.1f} s after the last; not applied: {len(done) - len(lags)}"
    )
    await asyncio.to_thread(index.close)
    await close_db()


async def main(args: argparse.Namespace) -> None:
    if args.postgres:
        await _pg_admin(args.postgres, f"CREATE DATABASE {BENCH_DB}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            await measure(args, Path(tmp))
    finally:
        if args.postgres:
            await _pg_admin(args.postgres, f"DROP DATABASE IF EXISTS {BENCH_DB}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--answers", type=int, default=90)
    parser.add_argument("--rate", type=float, default=95.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--postgres", help="an admin URL of a PostgreSQL server (a database is made)")
    asyncio.run(main(parser.parse_args()))
