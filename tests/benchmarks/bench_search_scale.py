"""Search memory and latency on a host with several workers: what each worker holds, and what is shared.

    # an index built by `community reindex` (e.g. after `community generate --posts 1000000`):
    .venv/bin/python tests/benchmarks/bench_search_scale.py --index DATA_DIR/search --baseline main~1
    # or a synthetic index of N documents built first from ../shared/data (kept with --keep DIR):
    .venv/bin/python tests/benchmarks/bench_search_scale.py --docs 100000 --baseline main~1

Starts ``--workers`` processes that each open the index as the app's workers do
(``WhooshSearch`` + ``warm(80)``), then answer the same realistic queries (drawn from the index's
own titles, tags and authors: words, phrases, operators, misspellings, sorts, pages 2-3, a
restricted permission set for a quarter; results highlighted as the product shows them). All workers
answer at once (as a busy host's would), then the first answers them again alone (its steady
state). While every worker is alive and has served its queries, each one's memory is read from
``/proc/PID/smaps_rollup``: resident (Rss), proportional (Pss: shared pages divided among the
processes mapping them, so the workers' Pss add up to what the host spends), shared and private.
Then single-change freshness: this process applies one new document and the first worker searches
until it finds it (the document is deleted again at the end).

With ``--baseline REF`` the same is measured first with the ``search_index`` package of that git
revision (the engine before a change), in the same run, on the same index. Linux only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
WARM_TERMS = 80  # what the app reads at start (community.app.SEARCH_WARM_TERMS)
TARGET_HOST_MB = 4096
TARGET_P95_MS = 100.0
TARGET_FRESH_S = 1.0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def memory(pid: int) -> dict[str, int]:
    """kB figures of a process from /proc/PID/smaps_rollup."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            out[parts[0].rstrip(":")] = int(parts[1])
    return out


# -- a worker process --------------------------------------------------------------------------


def worker(root: str, index: str) -> None:
    """Runs in a child process: commands on stdin, one JSON answer per line on stdout."""
    sys.path.insert(0, root)
    from search_index.engine import WhooshSearch

    engine = WhooshSearch(index)
    started = time.perf_counter()
    engine.warm(WARM_TERMS)
    reply(
        {
            "warm_s": time.perf_counter() - started,
            "engine": str(Path(sys.modules["search_index"].__file__ or "").parent),
        }
    )
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["do"] == "queries":
            wall, cpu = [], []
            for q in cmd["queries"]:
                c, t = time.process_time(), time.perf_counter()
                engine.search(q["q"], allowed_category_ids=q["allowed"], page=q["page"], sort=q["sort"])
                wall.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
            reply({"wall": wall, "cpu": cpu})
        elif cmd["do"] == "find":
            t0 = cmd["since"]
            while not engine.search(cmd["word"], allowed_category_ids=cmd["allowed"]).total:
                if time.time() - t0 > 30:
                    break
                time.sleep(0.005)
            reply({"found_s": time.time() - t0})
        elif cmd["do"] == "exit":
            break
    engine.close()


def reply(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Worker:
    def __init__(self, root: Path, index: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(root), "--index", str(index)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=str(root),
        )  # fmt: skip

    def send(self, **cmd: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {self.proc.pid} ended (exit code {self.proc.wait()})")
        return json.loads(line)  # type: ignore[no-any-return]

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send(do="exit")
                self.proc.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


# -- queries from the index itself ------------------------------------------------------------


@dataclass(frozen=True)
class _Doc:
    kind: str
    title: str
    tags: tuple[str, ...]
    author: str


def queries_from_index(index: Path, n: int, seed: int) -> tuple[list[dict[str, Any]], list[int]]:
    """``n`` realistic queries (bench_search's mix) over titles, tags and authors sampled from the
    index, and every category id in it."""
    sys.path.insert(0, str(REPO / "tests" / "benchmarks"))
    from bench_search import LIMITED, make_queries

    from search_index.engine import WhooshSearch
    from search_index.schema import D_AUTHOR, D_KIND, D_TAGS, D_TITLE

    engine = WhooshSearch(index)
    rng = random.Random(seed)
    try:
        reader = engine._current_snapshot().searcher.reader()
        total = reader.doc_count_all()
        docs: list[_Doc] = []
        for docnum in rng.sample(range(total), min(total, 6000)):
            if reader.is_deleted(docnum):
                continue
            data = reader.stored_fields(docnum)["data"]
            if data[D_KIND] == "thread":
                docs.append(_Doc("thread", data[D_TITLE], tuple(data[D_TAGS]), data[D_AUTHOR]))
        categories = sorted({int(c) for c in reader.field_terms("cat")})
    finally:
        engine.close()
    limited = categories[: max(1, len(categories) * 3 // 4)]
    out = []
    for bq in make_queries(docs, n, seed):  # type: ignore[arg-type]
        allowed = limited if bq.allowed == LIMITED else categories
        out.append({"q": bq.q, "allowed": allowed, "sort": bq.sort, "page": bq.page})
    return out, categories


# -- one measurement -------------------------------------------------------------------------


def measure(
    root: Path,
    index: Path,
    workers_n: int,
    args: argparse.Namespace,
    queries: list[dict[str, Any]],
    categories: list[int],
) -> dict[str, Any]:
    workers = [Worker(root, index) for _ in range(workers_n)]
    try:
        started = [w.read() for w in workers]
        for w in workers:
            w.send(do="queries", queries=queries)
        busy = [w.read() for w in workers]
        workers[0].send(do="queries", queries=queries)
        alone = workers[0].read()
        mem = [memory(w.proc.pid) for w in workers]
        fresh = freshness(index, workers[0], categories, args.fresh)
    finally:
        for w in workers:
            w.stop()
    return {
        "engine": started[0]["engine"],
        "warm_s": statistics.median(s["warm_s"] for s in started),
        "busy_wall": [t for b in busy for t in b["wall"]],
        "busy_cpu": [t for b in busy for t in b["cpu"]],
        "wall": alone["wall"],
        "cpu": alone["cpu"],
        "mem": mem,
        "fresh": fresh,
    }


def freshness(index: Path, reader: Worker, categories: list[int], rounds: int) -> list[float]:
    """This process writes one new document at a time; the worker searches until it finds it."""
    from search_index.documents import SearchDocument
    from search_index.engine import WhooshSearch

    engine = WhooshSearch(index)
    out = []
    ids = []
    try:
        for i in range(rounds):
            word = f"scalefresh{i}x{os.getpid()}"
            now = datetime.now(UTC)
            doc = SearchDocument(
                doc_id=f"thread:{990_000_000 + i}", kind="thread", thread_id=990_000_000 + i,
                title=f"Fresh question {word}", body="A new question.", category="bench",
                category_id=categories[0], author="bench", created_at=now, updated_at=now, url="/t/0",
            )  # fmt: skip
            ids.append(doc.doc_id)
            since = time.time()
            engine.apply([doc], [])
            reader.send(do="find", word=word, allowed=categories, since=since)
            out.append(reader.read()["found_s"])
            time.sleep(0.1)
        engine.apply([], ids)
    finally:
        engine.close()
    return out


def print_run(name: str, r: dict[str, Any]) -> float:
    print(f"\n{name}: {r['engine']}; start-up warm-up {r['warm_s']:.1f} s (median of workers)")
    print(f"  {'worker':>6} {'Rss MB':>8} {'Pss MB':>8} {'Shared MB':>10} {'Private MB':>11} {'Anon MB':>8}")
    total = 0.0
    for i, m in enumerate(r["mem"]):
        shared = (m.get("Shared_Clean", 0) + m.get("Shared_Dirty", 0)) / 1024
        private = (m.get("Private_Clean", 0) + m.get("Private_Dirty", 0)) / 1024
        total += m.get("Pss", 0) / 1024
        print(
            f"  {i:>6} {m.get('Rss', 0) / 1024:>8.0f} {m.get('Pss', 0) / 1024:>8.0f} {shared:>10.0f} "
            f"{private:>11.0f} {m.get('Anonymous', 0) / 1024:>8.0f}"
        )
    print(f"  host total (sum of Pss): {total:,.0f} MB for {len(r['mem'])} workers")
    ms = 1000
    print(
        f"  query alone (one worker, warm): p50 {percentile(r['wall'], 50) * ms:.1f} ms, "
        f"p95 {percentile(r['wall'], 95) * ms:.1f} ms; CPU p50 {percentile(r['cpu'], 50) * ms:.1f} ms, "
        f"p95 {percentile(r['cpu'], 95) * ms:.1f} ms"
    )
    print(
        f"  query, all workers at once: p50 {percentile(r['busy_wall'], 50) * ms:.1f} ms, "
        f"p95 {percentile(r['busy_wall'], 95) * ms:.1f} ms; "
        f"CPU p50 {percentile(r['busy_cpu'], 50) * ms:.1f} ms, "
        f"p95 {percentile(r['busy_cpu'], 95) * ms:.1f} ms"
    )
    print(
        f"  freshness (one change, found by another process): p50 {percentile(r['fresh'], 50) * ms:.0f} ms, "
        f"p95 {percentile(r['fresh'], 95) * ms:.0f} ms"
    )
    return total


def export(ref: str, into: Path) -> Path:
    """The ``search_index`` package as it was at git revision ``ref``."""
    archive = into / "baseline.tar"
    with archive.open("wb") as f:
        subprocess.run(["git", "-C", str(REPO), "archive", ref, "search_index"], stdout=f, check=True)
    root = into / "baseline"
    root.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(root, filter="data")
    return root


def build_synthetic(n: int, into: Path) -> None:
    sys.path.insert(0, str(REPO / "tests" / "benchmarks"))
    from search_corpus import load_coffee, synthetic_corpus

    from search_index.engine import WhooshSearch

    t = time.perf_counter()
    engine = WhooshSearch(into)
    engine.rebuild(synthetic_corpus(load_coffee(), n, seed=42))
    engine.close()
    print(f"synthetic index of {n:,} documents built in {time.perf_counter() - t:.0f} s at {into}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, help="an index directory (COMMUNITY_DATA_DIR/search)")
    parser.add_argument("--docs", type=int, help="build a synthetic index of this many documents first")
    parser.add_argument("--keep", type=Path, help="with --docs: build it here and keep it")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--fresh", type=int, default=20, help="single-change freshness rounds")
    parser.add_argument("--baseline", metavar="REF", help="also measure search_index as of this git revision")
    parser.add_argument(
        "--baseline-workers", type=int, help="workers for the baseline (default --workers; fewer when it "
        "would not fit in memory: its workers hold nearly nothing in common, so scale its total)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, str(args.index))
        return
    sys.path.insert(0, str(REPO))
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        index = args.index
        if index is None:
            if not args.docs:
                parser.error("give --index or --docs")
            index = args.keep or tmp / "search"
            build_synthetic(args.docs, index)
        queries, categories = queries_from_index(index, args.queries, args.seed)
        from search_index.engine import WhooshSearch

        probe = WhooshSearch(index)
        size = probe.doc_count()
        probe.close()
        on_disk = sum(f.stat().st_size for f in index.rglob("*") if f.is_file())
        print(
            f"index {index}: {size:,} documents, {on_disk / 1e6:,.0f} MB on disk; {args.workers} workers, "
            f"{len(queries)} queries; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
        )
        results = []
        if args.baseline:
            results.append(
                (
                    f"baseline ({args.baseline})",
                    measure(
                        export(args.baseline, tmp),
                        index,
                        args.baseline_workers or args.workers,
                        args,
                        queries,
                        categories,
                    ),
                )
            )
        results.append(("this checkout", measure(REPO, index, args.workers, args, queries, categories)))
        totals = [print_run(name, r) for name, r in results]
        print(f"\nload average {os.getloadavg()[0]:.1f} at end")
        if len(results) == 2:
            (_, a), (_, b) = results
            print(
                f"this checkout / baseline: host memory {totals[1] / totals[0]:.2f}x, "
                f"query p50 {percentile(b['wall'], 50) / percentile(a['wall'], 50):.2f}x, "
                f"p95 {percentile(b['wall'], 95) / percentile(a['wall'], 95):.2f}x"
            )
        last = results[-1][1]
        checks = [
            (
                f"host search memory <= {TARGET_HOST_MB:,} MB ({args.workers} workers)",
                totals[-1] <= TARGET_HOST_MB,
            ),
            (
                f"query p95 <= {TARGET_P95_MS:.0f} ms (one worker, warm)",
                percentile(last["wall"], 95) * 1000 <= TARGET_P95_MS,
            ),
            (f"freshness p95 <= {TARGET_FRESH_S:.0f} s", percentile(last["fresh"], 95) <= TARGET_FRESH_S),
        ]
        for name, ok in checks:
            print(f"{'PASS' if ok else 'FAIL'}  {name}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
