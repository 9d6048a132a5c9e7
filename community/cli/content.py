"""Content and search: importing a Stack Exchange dump, generating a community, rebuilding and
checking the index."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from community.cli.common import CommandError
from community.settings import Settings


async def import_stackexchange(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from community.forum import importer

    bar: tqdm[Any] | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="question", file=sys.stderr, disable=None, desc="Importing")
        bar.update(done - bar.n)

    try:
        report = await importer.import_stackexchange(
            settings,
            args.posts_xml,
            category_slug=args.category,
            category_name=args.category_name,
            site=args.site,
            progress=progress,
        )
    finally:
        if bar is not None:
            bar.close()
    print("\n".join(report.lines()))
    return 0


LOCK_POLL_SECONDS = 1.0


def _corpus(source: Path) -> Any:
    from community.demo import generate as generating

    if not source.is_file():
        raise CommandError(f"no Posts.xml at {source}: name one with --from")
    try:
        return generating.read_corpus(source)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


async def generate(settings: Settings, args: argparse.Namespace) -> int:
    import time

    from tqdm import tqdm

    from community.demo import generate as generating

    if not 1 <= args.posts <= 10_000_000:
        raise CommandError(f"--posts must be between 1 and 10,000,000, not {args.posts}")
    corpus = _corpus(Path(args.source))
    started = time.perf_counter()
    with tqdm(total=args.posts, unit=" posts", file=sys.stderr, disable=None) as bar:
        written = await generating.generate(
            settings, corpus, args.posts, seed=args.seed, progress=lambda done: bar.update(done - bar.n)
        )
    seconds = time.perf_counter() - started
    rate = args.posts / seconds
    print(f"Generated {generating.rows_summary(written)} in {seconds:.1f}s ({rate:,.0f} posts/s).")
    print("The search index catches up when the server starts (or run `community reindex` now).")
    return 0


def _search_index(settings: Settings) -> Any:
    from community.app import search_dir
    from search_index.engine import WhooshSearch

    return WhooshSearch(search_dir(settings))


async def _indexer_lock(settings: Settings, *, wait: bool) -> Any:
    """The lease a server's search indexer holds: one writer per index, so repairs and rebuilds
    happen only while no server process is indexing (kept renewed while the command works)."""
    from community.app import search_dir
    from community.search.lease import KeptLease, Lease, lease_name

    lease = Lease(lease_name(search_dir(settings)))
    if not await lease.try_acquire():
        if not wait:
            raise CommandError(
                f"the search indexer is running in a server process (lease {lease.name}); "
                "stop it or use --wait"
            )
        print("The search indexer is running in a server process; waiting until it stops…", file=sys.stderr)
        while not await lease.try_acquire():  # noqa: ASYNC110 (another process holds it)
            await asyncio.sleep(LOCK_POLL_SECONDS)
    kept = KeptLease(lease)
    kept.start()
    return kept


async def reindex(settings: Settings, args: argparse.Namespace) -> int:
    import time

    from tqdm import tqdm

    from community.search import indexer, maintenance

    lock = await _indexer_lock(settings, wait=args.wait)
    try:
        index = _search_index(settings)
        bar = tqdm(
            total=await maintenance.expected_document_count(),
            unit="doc",
            file=sys.stderr,
            disable=None,
            desc="Indexing",
        )
        try:
            started = time.monotonic()
            count = await maintenance.rebuild_from_database(index, lambda done: bar.update(done - bar.n))
            # Changes committed while it ran (their outbox rows are still there).
            await indexer.Indexer(index).drain()
            seconds = time.monotonic() - started
        finally:
            bar.close()
            await asyncio.to_thread(index.close)
    finally:
        await lock.release()
    rate = count / seconds if seconds > 0 else 0.0
    print(f"Reindexed {count:,} documents in {seconds:.1f}s ({rate:,.0f} documents/s).")
    return 0


async def search_check(settings: Settings, args: argparse.Namespace) -> int:
    from community.search import maintenance

    if args.wait and not args.fix:
        raise CommandError("--wait only applies with --fix")
    index = _search_index(settings)
    try:
        report = await maintenance.compare_index(index)
        print("\n".join(report.lines()))
        if report.in_step:
            print("The search index is in step with the database.")
            return 0
        if not args.fix:
            print("Run `community search-check --fix` to repair it (or `community reindex`).")
            return 1
        lock = await _indexer_lock(settings, wait=args.wait)
        try:
            done = await maintenance.repair(index, report)
        finally:
            await lock.release()
        after = await maintenance.compare_index(index)
    finally:
        await asyncio.to_thread(index.close)
    if after.in_step:
        print(f"Repaired: {done}. The search index is in step with the database.")
        return 0
    print(f"After the repair ({done}) {after.differences:,} differences remain:")
    print("\n".join(after.lines()))
    return 1
