"""Thread actions: close/reopen, lock, pin, move, merge, mark as duplicate; audit entries,
notifications, the search outbox, page versions and two moderators at once."""

from __future__ import annotations

import asyncio

import pytest

from community.errors import Conflict, Forbidden, Invalid, NotFound
from community.events import ThreadModerated, subscribe, unsubscribe
from community.forum import lists, merging, posts, thread_actions, thread_page, threads
from community.models import (
    AuditEntry,
    Flag,
    IndexOutbox,
    Notification,
    Post,
    ReviewItem,
    Thread,
    ThreadTag,
    User,
    Watch,
)
from community.ports import ModerationGate
from moderation import flags
from tests.conftest import World


async def ask(world: World, user=None, *, title: str = "Which switch suits a small office?", **kw):  # type: ignore[no-untyped-def]
    args = {"category": "general", "kind": "question", "body": "Twenty desks, two floors.", **kw}
    return await threads.create_thread(world.actor(user or world.partner), title=title, **args)


async def test_lock_stops_everyone_but_moderators(world: World) -> None:
    thread = await ask(world)
    answer = await posts.reply(world.actor(world.expert), thread.id, body="A managed switch.")
    mo = world.actor(world.moderator)
    version = (await Thread.get(id=thread.id)).version
    await thread_actions.set_locked(mo, thread.id, locked=True, reason="Heated")
    saved = await Thread.get(id=thread.id)
    assert saved.locked and saved.version == version + 1
    pat, erin = world.actor(world.partner), world.actor(world.expert)
    for attempt in (
        lambda: posts.reply(pat, thread.id, body="Me again"),
        lambda: posts.edit_post(erin, answer.id, body="Changed my mind"),
        lambda: posts.vote(pat, answer.id),
        lambda: posts.accept_answer(pat, answer.id),
        lambda: posts.delete_post(erin, answer.id),
    ):
        with pytest.raises(Forbidden, match="locked"):
            await attempt()
    await posts.reply(mo, thread.id, body="Moderators may still post.")
    view = await thread_page.get_thread_view(pat, thread.id)
    assert not view.can_reply and not view.posts[0].can_vote and not view.question.can_edit
    entry = await AuditEntry.get(action="thread.lock")
    assert (entry.before, entry.after, entry.reason) == ({"locked": False}, {"locked": True}, "Heated")
    note = await Notification.get(user_id=world.partner.id, kind="thread_moderated")
    assert "locked" in note.text and note.url == f"/t/{thread.id}"
    # Unlocking works; locking twice changes nothing and is audited once.
    await thread_actions.set_locked(mo, thread.id, locked=True, reason="Again")
    assert await AuditEntry.filter(action="thread.lock").count() == 1
    await thread_actions.set_locked(mo, thread.id, locked=False)
    await posts.reply(pat, thread.id, body="Back to normal")


async def test_lock_needs_a_reason_and_a_moderator(world: World) -> None:
    thread = await ask(world)
    with pytest.raises(Invalid) as exc:
        await thread_actions.set_locked(world.actor(world.moderator), thread.id, locked=True)
    assert "reason" in exc.value.fields
    for who in (world.partner, world.expert):  # the author included
        with pytest.raises(Forbidden):
            await thread_actions.set_locked(world.actor(who), thread.id, locked=True, reason="x")
        with pytest.raises(Forbidden):
            await thread_actions.move_thread(world.actor(who), thread.id, category="staff-room")
    assert not (await Thread.get(id=thread.id)).locked


async def test_close_and_reopen(world: World) -> None:
    thread = await ask(world)
    pat, mo = world.actor(world.partner), world.actor(world.moderator)
    await thread_actions.set_status(pat, thread.id, status="closed")  # the author may close
    with pytest.raises(Forbidden):
        await thread_actions.set_status(pat, thread.id, status="open")  # not reopen
    with pytest.raises(Forbidden):
        await posts.reply(world.actor(world.colleague), thread.id, body="Late answer")
    # The author closing their own thread is not moderation: no audit entry, nobody told.
    assert not await AuditEntry.exists()
    assert not await Notification.filter(kind="thread_moderated").exists()
    await thread_actions.set_status(mo, thread.id, status="open", reason="Still relevant")
    assert (await Thread.get(id=thread.id)).status == "open"
    assert [e.action for e in await AuditEntry.all().order_by("id")] == ["thread.reopen"]
    note = await Notification.get(user_id=world.partner.id, kind="thread_moderated")
    assert note.text.startswith("A moderator reopened your thread")
    with pytest.raises(Invalid):
        await thread_actions.set_status(mo, thread.id, status="archived")


async def test_pin_and_unpin(world: World) -> None:
    thread = await ask(world)
    mo = world.actor(world.moderator)
    await thread_actions.set_pinned(mo, thread.id, pinned=True)
    listing = await lists.list_threads(world.actor(world.partner), category="general")
    assert listing.items[0]["pinned"]
    await thread_actions.set_pinned(mo, thread.id, pinned=False)
    assert not (await Thread.get(id=thread.id)).pinned
    assert [e.action for e in await AuditEntry.all().order_by("id")] == ["thread.pin", "thread.unpin"]
    with pytest.raises(Invalid):
        await thread_actions.set_pinned(mo, thread.id, pinned="maybe")


async def test_move_changes_who_sees_it(world: World, gate: ModerationGate) -> None:
    thread = await ask(world)
    answer = await posts.reply(world.actor(world.colleague), thread.id, body="Buy from my cousin!")
    # An open review item follows the thread.
    await flags.flag_post(gate, world.actor(world.expert), answer.id, reason="spam")
    mo = world.actor(world.moderator)
    seen: list[object] = []

    async def listen(event: object) -> None:
        seen.append(event)

    subscribe(listen)
    try:
        await thread_actions.move_thread(mo, thread.id, category="gold-programme", reason="Gold topic")
    finally:
        unsubscribe(listen)
    assert (await Thread.get(id=thread.id)).category_id == world.gold_only.id
    with pytest.raises(NotFound):
        await thread_page.get_thread_view(world.actor(world.silver_partner), thread.id)
    await thread_page.get_thread_view(world.actor(world.colleague), thread.id)
    assert (await ReviewItem.get(post_id=answer.id)).category_id == world.gold_only.id
    entry = await AuditEntry.get(action="thread.move")
    assert (entry.before, entry.after) == ({"category": "general"}, {"category": "gold-programme"})
    assert await IndexOutbox.filter(kind="thread", object_id=thread.id).count() >= 2
    moved = [e for e in seen if isinstance(e, ThreadModerated)]
    assert moved and moved[0].category_ids == (world.general.id, world.gold_only.id)
    note = await Notification.get(user_id=world.partner.id, kind="thread_moderated")
    assert "Gold programme" in note.text and note.url == f"/t/{thread.id}"


async def test_move_out_of_the_authors_reach_says_so_without_a_link(world: World) -> None:
    thread = await ask(world)
    await thread_actions.move_thread(world.actor(world.moderator), thread.id, category="staff-room")
    note = await Notification.get(user_id=world.partner.id, kind="thread_moderated")
    assert "Staff room" not in note.text and note.url == "/"


async def test_move_refuses_a_missing_or_the_same_category(world: World) -> None:
    thread = await ask(world)
    mo = world.actor(world.moderator)
    for bad in ("no-such-category", "general", "", None, 5, "Bad Slug!"):
        with pytest.raises(Invalid) as exc:
            await thread_actions.move_thread(mo, thread.id, category=bad)
        assert "category" in exc.value.fields
    assert not await AuditEntry.exists()


async def test_merge_moves_posts_tags_and_answers(world: World) -> None:
    target = await ask(world, title="Which switch for a small office?", tags="switches")
    early = await posts.reply(world.actor(world.expert), target.id, body="A managed one.")
    source = await ask(world, world.colleague, title="Small office switch advice", tags="office")
    src_answer = await posts.reply(world.actor(world.expert), source.id, body="Eight ports suffice.")
    await posts.accept_answer(world.actor(world.colleague), src_answer.id)
    await Watch.create(user_id=world.registered_partner.id, target_type="thread", target_key=str(source.id))
    mo = world.actor(world.moderator)
    outcome = await merging.merge_thread(mo, source.id, into=str(target.id), reason="Same question")
    assert outcome.source_id == source.id and outcome.target.id == target.id
    src, dst = await Thread.get(id=source.id), await Thread.get(id=target.id)
    assert src.is_deleted and src.merged_into_id == target.id
    assert dst.reply_count == 3 and dst.tag_names == ["switches", "office"]
    assert set(await ThreadTag.filter(thread_id=target.id).values_list("tag__name", flat=True)) == {
        "switches",
        "office",
    }
    # The target had no accepted answer: it takes the source's; counts stay right.
    assert dst.accepted_post_id == src_answer.id
    assert (await User.get(id=world.expert.id)).accepted_count == 1
    # Posts moved in time order behind the target's own; the source's question became a reply.
    moved = await Post.filter(thread_id=target.id).order_by("created_at", "id")
    assert [p.id for p in moved][1:] == [early.id, *outcome.moved_post_ids]
    assert [p.is_opening for p in moved] == [True, False, False, False]
    view = await thread_page.get_thread_view(world.actor(world.partner), target.id)
    assert view.total_replies == 3
    # The old address leads to the target; the old thread itself is gone.
    assert await merging.merged_target(world.actor(world.partner), source.id) == target.id
    with pytest.raises(NotFound):
        await thread_page.get_thread_view(world.actor(world.partner), source.id)
    assert await Watch.filter(target_key=str(target.id), user_id=world.registered_partner.id).exists()
    entry = await AuditEntry.get(action="thread.merge")
    assert entry.subject_id == source.id and entry.after["merged_into"] == target.id
    assert set(entry.before["post_ids"]) == set(outcome.moved_post_ids)
    told = {n.user_id for n in await Notification.filter(kind="thread_moderated")}
    assert told == {world.partner.id, world.colleague.id}
    queued = set(await IndexOutbox.all().values_list("kind", "object_id"))
    assert {("thread", source.id), ("thread", target.id)} <= queued
    assert {("post", pid) for pid in outcome.moved_post_ids} <= queued


async def test_merge_keeps_the_targets_accepted_answer(world: World) -> None:
    target = await ask(world, title="Which switch for a small office?")
    kept = await posts.reply(world.actor(world.expert), target.id, body="A managed one.")
    await posts.accept_answer(world.actor(world.partner), kept.id)
    source = await ask(world, world.colleague, title="Small office switch advice")
    dropped = await posts.reply(world.actor(world.admin), source.id, body="Eight ports suffice.")
    await posts.accept_answer(world.actor(world.colleague), dropped.id)
    await merging.merge_thread(world.actor(world.moderator), source.id, into=target.id, reason="Dupe")
    assert (await Thread.get(id=target.id)).accepted_post_id == kept.id
    assert (await User.get(id=world.admin.id)).accepted_count == 0
    assert (await User.get(id=world.expert.id)).accepted_count == 1


async def test_merge_moves_flags_and_review_items(world: World, gate: ModerationGate) -> None:
    target = await ask(world, title="Which switch for a small office?")
    source = await ask(world, world.colleague, title="Small office switch advice")
    answer = await posts.reply(world.actor(world.registered_partner), source.id, body="Cheap, from me!")
    await flags.flag_post(gate, world.actor(world.partner), answer.id, reason="spam")
    await merging.merge_thread(world.actor(world.moderator), source.id, into=target.id, reason="Dupe")
    assert (await Flag.get(post_id=answer.id)).thread_id == target.id
    assert (await ReviewItem.get(post_id=answer.id)).thread_id == target.id


async def test_merge_refuses_bad_targets(world: World) -> None:
    source = await ask(world)
    other = await ask(world, title="Another question entirely")
    gone = await ask(world, title="A question that was deleted")
    await posts.delete_post(
        world.actor(world.partner), (await Post.get(thread_id=gone.id, is_opening=True)).id
    )
    mo = world.actor(world.moderator)
    for bad in (source.id, str(source.id), 987_654, gone.id, "abc", "", None, 2**40, -3, 1.5, True, [1]):
        with pytest.raises(Invalid) as exc:
            await merging.merge_thread(mo, source.id, into=bad, reason="Dupe")
        assert "into" in exc.value.fields, bad
    with pytest.raises(Invalid) as exc:
        await merging.merge_thread(mo, source.id, into=other.id)
    assert "reason" in exc.value.fields
    with pytest.raises(Forbidden):
        await merging.merge_thread(world.actor(world.partner), source.id, into=other.id, reason="x")
    # An address works as well as a number.
    await merging.merge_thread(mo, source.id, into=f"https://x.example/t/{other.id}#p1", reason="x")
    assert (await Thread.get(id=source.id)).merged_into_id == other.id
    with pytest.raises(NotFound):  # merging the merged thread again: it is gone
        await merging.merge_thread(mo, source.id, into=other.id, reason="x")


def assert_one_merge(results: list[object]) -> None:
    """One merge applies; the other is refused: a conflict when they overlap, or (when it starts
    after the first committed) 404 / 422 because its thread is gone."""
    applied = [r for r in results if isinstance(r, merging.MergeOutcome)]
    refused = [r for r in results if isinstance(r, Conflict | NotFound | Invalid)]
    assert len(applied) == 1 and len(refused) == 1, results


async def test_two_merges_of_the_same_thread_apply_once(world: World) -> None:
    source = await ask(world)
    await posts.reply(world.actor(world.expert), source.id, body="An answer that moves.")
    one = await ask(world, title="The first target thread")
    two = await ask(world, title="The second target thread")
    results = await asyncio.gather(
        merging.merge_thread(world.actor(world.moderator), source.id, into=one.id, reason="a"),
        merging.merge_thread(world.actor(world.admin), source.id, into=two.id, reason="b"),
        return_exceptions=True,
    )
    assert_one_merge(results)
    winner = next(r for r in results if isinstance(r, merging.MergeOutcome)).target.id
    loser = two.id if winner == one.id else one.id
    assert (await Thread.get(id=winner)).reply_count == 2
    assert (await Thread.get(id=loser)).reply_count == 0
    assert await Post.filter(thread_id=winner).count() == 3
    assert await AuditEntry.filter(action="thread.merge").count() == 1


async def test_merging_both_ways_at_once_leaves_one_thread(world: World) -> None:
    a = await ask(world, title="The first of two twins")
    b = await ask(world, title="The second of two twins")
    results = await asyncio.gather(
        merging.merge_thread(world.actor(world.moderator), a.id, into=b.id, reason="a"),
        merging.merge_thread(world.actor(world.admin), b.id, into=a.id, reason="b"),
        return_exceptions=True,
    )
    assert_one_merge(results)
    assert sorted([(await Thread.get(id=a.id)).is_deleted, (await Thread.get(id=b.id)).is_deleted]) == [
        False,
        True,
    ]


async def test_duplicate_closes_with_a_link_and_can_be_taken_back(world: World) -> None:
    original = await ask(world, title="Which switch for a small office?")
    dupe = await ask(world, world.colleague, title="Small office switch advice")
    mo = world.actor(world.moderator)
    with pytest.raises(Invalid):
        await merging.mark_duplicate(mo, dupe.id, of=dupe.id)
    await merging.mark_duplicate(mo, dupe.id, of=original.id, reason="Asked before")
    saved = await Thread.get(id=dupe.id)
    assert saved.duplicate_of_id == original.id and saved.status == "closed"
    state = await thread_actions.thread_state(world.actor(world.colleague), saved)
    assert state.duplicate_of == {"id": original.id, "title": original.title}
    with pytest.raises(Invalid):  # the original cannot become a duplicate of its duplicate
        await merging.mark_duplicate(mo, original.id, of=dupe.id)
    await merging.mark_duplicate(mo, dupe.id, of=None)
    saved = await Thread.get(id=dupe.id)
    assert saved.duplicate_of_id is None and saved.status == "open"
    assert [e.action for e in await AuditEntry.all().order_by("id")] == [
        "thread.duplicate",
        "thread.not_duplicate",
    ]


async def test_a_duplicate_of_an_invisible_thread_shows_no_link(world: World) -> None:
    original = await ask(world, world.expert, title="A staff-only original", category="staff-room")
    dupe = await ask(world, world.colleague, title="Small office switch advice")
    await merging.mark_duplicate(world.actor(world.moderator), dupe.id, of=original.id)
    state = await thread_actions.thread_state(world.actor(world.colleague), await Thread.get(id=dupe.id))
    assert state.duplicate_of is None


async def test_merge_into_a_wider_audience_needs_an_explicit_confirmation(world: World) -> None:
    target = await ask(world, title="Deal registration, in general")
    source = await ask(world, title="Gold deal registration", category="gold-programme")
    secret = await posts.reply(world.actor(world.expert), source.id, body="Gold discount is 38 percent.")
    mo, sam = world.actor(world.moderator), world.actor(world.silver_partner)
    with pytest.raises(Invalid) as exc:
        await merging.merge_thread(mo, source.id, into=target.id, reason="Same topic")
    assert "confirm_wider" in exc.value.fields and "Gold programme" in exc.value.fields["confirm_wider"]
    view = await thread_page.get_thread_view(sam, target.id)
    assert secret.id not in [p.id for p in view.posts]
    assert (await Thread.get(id=source.id)).merged_into_id is None and not await AuditEntry.exists()
    # The same or a narrower audience needs nothing more; a wider one merges once confirmed.
    await merging.merge_thread(mo, source.id, into=target.id, reason="Same", confirm_wider=True)
    view = await thread_page.get_thread_view(sam, target.id)
    assert secret.id in [p.id for p in view.posts]


async def test_merge_into_the_same_or_a_narrower_audience_needs_no_confirmation(world: World) -> None:
    target = await ask(world, title="Gold deal registration", category="gold-programme")
    source = await ask(world, title="Deal registration, in general")
    await merging.merge_thread(world.actor(world.moderator), source.id, into=target.id, reason="x")
    assert (await Thread.get(id=source.id)).merged_into_id == target.id


async def test_merge_and_duplicate_notices_name_only_threads_the_recipient_may_see(world: World) -> None:
    mo = world.actor(world.moderator)
    gold = await ask(world, title="Gold rebate schedule for 2027", category="gold-programme")
    mine = await ask(world, world.silver_partner, title="How do rebates work?")
    await merging.merge_thread(mo, mine.id, into=gold.id, reason="Same topic")
    note = await Notification.get(user_id=world.silver_partner.id, kind="thread_moderated")
    assert "How do rebates work?" in note.text and "a thread you cannot see" in note.text
    assert "Gold rebate" not in note.text and note.url == "/"
    # The other way: a staff thread merged into a partner's thread keeps its title to itself.
    staff = await ask(world, world.expert, title="Internal: rebate margins", category="staff-room")
    target = await ask(world, world.colleague, title="Rebates for resellers")
    await merging.merge_thread(mo, staff.id, into=target.id, reason="x", confirm_wider=True)
    note = await Notification.get(user_id=world.colleague.id, kind="thread_moderated")
    assert "Internal" not in note.text and "a thread you cannot see" in note.text
    assert "Rebates for resellers" in note.text
    # A duplicate of a thread the author cannot see.
    dupe = await ask(world, world.silver_partner, title="Rebate schedule?")
    other = await ask(world, title="Gold rebate schedule, again", category="gold-programme")
    await merging.mark_duplicate(mo, dupe.id, of=other.id, reason="Asked before")
    notes = await Notification.filter(user_id=world.silver_partner.id).order_by("-id")
    assert "duplicate of a thread you cannot see" in notes[0].text and "Gold" not in notes[0].text


async def test_merging_the_original_into_its_duplicate_leaves_no_self_reference(world: World) -> None:
    original = await ask(world, title="Which switch for a small office?")
    dupe = await ask(world, world.colleague, title="Small office switch advice")
    mo = world.actor(world.moderator)
    await merging.mark_duplicate(mo, dupe.id, of=original.id)
    await merging.merge_thread(mo, original.id, into=dupe.id, reason="Keep the newer one")
    saved = await Thread.get(id=dupe.id)
    assert saved.duplicate_of_id is None and saved.status == "open"
    state = await thread_actions.thread_state(world.actor(world.colleague), saved)
    assert state.duplicate_of is None
    await posts.reply(world.actor(world.expert), dupe.id, body="Answers are welcome again.")
