"""Outgoing mail: mails per second through the queue to a real SMTP server, with 1 and 2 workers.

Each round builds a fresh database (SQLite in a temp folder, or a fresh PostgreSQL database with
``--database-url``), queues ``--mails`` invitation-sized mails (plain text + HTML), and starts
that many worker *processes*, each running the product's ``MailSender`` (claim with lease and
token, hand over, mark sent) against an aiosmtpd server in its own process (a sink that accepts
everything). Timed from the moment the workers are told to start until the last one finds the
queue empty; every mail must end up sent exactly once (the sum of what the workers report).

    .venv/bin/python tests/benchmarks/bench_mail.py [--mails 400] [--workers 1 2] [--rounds 3] \
        [--database-url postgres://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from community.db import apply_migrations, close_db, init_db
from community.mail import queue
from community.mail.sender import MailSender
from community.mail.transport import SmtpTransport
from community.models import MailState, OutgoingMail
from community.settings import Settings

TEXT = "Hello,\n\nyou are invited to the partner community.\n\n" + "A line of the invitation text.\n" * 20
HTML = "<p>Hello,</p><p>you are invited to the partner community.</p>" + "<p>A line of the text.</p>" * 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_for(folder: Path, url: str) -> Settings:
    return Settings.from_env(
        {"COMMUNITY_DATA_DIR": str(folder), "COMMUNITY_DATABASE_URL": url, "COMMUNITY_SECRET_KEY": "bench"}
    )


async def _work(folder: Path, url: str, port: int, start: mp.Event, results: mp.Queue) -> None:  # type: ignore[type-arg]
    await init_db(url)
    settings = settings_for(folder, url)
    sender = MailSender(settings, SmtpTransport("127.0.0.1", port, security="none", timeout=10))
    await asyncio.to_thread(start.wait)
    sent = await sender.run_once()
    results.put((sent, time.perf_counter()))
    await close_db()


def worker(folder: Path, url: str, port: int, start: mp.Event, results: mp.Queue) -> None:  # type: ignore[type-arg]
    asyncio.run(_work(folder, url, port, start, results))


async def prepare(folder: Path, url: str, mails: int) -> None:
    await apply_migrations(url)
    settings = settings_for(folder, url)
    for n in range(mails):
        await queue.enqueue(
            settings, kind="invitation", to=f"reader{n}@bench.example", subject=f"Invitation {n}",
            text=TEXT, html=HTML,
        )  # fmt: skip
    await close_db()


async def check(url: str, mails: int) -> None:
    await init_db(url)
    sent = await OutgoingMail.filter(state=MailState.SENT, attempts=1).count()
    await close_db()
    if sent != mails:
        raise SystemExit(f"only {sent} of {mails} mails were sent exactly once")


def pg_database(base_url: str, create: bool, name: str) -> str:
    import asyncpg

    async def go() -> None:
        conn = await asyncpg.connect(base_url.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute(
                f'CREATE DATABASE "{name}"' if create else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            )
        finally:
            await conn.close()

    asyncio.run(go())
    return f"{base_url.rpartition('/')[0]}/{name}"


def one_round(mails: int, workers: int, port: int, database_url: str | None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        name = f"bench_mail_{uuid.uuid4().hex[:8]}"
        url = (
            pg_database(database_url, True, name) if database_url else f"sqlite://{folder / 'bench.sqlite3'}"
        )
        try:
            asyncio.run(prepare(folder, url, mails))
            ctx = mp.get_context("spawn")
            start, results = ctx.Event(), ctx.Queue()
            procs = [
                ctx.Process(target=worker, args=(folder, url, port, start, results)) for _ in range(workers)
            ]
            for proc in procs:
                proc.start()
            time.sleep(2.0)  # every worker has started and connected
            began = time.perf_counter()
            start.set()
            done = [results.get(timeout=600) for _ in procs]
            for proc in procs:
                proc.join(timeout=30)
            elapsed = max(t for _, t in done) - began
            if sum(n for n, _ in done) != mails:
                raise SystemExit(f"the workers sent {[n for n, _ in done]}, not {mails} in all")
            asyncio.run(check(url, mails))
            return mails / elapsed
        finally:
            if database_url:
                pg_database(database_url, False, name)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mails", type=int, default=400)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--database-url", default=None, help="a PostgreSQL server (a fresh database per round)"
    )
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)
        where = "PostgreSQL" if args.database_url else "SQLite"
        print(
            f"{args.mails} mails, {where}, aiosmtpd sink on 127.0.0.1:{port}, {args.rounds} rounds",
            flush=True,
        )
        for workers in args.workers:
            rates = [one_round(args.mails, workers, port, args.database_url) for _ in range(args.rounds)]
            print(
                f"  {workers} worker(s): median {statistics.median(rates):7.1f} mails/s "
                f"(rounds: {', '.join(f'{r:.1f}' for r in rates)})",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
