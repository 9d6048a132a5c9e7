"""``community backup DIR`` and ``community restore DIR``: the database and the search index as one.

The index is copied first and the database second, while the server keeps running: SQLite through
its online backup API (a consistent snapshot, writers carry on), PostgreSQL through ``pg_dump``
(one transaction's snapshot). Between the two moments the server goes on writing, so the two
copies can differ by a few documents either way; ``restore`` therefore never trusts the index it
puts back: it compares it with the restored database and repairs what differs (a few changes are
applied, many mean a rebuild), and prints the comparison. A restored community never starts with
documents silently missing from search.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from community.cli.common import CommandError, open_db, safe_url
from community.settings import Settings
from community.timeutil import utcnow

MANIFEST = "manifest.json"
SQLITE_FILE = "community.sqlite3"
PG_FILE = "community.pgdump"
INDEX_DIR = "search"
FORMAT = 1
COPY_ATTEMPTS = 5  # a background merge may remove a segment file while it is being copied


def _sqlite_path(settings: Settings) -> Path:
    return Path(settings.database_url.removeprefix("sqlite://"))


def _pg_url(settings: Settings) -> str:
    return settings.database_url.replace("postgres://", "postgresql://", 1)


def _search_root(settings: Settings) -> Path:
    from community.app import search_dir

    return search_dir(settings)


async def backup(settings: Settings, args: argparse.Namespace) -> int:
    target = _new_folder(Path(args.directory))
    await open_db(settings, allow_pending=False)  # refuse a database that is not ours or not ready
    from community.db import close_db

    await close_db()
    return _write_backup(settings, target)


def _new_folder(target: Path) -> Path:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CommandError(f"{target} exists and is not an empty folder: give a new folder for the backup")
    target.mkdir(parents=True, exist_ok=True)
    return target


def _write_backup(settings: Settings, target: Path) -> int:
    started = time.perf_counter()
    documents = _copy_index(_search_root(settings), target / INDEX_DIR)
    database = _dump_database(settings, target)
    manifest = {
        "format": FORMAT,
        "created_at": utcnow().isoformat(),
        "database": "sqlite" if settings.is_sqlite else "postgresql",
        "database_file": database.name,
        "index_documents": documents,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
    print(
        f"Backed up {safe_url(settings.database_url)} and the search index ({documents:,} documents) "
        f"to {target} ({size / 1e6:,.1f} MB in {time.perf_counter() - started:.1f}s)."
    )
    print(f"Restore with: community restore {target}")
    return 0


def _copy_index(root: Path, into: Path) -> int:
    """Copy the live index directory (named by CURRENT); 0 documents when there is no index yet."""
    from search_index.engine import WhooshSearch
    from search_index.writing import CURRENT, STAGING

    for attempt in range(COPY_ATTEMPTS):
        try:
            name = (root / CURRENT).read_text().strip()
        except FileNotFoundError:
            return 0
        shutil.rmtree(into, ignore_errors=True)
        try:
            # Not a background merge's segment in progress (it is not part of the index yet).
            shutil.copytree(root / name, into / name, ignore=shutil.ignore_patterns(f"{STAGING}*"))
        except (FileNotFoundError, shutil.Error):
            time.sleep(0.2 * (attempt + 1))
            continue
        (into / CURRENT).write_text(name + "\n")
        copy = WhooshSearch(into)
        try:
            return copy.doc_count()
        except Exception:  # a table of contents copied mid-merge: copy again
            time.sleep(0.2 * (attempt + 1))
        finally:
            copy.close()
    raise CommandError(f"could not copy the search index in {root}: it kept changing; try again")


def _dump_database(settings: Settings, target: Path) -> Path:
    if settings.is_sqlite:
        out = target / SQLITE_FILE
        _sqlite_copy(_sqlite_path(settings), out)
        return out
    out = target / PG_FILE
    _run_pg_tool(["pg_dump", "--format=custom", "--no-owner", f"--file={out}", _pg_url(settings)])
    return out


def _sqlite_copy(source_path: Path, target_path: Path) -> None:
    """SQLite's online backup API: a consistent copy even while another process writes."""
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()


def _run_pg_tool(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise CommandError(
            f"{command[0]} is not installed: install the PostgreSQL client tools of the server's version "
            "(Debian: postgresql-client), or back up with your own tools (docs/deployment.md)"
        )
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CommandError(f"{command[0]} failed: {done.stderr.strip() or done.returncode}")


async def restore(settings: Settings, args: argparse.Namespace) -> int:
    source = Path(args.directory)
    manifest = _read_manifest(source)
    kind = "sqlite" if settings.is_sqlite else "postgresql"
    if manifest["database"] != kind:
        raise CommandError(
            f"this backup holds a {manifest['database']} database; COMMUNITY_DATABASE_URL names a {kind} one"
        )
    lock = await _quiet_index_lock(settings)
    try:
        _restore_database(settings, source / manifest["database_file"])
        _restore_index(source / INDEX_DIR, _search_root(settings))
        from community.db import apply_migrations, close_db

        try:
            await apply_migrations(settings.database_url)  # a backup from an older version
            from community import database_epoch

            # Every other host's index followed the database before: each rebuilds by itself.
            await database_epoch.begin_new()
            return await _reconcile(settings, lock)
        finally:
            await close_db()
    finally:
        lock.release()


def _read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise CommandError(f"{source} is not a backup made by `community backup` (no {MANIFEST})") from None
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read {source / MANIFEST}: {exc}") from None
    if manifest.get("format") != FORMAT or manifest.get("database") not in ("sqlite", "postgresql"):
        raise CommandError(f"{source / MANIFEST} is not a backup format this version reads")
    if not (source / str(manifest.get("database_file"))).is_file():
        raise CommandError(f"the backup in {source} lacks its database file {manifest.get('database_file')}")
    return manifest


async def _quiet_index_lock(settings: Settings) -> Any:
    """Restoring under a running server would mix two states: refuse unless no server indexes."""
    from community.search.indexer import IndexerLock

    root = _search_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    lock = IndexerLock(root / "indexer.lock")
    if not lock.try_acquire():
        raise CommandError("a server is running on this data (it holds the search indexer): stop it first")
    return lock


def _restore_database(settings: Settings, dump: Path) -> None:
    if settings.is_sqlite:
        path = _sqlite_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(dump, path)
        return
    _run_pg_tool(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
         f"--dbname={_pg_url(settings)}", str(dump)]
    )  # fmt: skip


def _restore_index(saved: Path, root: Path) -> None:
    """Put the saved index directory back as the live one (the one before is kept until the next
    rebuild removes it, like any replaced directory). Named ``ix-…`` like every index directory,
    so that rebuilds remove it too once it is replaced (a ``restored-…`` directory never was: each
    restore left a whole index on disk)."""
    from search_index.writing import CURRENT

    current = saved / CURRENT
    if not current.is_file():
        return  # the backup was made before the first index: the reconcile step rebuilds it
    name = current.read_text().strip()
    restored = f"ix-restored-{int(time.time())}-{name.removeprefix('ix-')}"
    shutil.rmtree(root / restored, ignore_errors=True)
    shutil.copytree(saved / name, root / restored)
    tmp = root / f"{CURRENT}.tmp"
    tmp.write_text(restored + "\n")
    os.replace(tmp, root / CURRENT)


async def _reconcile(settings: Settings, lock: Any) -> int:
    import asyncio

    from community import database_epoch
    from community.search import epoch, maintenance
    from community.search.indexer import Indexer
    from search_index.engine import WhooshSearch

    index = WhooshSearch(_search_root(settings))
    try:
        indexer = Indexer(index)
        await indexer.drain()  # changes the database copy had not indexed yet
        report = await maintenance.compare_index(index)
        print("\n".join(report.lines()))
        if not report.in_step:
            print(f"Repairing the restored index: {await maintenance.repair(index, report)}.")
        # This host's index follows the restored database: it is not rebuilt again at start.
        epoch.write(epoch.root_of(index), await database_epoch.current(), indexer.position or 0)
    finally:
        await asyncio.to_thread(index.close)
    print("Restored. Start the server as usual.")
    return 0
