"""Several hosts without a shared disk (issue 13): each host's index follows the change log from
its own position; rows are pruned only once every registered host applied them; a host that was
forgotten while away, or whose rebuild was interrupted, rebuilds by itself; and on PostgreSQL a
change committing after a higher id was read is not skipped.

Each "host" here is an indexer over its own index directory (its name is the directory, as on
a real host); tests/search/test_two_hosts.py runs two real servers."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from community.models import IndexChange, IndexHost, IndexOutbox
from community.search import changelog, queries
from community.search import indexer as indexer_module
from community.search.indexer import Indexer
from community.search.outbox import ARTICLE, index_later
from community.timeutil import utcnow
from search_index.engine import WhooshSearch
from tests.conftest import PG_URL
from tests.search.test_supervised_indexer import _ask


@pytest.fixture
def hosts(tmp_path):  # type: ignore[no-untyped-def]
    indexes = [WhooshSearch(tmp_path / name / "search") for name in ("a", "b")]
    yield [Indexer(ix) for ix in indexes]
    for ix in indexes:
        ix.close()


async def _found(host: Indexer, world, q: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {h.doc_id for h in (await queries.search(host.index, world.actor(world.colleague), q)).results}


def _no_rebuild(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """Rebuilds are counted and not done (a test that expects none)."""
    rebuilt: list[int] = []
    monkeypatch.setattr(indexer_module, "rebuild", lambda *_: rebuilt.append(1))
    return rebuilt


async def test_every_host_applies_every_change(world, hosts) -> None:
    a, b = hosts
    first = await _ask(world, "Quokka firmware bricks the branch router")
    await a.drain()
    second = await _ask(world, "Wombat firmware bricks the branch router")
    await b.drain()
    await a.drain()
    for host in (a, b):
        assert f"thread:{first.id}" in await _found(host, world, "quokka")
        assert f"thread:{second.id}" in await _found(host, world, "wombat")
    assert not await IndexOutbox.exists()  # every change moved into the log once
    assert await IndexChange.all().count() == 2


async def test_pruning_waits_for_the_slower_host(world, hosts) -> None:
    a, b = hosts
    for host in hosts:
        await host.catch_up()  # both registered
    asked = [await _ask(world, f"Numbat tunnel number {n} drops") for n in range(3)]
    await a.drain()
    assert await changelog.prune() == 0  # b has applied none of them
    assert await IndexChange.all().count() == 3
    assert (await changelog.backlog(b.host))["backlog"] == 3
    assert (await changelog.backlog(a.host))["backlog"] == 0
    await b.drain()
    assert await changelog.prune() == 2  # the newest row stays: where pruning stopped stays visible
    assert await IndexChange.all().values_list("id", flat=True) == [await changelog.latest_id()]
    assert {f"thread:{t.id}" for t in asked} <= await _found(b, world, "numbat")


async def test_pruning_deletes_a_long_backlog_a_slice_at_a_time(world, hosts, monkeypatch) -> None:
    a, _ = hosts
    await a.catch_up()
    await IndexOutbox.bulk_create([IndexOutbox(kind=ARTICLE, object_id=n) for n in range(1, 8)])
    await a.drain()
    monkeypatch.setattr(changelog, "PRUNE_ROWS", 2)
    assert await changelog.prune() == 6
    assert await IndexChange.all().values_list("id", flat=True) == [await changelog.latest_id()]


async def test_a_host_not_seen_for_long_is_forgotten_and_rebuilds_when_back(
    world, hosts, monkeypatch
) -> None:
    a, b = hosts
    for host in hosts:
        await host.catch_up()
    # b goes away for four days; meanwhile a applies changes and prunes the log.
    await IndexHost.filter(name=b.host).update(seen_at=utcnow() - timedelta(days=4))
    missed = await _ask(world, "Bilby tunnel drops every hour")
    await _ask(world, "Another question after it")
    await a.drain()
    await changelog.prune(timedelta(hours=72))
    assert not await IndexHost.filter(name=b.host).exists()  # forgotten: no longer holds rows back
    assert await IndexChange.all().count() == 1
    rebuilds: list[int] = []
    real = indexer_module.rebuild

    async def counted(index, progress=None):  # type: ignore[no-untyped-def]
        rebuilds.append(1)
        return await real(index, progress)

    monkeypatch.setattr(indexer_module, "rebuild", counted)
    back = Indexer(b.index)  # the host starts again
    await back.catch_up()
    assert rebuilds == [1]
    assert f"thread:{missed.id}" in await _found(back, world, "bilby")
    row = await IndexHost.get(name=b.host)
    assert not row.rebuilding and row.position == await changelog.latest_id()


async def test_a_restarted_host_catches_up_from_its_position_without_rebuilding(
    world, hosts, monkeypatch
) -> None:
    a, b = hosts
    await _ask(world, "A question both hosts have")
    for host in hosts:
        await host.catch_up()
    later = await _ask(world, "Dingo tunnel drops every hour")
    await a.drain()
    await changelog.prune()
    rebuilt = _no_rebuild(monkeypatch)
    restarted = Indexer(b.index)
    await restarted.catch_up()
    assert rebuilt == []
    assert f"thread:{later.id}" in await _found(restarted, world, "dingo")


async def test_an_index_from_before_the_change_log_goes_on_without_a_rebuild(
    world, hosts, monkeypatch
) -> None:
    """Upgrading: the index is in step with the outbox it consumed, and no host has a row yet."""
    a, _ = hosts
    await _ask(world, "A question indexed before the upgrade")
    await a.drain()
    await IndexHost.all().delete()
    await IndexChange.all().delete()
    waiting = await _ask(world, "Quoll tunnel drops every hour")  # an outbox row left at the upgrade
    rebuilt = _no_rebuild(monkeypatch)
    upgraded = Indexer(a.index)
    await upgraded.catch_up()
    assert rebuilt == []
    assert f"thread:{waiting.id}" in await _found(upgraded, world, "quoll")


async def test_an_interrupted_rebuild_starts_again(world, hosts) -> None:
    a, _ = hosts
    thread = await _ask(world, "Echidna tunnel drops every hour")
    await a.catch_up()  # an empty index over a non-empty database: rebuilt
    await IndexHost.filter(name=a.host).update(rebuilding=True)  # as if it had died mid-rebuild
    await asyncio.to_thread(a.index.apply, [], [f"thread:{thread.id}"])
    again = Indexer(a.index)
    await again.catch_up()
    assert f"thread:{thread.id}" in await _found(again, world, "echidna")


async def test_a_host_forgotten_while_running_stops_and_checks_what_it_missed(world, hosts) -> None:
    a, _ = hosts
    await a.catch_up()
    await IndexHost.filter(name=a.host).delete()
    await _ask(world, "Platypus tunnel drops every hour")
    with pytest.raises(changelog.Forgotten):
        await a.drain()


async def test_healthz_shows_this_hosts_backlog_and_every_hosts_position(world, client, app, hosts) -> None:
    a, _ = hosts
    await a.catch_up()
    await _ask(world, "Question the app's indexer has not seen yet")
    await a.drain()  # another host applied it; this app's host has not
    search = (await client.get("/healthz")).json()["search"]
    assert search["backlog"] == 1
    assert search["position"] == 0
    positions = {h["name"]: h["position"] for h in search["hosts"]}
    assert positions[a.host] == await changelog.latest_id()


@pytest.mark.skipif(not PG_URL, reason="concurrent transactions need COMMUNITY_TEST_DATABASE_URL")
async def test_a_change_committing_after_a_higher_id_was_read_is_not_skipped(db, hosts) -> None:
    """On PostgreSQL an outbox id is taken at insert and seen at commit: a use case holding a low
    id open while others commit higher ones must still reach every host."""
    a, _ = hosts
    await a.catch_up()
    holding = asyncio.Event()
    release = asyncio.Event()

    async def slow_use_case() -> None:
        async with in_transaction():
            await index_later((ARTICLE, 1))
            holding.set()
            await release.wait()

    slow = asyncio.create_task(slow_use_case())
    await holding.wait()
    async with in_transaction():
        await index_later((ARTICLE, 2))
    seen: list[tuple[str, int]] = []
    real = indexer_module.changes_for

    async def spy(rows):  # type: ignore[no-untyped-def]
        seen.extend((r["kind"], r["object_id"]) for r in rows)
        return await real(rows)

    indexer_module.changes_for = spy  # type: ignore[assignment]
    try:
        assert await a.drain() == 1
        assert seen == [(ARTICLE, 2)]
        release.set()
        await slow
        assert await a.drain() == 1
        assert seen == [(ARTICLE, 2), (ARTICLE, 1)]
    finally:
        indexer_module.changes_for = real


@pytest.mark.skipif(not PG_URL, reason="concurrent transactions need COMMUNITY_TEST_DATABASE_URL")
async def test_concurrent_writers_and_hosts_lose_no_change(db, hosts, monkeypatch) -> None:
    """Eight writers commit changes in transactions of random length while two hosts sequence,
    apply and prune at once: each host applies every change, and the log is pruned behind them."""
    applied: dict[str, set[str]] = {}
    for host in hosts:
        await host.catch_up()
        seen = applied[host.host] = set()

        def apply(upserts, deletes, real=host.index.apply, seen=seen):  # type: ignore[no-untyped-def]
            seen.update(deletes)  # changes to articles that do not exist: their documents go
            real(upserts, deletes)

        monkeypatch.setattr(host.index, "apply", apply)

    async def follow(host: Indexer, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if not await host.drain_once():
                await asyncio.sleep(0.005)
            await changelog.prune()

    written: list[str] = []

    async def writer(w: int) -> None:
        rng = random.Random(w)
        for n in range(25):
            object_id = 1000 + w * 100 + n
            async with in_transaction():
                await index_later((ARTICLE, object_id))
                await asyncio.sleep(rng.random() * 0.02)  # other writers commit meanwhile
            written.append(f"article:{object_id}")

    stop = asyncio.Event()
    followers = [asyncio.create_task(follow(h, stop)) for h in hosts]
    await asyncio.gather(*(writer(w) for w in range(8)))
    # The followers stop before the final drains: a host is drained by one task at a time, as in
    # the app (two tasks draining one host at once could each set its position, the older last).
    stop.set()
    await asyncio.gather(*followers)
    for host in hosts:
        await host.drain()
    assert len(written) == 200
    for host in hosts:
        assert host.position == await changelog.latest_id()
        assert set(written) <= applied[host.host], sorted(set(written) - applied[host.host])[:5]
    await changelog.prune()
    assert await IndexChange.all().count() == 1
