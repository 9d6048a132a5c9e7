"""Review queue decisions: keep, hide, delete, restore; claims; two moderators at once."""

from __future__ import annotations

import asyncio

import pytest

from community.errors import Conflict, Forbidden, Invalid
from community.models import (
    AuditEntry,
    Decision,
    Flag,
    Notification,
    Post,
    PostState,
    ReviewItem,
    Thread,
    User,
)
from community.ports import ModerationGate
from moderation import decisions, flags
from moderation.queue import claim_item, get_item, list_queue
from tests.conftest import World
from tests.moderation.conftest import Flaggable


async def flagged_item(gate: ModerationGate, world: World, flaggable: Flaggable, *, hide: bool) -> ReviewItem:
    await flags.flag_post(gate, world.actor(world.partner), flaggable.answer.id, reason="spam")
    if hide:
        await flags.flag_post(gate, world.actor(world.expert), flaggable.answer.id, reason="offensive")
    return await ReviewItem.get(post_id=flaggable.answer.id)


async def test_keep_restores_the_post_and_dismisses_the_flags(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    item = await flagged_item(gate, world, flaggable, hide=True)
    decided = await decisions.decide_item(world.actor(world.moderator), item.id, decision="keep")
    assert (
        decided.state == "decided"
        and decided.decision == "keep"
        and decided.decided_by_id == world.moderator.id
    )
    assert (await Post.get(id=flaggable.answer.id)).state == PostState.VISIBLE
    assert {f.resolution for f in await Flag.filter(post_id=flaggable.answer.id)} == {"disagreed"}
    told = await Notification.filter(kind="flag_outcome").values_list("user_id", "text")
    assert {uid for uid, _ in told} == {world.partner.id, world.expert.id}
    assert all("kept it" in text for _, text in told)
    entry = await AuditEntry.get(action="post.keep")
    assert entry.actor_id == world.moderator.id and entry.before["state"] == "hidden"


async def test_hide_and_delete_need_a_reason_and_delete_is_restorable(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    mo = world.actor(world.moderator)
    item = await flagged_item(gate, world, flaggable, hide=False)
    with pytest.raises(Invalid) as exc:
        await decisions.decide_item(mo, item.id, decision="delete")
    assert "reason" in exc.value.fields
    with pytest.raises(Invalid):
        await decisions.decide_item(mo, item.id, decision="shred", reason="x")
    replies = (await Thread.get(id=flaggable.thread.id)).reply_count
    posts_by_author = (await User.get(id=world.colleague.id)).post_count
    await decisions.decide_item(mo, item.id, decision="delete", reason="Advertising")
    assert (await Post.get(id=flaggable.answer.id)).state == PostState.DELETED
    assert (await Thread.get(id=flaggable.thread.id)).reply_count == replies - 1
    assert (await User.get(id=world.colleague.id)).post_count == posts_by_author - 1
    assert {f.resolution for f in await Flag.filter(post_id=flaggable.answer.id)} == {"agreed"}
    entry = await AuditEntry.get(action="post.delete")
    assert entry.before["body_source"] == "Buy from my cousin, cheap!!!" and entry.reason == "Advertising"


async def test_hide_keeps_the_text_for_the_author_and_moderators(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    item = await flagged_item(gate, world, flaggable, hide=False)
    await decisions.decide_item(world.actor(world.moderator), item.id, decision="hide", reason="Rude")
    post = await Post.get(id=flaggable.answer.id)
    assert post.state == PostState.HIDDEN and post.body_source == "Buy from my cousin, cheap!!!"


async def test_a_second_decision_is_a_conflict_and_changes_nothing(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    item = await flagged_item(gate, world, flaggable, hide=True)
    await decisions.decide_item(world.actor(world.moderator), item.id, decision="keep")
    with pytest.raises(Conflict, match="already decided"):
        await decisions.decide_item(world.actor(world.admin), item.id, decision="delete", reason="No")
    assert (await Post.get(id=flaggable.answer.id)).state == PostState.VISIBLE
    assert await AuditEntry.filter(action__startswith="post.").exclude(action="post.auto_hide").count() == 1


async def test_two_moderators_deciding_at_once_apply_one_decision(
    gate: ModerationGate, world: World, flaggable: Flaggable, decisions_meet: None
) -> None:
    item = await flagged_item(gate, world, flaggable, hide=True)
    replies = (await Thread.get(id=flaggable.thread.id)).reply_count
    results = await asyncio.gather(
        decisions.decide_item(world.actor(world.moderator), item.id, decision="delete", reason="Spam"),
        decisions.decide_item(world.actor(world.admin), item.id, decision="delete", reason="Spam"),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "ReviewItem"]
    assert (await Thread.get(id=flaggable.thread.id)).reply_count == replies - 1
    assert await AuditEntry.filter(action="post.delete").count() == 1


async def test_claims_show_who_handles_an_item(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    item = await flagged_item(gate, world, flaggable, hide=False)
    claimed = await claim_item(world.actor(world.moderator), item.id)
    assert claimed.claimed_by_id == world.moderator.id
    with pytest.raises(Conflict, match="Another moderator"):
        await claim_item(world.actor(world.admin), item.id)
    queue = await list_queue(world.actor(world.admin))
    assert queue.items[0]["claimed_by_name"] == "Mo Moderator"
    await claim_item(world.actor(world.moderator), item.id, release=True)
    assert (await claim_item(world.actor(world.admin), item.id)).claimed_by_id == world.admin.id


async def test_the_queue_is_oldest_first_filterable_and_for_moderators_only(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    from community.forum import posts

    other = await posts.reply(world.actor(world.expert), flaggable.thread.id, body="Off topic ramble here.")
    await flags.flag_post(gate, world.actor(world.partner), flaggable.answer.id, reason="spam")
    await flags.flag_post(gate, world.actor(world.partner), other.id, reason="off_topic")
    mo = world.actor(world.moderator)
    queue = await list_queue(mo)
    assert [i["post_id"] for i in queue.items] == [flaggable.answer.id, other.id]
    assert [i["post_id"] for i in (await list_queue(mo, reason="off_topic")).items] == [other.id]
    assert (await list_queue(mo, category="general")).total == 2
    assert (await list_queue(mo, kind="new_account")).total == 0
    with pytest.raises(Invalid):
        await list_queue(mo, kind="everything")
    view = await get_item(mo, queue.items[0]["id"])
    assert view.flags[0]["flagger_name"] == "Pat Partner" and view.author.id == world.colleague.id
    for user in (world.partner, world.expert):
        with pytest.raises(Forbidden):
            await list_queue(world.actor(user))
        with pytest.raises(Forbidden):
            await decisions.decide_item(world.actor(user), queue.items[0]["id"], decision="keep")


def test_every_decision_has_its_step() -> None:
    assert set(decisions._DECISIONS) == set(Decision.ALL)


def test_waiting_reads_just_now_until_a_minute_has_passed() -> None:
    from moderation.queue import waiting_label

    assert [waiting_label(s) for s in (0, 59, 60, 3599, 3600, 86_400 * 3)] == [
        "just now", "just now", "1 min", "59 min", "1 h", "3 d"
    ]  # fmt: skip
