"""`community restore` on a deployment of several hosts (issue 13): the restore runs on one host
and puts back the shared database; every other host's index then holds what the restored database
no longer has (and lacks what it has again), and its recorded position may point past the
restored change log. Each host notices by itself, at start or while running, and rebuilds; its
/healthz does not say ok meanwhile.

Two data directories (two hosts' indexes) on one database: a SQLite file (the CLI and a server on
one machine) or, with COMMUNITY_TEST_DATABASE_URL, PostgreSQL through pg_dump/pg_restore."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from community import database_epoch
from community.actor import Actor
from community.forum import posts, threads
from community.models import IndexChange, IndexHost, Post, User
from community.search import changelog, epoch, maintenance
from community.search import indexer as indexer_module
from community.search.indexer import Indexer
from community.settings import Settings
from search_index.engine import WhooshSearch
from tests.realtime.conftest import Server, launch, wait_ready
from tests.search.test_supervised_indexer import _ask as _ask_in
from tests.test_backup import demo  # noqa: F401 (the fixture)
from tests.test_cli import Community, community  # noqa: F401 (the fixture)
from tests.waiting import WAIT_SECONDS

RESTORE_NOTICED_SECONDS = 60.0  # a running host notices at its next heartbeat (10 s), then rebuilds


def _as_expert(cli: Community, fn) -> int:  # type: ignore[no-untyped-def]
    async def go(settings: Settings) -> int:
        author = await User.filter(role="expert").select_related("organisation").first()
        assert author is not None
        return await fn(Actor.from_user(author))

    return cli.query(go)


def _ask(cli: Community, title: str) -> int:
    async def ask(actor: Actor) -> int:
        thread = await threads.create_thread(
            actor, category="product-setup", kind="question", title=title, body="Details follow."
        )
        return thread.id

    return _as_expert(cli, ask)


def _delete_thread(cli: Community, thread_id: int) -> None:
    async def delete(actor: Actor) -> int:
        opening = await Post.get(thread_id=thread_id, is_opening=True)
        await posts.delete_post(actor, opening.id)
        return 0

    _as_expert(cli, delete)


class Host:
    """Another host's data directory on the same database."""

    def __init__(self, cli: Community, root: Path) -> None:
        self.demo, self.data_dir = cli, root / "data"

    def __call__(self, *args: str) -> object:
        """A command run on this host (its own data directory, the shared database)."""
        settings = Settings.from_env()
        self.demo.monkeypatch.setenv("COMMUNITY_DATABASE_URL", settings.database_url)
        self.demo.monkeypatch.setenv("COMMUNITY_DATA_DIR", str(self.data_dir))
        try:
            return self.demo(*args)
        finally:
            self.demo.monkeypatch.setenv("COMMUNITY_DATA_DIR", str(self.demo.data_dir))

    def start_indexer(self) -> None:
        """What the server does at start: its indexer catches up (and repairs a count mismatch)."""

        async def go(settings: Settings) -> None:
            index = WhooshSearch(self.data_dir / "search")
            try:
                await Indexer(index, reconcile=maintenance.reconcile_at_start).catch_up()
            finally:
                await asyncio.to_thread(index.close)

        self.demo.query(go)

    def in_step(self) -> bool:
        return self("search-check").code == 0  # type: ignore[attr-defined]


@pytest.fixture
def other_host(demo: Community, tmp_path: Path) -> Iterator[Host]:  # noqa: F811 (the fixture)
    yield Host(demo, tmp_path / "host-b")


def _changes_after_the_backup(cli: Community, doomed: int) -> int:
    """A thread deleted and one asked: the other host's index keeps its document count, so counting
    alone does not tell it from the restored database."""
    _delete_thread(cli, doomed)
    return _ask(cli, "Quokka firmware asked after the backup")


def test_a_host_started_after_a_restore_elsewhere_rebuilds(
    demo: Community,  # noqa: F811
    other_host: Host,
    tmp_path: Path,
) -> None:
    doomed = _ask(demo, "Numbat tunnel question the backup keeps")
    assert demo("reindex").code == 0
    other_host.start_indexer()
    assert other_host.in_step()
    assert demo("backup", str(tmp_path / "b")).code == 0
    _changes_after_the_backup(demo, doomed)
    other_host.start_indexer()
    assert other_host.in_step()

    restored = demo("restore", str(tmp_path / "b"))
    assert restored.code == 0, restored.err
    assert demo("search-check").code == 0  # the restoring host's own index was repaired
    other_host.start_indexer()  # the other host, restarted
    check = other_host("search-check")
    assert check.code == 0, check.out  # type: ignore[attr-defined]
    _ask(demo, "Wombat question asked after the restore")
    other_host.start_indexer()
    assert other_host.in_step()


def _until(check: Callable[[], bool], within: float = WAIT_SECONDS, what: str = "") -> None:
    """tests.waiting.eventually for checks that run commands (each runs its own event loop)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:g} s: {what or check}")
        time.sleep(0.5)


def _launch(root: Path) -> Server:
    settings = Settings.from_env()
    world = SimpleNamespace(settings=SimpleNamespace(database_url=settings.database_url, secret_key="k" * 32))
    return wait_ready(launch(world, root))  # type: ignore[arg-type]


def _health(server: Server) -> dict:  # type: ignore[type-arg]
    return httpx.get(f"{server.base}/healthz", timeout=5).json()


def test_a_running_host_notices_a_restore_elsewhere(
    demo: Community,  # noqa: F811
    other_host: Host,
    tmp_path: Path,
) -> None:
    doomed = _ask(demo, "Numbat tunnel question the backup keeps")
    server = _launch(other_host.data_dir.parent)
    try:
        _until(other_host.in_step)
        assert demo("backup", str(tmp_path / "b")).code == 0
        _changes_after_the_backup(demo, doomed)
        _until(other_host.in_step)

        restored = demo("restore", str(tmp_path / "b"))  # the other host's server keeps running
        assert restored.code == 0, restored.err
        _ask(demo, "Wombat question asked after the restore")
        _until(other_host.in_step, RESTORE_NOTICED_SECONDS, "the running host's index follows the restore")
        assert _health(server)["status"] == "ok"
    finally:
        server.stop()
        print(server.output()[-5000:])


# -- the marks themselves, in-process (SQLite, and PostgreSQL when the suite runs on it) --------


@pytest.fixture
def host_b(tmp_path: Path) -> Iterator[Indexer]:
    index = WhooshSearch(tmp_path / "b" / "search")
    yield Indexer(index, stall_seconds=3.0)  # its heartbeat beats every second
    index.close()


def _counting_rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    rebuilds: list[int] = []
    real = indexer_module.rebuild

    async def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        rebuilds.append(1)
        return await real(*args, **kwargs)

    monkeypatch.setattr(indexer_module, "rebuild", counted)
    return rebuilds


async def _heartbeat(host: Indexer) -> None:
    await asyncio.wait_for(host._heartbeat(), 10)


async def test_a_new_epoch_is_noticed_at_the_heartbeat_and_rebuilt_at_start(
    world, host_b, monkeypatch
) -> None:
    rebuilds = _counting_rebuilds(monkeypatch)
    await _ask_in(world, "Quokka firmware bricks the router")
    await host_b.catch_up()
    assert len(rebuilds) == 1  # its first start: the index was empty
    assert epoch.read(host_b.index.root) == epoch.Record(await database_epoch.current(), host_b.position)
    await host_b.catch_up()
    assert len(rebuilds) == 1  # a restart with nothing restored: no rebuild

    await database_epoch.begin_new()  # what `community restore` does on another host
    with pytest.raises(epoch.Restored):
        await _heartbeat(host_b)
    await host_b.catch_up()  # what the supervised indexer does next
    assert len(rebuilds) == 2
    assert epoch.read(host_b.index.root).token == await database_epoch.current()  # type: ignore[union-attr]


async def test_a_position_going_back_is_noticed_running_and_at_start(world, host_b, monkeypatch) -> None:
    """A database put back by other means than `community restore` (pg_restore by hand, a SQLite
    file copied) keeps its epoch; this host's row in it is behind what the host had applied."""
    rebuilds = _counting_rebuilds(monkeypatch)
    await host_b.catch_up()
    for n in range(3):
        await _ask_in(world, f"Numbat tunnel number {n} drops")
    await host_b.drain()
    await _heartbeat_once(host_b)  # records the position beside the index
    assert epoch.read(host_b.index.root).position == host_b.position == 3  # type: ignore[union-attr]

    await IndexHost.filter(name=host_b.host).update(position=1)  # the earlier moment's row
    with pytest.raises(epoch.Restored, match="went back from 3 to 1"):
        await _heartbeat(host_b)
    before = len(rebuilds)
    restarted = Indexer(host_b.index)
    await restarted.catch_up()
    assert len(rebuilds) == before + 1

    # Without this host's row (it was added after the backup), the log's newest id tells.
    await IndexHost.filter(name=host_b.host).delete()
    await IndexChange.filter(id__gt=1).delete()
    assert await epoch.mismatch(host_b.index.root, host_b.host) is not None


async def _heartbeat_once(host: Indexer) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(host._heartbeat(), 1.5)


async def test_healthz_is_not_ok_while_the_index_is_known_incomplete(world, app, client) -> None:
    root, host = app.state.search.root, app.state.indexer.host
    assert (await client.get("/healthz")).json()["status"] == "ok"

    epoch.write(root, "the-token-before-a-restore", 0)
    restored = await client.get("/healthz")
    assert restored.status_code == 503
    assert restored.json()["status"] == "search_index_incomplete"
    assert "restored" in restored.json()["search"]["incomplete"]

    epoch.write(root, await database_epoch.current(), 7)  # a position the database has not reached
    assert (await client.get("/healthz")).json()["status"] == "search_index_incomplete"

    epoch.write(root, await database_epoch.current(), 0)
    assert (await client.get("/healthz")).status_code == 200
    await changelog.rebuilding(host)
    rebuilding = await client.get("/healthz")
    assert rebuilding.status_code == 503
    assert rebuilding.json()["search"]["incomplete"] == "the search index is being rebuilt"
    await changelog.rebuilt(host)
    back = await client.get("/healthz")
    assert back.status_code == 200 and back.json()["search"]["incomplete"] is None
