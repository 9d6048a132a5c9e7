"""Relevance of search on the coffee.stackexchange.com data: MRR@10 and recall@10, ours vs FTS5.

    .venv/bin/python tests/benchmarks/relevance_search.py [--verbose]

Indexes the dump's questions and answers as the app would (threads with their answers rolled up,
answers, tag wikis left out), runs the hand-written queries of ``relevance_queries.json`` (each
with the question a partner would want) and prints, for our search and for SQLite FTS5 bm25 on the
same threads: MRR@10 (mean of 1/rank of the wanted thread, 0 when not in the first 10) and
recall@10 (share of queries whose thread is in the first 10). Results are threads: an answer hit
counts for its thread.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from search_corpus import CATEGORIES, coffee_documents, load_coffee

from search_index.engine import WhooshSearch
from search_index.schema import FIELD_BOOSTS

QUERIES = Path(__file__).resolve().parent / "relevance_queries.json"
K = 10


def load_queries() -> list[tuple[str, int]]:
    data = json.loads(QUERIES.read_text())
    return [(q["q"], int(q["id"])) for q in data["queries"]]


def ours(docs: list, root: str) -> Callable[[str], list[int]]:
    engine = WhooshSearch(root)
    engine.rebuild(docs, procs=1)
    allowed = range(1, len(CATEGORIES) + 1)

    def run(q: str) -> list[int]:
        res = engine.search(q, allowed_category_ids=allowed, per_page=K)
        return [h.thread_id for h in res.results if h.thread_id is not None]

    return run


_FTS_WORD = re.compile(r"\w+")


def fts5(coffee, mode: str) -> Callable[[str], list[int]]:
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE t USING fts5(title, body, tags, answers, "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    for q in coffee.questions.values():
        db.execute(
            "INSERT INTO t(rowid, title, body, tags, answers) VALUES (?, ?, ?, ?, ?)",
            (q.id, q.title, q.body, " ".join(q.tags), "\n".join(a.body for a in q.answers)),
        )
    db.commit()
    joiner = " OR " if mode == "or" else " "

    def run(q: str) -> list[int]:
        words = _FTS_WORD.findall(q.lower())
        if not words:
            return []
        match = joiner.join(f'"{w}"' for w in words)
        rows = db.execute(
            "SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t, 10.0, 1.0, 5.0, 1.0) LIMIT ?",
            (match, K),
        ).fetchall()
        return [r[0] for r in rows]

    return run


def measure(run: Callable[[str], list[int]], queries: list[tuple[str, int]], verbose: bool, name: str):
    rr = 0.0
    found = 0
    times = []
    for q, wanted in queries:
        t = time.perf_counter()
        got = list(dict.fromkeys(run(q)))[:K]
        times.append(time.perf_counter() - t)
        rank = got.index(wanted) + 1 if wanted in got else None
        if rank:
            rr += 1 / rank
            found += 1
        if verbose and (rank or 99) > 1:
            print(f"  {name:8} rank {rank or '-':>2}  {q!r} -> want {wanted}, got {got[:5]}")
    n = len(queries)
    return rr / n, found / n, sorted(times)[len(times) // 2] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--verbose", action="store_true", help="show each query not ranked first")
    parser.add_argument("--no-rollup", action="store_true", help="answers do not count for threads")
    parser.add_argument("--boosts", help='field weights to try, e.g. {"title": 2.0}')
    args = parser.parse_args()
    coffee = load_coffee()
    queries = load_queries()
    docs = coffee_documents(coffee)
    if args.no_rollup:
        docs = [dataclasses.replace(d, answers="") for d in docs]
    if args.boosts:
        FIELD_BOOSTS.update(json.loads(args.boosts))
    print(f"{len(queries)} queries, {len(coffee.questions)} threads, {len(docs)} documents")
    with tempfile.TemporaryDirectory() as root:
        rows = [
            ("ours (Whoosh)", measure(ours(docs, root), queries, args.verbose, "ours")),
            ("FTS5 bm25, any word", measure(fts5(coffee, "or"), queries, args.verbose, "fts-or")),
            ("FTS5 bm25, all words", measure(fts5(coffee, "and"), queries, args.verbose, "fts-and")),
        ]
    print(f"\n{'':22} {'MRR@10':>8} {'recall@10':>10} {'p50 ms':>8}")
    for name, (mrr, recall, p50) in rows:
        print(f"{name:22} {mrr:8.3f} {recall:10.3f} {p50:8.2f}")
    ours_mrr, fts_mrr = rows[0][1][0], max(rows[1][1][0], rows[2][1][0])
    print(f"\nours / best FTS5 MRR@10: {ours_mrr / fts_mrr:.2f}x" if fts_mrr else "")
    print("target MRR@10 >= 0.80:", "PASS" if ours_mrr >= 0.8 else "FAIL")


if __name__ == "__main__":
    main()
