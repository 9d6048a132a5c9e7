"""The search index follows the database through the outbox, survives crashes and rebuilds."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from community.forum import posts, thread_page, threads
from community.models import IndexOutbox
from community.search import queries
from community.search.indexer import Indexer, rebuild
from community.search.lease import Lease, lease_name
from search_index.engine import WhooshSearch


@pytest.fixture
def index(tmp_path):  # type: ignore[no-untyped-def]
    ix = WhooshSearch(tmp_path / "search")
    yield ix
    ix.close()


@pytest.fixture
def indexer(index, tmp_path) -> Indexer:  # type: ignore[no-untyped-def]
    return Indexer(index)


async def _ask(world, title: str, body: str, category: str = "general", user=None):  # type: ignore[no-untyped-def]
    return await threads.create_thread(
        world.actor(user or world.partner), category=category, kind="question", title=title, body=body,
        tags=["firmware"],
    )  # fmt: skip


async def _hits(index, world, user, q: str) -> list[str]:  # type: ignore[no-untyped-def]
    results = await queries.search(index, world.actor(user), q)
    assert results.error is None, results.error
    return [hit.doc_id for hit in results.results]


async def test_changes_become_searchable_through_the_outbox(world, index, indexer) -> None:
    thread = await _ask(world, "Firmware upgrade bricked the router", "After upgrading, the LED blinks red.")
    answer = await posts.reply(world.actor(world.expert), thread.id, body="Hold reset for thirty seconds.")
    assert await IndexOutbox.all().count() >= 2
    await indexer.drain()
    assert await IndexOutbox.all().count() == 0
    assert f"thread:{thread.id}" in await _hits(index, world, world.colleague, "bricked")
    assert f"post:{answer.id}" in await _hits(index, world, world.colleague, "thirty seconds")
    await posts.edit_post(world.actor(world.expert), answer.id, body="Use the recovery image instead.")
    await indexer.drain()
    assert f"post:{answer.id}" not in await _hits(index, world, world.colleague, "thirty")
    assert f"post:{answer.id}" in await _hits(index, world, world.colleague, "recovery image")
    await posts.delete_post(world.actor(world.expert), answer.id)
    await indexer.drain()
    assert await _hits(index, world, world.colleague, "recovery") == []


async def test_deleted_thread_leaves_with_its_answers(world, index, indexer) -> None:
    thread = await _ask(world, "Temporary question about licences", "Licence keys for the lab")
    await posts.reply(world.actor(world.expert), thread.id, body="Lab licences are free of charge.")
    await indexer.drain()
    assert await _hits(index, world, world.colleague, "licences")
    opening = await thread_page.get_thread_view(world.actor(world.partner), thread.id)
    await posts.delete_post(world.actor(world.partner), opening.question.id)
    await indexer.drain()
    assert await _hits(index, world, world.colleague, "licences") == []


async def test_restricted_categories_never_show_in_results(world, index, indexer) -> None:
    await _ask(world, "Gold rebate tiers explained please", "What rebate do gold partners get?",
               category="gold-programme")  # fmt: skip
    await _ask(world, "Public rebate question for everyone", "Is there a rebate at all?")
    await indexer.drain()
    silver = await queries.search(index, world.actor(world.silver_partner), "rebate")
    gold = await queries.search(index, world.actor(world.colleague), "rebate")
    assert silver.total == 1 and gold.total == 2
    assert all(f.key != "gold-programme" for f in silver.categories)
    assert "Gold rebate" not in " ".join(h.title + h.snippet for h in silver.results)


async def test_index_deleted_after_a_crash_is_rebuilt_and_the_outbox_replayed(
    world, index, indexer, tmp_path
):  # type: ignore[no-untyped-def]
    first = await _ask(world, "Question indexed before the crash", "Switch stacking cables")
    await indexer.drain()
    second = await _ask(world, "Question committed but not yet indexed", "Firewall failover timers")
    # The process dies here: the second question's outbox row is still in the database.
    index.close()
    shutil.rmtree(tmp_path / "search")
    fresh = WhooshSearch(tmp_path / "search")
    try:
        await Indexer(fresh).catch_up()
        assert f"thread:{first.id}" in await _hits(fresh, world, world.colleague, "stacking")
        assert f"thread:{second.id}" in await _hits(fresh, world, world.colleague, "failover")
        assert await IndexOutbox.all().count() == 0
    finally:
        fresh.close()


async def test_index_behind_catches_up_from_the_outbox(world, index, indexer) -> None:
    for i in range(30):
        await _ask(world, f"Bulk question number {i} about antennas", f"Antenna gain question {i}")
    assert await IndexOutbox.all().count() == 30
    indexer.batch = 7
    assert await indexer.drain() == 30
    assert (await queries.search(index, world.actor(world.colleague), "antenna")).total == 30


async def test_search_keeps_working_during_a_rebuild(world, index, indexer) -> None:
    for i in range(40):
        await _ask(world, f"Rebuild question {i} on VPN tunnels", f"IPsec tunnel flaps {i}")
    await indexer.drain()
    seen: list[int] = []

    def progress(n: int) -> None:
        seen.append(n)

    rebuild_task = asyncio.create_task(rebuild(index, progress))
    totals = []
    while not rebuild_task.done():
        totals.append((await queries.search(index, world.actor(world.colleague), "tunnel")).total)
        await asyncio.sleep(0)
    assert await rebuild_task == 40
    assert all(t == 40 for t in totals)
    assert (await queries.search(index, world.actor(world.colleague), "tunnel")).total == 40


async def test_only_one_indexer_per_host(db, tmp_path) -> None:
    name = lease_name(tmp_path / "search")
    first, second = Lease(name), Lease(name)
    assert await first.try_acquire() and not await second.try_acquire()
    await first.release()
    assert await second.try_acquire()
    await second.release()


async def test_a_hidden_question_takes_its_thread_out_of_search(world, index, indexer) -> None:
    from community.models import Post
    from community.search.outbox import POST, THREAD, index_later

    thread = await _ask(world, "Leaked customer pricing sheet", "Net price 1200 EUR for ACME")
    await posts.reply(world.actor(world.expert), thread.id, body="Please remove the ACME pricing")
    await indexer.drain()
    assert await _hits(index, world, world.colleague, "ACME")
    opening = await Post.get(thread_id=thread.id, is_opening=True)
    await Post.filter(id=opening.id).update(state="hidden")
    await index_later((POST, opening.id), (THREAD, thread.id))
    await indexer.drain()
    assert await _hits(index, world, world.colleague, "ACME") == []
    assert await _hits(index, world, world.colleague, "pricing") == []


async def test_related_threads_leave_out_the_thread_itself_before_judging_closeness(world, index, indexer):  # type: ignore[no-untyped-def]
    from community.search import queries

    here = await _ask(world, "Is there a rebate for registered partners?", "Asking about rebates")
    other = await _ask(world, "Rebate rules when partners register a deal", "Deal registration rebate")
    await _ask(world, "Unrelated question about antenna mounting", "Wall brackets")
    await indexer.drain()
    related = await queries.similar(
        index, world.actor(world.colleague), here.title, exclude_thread_id=here.id
    )
    assert [h.thread_id for h in related] == [other.id]
