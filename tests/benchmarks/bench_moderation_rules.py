"""The rule check on post creation: with 1,000 watched words, the time it adds per post.

Builds a fresh SQLite database in a temp folder, 1,000 watched words (900 plain words and phrases
of every action, 100 regular expressions, some limited to categories) and the confidentiality
starter set on, then creates answers through the service layer from real answers in
``../shared/data/coffee-Posts.xml`` (read at run time; generated text if it is missing): first
without the rules, then with them, alternating in rounds so both see the same machine state.
Prints p50/p95 for both, the added time, and the rule check alone. Target (issue 5): added time
per post p95 <= 2 ms.

    .venv/bin/python tests/benchmarks/bench_moderation_rules.py [--posts 400] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from community.accounts import directory
from community.db import close_db
from community.forum import posts, threads
from community.models import WatchedWord
from moderation.rules.gate import ModerationRules
from tests.benchmarks.harness import load_coffee_corpus, service_database

TARGET_MS = 2.0
ACTIONS = ("flag", "censor", "hold", "block")


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def watched_words(rng: random.Random, category_ids: list[int]) -> list[WatchedWord]:
    """1,000 words no real answer contains (so no post is refused and every word is scanned)."""
    letters = "bcdfghjklmnpqrstvwxz"
    rows = []
    for i in range(1000):
        word = "".join(rng.choice(letters) for _ in range(rng.randint(6, 10))) + f"q{i}"
        if i % 10 == 0:
            rows.append(WatchedWord(pattern=rf"\b{word}\d+", is_regex=True, action=rng.choice(ACTIONS)))
        elif i % 7 == 0:
            rows.append(WatchedWord(pattern=f"{word} {word[::-1]}", action=rng.choice(ACTIONS)))
        else:
            cats = [rng.choice(category_ids)] if i % 5 == 0 else []
            rows.append(WatchedWord(pattern=word, action=rng.choice(ACTIONS), category_ids=cats))
    return rows


async def main(n_posts: int, seed: int) -> int:
    rng = random.Random(seed)
    corpus = load_coffee_corpus()
    bodies = [a[:4000] for a in corpus.answers]
    with tempfile.TemporaryDirectory() as tmp:
        settings, actor = await service_database(Path(tmp))
        cats = [
            await directory.create_category(settings, None, name=f"Bench {i}", slug=f"bench-{i}")
            for i in range(3)
        ]
        await WatchedWord.bulk_create(watched_words(rng, [c.id for c in cats]))
        thread = await threads.create_thread(
            actor, category=cats[0].slug, kind="discussion", title="Benchmark thread", body="Start."
        )
        gate = ModerationRules()
        await gate.check_post("warm up", category_id=cats[0].id)  # compile once, as a running server has

        plain: list[float] = []
        ruled: list[float] = []
        check: list[float] = []
        for i in range(n_posts):
            body = rng.choice(bodies)
            for use_gate in (False, True) if i % 2 == 0 else (True, False):
                start = time.perf_counter()
                await posts.reply(actor, thread.id, body=body, gate=gate if use_gate else None)
                (ruled if use_gate else plain).append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            await gate.check_post(body, category_id=cats[0].id)
            check.append((time.perf_counter() - start) * 1000)
        await close_db()

    added_p95 = p(ruled, 0.95) - p(plain, 0.95)
    print(f"text: {corpus.source or 'generated'}; {n_posts} posts each way; 1,000 watched words")
    print(f"{'':28}{'p50 ms':>10}{'p95 ms':>10}")
    print(f"{'post creation, no rules':28}{statistics.median(plain):10.2f}{p(plain, 0.95):10.2f}")
    print(f"{'post creation, with rules':28}{statistics.median(ruled):10.2f}{p(ruled, 0.95):10.2f}")
    print(f"{'rule check alone':28}{statistics.median(check):10.2f}{p(check, 0.95):10.2f}")
    verdict = "PASS" if added_p95 <= TARGET_MS else "FAIL"
    print(
        f"added per post: p95 {added_p95:.2f} ms (difference of p95s); "
        f"check alone p95 {p(check, 0.95):.2f} ms"
    )
    print(f"target <= {TARGET_MS} ms: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.posts, args.seed)))
