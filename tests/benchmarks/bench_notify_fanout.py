"""Posting into a watched thread: what notifying 1,000 watchers adds to creating a reply.

Builds a fresh SQLite database in a temp folder with 1,000 partners watching one thread and a
second thread nobody watches, then creates replies through the service layer, alternating between
the two threads so both see the same machine state. Into the watched thread, a reply either adds
1,000 new entries (everyone had read the previous one: one bulk insert) or bumps 1,000 unread ones
(grouping: one update). Prints p50/p95 of each and the fan-out's share.

    .venv/bin/python tests/benchmarks/bench_notify_fanout.py [--watchers 1000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from community.accounts import directory
from community.db import close_db
from community.forum import posts, threads
from community.models import Notification, User, Watch
from community.timeutil import utcnow
from tests.benchmarks.harness import service_database


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(n_watchers: int, rounds: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        settings, actor = await service_database(Path(tmp))
        await directory.create_category(settings, None, name="Bench", slug="bench")
        watched = await threads.create_thread(
            actor, category="bench", kind="discussion", title="A thread everyone watches", body="Start."
        )
        quiet = await threads.create_thread(
            actor, category="bench", kind="discussion", title="A thread nobody watches", body="Start."
        )
        await User.bulk_create(
            [
                User(
                    email=f"w{i}@bench.example",
                    handle=f"watcher-{i}",
                    display_name=f"Watcher {i}",
                    organisation_id=actor.organisation_id,
                )
                for i in range(n_watchers)
            ],
            batch_size=500,
        )
        ids = await User.filter(handle__startswith="watcher-").values_list("id", flat=True)
        await Watch.bulk_create(
            [Watch(user_id=uid, target_type="thread", target_key=str(watched.id)) for uid in ids],
            batch_size=500,
        )

        quiet_ms: list[float] = []
        fresh_ms: list[float] = []
        grouped_ms: list[float] = []
        for i in range(rounds * 2):
            start = time.perf_counter()
            await posts.reply(actor, quiet.id, body=f"Reply {i} where nobody watches.")
            quiet_ms.append((time.perf_counter() - start) * 1000)
            grouping = i % 2 == 1
            if not grouping:  # everyone read the last one: this reply adds new entries
                await Notification.filter(read_at__isnull=True).update(read_at=utcnow())
            start = time.perf_counter()
            await posts.reply(actor, watched.id, body=f"Reply {i} that {n_watchers} people watch.")
            (grouped_ms if grouping else fresh_ms).append((time.perf_counter() - start) * 1000)
        entries = await Notification.all().count()
        await close_db()

    print(f"{n_watchers} watchers, {rounds} replies of each kind; {entries} notification rows in the end")
    print(f"{'reply into':44}{'p50 ms':>10}{'p95 ms':>10}")
    print(f"{'a thread nobody watches':44}{statistics.median(quiet_ms):10.1f}{p(quiet_ms, 0.95):10.1f}")
    print(f"{'the watched thread, new entries (insert)':44}{statistics.median(fresh_ms):10.1f}"
          f"{p(fresh_ms, 0.95):10.1f}")  # fmt: skip
    print(f"{'the watched thread, grouped (update)':44}{statistics.median(grouped_ms):10.1f}"
          f"{p(grouped_ms, 0.95):10.1f}")  # fmt: skip
    per_watcher = (statistics.median(fresh_ms) - statistics.median(quiet_ms)) / n_watchers * 1000
    print(f"fan-out adds about {per_watcher:.0f} µs per watcher (new entries, p50)")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.watchers, args.rounds)))
