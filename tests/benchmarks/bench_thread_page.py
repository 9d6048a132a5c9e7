"""Thread page speed: a signed-in gold partner reading a question with 50 answers.

One uvicorn worker on SQLite under wrk (64 connections), side by side in the same run with a bare
endpoint on the same server (the ceiling), then checks that the page is fresh right after a vote,
an edit (through the page, and by another process) and a permission change.
Issue 2's target: >= 1,500 req/s with p99 <= 100 ms.

    .venv/bin/python tests/benchmarks/bench_thread_page.py [--duration 10] [--connections 64]

Exit status: 0 measured (whatever the speed; 1 with --strict when the target is missed),
1 a correctness check failed (page incomplete, stale page), 2 it could not run (no wrk...).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

# Run as a script: this directory is sys.path[0], so the sibling modules import directly.
from bench_app import BARE_PATH
from harness import (
    SESSION_COOKIE,
    BenchError,
    Corpus,
    Server,
    WrkResult,
    clean_env,
    cpu_seconds,
    csrf_from,
    load_coffee_corpus,
    machine_busy,
    run_wrk,
    sign_in,
    wrk_path,
    wrk_version,
)

from community.accounts import directory, people
from community.actor import Actor, load_actor
from community.db import apply_migrations, close_db, init_db
from community.forum import posts, threads
from community.models import Category, User
from community.settings import Settings

TARGET_RPS = 1_500
TARGET_P99_MS = 100.0
BASELINE = "straightforward Tortoise + Jinja2 page: ~385 req/s, p99 ~270 ms; bare endpoint ~27,000 req/s"
PASSWORD = "benchmark password 1"
VIEWER_EMAIL = "pat@gold.example"
CATEGORY_SLUG = "product-setup"
ORGANISATIONS = (
    ("Gold Reseller GmbH", "gold"),
    ("Alpine Integrators AG", "gold"),
    ("Silver Systems Ltd", "silver"),
    ("Registered IT", "registered"),
)
# (e-mail, display name, role, index into ORGANISATIONS or None for the company)
AUTHORS = (
    ("erin@northwind.example", "Erin Expert", "expert", None),
    ("max@northwind.example", "Max Fischer", "expert", None),
    ("mo@northwind.example", "Mo Moderator", "moderator", None),
    ("cole@gold.example", "Cole League", "partner", 0),
    ("jo@alpine.example", "Jo Brunner", "partner", 1),
    ("lea@alpine.example", "Lea Keller", "partner", 1),
    ("sam@silver.example", "Sam Silver", "partner", 2),
    ("ana@silver.example", "Ana Costa", "partner", 2),
    ("raj@registered.example", "Raj Patel", "partner", 3),
    ("rae@registered.example", "Rae Registered", "partner", 3),
)
ASKER_EMAIL = "sam@silver.example"
STAFF_EDITOR_EMAIL = "mo@northwind.example"


@dataclass
class Scenario:
    """What was built, so the checks know what the page must show."""

    thread_id: int
    answer_ids: list[int]
    answer_texts: dict[int, str]
    authors: dict[int, int]  # post id -> author id
    scores: dict[int, int]
    viewer_id: int
    viewer_votes: set[int]
    viewer_answer_id: int  # the accepted answer: always on the first page
    staff_editor_id: int
    votes: int = 0
    timings: dict[str, float] = field(default_factory=dict)


# --- content ------------------------------------------------------------------------------------


async def _actor(user: User) -> Actor:
    actor = await load_actor(user.id)
    assert actor is not None
    return actor


async def build_content(settings: Settings, corpus: Corpus, n_answers: int, seed: int) -> Scenario:
    """Everything through the service layer, as the product would have written it."""
    await apply_migrations(settings.database_url)
    try:
        return await _build(settings, corpus, n_answers, random.Random(seed))
    finally:
        await close_db()


async def _build(settings: Settings, corpus: Corpus, n_answers: int, rng: random.Random) -> Scenario:
    orgs = [
        await directory.create_organisation(settings, None, name=name, tier=tier)
        for name, tier in ORGANISATIONS
    ]
    viewer = await people.create_user(
        settings, email=VIEWER_EMAIL, display_name="Pat Partner", role="partner",
        organisation=orgs[0], password=PASSWORD, is_org_admin=True,
    )  # fmt: skip
    users = {VIEWER_EMAIL: viewer}
    for email, name, role, org in AUTHORS:
        users[email] = await people.create_user(
            settings, email=email, display_name=name, role=role,
            organisation=orgs[org] if org is not None else None,
        )  # fmt: skip
    actors = {email: await _actor(user) for email, user in users.items()}
    await directory.create_category(
        settings, None, name="Product setup", slug=CATEGORY_SLUG,
        description="Installing, configuring and upgrading the products.",
    )  # fmt: skip

    title, body, tags = rng.choice(corpus.questions)
    start = datetime.now(UTC) - timedelta(days=30)
    thread = await threads.create_thread(
        actors[ASKER_EMAIL], category=CATEGORY_SLUG, kind="question", title=title, body=body,
        tags=tags, created_at=start,
    )  # fmt: skip

    texts = (
        rng.sample(corpus.answers, n_answers)
        if len(corpus.answers) >= n_answers
        else [rng.choice(corpus.answers) for _ in range(n_answers)]
    )
    answerers = [e for e in actors if e not in (ASKER_EMAIL, VIEWER_EMAIL)]
    viewer_slot = rng.randrange(n_answers)
    answer_ids: list[int] = []
    answer_texts: dict[int, str] = {}
    authors: dict[int, int] = {}
    when = start
    for i, text in enumerate(texts):
        email = VIEWER_EMAIL if i == viewer_slot else rng.choice(answerers)
        when += timedelta(minutes=rng.randint(5, 600))
        post = await posts.reply(actors[email], thread.id, body=text, created_at=when)
        answer_ids.append(post.id)
        answer_texts[post.id] = text
        authors[post.id] = actors[email].id

    scores = dict.fromkeys(answer_ids, 0)
    viewer_votes: set[int] = set()
    n_votes = 0
    for post_id in answer_ids:
        k = rng.choices((0, 1, 2, 3, 5, 8), weights=(30, 25, 20, 12, 8, 5))[0]
        voters = [e for e in actors if actors[e].id != authors[post_id]]
        for email in rng.sample(voters, min(k, len(voters))):
            scores[post_id] = await posts.vote(actors[email], post_id)
            n_votes += 1
            if email == VIEWER_EMAIL:
                viewer_votes.add(post_id)
    viewer_answer = answer_ids[viewer_slot]
    await posts.accept_answer(actors[ASKER_EMAIL], viewer_answer)
    return Scenario(
        thread_id=thread.id,
        answer_ids=answer_ids,
        answer_texts=answer_texts,
        authors=authors,
        scores=scores,
        viewer_id=viewer.id,
        viewer_votes=viewer_votes,
        viewer_answer_id=viewer_answer,
        staff_editor_id=users[STAFF_EDITOR_EMAIL].id,
        votes=n_votes,
    )


# --- checks on the page -------------------------------------------------------------------------


def _snippet(text: str) -> str | None:
    """Four plain words in a row from the answer: they survive Markdown rendering unchanged."""
    match = re.search(r"(?:\b[A-Za-z]{2,}\b ){3}\b[A-Za-z]{2,}\b", text)
    return match.group(0) if match else None


def answers_on_page(page: str, scenario: Scenario) -> list[int]:
    """The answers the page shows: found by their anchor (``id="p<id>"``) or, failing that, by a
    few of their words, so a template change does not silently turn the check off."""
    flat = " ".join(page.split())
    found = []
    for post_id in scenario.answer_ids:
        snippet = _snippet(scenario.answer_texts[post_id])
        if f'id="p{post_id}"' in page or (snippet and snippet in flat):
            found.append(post_id)
    return found


def post_fragment(page: str, post_id: int) -> str | None:
    start = page.find(f'id="p{post_id}"')
    if start < 0:
        return None
    end = page.find("</article>", start)
    return page[start : end if end > 0 else start + 5_000]


@dataclass
class PageCheck:
    status: int
    size: int
    answers_found: list[int]
    sets_cookie: bool
    text: str


def fetch_page(base: str, path: str, cookie: str, scenario: Scenario) -> PageCheck:
    """GET with exactly the header wrk sends (no cookie jar, no redirects followed)."""
    response = httpx.get(
        base + path, headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}, timeout=30, follow_redirects=False
    )
    return PageCheck(
        status=response.status_code,
        size=len(response.content),
        answers_found=answers_on_page(response.text, scenario) if response.status_code == 200 else [],
        sets_cookie="set-cookie" in response.headers,
        text=response.text,
    )


@dataclass
class Freshness:
    change: str
    fresh: bool | None  # None: not checked
    detail: str = ""


def check_freshness(
    base: str, cookie: str, scenario: Scenario, on_page: list[int], settings: Settings
) -> list[Freshness]:
    """Change something, then read the page as the viewer at once: the change must show."""
    path = f"/t/{scenario.thread_id}"
    results: list[Freshness] = []
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30, follow_redirects=False) as client:

        def page() -> str:
            response = client.get(path)
            if response.status_code != 200:
                raise BenchError(f"GET {path} answered {response.status_code} during the freshness checks")
            return response.text

        # 1. A helpful vote through the page's own form.
        target = next(
            (
                p
                for p in on_page
                if scenario.authors[p] != scenario.viewer_id and p not in scenario.viewer_votes
            ),
            None,
        )
        if target is None:
            results.append(Freshness("vote through the page's form", None, "no answer to vote on"))
        else:
            expected = scenario.scores[target] + 1
            response = client.post(
                f"/posts/{target}/vote",
                data={"csrf_token": csrf_from(page()), "helpful": "1", "next": path},
            )
            fragment = post_fragment(page(), target) or ""
            fresh = response.status_code == 303 and f"Helpful · {expected}" in fragment
            results.append(
                Freshness(
                    "vote through the page's form",
                    fresh,
                    f"POST answered {response.status_code}; want 'Helpful · {expected}' on answer {target}",
                )
            )

        # 2. The viewer edits their own answer through the edit form.
        marker = f"bench-fresh-{secrets.token_hex(4)}"
        own = scenario.viewer_answer_id
        response = client.post(
            f"/posts/{own}/edit",
            data={
                "csrf_token": csrf_from(page()),
                "body": f"{scenario.answer_texts[own]}\n\nUpdate: {marker}",
                "note": "benchmark freshness check",
            },
        )
        results.append(
            Freshness(
                "edit through the edit form",
                response.status_code == 303 and marker in page(),
                f"POST answered {response.status_code}",
            )
        )

    # 3. Someone else's process changes the database (another worker, the CLI): no shared memory.
    marker = f"bench-fresh-{secrets.token_hex(4)}"
    other = next((p for p in on_page if p != own), None)
    if other is None:
        results.append(Freshness("edit by another process", None, "no second answer on the page"))
    else:
        asyncio.run(_edit_elsewhere(settings, scenario, other, marker))
        results.append(
            Freshness("edit by another process (service layer)", marker in page_as(base, path, cookie))
        )

    # 4. A notification for the viewer from another process: the cached page's bell counts it.
    before = bell_count(page_as(base, path, cookie))
    asyncio.run(_mention_elsewhere(settings, scenario))
    after = bell_count(page_as(base, path, cookie))
    results.append(
        Freshness(
            "new notification: the bell's count",
            before is not None and after == before + 1,
            f"bell {before} -> {after}",
        )
    )

    # 5. A permission change: the category becomes staff-only, so the partner must get a 404.
    asyncio.run(_restrict_category(settings))
    status = httpx.get(base + path, headers=headers, timeout=30, follow_redirects=False).status_code
    results.append(Freshness("category made staff-only", status == 404, f"GET answered {status}, want 404"))
    results.append(Freshness("hide by a moderator", None, "no hide use case yet"))
    return results


def page_as(base: str, path: str, cookie: str) -> str:
    response = httpx.get(base + path, headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}, timeout=30)
    return response.text if response.status_code == 200 else ""


async def _edit_elsewhere(settings: Settings, scenario: Scenario, post_id: int, marker: str) -> None:
    await init_db(settings.database_url)
    try:
        editor = await load_actor(scenario.staff_editor_id)
        assert editor is not None
        await posts.edit_post(
            editor,
            post_id,
            body=f"{scenario.answer_texts[post_id]}\n\nModerator note: {marker}",
            note="bench",
        )
    finally:
        await close_db()


_BELL = re.compile(r'id="bell"[^>]*data-unread="(\d+)"')


def bell_count(page: str) -> int | None:
    match = _BELL.search(page)
    return int(match.group(1)) if match else None


async def _mention_elsewhere(settings: Settings, scenario: Scenario) -> None:
    """Another thread mentions the viewer: their notification, and this page's content unchanged."""
    await init_db(settings.database_url)
    try:
        editor, viewer = await load_actor(scenario.staff_editor_id), await load_actor(scenario.viewer_id)
        assert editor is not None and viewer is not None
        await threads.create_thread(
            editor, category=CATEGORY_SLUG, kind="discussion", title="Benchmark freshness: a mention",
            body=f"@{viewer.handle} have a look.",
        )  # fmt: skip
    finally:
        await close_db()


async def _restrict_category(settings: Settings) -> None:
    await init_db(settings.database_url)
    try:
        cat = await Category.get(slug=CATEGORY_SLUG)
        await directory.update_category(
            settings, None, cat, name=cat.name, description=cat.description, visibility="staff", position=None
        )
    finally:
        await close_db()


# --- report -------------------------------------------------------------------------------------


def fmt_ms(value: float) -> str:
    return f"{value:,.1f} ms" if value >= 1 else f"{value * 1000:,.0f} us"


@dataclass
class Measured:
    name: str
    wrk: WrkResult
    server_cpu: float | None  # share of one core the server used during the run


def print_table(rows: list[Measured]) -> None:
    print(
        f"  {'endpoint':<24}{'req/s':>9}{'p50':>11}{'p99':>11}{'errors':>8}{'bytes/resp':>12}"
        f"{'server CPU':>12}"
    )
    for row in rows:
        r = row.wrk
        cpu = "n/a" if row.server_cpu is None else f"{row.server_cpu:.0%}"
        print(
            f"  {row.name:<24}{r.requests_per_s:>9,.0f}{fmt_ms(r.p50):>11}{fmt_ms(r.p99):>11}"
            f"{r.errors:>8,}{r.bytes_per_response:>12,.0f}{cpu:>12}"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per endpoint (10)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per endpoint (2)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections (64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--answers", type=int, default=50, help="answers in the thread (50)")
    parser.add_argument("--seed", type=int, default=1, help="seed for choosing texts, authors, votes (1)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database, server log)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    if args.answers < 2 or args.connections < 1 or args.threads < 1 or args.duration < 1:
        parser.error("--answers >= 2, --connections >= 1, --threads >= 1, --duration >= 1")
    if args.threads > args.connections:
        parser.error("--threads must not exceed --connections (wrk needs a connection per thread)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not wrk_path():
        print("wrk is not installed. Install it with:  sudo apt-get install wrk", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="bench-thread-page-"))
    try:
        return run(args, tmp)
    except BenchError as exc:
        print(f"\nbenchmark could not run: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"\nkept {tmp} (database, server.log)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path) -> int:
    env = clean_env(
        COMMUNITY_DATA_DIR=str(tmp / "data"),
        COMMUNITY_SECRET_KEY=secrets.token_urlsafe(32),
        COMMUNITY_LOG_LEVEL="warning",
    )
    settings = Settings.from_env(env)
    corpus = load_coffee_corpus()
    print(f"Thread page benchmark: {args.answers} answers, seed {args.seed}")
    print(f"  texts from {corpus.source}")

    began = time.perf_counter()
    scenario = asyncio.run(build_content(settings, corpus, args.answers, args.seed))
    print(
        f"  built through the service layer in {time.perf_counter() - began:.1f} s: "
        f"thread {scenario.thread_id}, "
        f"{len(scenario.answer_ids)} answers by {len(set(scenario.authors.values()))} authors, "
        f"{scenario.votes} votes, 1 accepted"
    )

    path = f"/t/{scenario.thread_id}"
    expect_on_page = min(args.answers, settings.posts_per_page)
    problems: list[str] = []  # the figures or the page are wrong: exit 1
    notes: list[str] = []  # worth knowing when reading the figures
    with Server("bench_app:create_bench_app", env, tmp / "server.log", Path(__file__).parent) as server:
        with httpx.Client(base_url=server.base, timeout=30) as client:
            cookie = sign_in(client, VIEWER_EMAIL, PASSWORD, path)
        check = fetch_page(server.base, path, cookie, scenario)
        if check.status != 200:
            raise BenchError(f"GET {path} as the signed-in viewer answered {check.status}, not 200")
        found = len(check.answers_found)
        print(
            f"  {server.base}{path} as a signed-in gold partner: 200, {check.size:,} bytes, "
            f"{found} of {args.answers} answers on the page"
        )
        if found < expect_on_page:
            problems.append(
                f"the page shows {found} of the {expect_on_page} answers expected "
                f"(COMMUNITY_POSTS_PER_PAGE={settings.posts_per_page}): the figures are for a smaller page"
            )
        if check.sets_cookie:
            print("  note: the page re-issues the session cookie on every request (Set-Cookie)")

        wrk_args = {"connections": args.connections, "threads": args.threads}
        headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
        label = f"-t{args.threads} -c{args.connections} -d{args.duration:g}s"
        print(
            f"\nLoad: {wrk_version()} {label} --latency (warm-up {args.warmup:g} s each), "
            f"1 uvicorn worker, SQLite, {os.cpu_count()} CPUs shared by wrk and the server, "
            f"Python {platform.python_version()}"
        )
        busy = machine_busy()
        if busy is not None and busy > 0.15:
            notes.append(
                f"other work kept {busy:.0%} of the CPUs busy just before the run: the figures are "
                "lower and noisier than on an idle machine; compare the ratio, or re-run"
            )
        results: list[Measured] = []
        for name, url in ((f"{path} ({args.answers} answers)", path), (BARE_PATH, BARE_PATH)):
            if args.warmup > 0:
                run_wrk(server.base + url, duration=args.warmup, headers=headers, **wrk_args)
            cpu_before, began = cpu_seconds(server.pid), time.monotonic()
            result = run_wrk(server.base + url, duration=args.duration, headers=headers, **wrk_args)
            cpu_after, elapsed = cpu_seconds(server.pid), time.monotonic() - began
            share = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) / elapsed
            results.append(Measured(name, result, share))
            timeouts = result.socket_errors.get("timeout", 0)
            if result.errors - timeouts:
                problems.append(
                    f"{url}: {result.non_2xx_3xx} non-2xx/3xx responses, socket errors {result.socket_errors}"
                )
            if timeouts:
                notes.append(
                    f"{url}: {timeouts} requests took longer than wrk's 2 s timeout; "
                    "they are missing from the latency figures"
                )
        page, bare = results[0].wrk, results[1].wrk
        if page.bytes_per_response < 0.5 * check.size:
            problems.append(
                f"{path} answered {page.bytes_per_response:,.0f} bytes on average under load, "
                f"the page has {check.size:,}: redirects or errors were measured, not the page"
            )
        after = fetch_page(server.base, path, cookie, scenario)
        if after.status != 200:
            problems.append(f"after the load GET {path} answered {after.status}")

        print()
        print_table(results)
        ratio = bare.requests_per_s / page.requests_per_s if page.requests_per_s else float("inf")
        print(f"  ratio bare / thread page: {ratio:,.1f}x")
        passed = page.requests_per_s >= TARGET_RPS and page.p99 <= TARGET_P99_MS
        print(
            f"\nTarget (issue 2): >= {TARGET_RPS:,} req/s and p99 <= {TARGET_P99_MS:.0f} ms: "
            f"{'PASS' if passed else 'FAIL'} ({page.requests_per_s:,.0f} req/s, p99 {fmt_ms(page.p99)})"
        )
        print(f"Baseline (issue 2): {BASELINE}")

        print("\nFreshness right after a change (GET as the viewer at once):")
        for item in check_freshness(server.base, cookie, scenario, check.answers_found, settings):
            verdict = "not checked" if item.fresh is None else ("yes" if item.fresh else "NO")
            detail = f"  ({item.detail})" if item.detail and item.fresh is not True else ""
            print(f"  {item.change:<42} fresh: {verdict}{detail}")
            if item.fresh is False:
                problems.append(f"stale page after: {item.change}")

    if notes:
        print("\nNotes:")
        for note in notes:
            print(f"  - {note}")
    if problems:
        print("\nProblems:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
