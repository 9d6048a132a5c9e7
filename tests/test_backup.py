"""`community backup DIR` and `community restore DIR`: the database and the search index come back
together, and an index from another moment than its database is noticed and repaired (by restore,
and by the indexer at start-up), never left silently incomplete."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from community.actor import Actor
from community.forum import threads
from community.models import Thread, User
from community.search import maintenance
from community.search.indexer import Indexer, IndexerLock
from community.settings import Settings
from search_index.engine import WhooshSearch
from tests.conftest import PG_URL
from tests.test_cli import Community, community  # noqa: F401 (the fixture)


def _ask(demo: Community, title: str) -> int:
    async def go(settings: Settings) -> int:
        author = await User.filter(role="expert").select_related("organisation").first()
        assert author is not None
        thread = await threads.create_thread(
            Actor.from_user(author), category="product-setup", kind="question", title=title, body="Details."
        )
        return thread.id

    return demo.query(go)


def _count_threads(demo: Community) -> int:
    async def go(settings: Settings) -> int:
        return await Thread.all().count()

    return demo.query(go)


@pytest.fixture
def demo(community: Community) -> Iterator[Community]:  # noqa: F811
    name = _pg_db() if PG_URL else None
    if PG_URL:
        community.monkeypatch.setenv("COMMUNITY_DATABASE_URL", PG_URL.rpartition("/")[0] + "/" + name)
    assert community("migrate").code == 0
    assert community("demo").code == 0
    assert community("reindex").code == 0
    yield community
    if PG_URL:
        from tests.conftest import _pg_admin

        _pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_db() -> str:
    """A database of its own (the CLI writes through its own connections), made from scratch."""
    import uuid

    from tests.conftest import _pg_admin

    name = f"community_backup_{uuid.uuid4().hex[:8]}"
    assert PG_URL
    _pg_admin(PG_URL, f'CREATE DATABASE "{name}"')
    return name


def test_restore_brings_back_the_database_and_its_index(demo: Community, tmp_path: Path) -> None:
    before = _count_threads(demo)
    made = demo("backup", str(tmp_path / "b1"))
    assert made.code == 0, made.err
    assert "Backed up" in made.out and f"community restore {tmp_path / 'b1'}" in made.out
    manifest = json.loads((tmp_path / "b1" / "manifest.json").read_text())
    assert manifest["index_documents"] > 0

    _ask(demo, "A question asked after the backup")
    assert _count_threads(demo) == before + 1
    restored = demo("restore", str(tmp_path / "b1"))
    assert restored.code == 0, restored.err
    assert _count_threads(demo) == before
    check = demo("search-check")
    assert check.code == 0, check.out


def test_the_restored_index_directory_goes_once_replaced(demo: Community, tmp_path: Path) -> None:
    """Rebuilds remove replaced index directories; the restored one too (before: it stayed, a
    whole index left on disk by every restore)."""
    search = demo.data_dir / "search"
    assert demo("backup", str(tmp_path / "b")).code == 0
    assert demo("restore", str(tmp_path / "b")).code == 0
    restored = (search / "CURRENT").read_text().strip()
    assert "restored" in restored and (search / restored).is_dir()
    for _ in range(2):  # the directory before the live one is kept for readers still on it
        assert demo("reindex").code == 0
    assert not (search / restored).exists()
    assert [d.name for d in search.iterdir() if d.is_dir() and "restored" in d.name] == []


def test_an_index_from_another_moment_is_repaired_on_restore(demo: Community, tmp_path: Path) -> None:
    assert demo("backup", str(tmp_path / "older")).code == 0
    for n in range(3):
        _ask(demo, f"Newer question number {n} about VLAN trunking")
    assert demo("reindex").code == 0
    assert demo("backup", str(tmp_path / "newer")).code == 0
    # The database of the first moment with the index of the second: what a backup taken while
    # the server kept writing (or files copied by hand) can hold.
    shutil.rmtree(tmp_path / "older" / "search")
    shutil.copytree(tmp_path / "newer" / "search", tmp_path / "older" / "search")
    restored = demo("restore", str(tmp_path / "older"))
    assert restored.code == 0, restored.err
    assert "extra:" in restored.out and "Repairing the restored index" in restored.out
    assert demo("search-check").code == 0


def test_the_indexer_repairs_an_index_that_does_not_match_at_start(demo: Community, tmp_path: Path) -> None:
    """Files put back by hand, with no `restore`: the server's indexer notices at start."""
    if PG_URL:
        pytest.skip("copying the database file by hand is a SQLite matter")
    assert demo("backup", str(tmp_path / "b")).code == 0
    for n in range(2):
        _ask(demo, f"Question {n} the old database never saw")
    assert demo("reindex").code == 0
    shutil.copyfile(tmp_path / "b" / "community.sqlite3", demo.data_dir / "community.sqlite3")
    assert demo("search-check").code == 1  # two documents too many

    async def start(settings: Settings) -> None:
        index = WhooshSearch(demo.data_dir / "search")
        lock = IndexerLock(demo.data_dir / "search" / "indexer.lock")
        assert lock.try_acquire()
        try:
            await Indexer(index, reconcile=maintenance.reconcile_at_start).catch_up()
        finally:
            lock.release()
            await asyncio.to_thread(index.close)

    demo.query(start)
    assert demo("search-check").code == 0


def test_restore_refuses_what_it_cannot_do_with_a_clear_message(demo: Community, tmp_path: Path) -> None:
    not_a_backup = tmp_path / "photos"
    not_a_backup.mkdir()
    result = demo("restore", str(not_a_backup))
    assert result.code == 2 and "not a backup made by `community backup`" in result.err

    assert demo("backup", str(tmp_path / "b")).code == 0
    again = demo("backup", str(tmp_path / "b"))
    assert again.code == 2 and "not an empty folder" in again.err

    manifest = tmp_path / "b" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["database"] = "sqlite" if data["database"] == "postgresql" else "postgresql"
    manifest.write_text(json.dumps(data))
    other = demo("restore", str(tmp_path / "b"))
    assert other.code == 2 and "COMMUNITY_DATABASE_URL" in other.err


def test_restore_refuses_while_a_server_indexes_this_data(demo: Community, tmp_path: Path) -> None:
    assert demo("backup", str(tmp_path / "b")).code == 0
    before = _count_threads(demo)
    server_lock = IndexerLock(demo.data_dir / "search" / "indexer.lock")
    assert server_lock.try_acquire()
    try:
        _ask(demo, "Asked while the server runs")
        result = demo("restore", str(tmp_path / "b"))
    finally:
        server_lock.release()
    assert result.code == 2 and "stop it first" in result.err
    assert _count_threads(demo) == before + 1  # nothing was touched
