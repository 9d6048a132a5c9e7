"""The moderation overview on a busy community: how long its queries take.

Builds a fresh SQLite database in a temp folder (or uses ``--database-url``, e.g. an empty
PostgreSQL database), then bulk-writes a year of moderation: ``--threads`` threads with an answer
each, ``--flags`` flags spread over 365 days, one review item per flagged post (most decided,
``--pending`` still waiting) and an audit entry per decision. Then computes the overview
``--runs`` times and prints p50/p95. Target: p95 under 100 ms at 100,000 flags (a page a moderator
opens now and then, not a hot path).

    .venv/bin/python tests/benchmarks/bench_moderation_overview.py [--flags 100000] [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from community.accounts import directory
from community.accounts.people import create_user
from community.actor import Actor
from community.db import apply_migrations, close_db
from community.models import AuditEntry, Flag, Post, ReviewItem, Thread, User
from community.settings import Settings
from moderation.overview import overview

TARGET_MS = 100.0
BATCH = 5_000


async def _bulk(model: type, rows: list) -> None:  # type: ignore[type-arg]
    for i in range(0, len(rows), BATCH):
        await model.bulk_create(rows[i : i + BATCH])


async def build(settings: Settings, args: argparse.Namespace, rng: random.Random) -> tuple[Actor, int]:
    org = await directory.create_organisation(settings, None, name="Busy Reseller", tier="gold")

    async def person(i: int, role: str) -> User:
        return await create_user(
            settings, email=f"{role}{i}@busy.example", display_name=f"{role.title()} {i}", role=role,
            organisation=org if role == "partner" else None, password="bench password 1",
        )  # fmt: skip

    people = [await person(i, "partner") for i in range(50)]
    mods = [await person(i, "moderator") for i in range(5)]
    cat = await directory.create_category(settings, None, name="General", slug="general")
    now = datetime.now(UTC)
    await _bulk(Thread, [
        Thread(category_id=cat.id, title=f"Thread {i}", author_id=rng.choice(people).id,
               created_at=now, last_activity_at=now)
        for i in range(args.threads)
    ])  # fmt: skip
    thread_ids = await Thread.all().values_list("id", flat=True)
    await _bulk(Post, [
        Post(thread_id=t, author_id=rng.choice(people).id, body_source="x", body_html="x", created_at=now)
        for t in thread_ids
    ])  # fmt: skip
    post_thread = dict(await Post.all().values_list("id", "thread_id"))
    post_ids = list(post_thread)
    flags = [
        Flag(target=f"post:{post_id}", post_id=post_id, thread_id=post_thread[post_id],
             flagger_id=people[n % len(people)].id, reason="spam")
        for n, post_id in enumerate(rng.choice(post_ids) for _ in range(args.flags))
    ]  # fmt: skip
    # One flag per person and post: drop the repeats the random draw made.
    flags = list({(f.flagger_id, f.post_id): f for f in flags}.values())
    await _bulk(Flag, flags)
    flagged = sorted({f.post_id for f in flags})
    pending = set(rng.sample(flagged, min(args.pending, len(flagged))))
    items, entries = [], []
    for post_id in flagged:
        waiting = post_id in pending
        mod = rng.choice(mods).id
        items.append(ReviewItem(
            kind="flagged_post", post_id=post_id, thread_id=post_thread[post_id],
            state="pending" if waiting else "decided", open_key=f"post:{post_id}" if waiting else None,
            decided_by_id=None if waiting else mod, decision=None if waiting else "keep",
        ))  # fmt: skip
        if not waiting:
            entries.append(
                AuditEntry(actor_id=mod, action="post.keep", subject_type="post", subject_id=post_id)
            )
    await _bulk(ReviewItem, items)
    await _bulk(AuditEntry, entries)
    await _spread_dates(now, rng)
    user = await User.filter(id=mods[0].id).select_related("organisation").get()
    return Actor.from_user(user), len(flags)


async def _spread_dates(now: datetime, rng: random.Random) -> None:
    """Rows written at once carry one timestamp: give them a year's spread, 100 ids at a time
    (each review item decided 5 minutes to 2 days after it was created)."""
    for model in (Flag, ReviewItem, AuditEntry):
        ids = await model.all().order_by("id").values_list("id", flat=True)
        for start in range(0, len(ids), 100):
            when = now - timedelta(days=rng.randint(0, 365), seconds=rng.randint(0, 86_400))
            chunk = model.filter(id__in=ids[start : start + 100])
            if model is ReviewItem:
                await chunk.update(created_at=when)
                await chunk.filter(state="decided").update(
                    decided_at=when + timedelta(minutes=rng.randint(5, 2880))
                )
            else:
                await chunk.update(created_at=when)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flags", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=20_000)
    parser.add_argument("--pending", type=int, default=300)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url", default=None, help="an empty database (default: SQLite in a temp dir)"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite://{tmp}/bench.sqlite3"
        settings = Settings.from_env(
            {"COMMUNITY_DATA_DIR": tmp, "COMMUNITY_DATABASE_URL": url, "COMMUNITY_SECRET_KEY": "bench"}
        )
        await apply_migrations(url)
        try:
            started = time.perf_counter()
            actor, n_flags = await build(settings, args, rng)
            took = time.perf_counter() - started
            print(f"built {n_flags:,} flags on {args.threads:,} threads in {took:.1f} s")
            timings = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                ov = await overview(actor)
                timings.append((time.perf_counter() - t0) * 1000)
            timings.sort()
            p50, p95 = timings[len(timings) // 2], timings[min(len(timings) - 1, int(0.95 * len(timings)))]
            print(f"overview: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {args.runs} runs", end=" ")
            print(f"(target p95 <= {TARGET_MS:.0f} ms)")
            print(f"  waiting {ov.waiting_total}, decided this week {ov.decided_this_week}, "
                  f"median to decision {ov.median_seconds_to_decision} s, top flagged thread "
                  f"{ov.flagged_threads[0]['flags'] if ov.flagged_threads else 0} flags")  # fmt: skip
            return 0 if p95 <= TARGET_MS else 1
        finally:
            await close_db()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
