"""Load and faults, as an operator would run the product: ``community serve --workers 2`` on its own
PostgreSQL and Redis, simulated people through the JSON API and websocket listeners, with a worker
killed (-9, uvicorn starts another), Redis stopped and PostgreSQL restarted at set times. Bounded in
time and count; traffic only to 127.0.0.1. Not part of the test suite.

    .venv/bin/python tests/load/load_faults.py --quick            # 60 s, 30 people, 100 listeners
    flock /work/heavy.lock .venv/bin/python tests/load/load_faults.py   # 300 s, 200, 1,000

It starts a PostgreSQL cluster (initdb into a temporary directory, its own port) and a redis-server
on free ports, never the shared ones, writes a community with ``community generate`` and gives the
chosen people API tokens (``seed.py``). The listeners connect first, each to its user stream and up
to five threads it may see (partners also ask for another organisation's private thread, which must
be refused). Then the people act for ``--seconds``; faults at 20% (kill -9 of a worker), 35% (Redis
stopped for ``--redis-outage`` seconds) and 70% (PostgreSQL restarted). It prints the throughput,
p50/p99 per action and the statuses, waits for the indexer's and the recorder's backlogs to empty,
and verifies (``checks.py``): every acknowledged write in the database, once; every acknowledged
visible post found by ``GET /api/v1/search`` one second after the search backlog emptied; every
acknowledged answer delivered live to every listener granted its thread, none twice, none on a
stream not granted. Exit status 1 when a check fails (each failure is printed), 2 when the set-up
failed. Everything it started is stopped and removed at the end (``--keep`` keeps the logs).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import multiprocessing
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.load import checks, listeners
from tests.load.people import Acks, HotThread, Person, Stats, World, live
from tests.load.services import Postgres, Redis, Server

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "data" / "coffee-Posts.xml"
PRIVATE_THREADS = 8
# Options whose default depends on --quick: (name, full run, quick run).
FIGURES = (("seconds", 300, 60), ("people", 200, 30), ("listeners", 1000, 100), ("redis_outage", 30.0, 10.0))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, help="how long the people act (300; quick: 60)")
    parser.add_argument("--people", type=int, help="simulated people, API clients (200; quick: 30)")
    parser.add_argument("--listeners", type=int, help="websocket listeners (1,000; quick: 100)")
    parser.add_argument("--redis-outage", type=float, help="seconds Redis stays stopped (30; quick: 10)")
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between a person's actions")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pool", type=int, help="database connections per worker (the product's default: 5)")
    parser.add_argument("--threads", type=int, default=40, help="public threads the answers go to")
    parser.add_argument(
        "--quick", action="store_true", help="development run: 60 s, 30 people, 100 listeners"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    args = parser.parse_args()
    for name, full, quick in FIGURES:  # those not given
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    return args


def community(env: dict[str, str], *args: str) -> str:
    exe = Path(sys.executable).with_name("community")
    done = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"community {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def environment(work: Path, pg: Postgres, redis: Redis, pool: int | None) -> dict[str, str]:
    return {
        **os.environ,
        "COMMUNITY_DATA_DIR": str(work / "data"),
        "COMMUNITY_DATABASE_URL": pg.url + (f"?maxsize={pool}" if pool else ""),
        "COMMUNITY_REDIS_URL": redis.url,
        "COMMUNITY_SECRET_KEY": "load-and-faults-only-secret-key-0123456789",
        # Every simulated person comes from 127.0.0.1: the per-address limit would refuse most
        # posts; the per-person limits would turn fast posters' writes into 429s.
        "COMMUNITY_POSTS_PER_MINUTE": "0",
        "COMMUNITY_POSTS_PER_DAY": "0",
        "COMMUNITY_POSTS_PER_IP_MINUTE": "0",
        "COMMUNITY_NEW_ACCOUNT_HELD_POSTS": "0",
        "COMMUNITY_LOG_LEVEL": "warning",
    }


def seed(env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    posts = max(1000, args.people * 26)  # about 25 posts per generated member
    community(env, "migrate")
    community(env, "generate", "--posts", str(posts), "--from", str(CORPUS), "--seed", "13")
    script = Path(__file__).with_name("seed.py")
    done = subprocess.run(
        [sys.executable, str(script), "--people", str(args.people), "--threads", str(args.threads)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(done.stdout)


def private_threads(base: str, people: list[Person], categories: list[str]) -> list[HotThread]:
    """One private question each by partners of up to ``PRIVATE_THREADS`` organisations."""
    askers: dict[int, Person] = {}
    for person in people:
        if person.role == "partner" and person.org is not None and len(askers) < PRIVATE_THREADS:
            askers.setdefault(person.org, person)
    made = []
    for org, person in askers.items():
        response = httpx.post(
            f"{base}/api/v1/threads",
            headers={"Authorization": f"Bearer {person.token}"},
            timeout=60,
            json={
                "category": categories[0],
                "kind": "question",
                "private": True,
                "title": f"Private question of organisation {org} about our rollout",
                "body": "Only our organisation and the company's staff should read this.",
            },
        )
        response.raise_for_status()
        made.append(HotThread(response.json()["id"], org))
    return made


def listener_specs(people: list[Person], hot: list[HotThread], count: int) -> list[dict[str, Any]]:
    """Listener i belongs to person i mod people: up to five threads it may see, and for partners
    one private thread of another organisation (must be refused)."""
    rng = random.Random(13)
    specs = []
    for i in range(count):
        person = people[i % len(people)]
        visible = [t for t in hot if person.may_see(t.private_org)]
        streams = [f"thread:{t.id}" for t in rng.sample(visible, min(5, len(visible)))]
        if person.role == "moderator":
            streams.append("queue")
        outside = [t for t in hot if not person.may_see(t.private_org)]
        if outside:
            streams.append(f"thread:{rng.choice(outside).id}")
        specs.append(
            {
                "token": person.token,
                "user_id": person.id,
                "streams": streams,
                "role": person.role,
                "org": person.org,
                "private": [{"thread_id": t.id, "org": t.private_org} for t in hot if t.private_org],
            }
        )
    return specs


class Faults:
    """The faults at their set times, each noted with what happened."""

    def __init__(self, server: Server, pg: Postgres, redis: Redis, world: World, args: argparse.Namespace):
        self.server, self.pg, self.redis, self.world, self.args = server, pg, redis, world, args
        self.notes: list[str] = []
        self.failures: list[str] = []
        self.started = time.monotonic()

    async def run(self, started: float) -> None:
        self.started = started
        seconds = self.args.seconds
        await self._at(started, 0.20 * seconds, "worker killed", self._kill_worker)
        await self._at(started, 0.35 * seconds, "redis down", self._redis_outage)
        await self._at(started, 0.70 * seconds, "postgres restart", self._restart_postgres)
        await asyncio.sleep(max(0.0, started + seconds - time.monotonic()))

    async def _at(self, started: float, offset: float, phase: str, action: Any) -> None:
        await asyncio.sleep(max(0.0, started + offset - time.monotonic()))
        self.world.phase = phase
        note_at = time.monotonic() - started
        self.notes.append(f"t={note_at:.0f} s {await action()}")
        self.world.phase = f"after {phase}"

    async def _kill_worker(self) -> str:
        pid = self.server.kill_worker()
        back = await asyncio.to_thread(self.server.wait_for_workers, self.args.workers, 60, avoid=pid)
        if back is None:
            self.failures.append("uvicorn did not start a new worker within 60 s of the kill")
            return f"killed worker {pid} (-9); no new worker within 60 s"
        return f"killed worker {pid} (-9); uvicorn had started another {back:.1f} s later"

    async def _redis_outage(self) -> str:
        await asyncio.to_thread(self.redis.stop)
        await asyncio.sleep(self.args.redis_outage)
        await asyncio.to_thread(self.redis.start)
        return f"Redis stopped for {self.args.redis_outage:.0f} s, then started again"

    async def _restart_postgres(self) -> str:
        began = time.monotonic()
        await asyncio.to_thread(self.pg.restart)
        return f"PostgreSQL restarted (pg_ctl restart -m fast, {time.monotonic() - began:.1f} s)"


async def act(world: World, people: list[Person], faults: Faults, args: argparse.Namespace) -> float:
    """The people for ``--seconds`` with the faults beside them; returns the seconds it took."""
    started = time.monotonic()
    until = started + args.seconds
    fault_task = asyncio.create_task(faults.run(started))
    lag_task = asyncio.create_task(loop_lag(world.stats.loop_lag, until))
    await asyncio.gather(*(live(world, p, args.think, until) for p in people))
    await fault_task
    await lag_task
    return time.monotonic() - started


async def loop_lag(lags: list[float], until: float, every: float = 0.1) -> None:
    """How late this process's event loop wakes up: the part of every latency measured here that
    is the load generator's own (a busy client makes the server look slower than it is)."""
    while time.monotonic() < until:
        asked = time.monotonic()
        await asyncio.sleep(every)
        lags.append(time.monotonic() - asked - every)


def health(base: str) -> dict[str, Any]:
    try:
        return httpx.get(f"{base}/healthz", timeout=10).json()
    except (httpx.HTTPError, ValueError):
        return {}


def drain(base: str, limit: float = 600) -> tuple[float | None, float | None]:
    """Seconds until the search backlog, and the live events waiting, are empty (None: never)."""
    started = time.monotonic()
    search_empty = live_empty = None
    while time.monotonic() - started < limit and (search_empty is None or live_empty is None):
        body = health(base)
        if search_empty is None and body.get("search", {}).get("backlog") == 0:
            search_empty = time.monotonic() - started
        if live_empty is None and body.get("live", {}).get("pending") == 0:
            live_empty = time.monotonic() - started
        time.sleep(0.1)
    return search_empty, live_empty


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timeline(stats: Stats, started: float, elapsed: float, slices: int = 20) -> None:
    """p50/p99 of every action by when it started: where in the run (which fault) the time went."""
    width = elapsed / slices
    rows: dict[int, list[float]] = collections.defaultdict(list)
    phases: dict[int, str] = {}
    for begun, latency, phase in stats.timeline:
        key = min(slices - 1, max(0, int((begun - started) / width)))
        rows[key].append(latency)
        phases.setdefault(key, phase)
    print(f"latency by when the action started ({width:.0f} s slices): start s, n, p50 ms, p99 ms, window")
    for key in sorted(rows):
        values = rows[key]
        print(
            f"  {key * width:>5.0f} {len(values):>6} {pct(values, 0.5) * 1000:>7.0f} "
            f"{pct(values, 0.99) * 1000:>7.0f}  {phases[key]}"
        )


def report(stats: Stats, acks: Acks, elapsed: float, faults: Faults) -> None:
    total = sum(sum(c.values()) for c in stats.statuses.values())
    writes = len(acks.asks) + len(acks.answers) + len(acks.votes) + len(acks.flags)
    print(
        f"\n{total} requests in {elapsed:.0f} s: {total / elapsed:.1f} requests/s; acknowledged writes "
        f"{writes} ({writes / elapsed:.1f}/s): {len(acks.asks)} questions, {len(acks.answers)} answers, "
        f"{len(acks.votes)} votes, {len(acks.flags)} flags"
    )
    print(f"{'action':<8} {'n':>7} {'p50 ms':>8} {'p99 ms':>8}  statuses (a retried request counts each try)")
    for action in sorted(stats.latency):
        values = stats.latency[action]
        print(
            f"{action:<8} {len(values):>7} {pct(values, 0.5) * 1000:>8.0f} {pct(values, 0.99) * 1000:>8.0f}  "
            f"{dict(sorted(stats.statuses[action].items()))}"
        )
    print("errors by window (4xx other than 403/404, 5xx, timeouts, dropped connections):")
    for window, counts in stats.errors_by_window.items():
        print(f"  {window}: {dict(counts.most_common())}")
    print(f"503 without Retry-After: {stats.no_retry_after}")
    lags = stats.loop_lag
    print(
        f"load generator's own event-loop lag: p50 {pct(lags, 0.5) * 1000:.0f} ms, "
        f"p99 {pct(lags, 0.99) * 1000:.0f} ms, max {max(lags, default=0) * 1000:.0f} ms"
    )
    for note in faults.notes:
        print(f"fault: {note}")
    timeline(stats, faults.started, elapsed)


def server_errors(stats: Stats) -> list[str]:
    """5xx other than 503 are defects (503 with Retry-After is the documented outage answer)."""
    bad = {
        f"{a} {s}": n
        for a, c in stats.statuses.items()
        for s, n in c.items()
        if s.isdigit() and int(s) >= 500 and s != "503"
    }
    out = [f"server errors: {bad}"] if bad else []
    if stats.no_retry_after:
        out.append(f"{stats.no_retry_after} answers 503 without Retry-After")
    return out


def start_listeners(base: str, specs: list[dict[str, Any]], out: Path) -> tuple[Any, Any, Any]:
    ctx = multiprocessing.get_context("spawn")
    events, commands = ctx.Queue(), ctx.Queue()
    url = base.replace("http://", "ws://") + "/ws"
    wire = [{k: s[k] for k in ("token", "user_id", "streams")} for s in specs]
    process = ctx.Process(target=listeners.run, args=(wire, url, events, commands, str(out), 120.0))
    process.start()
    return process, events, commands


def raise_file_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main() -> int:
    args = parse_args()
    raise_file_limit()
    work = Path(tempfile.mkdtemp(prefix="community-load-"))
    work.chmod(0o755)
    pg, redis = Postgres(work / "pg"), Redis(work / "redis")
    server: Server | None = None
    try:
        pg.start()
        redis.start()
        env = environment(work, pg, redis, args.pool)
        seeded = seed(env, args)
        server = Server(work, env, args.workers)
        server.start()
        return run(args, work, pg, redis, server, seeded)
    finally:
        if server is not None:
            server.stop()
        redis.stop()
        pg.stop()
        print(f"logs: {work}" if args.keep else "")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def run(
    args: argparse.Namespace, work: Path, pg: Postgres, redis: Redis, server: Server, seeded: dict[str, Any]
) -> int:
    people = [Person(p["id"], p["role"], p["org"], p["token"]) for p in seeded["people"]]
    hot = [HotThread(t, None) for t in seeded["threads"]]
    hot += private_threads(server.base, people, seeded["categories"])
    specs = listener_specs(people, hot, args.listeners)
    out = work / "listeners.json"
    process, events, commands = start_listeners(server.base, specs, out)
    try:
        ready = events.get(timeout=300)
        print(
            f"{len(people)} people ({_roles(people)}), {len(hot)} hot threads ({PRIVATE_THREADS} private), "
            f"{ready['ready']} of {len(specs)} listeners ready in {ready['seconds']:.0f} s"
        )
        return asyncio.run(
            _load_and_check(
                args,
                pg,
                redis,
                server,
                people,
                hot,
                specs,
                seeded["categories"],
                commands,
                events,
                out,
                ready["ready"],
            )
        )
    finally:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()


def _roles(people: list[Person]) -> str:
    counts: dict[str, int] = {}
    for p in people:
        counts[p.role] = counts.get(p.role, 0) + 1
    orgs = len({p.org for p in people if p.role == "partner"})
    return ", ".join(f"{n} {r}" for r, n in counts.items()) + f"; partners of {orgs} organisations"


async def _load_and_check(
    args: argparse.Namespace,
    pg: Postgres,
    redis: Redis,
    server: Server,
    people: list[Person],
    hot: list[HotThread],
    specs: list[dict[str, Any]],
    categories: list[str],
    commands: Any,
    events: Any,
    out: Path,
    ready: int,
) -> int:
    limits = httpx.Limits(max_connections=args.people + 20, max_keepalive_connections=args.people)
    async with httpx.AsyncClient(limits=limits) as client:
        world = World(server.base, client, hot, categories)
        faults = Faults(server, pg, redis, world, args)
        elapsed = await act(world, people, faults, args)
    report(world.stats, world.acks, elapsed, faults)
    failures = list(faults.failures) + server_errors(world.stats)
    if ready < len(specs):
        failures.append(f"only {ready} of {len(specs)} listeners connected before the load")
    failures += await _verify(args, pg, server, people, specs, world.acks, commands, events, out)
    for failure in failures:
        print(f"FAILED: {failure}")
    print("all checks passed" if not failures else f"{len(failures)} checks failed")
    return 1 if failures else 0


async def _verify(
    args: argparse.Namespace,
    pg: Postgres,
    server: Server,
    people: list[Person],
    specs: list[dict[str, Any]],
    acks: Acks,
    commands: Any,
    events: Any,
    out: Path,
) -> list[str]:
    search_empty, live_empty = await asyncio.to_thread(drain, server.base)
    print(
        f"after the end: search backlog empty after {_s(search_empty)}, live events recorded after "
        f"{_s(live_empty)}"
    )
    failures = []
    if search_empty is None:
        failures.append("the search backlog never emptied (600 s)")
    if live_empty is None:
        failures.append("live events were still waiting to be recorded after 600 s")
    await asyncio.sleep(1.0)
    db_failures, states = await checks.database(pg.url, acks)
    failures += db_failures
    moderator = next(p for p in people if p.role == "moderator")
    search_failures, searched = await checks.search(server.base, moderator.token, acks, states)
    print(f"search: {searched} acknowledged visible posts looked up by their marker word")
    failures += search_failures
    commands.put(await checks.last_event_id(pg.url))
    await asyncio.to_thread(events.get, True, 300)
    result = json.loads(await asyncio.to_thread(out.read_text))
    live_failures, figures = checks.live(result["listeners"], acks, states, specs)
    print(f"live: {figures} (settled in {result['settle_seconds']:.1f} s)")
    examples = [e for one in result["listeners"] for e in one.get("duplicate_examples", ())]
    for example in examples[:8]:
        print(f"  repeated or out of order: {example}")
    return failures + live_failures


def _s(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


if __name__ == "__main__":
    sys.exit(main())
