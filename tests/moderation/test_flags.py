"""Flagging: reasons, one flag per person, weights and the threshold, auto-hide, re-review after edit."""

from __future__ import annotations

import pytest

from community import policy
from community.errors import Forbidden, Invalid, NotFound
from community.events import PostHidden, subscribe, unsubscribe
from community.forum import posts
from community.models import AuditEntry, Flag, IndexOutbox, Post, PostState, ReviewItem, Thread
from community.ports import ModerationGate
from moderation import decisions, flags
from tests.conftest import World
from tests.moderation.conftest import Flaggable


@pytest.mark.parametrize("reason", ["spam", "offensive", "off_topic", "confidential"])
async def test_each_reason_is_accepted_and_queues_the_post(
    gate: ModerationGate, world: World, flaggable: Flaggable, reason: str
) -> None:
    outcome = await flags.flag_post(gate, world.actor(world.partner), flaggable.answer.id, reason=reason)
    assert outcome.flag.reason == reason and outcome.open_weight == 1 and not outcome.hidden
    item = await ReviewItem.get(post_id=flaggable.answer.id)
    assert item.state == "pending" and item.kind == "flagged_post" and item.user_id == world.colleague.id
    assert (await Post.get(id=flaggable.answer.id)).state == PostState.VISIBLE


async def test_something_else_needs_a_note_and_unknown_reasons_are_refused(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    pat = world.actor(world.partner)
    with pytest.raises(Invalid) as exc:
        await flags.flag_post(gate, pat, flaggable.answer.id, reason="other", note="  ")
    assert "note" in exc.value.fields
    with pytest.raises(Invalid) as exc:
        await flags.flag_post(gate, pat, flaggable.answer.id, reason="boring")
    assert "reason" in exc.value.fields
    outcome = await flags.flag_post(gate, pat, flaggable.answer.id, reason="other", note="Wrong product")
    assert outcome.flag.note == "Wrong product"


async def test_flagging_again_changes_the_reason_and_own_posts_are_refused(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    pat = world.actor(world.partner)
    await flags.flag_post(gate, pat, flaggable.answer.id, reason="spam")
    again = await flags.flag_post(gate, pat, flaggable.answer.id, reason="offensive")
    assert again.open_weight == 1
    assert [f.reason for f in await Flag.filter(post_id=flaggable.answer.id)] == ["offensive"]
    with pytest.raises(Forbidden, match="your own"):
        await flags.flag_post(gate, world.actor(world.colleague), flaggable.answer.id, reason="spam")


async def test_posts_one_cannot_see_cannot_be_flagged(gate: ModerationGate, world: World) -> None:
    from community.forum import threads

    staff = await threads.create_thread(
        world.actor(world.expert), category="staff-room", kind="discussion", title="Internal notes only",
        body="Not for partners.",
    )  # fmt: skip
    opening = await Post.get(thread_id=staff.id)
    with pytest.raises(NotFound):
        await flags.flag_post(gate, world.actor(world.partner), opening.id, reason="spam")


async def test_weights_add_up_to_the_threshold_and_hide_the_post(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    answer = flaggable.answer
    seen: list[object] = []

    async def listen(event: object) -> None:
        seen.append(event)

    subscribe(listen)
    try:
        first = await flags.flag_post(gate, world.actor(world.partner), answer.id, reason="spam")
        version = (await Thread.get(id=flaggable.thread.id)).version
        await IndexOutbox.all().delete()
        second = await flags.flag_post(gate, world.actor(world.expert), answer.id, reason="spam")
    finally:
        unsubscribe(listen)
    assert (first.open_weight, first.hidden) == (1, False)
    assert (second.open_weight, second.hidden) == (3, True)
    hidden = await Post.get(id=answer.id)
    assert hidden.state == PostState.HIDDEN
    # Others see a placeholder; the author and moderators still see the text.
    assert not policy.can_see_post_body(world.actor(world.silver_partner), hidden)
    assert policy.can_see_post_body(world.actor(world.colleague), hidden)
    assert policy.can_see_post_body(world.actor(world.moderator), hidden)
    # The page cache and the search index hear of it.
    assert (await Thread.get(id=flaggable.thread.id)).version == version + 1
    assert {(r.kind, r.object_id) for r in await IndexOutbox.all()} >= {("post", answer.id)}
    entry = await AuditEntry.get(action="post.auto_hide")
    assert (
        entry.actor_id is None and entry.before == {"state": "visible"} and entry.after == {"state": "hidden"}
    )
    assert await ReviewItem.filter(post_id=answer.id).count() == 1
    assert any(isinstance(e, PostHidden) and e.post_id == answer.id and e.actor_id is None for e in seen)


async def test_a_moderators_flag_hides_at_once(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    outcome = await flags.flag_post(
        gate, world.actor(world.moderator), flaggable.answer.id, reason="offensive"
    )
    assert outcome.hidden
    assert (await Post.get(id=flaggable.answer.id)).state == PostState.HIDDEN


async def test_partners_alone_need_three_flags(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    answer = flaggable.answer.id
    results = [
        await flags.flag_post(gate, world.actor(u), answer, reason="spam")
        for u in (world.partner, world.silver_partner, world.registered_partner)
    ]
    assert [r.hidden for r in results] == [False, False, True]


async def test_the_author_editing_a_hidden_post_sends_it_back_for_review(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    answer = flaggable.answer.id
    await flags.flag_post(gate, world.actor(world.moderator), answer, reason="spam")
    item = await ReviewItem.get(post_id=answer)
    await decisions.decide_item(world.actor(world.moderator), item.id, decision="hide", reason="Advertising")
    assert await ReviewItem.filter(post_id=answer, state="pending").count() == 0
    await posts.edit_post(world.actor(world.colleague), answer, body="The model 24-port switch fits well.")
    again = await ReviewItem.get(post_id=answer, state="pending")
    assert "Edited by the author" in again.reason
    assert (await Post.get(id=answer)).state == PostState.HIDDEN
    assert await AuditEntry.filter(action="post.resubmit", subject_id=answer).count() == 1
