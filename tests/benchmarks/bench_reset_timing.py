"""Does "forgot password" tell by its timing whether an account has the address?

Starts the real app (one uvicorn worker, SQLite in a temp folder, mail written to .eml files as
with no SMTP server), makes ``--accounts`` accounts, then posts /password-reset the way a browser
does (a fresh CSRF token from the form each time), alternating an address that has an account
(each a different account, so the per-account hourly cap never cuts the work short) and one that
has none, in a shuffled order with a pause between requests. Prints the median and quartiles of
each; the two medians should be within noise.

    .venv/bin/python tests/benchmarks/bench_reset_timing.py [--rounds 30] [--path /password-reset]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.harness import REPO, Server, clean_env, csrf_from


async def prepare(env: dict[str, str], accounts: int) -> None:
    from community.accounts.people import create_user
    from community.db import apply_migrations, close_db
    from community.models import Organisation, OrgKind, Role
    from community.settings import Settings

    settings = Settings.from_env(env)
    await apply_migrations(settings.database_url)
    org = await Organisation.create(name="Timing Ltd", slug="timing", kind=OrgKind.PARTNER)
    for n in range(accounts):
        await create_user(
            settings, email=f"known{n}@timing.example", display_name=f"Known {n}", role=Role.PARTNER,
            organisation=org, password="a long enough password",
        )  # fmt: skip
    await close_db()


def post_once(client: httpx.Client, path: str, address: str) -> float:
    form = client.get(path)
    token = csrf_from(form.text)
    started = time.perf_counter()
    answer = client.post(path, data={"email": address, "csrf_token": token})
    took = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise SystemExit(f"{address}: {answer.status_code} {answer.text[:300]}")
    return took


def summary(name: str, times: list[float]) -> str:
    q = statistics.quantiles(times, n=4)
    middle = statistics.median(times)
    spread = f"quartiles {q[0]:.1f}-{q[2]:.1f}, max {max(times):.1f}"
    return f"{name:8} n={len(times)} median {middle:6.1f} ms ({spread})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--path", default="/password-reset")
    parser.add_argument("--pause", type=float, default=0.1, help="seconds between requests")
    parser.add_argument("--demo", action="store_true", help="load the demo content first (as `make run`)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        env = clean_env(
            COMMUNITY_DATA_DIR=str(tmp),
            COMMUNITY_SECRET_KEY="timing",
            COMMUNITY_MAIL_RESETS_PER_HOUR=str(10 * args.rounds + 10),
        )
        asyncio.run(prepare(env, args.rounds))
        if args.demo:
            subprocess.run([sys.executable, "-m", "community.cli", "demo"], env=env, cwd=REPO, check=True)
        with Server("community.app:create_app", env, tmp / "server.log", REPO) as server:
            known: list[float] = []
            unknown: list[float] = []
            with httpx.Client(base_url=server.base, timeout=30) as client:
                post_once(client, args.path, "warm-up@timing.example")
                # In a shuffled order, each after a pause: what the server does after an answer (the
                # mail sender) must not be counted against the next request.
                order = [("known", n) for n in range(args.rounds)] + [
                    ("nobody", n) for n in range(args.rounds)
                ]
                random.Random(1).shuffle(order)
                for who, n in order:
                    time.sleep(args.pause)
                    took = post_once(client, args.path, f"{who}{n}@timing.example")
                    (known if who == "known" else unknown).append(took)
            mailed = len(list((tmp / "mail" / "outbox").glob("*.eml")))
            print(f"mails written: {mailed} (one per account expected)")
            print(summary("account", known))
            print(summary("none", unknown))
            print(f"difference of medians {statistics.median(known) - statistics.median(unknown):+.1f} ms")


if __name__ == "__main__":
    main()
