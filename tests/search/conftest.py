"""A small indexed community for the search tests: content made through the services, then the
outbox applied to the app's own index by an ``Indexer`` (the lifespan's indexer does not run
under the in-process client)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from community.forum import posts, threads
from community.models import Post, PostState, Thread
from community.search.indexer import Indexer
from community.search.outbox import POST, index_later
from tests.api.conftest import check_against_document
from tests.conftest import World
from tests.test_cli import community  # noqa: F401 (the in-process `community` command fixture)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """Every API answer is also checked against the OpenAPI document."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        event_hooks={"response": [check_against_document]},
    ) as c:
        yield c


@pytest.fixture
async def indexer(app, tmp_path) -> AsyncIterator[Indexer]:  # type: ignore[no-untyped-def]
    yield Indexer(app.state.search)
    app.state.search.close()


@dataclass
class Corpus:
    deal: Thread  # general, solved, 2023-03-10, asked by the gold partner
    deal_answer: Post  # the accepted answer, by the expert
    firmware: Thread  # general, unanswered, 2024-06-01, asked by the colleague, most votes
    training: Thread  # general discussion, 2024-09-15, started by the silver partner
    script_reply: Post  # a reply quoting a script tag in code
    rebate: Thread  # general, asked by the registered partner
    gold: Thread  # gold-programme (gold tier and staff only)
    gold_answer: Post
    staff: Thread  # staff-room (staff only)
    deleted_reply: Post  # deleted by its author
    hidden_reply: Post  # hidden by a moderator


def when(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


async def opening_post(thread_id: int) -> Post:
    return await Post.get(thread_id=thread_id, is_opening=True)


async def make_corpus(world: World) -> Corpus:
    pat, cole, sam, rae = (
        world.actor(u)
        for u in (world.partner, world.colleague, world.silver_partner, world.registered_partner)
    )
    erin = world.actor(world.expert)

    deal = await threads.create_thread(
        pat, category="general", kind="question",
        title="How do I register a deal for a multi-site customer?",
        body="We have a customer with five sites. Do we register one deal or five?",
        tags=["deal-registration"], created_at=when("2023-03-10"),
    )  # fmt: skip
    deal_answer = await posts.reply(
        erin,
        deal.id,
        body="Use the deal registration portal: one registration per site, linked to the account.",
    )
    await posts.accept_answer(pat, deal_answer.id)

    firmware = await threads.create_thread(
        cole, category="general", kind="question", title="Firmware upgrade bricked the router",
        body="After upgrading to 7.2 the status LED blinks red and the web console is gone.",
        tags=["firmware"], created_at=when("2024-06-01"),
    )  # fmt: skip
    firmware_opening = await opening_post(firmware.id)
    for voter in (pat, sam, rae):
        await posts.vote(voter, firmware_opening.id)

    training = await threads.create_thread(
        sam, category="general", kind="discussion", title="Spring certification training in Lyon",
        body="Who is going to the certification course in Lyon? Share travel tips.",
        tags=["training"], created_at=when("2024-09-15"),
    )  # fmt: skip
    script_reply = await posts.reply(
        erin, training.id, body="Bring the lab guide. Never paste `<script>alert('pwned')</script>` anywhere."
    )

    rebate = await threads.create_thread(
        rae, category="general", kind="question", title="Is there a rebate for registered partners?",
        body="Our tier is registered. Do we get any rebate on switches?", tags=["rebates"],
    )  # fmt: skip
    gold = await threads.create_thread(
        pat, category="gold-programme", kind="question", title="Gold rebate schedule for the third quarter",
        body="What rebate do gold partners get on hardware this quarter?", tags=["rebates", "gold"],
    )  # fmt: skip
    gold_answer = await posts.reply(erin, gold.id, body="Six percent rebate on the gold tier for hardware.")
    await posts.accept_answer(pat, gold_answer.id)
    staff = await threads.create_thread(
        erin, category="staff-room", kind="discussion", title="Internal escalation notes for rebate disputes",
        body="Escalate rebate disputes through the partner desk first.", tags=["escalation"],
    )  # fmt: skip

    deleted_reply = await posts.reply(
        cole, firmware.id, body="Zanzibar trick: hold reset for thirty seconds."
    )
    await posts.delete_post(cole, deleted_reply.id)
    hidden_reply = await posts.reply(sam, deal.id, body="Quokka spam: cheap licences at my shop.")
    # Moderation hides it (the moderation use case does the same: state, then an outbox row).
    await Post.filter(id=hidden_reply.id).update(state=PostState.HIDDEN)
    await index_later((POST, hidden_reply.id))
    return Corpus(
        deal=deal, deal_answer=deal_answer, firmware=firmware, training=training, script_reply=script_reply,
        rebate=rebate, gold=gold, gold_answer=gold_answer, staff=staff, deleted_reply=deleted_reply,
        hidden_reply=hidden_reply,
    )  # fmt: skip


@pytest.fixture
async def corpus(world: World, indexer: Indexer) -> Corpus:
    made = await make_corpus(world)
    await indexer.drain()
    return made
