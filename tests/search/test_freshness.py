"""Search keeps up with answers (issue 13, defect 3): a new answer is a change to its own document,
not to every sibling's; its thread's document (which rolls the answers up) follows a few seconds
later, once for all the answers of those seconds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from community.forum import posts, threads
from community.models import IndexOutbox
from community.search import indexer as indexer_module
from community.search import queries
from community.search.indexer import Indexer
from community.search.outbox import ROLLUP_SECONDS
from community.timeutil import utcnow
from search_index.engine import WhooshSearch


@pytest.fixture
def index(tmp_path):  # type: ignore[no-untyped-def]
    ix = WhooshSearch(tmp_path / "search")
    yield ix
    ix.close()


async def test_an_answer_is_a_change_to_its_own_document(world, index, monkeypatch) -> None:
    erin = world.actor(world.expert)
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question",
        title="Which rebate applies to refurbished units?", body="Two rebates are quoted for one unit.",
    )  # fmt: skip
    siblings = [
        (await posts.reply(erin, thread.id, body=f"Answer {i}: ask the distributor.")).id for i in range(12)
    ]
    indexer = Indexer(index)
    await indexer.drain()

    written: list[list[str]] = []
    real_apply = index.apply

    def apply(upserts, deletes):  # type: ignore[no-untyped-def]
        written.append([d.doc_id for d in upserts])
        real_apply(upserts, deletes)

    monkeypatch.setattr(index, "apply", apply)
    answer = await posts.reply(erin, thread.id, body="The quokka rebate applies to refurbished units.")
    assert await IndexOutbox.all().values_list("kind", "object_id") == [("post", answer.id)]
    assert await indexer.drain_once() == 1
    assert written == [[f"post:{answer.id}"]]
    hits = await queries.search(index, world.actor(world.colleague), "quokka")
    assert {h.doc_id for h in hits.results} & {f"thread:{thread.id}", f"post:{answer.id}"}
    # The thread's rolled-up answers follow, not at once (the indexer's loop waits ROLLUP_SECONDS).
    assert await IndexOutbox.all().values_list("kind", "object_id") == [("rollup", thread.id)]
    assert await indexer.drain_once() == 0
    await IndexOutbox.all().update(created_at=utcnow() - timedelta(seconds=ROLLUP_SECONDS + 1))
    assert await indexer.drain_once() == 1
    assert written[-1] == [f"thread:{thread.id}"]
    assert not await IndexOutbox.exists()
    # The siblings' documents are still there, untouched.
    assert {f"post:{p}" for p in siblings} <= index.doc_ids()


async def test_deleting_the_accepted_answer_still_reindexes_the_whole_thread(
    world, index, monkeypatch
) -> None:
    erin = world.actor(world.expert)
    pat = world.actor(world.partner)
    thread = await threads.create_thread(
        pat, category="general", kind="question", title="Which rebate applies to refurbished units?",
        body="Two rebates are quoted for one unit.",
    )  # fmt: skip
    other = await posts.reply(erin, thread.id, body="Ask the distributor.")
    accepted = await posts.reply(erin, thread.id, body="The partner rebate applies.")
    await posts.accept_answer(pat, accepted.id)
    await Indexer(index).drain()
    await posts.delete_post(erin, accepted.id)
    seen: list[list[dict]] = []
    real = indexer_module.changes_for

    async def changes_for(rows):  # type: ignore[no-untyped-def]
        seen.append(rows)
        return await real(rows)

    monkeypatch.setattr(indexer_module, "changes_for", changes_for)
    await Indexer(index).drain()
    assert [(r["kind"], r["object_id"]) for r in seen[0]] == [("thread", thread.id)]  # "solved" changed
    assert f"post:{other.id}" in index.doc_ids() and f"post:{accepted.id}" not in index.doc_ids()
