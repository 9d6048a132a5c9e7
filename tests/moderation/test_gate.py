"""Watched words and the confidentiality starter set applied when posts are created."""

from __future__ import annotations

import pytest

from community import policy
from community.errors import Invalid
from community.forum import posts, threads
from community.models import AuditEntry, CategoryRules, Post, PostState, ReviewItem, Thread, WatchedWord
from community.ports import ModerationGate
from tests.conftest import World, login


async def ask(world: World, gate: ModerationGate, body: str, category: str = "general") -> Post:
    thread = await threads.create_thread(
        world.actor(world.partner), category=category, kind="question", title="A question about switches",
        body=body, gate=gate,
    )  # fmt: skip
    return await Post.get(thread_id=thread.id, is_opening=True)


async def test_block_refuses_the_post_naming_the_word(gate: ModerationGate, world: World) -> None:
    await WatchedWord.create(pattern="crackz", action="block")
    with pytest.raises(Invalid) as exc:
        await ask(world, gate, "Get the license CRÀÀCKZ here")
    assert "crackz" in exc.value.fields["body"]
    assert await Post.all().count() == 0


async def test_hold_keeps_the_post_pending_in_the_queue(gate: ModerationGate, world: World) -> None:
    await WatchedWord.create(pattern="competitor x", action="hold")
    post = await ask(world, gate, "Is Competitor\u200b X cheaper?")
    assert post.state == PostState.PENDING
    assert not policy.can_see_post_body(world.actor(world.silver_partner), post)
    item = await ReviewItem.get(post_id=post.id)
    assert item.kind == "held_post" and item.reason == "Watched word: competitor x"
    entry = await AuditEntry.get(action="post.rule_hold")
    assert entry.actor_id is None and entry.subject_id == post.id


async def test_flag_lets_the_post_up_but_queues_it(gate: ModerationGate, world: World) -> None:
    await WatchedWord.create(pattern="refund", action="flag")
    thread = await threads.create_thread(
        world.actor(world.expert), category="general", kind="discussion", title="Returns process notes",
        body="How returns work.",
    )  # fmt: skip
    post = await posts.reply(world.actor(world.partner), thread.id, body="I want a refuuund now", gate=gate)
    assert post.state == PostState.VISIBLE
    assert (await ReviewItem.get(post_id=post.id)).kind == "flagged_post"


async def test_censor_masks_the_word(gate: ModerationGate, world: World) -> None:
    await WatchedWord.create(pattern="darn", action="censor")
    post = await ask(world, gate, "This darn switch reboots.")
    assert (
        post.state == PostState.VISIBLE and "■■■■ switch" in post.body_html and "darn" not in post.body_html
    )
    assert await ReviewItem.all().count() == 0


async def test_words_apply_in_their_categories_only(gate: ModerationGate, world: World) -> None:
    await WatchedWord.create(pattern="crackz", action="block", category_ids=[world.staff_only.id])
    assert (await ask(world, gate, "crackz are bad")).state == PostState.VISIBLE


async def test_confidential_prices_are_held_where_every_partner_can_see(
    gate: ModerationGate, world: World
) -> None:
    held = await ask(world, gate, "We get a 12% discount from the distributor on this model.")
    assert held.state == PostState.PENDING
    item = await ReviewItem.get(post_id=held.id)
    assert item.kind == "held_post" and "confidential" in item.reason
    # Not in a category only one tier sees, and not where an admin switched it off.
    assert (await ask(world, gate, "Our margin is 18 percent.", "gold-programme")).state == PostState.VISIBLE
    await CategoryRules.create(category_id=world.general.id, confidentiality=False)
    gate.invalidate()  # what the admin page's save does
    assert (await ask(world, gate, "Net price $4,200 per unit.")).state == PostState.VISIBLE
    assert (await ask(world, gate, "How do I register a deal?")).state == PostState.VISIBLE


async def test_blocked_text_through_the_ask_form_and_the_api(client, world: World) -> None:
    await WatchedWord.create(pattern="crackz", action="block")
    csrf = await login(client, world.partner)
    form = {"category": "general", "kind": "question", "title": "Where are the crackz?", "body": "Need one.",
            "csrf_token": csrf}  # fmt: skip
    response = await client.post("/ask", data=form)
    assert response.status_code == 422 and "Watched word: crackz" in response.text
    response = await client.post(
        "/api/v1/threads",
        json={"category": "general", "title": "A fine question here", "body": "crackz please"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422 and "crackz" in response.json()["error"]["fields"]["body"]
    assert await Thread.all().count() == 0 and await Post.all().count() == 0  # nothing was posted


async def test_rules_changed_by_another_worker_apply_within_the_interval(world: World) -> None:
    from moderation.rules.gate import ModerationRules

    now = [100.0]
    gate = ModerationRules(ttl=5.0, clock=lambda: now[0])
    assert (await ask(world, gate, "crackz here")).state == PostState.VISIBLE
    await WatchedWord.create(pattern="crackz", action="hold")
    now[0] += 1
    assert (await ask(world, gate, "crackz here")).state == PostState.VISIBLE  # still the cached rules
    now[0] += 5
    assert (await ask(world, gate, "crackz here")).state == PostState.PENDING
