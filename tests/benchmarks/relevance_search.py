"""Relevance of search on the frozen dev set (issue 12): the product beside two plain baselines.

    .venv/bin/python tests/benchmarks/relevance_search.py [--verbose] [--show-heldout | --tune-only]

Builds the product as a deployment would have it: a fresh SQLite database, the demo content
(``community demo``), the coffee.stackexchange.com dump imported with ``community
import-stackexchange``, and the search index rebuilt from the database as ``community reindex``
does it. Then runs every query of ``relevance_dev_set.json`` (written from question bodies only,
frozen before any ranking change; see ``relevance_dev_set.md``) through the search service
``GET /api/v1/search`` calls, as an administrator (who may see every category), and prints
MRR@10 (mean of 1/rank of the wanted thread, 0 when not in the first 10) and recall@10 (share of
queries whose thread is in the first 10), per half (``tune``, ``heldout``), for:

- the product (results are threads: the first hit belonging to the wanted thread counts; an
  article counts for the thread it was promoted from);
- plain Whoosh BM25F, an OR query of the stemmed words, one document per thread (title boost 2,
  question body, the answers in a field of their own), stock ``StemmingAnalyzer``;
- SQLite FTS5 bm25, any word (OR), porter stemming, one row per thread (title weight 2).

Both baselines index the same threads the product does, read from the documents the product's
indexer builds. ``--verbose`` lists the tune queries not ranked first; the held-out half's
failures are shown only with ``--show-heldout`` (read them at the end, not while tuning), and
``--tune-only`` leaves the held-out half out altogether (the runs made while tuning: a change is
judged on the tune half, and the held-out figures are read only when it is about to land).
Also ``similar``: MRR@10 of the "similar questions" list (``WhooshSearch.similar``, limit 10)
for the same queries, as a second reading of the same ranking.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

DEV_SET = Path(__file__).with_name("relevance_dev_set.json")
DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "coffee-Posts.xml"
K = 10
HALVES = ("tune", "heldout")


@dataclass
class Query:
    text: str
    thread_id: int
    style: str
    half: str


@dataclass
class Score:
    mrr: float
    recall: float
    p50_ms: float
    n: int


@dataclass
class Product:
    search: Callable[[str], list[int]]
    similar: Callable[[str], list[int]]
    threads: list[dict[str, object]]  # thread documents: thread_id, title, body, answers, tags
    queries: list[Query]
    build_s: float
    close: Callable[[], None]


async def _build_product(folder: Path) -> Product:
    from community.actor import Actor
    from community.db import apply_migrations
    from community.demo.loader import load_demo
    from community.forum.importer import import_stackexchange
    from community.models import Article, Thread, User
    from community.search import queries as search_queries
    from community.search.indexer import rebuild_from_database
    from community.search.sources import all_documents
    from community.settings import Settings
    from search_index.engine import WhooshSearch

    url = f"sqlite://{folder / 'relevance.sqlite3'}"
    await apply_migrations(url)
    settings = Settings.from_env(
        {"COMMUNITY_DATA_DIR": str(folder), "COMMUNITY_DATABASE_URL": url, "COMMUNITY_SECRET_KEY": "bench"}
    )
    await load_demo(settings)
    await import_stackexchange(settings, DATA, category_slug="coffee", category_name="Coffee")
    index = WhooshSearch(folder / "search")
    started = time.perf_counter()
    await rebuild_from_database(index)
    build_s = time.perf_counter() - started
    admin = await User.filter(role="admin").select_related("organisation").first()
    assert admin is not None
    actor = Actor.from_user(admin)

    # Which thread each dev-set entry wants: coffee by the dump's question Id, demo by title.
    by_ref = dict(await Thread.filter(source_ref__startswith="se:").values_list("source_ref", "id"))
    by_se_id = {int(ref.rsplit(":", 1)[1]): tid for ref, tid in by_ref.items()}
    by_title = dict(await Thread.filter(source_ref=None).values_list("title", "id"))
    article_thread = dict(await Article.all().values_list("id", "source_thread_id"))
    queries = []
    for entry in json.loads(DEV_SET.read_text(encoding="utf-8")):
        wanted = by_se_id[entry["id"]] if entry["source"] == "coffee" else by_title[entry["id"]]
        queries.append(Query(entry["query"], wanted, entry["style"], entry["half"]))

    threads = []
    async for batch in all_documents():
        for d in batch:
            if d.kind == "thread":
                threads.append(
                    {
                        "id": d.thread_id,
                        "title": d.title,
                        "body": d.body,
                        "answers": d.answers,
                        "tags": d.tags,
                    }
                )

    def thread_of(hit: object) -> int | None:
        if getattr(hit, "thread_id", None) is not None:
            return hit.thread_id  # type: ignore[attr-defined]
        return article_thread.get(getattr(hit, "article_id", None))

    loop = asyncio.get_running_loop()

    def search(q: str) -> list[int]:
        future = asyncio.run_coroutine_threadsafe(search_queries.search(index, actor, q, per_page=K), loop)
        found = future.result()
        return [t for t in map(thread_of, found.results) if t is not None]

    def similar(q: str) -> list[int]:
        future = asyncio.run_coroutine_threadsafe(search_queries.similar(index, actor, q, limit=K), loop)
        return [t for t in map(thread_of, future.result()) if t is not None]

    return Product(search, similar, threads, queries, build_s, index.close)


def whoosh_baseline(threads: list[dict[str, object]], folder: Path) -> Callable[[str], list[int]]:
    """Plain Whoosh: BM25F, OR of the query's words, stemming, one document per thread."""
    from whoosh import fields, index, qparser, scoring
    from whoosh.analysis import StemmingAnalyzer

    analyzer = StemmingAnalyzer()
    schema = fields.Schema(
        id=fields.NUMERIC(stored=True, unique=True),
        title=fields.TEXT(analyzer=analyzer, field_boost=2.0),
        body=fields.TEXT(analyzer=analyzer),
        answers=fields.TEXT(analyzer=analyzer),
        tags=fields.KEYWORD(lowercase=True, scorable=True),
    )
    folder.mkdir()
    ix = index.create_in(str(folder), schema)
    with ix.writer() as w:
        for t in threads:
            w.add_document(
                id=t["id"], title=t["title"], body=t["body"], answers=t["answers"], tags=" ".join(t["tags"])
            )
    searcher = ix.searcher(weighting=scoring.BM25F())
    parser = qparser.MultifieldParser(["title", "body", "answers", "tags"], ix.schema, group=qparser.OrGroup)

    def run(q: str) -> list[int]:
        words = re.findall(r"\w+", q)
        if not words:
            return []
        return [hit["id"] for hit in searcher.search(parser.parse(" ".join(words)), limit=K)]

    return run


def fts5_baseline(threads: list[dict[str, object]]) -> Callable[[str], list[int]]:
    """SQLite FTS5 bm25, any word, porter stemming, one row per thread."""
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute(
        "CREATE VIRTUAL TABLE t USING fts5(title, body, tags, answers, "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    db.executemany(
        "INSERT INTO t(rowid, title, body, tags, answers) VALUES (?, ?, ?, ?, ?)",
        [(t["id"], t["title"], t["body"], " ".join(t["tags"]), t["answers"]) for t in threads],
    )
    db.commit()

    def run(q: str) -> list[int]:
        words = re.findall(r"\w+", q.lower())
        if not words:
            return []
        rows = db.execute(
            "SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t, 2.0, 1.0, 1.0, 1.0) LIMIT ?",
            (" OR ".join(f'"{w}"' for w in words), K),
        ).fetchall()
        return [r[0] for r in rows]

    return run


TITLES: dict[int, str] = {}  # thread id -> title, for the failure listings


def measure(
    run: Callable[[str], list[int]],
    queries: list[Query],
    name: str,
    show: set[str],
    halves: tuple[str, ...] = HALVES,
) -> dict[str, Score]:
    out: dict[str, Score] = {}
    for half in halves:
        rr, found, times = 0.0, 0, []
        chosen = [q for q in queries if q.half == half]
        for q in chosen:
            t = time.perf_counter()
            got = list(dict.fromkeys(run(q.text)))[:K]
            times.append(time.perf_counter() - t)
            rank = got.index(q.thread_id) + 1 if q.thread_id in got else None
            if rank:
                rr += 1 / rank
                found += 1
            if half in show and (rank or 99) > 1:
                print(
                    f"  {name:8} {half:7} rank {rank or '-':>2}  [{q.style}] {q.text!r}"
                    f" -> {TITLES.get(q.thread_id)!r}; got {[TITLES.get(t) for t in got[:3]]}"
                )
        n = len(chosen)
        out[half] = Score(rr / n, found / n, statistics.median(times) * 1000, n)
    return out


async def _main(args: argparse.Namespace) -> list[tuple[str, dict[str, Score]]]:
    from community.db import close_db

    halves = ("tune",) if args.tune_only else HALVES

    show = set()
    if args.verbose:
        show.add("tune")
    if args.show_heldout:
        show.add("heldout")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        product = await _build_product(folder)
        queries = product.queries
        TITLES.update((int(t["id"]), str(t["title"])) for t in product.threads)  # type: ignore[call-overload]
        print(
            f"{len(queries)} queries ({sum(q.half == 'tune' for q in queries)} tune, "
            f"{sum(q.half == 'heldout' for q in queries)} heldout), {len(product.threads)} threads; "
            f"product index built in {product.build_s:.1f}s"
        )
        rows = [
            ("product", await asyncio.to_thread(measure, product.search, queries, "product", show, halves)),
            (
                "product similar",
                await asyncio.to_thread(measure, product.similar, queries, "similar", set(), halves),
            ),
            (
                "Whoosh BM25F OR",
                measure(
                    whoosh_baseline(product.threads, folder / "baseline"), queries, "whoosh", show, halves
                ),
            ),
            ("FTS5 bm25 OR", measure(fts5_baseline(product.threads), queries, "fts5", show, halves)),
        ]
        product.close()
        await close_db()
    print(
        f"\n{'':18}" + "".join(f" {h + ' MRR@10':>15} {'recall@10':>10}" for h in halves) + f" {'p50 ms':>7}"
    )
    for name, scores in rows:
        cells = "".join(f" {scores[h].mrr:15.3f} {scores[h].recall:10.3f}" for h in halves)
        print(f"{name:18}{cells} {scores[halves[-1]].p50_ms:7.2f}")
    if "heldout" not in halves:
        return rows
    ours, base = rows[0][1]["heldout"], rows[2][1]["heldout"]
    print(
        f"\nheldout: product - Whoosh baseline MRR@10 = {ours.mrr - base.mrr:+.3f} (target >= +0.10), "
        f"recall@10 = {ours.recall:.3f} (target >= 0.95)"
    )
    return rows


def _write_json(path: str, rows: list[tuple[str, dict[str, Score]]]) -> None:
    figures = {name: {h: vars(s) for h, s in scores.items()} for name, scores in rows}
    Path(path).write_text(json.dumps(figures, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--verbose", action="store_true", help="list the tune queries not ranked first")
    halves = parser.add_mutually_exclusive_group()
    halves.add_argument("--show-heldout", action="store_true", help="also list the held-out failures")
    halves.add_argument(
        "--tune-only", action="store_true", help="measure the tune half only (runs made while tuning)"
    )
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"needs the coffee dump at {DATA}")
    rows = asyncio.run(_main(args))
    if args.json:
        _write_json(args.json, rows)


if __name__ == "__main__":
    main()
