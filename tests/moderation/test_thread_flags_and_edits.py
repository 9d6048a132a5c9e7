"""Flagging a whole thread, and the review decision that edits a post with a reason."""

from __future__ import annotations

import pytest

from community.errors import Conflict, Forbidden, Invalid, NotFound
from community.events import PostEdited, subscribe, unsubscribe
from community.forum import thread_page
from community.models import (
    AuditEntry,
    Flag,
    Notification,
    Post,
    PostRevision,
    PostState,
    ReviewItem,
)
from community.ports import ModerationGate
from moderation import decisions, flags
from moderation.queue import list_queue
from tests.conftest import World
from tests.moderation.conftest import Flaggable


async def test_a_flagged_thread_waits_in_the_queue_and_hides_at_the_threshold(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    thread_id = flaggable.thread.id
    with pytest.raises(Forbidden):  # not one's own thread
        await flags.flag_thread(gate, world.actor(world.partner), thread_id, reason="spam")
    first = await flags.flag_thread(gate, world.actor(world.colleague), thread_id, reason="off_topic")
    assert not first.hidden and first.open_weight == 1
    item = await ReviewItem.get(thread_id=thread_id)
    assert item.kind == "flagged_thread" and item.reason == "Flagged thread: Off-topic"
    queue = await list_queue(world.actor(world.moderator), kind="flagged_thread")
    assert [row["id"] for row in queue.items] == [item.id]
    # Flagging the question itself as well counts once for the same person.
    opening = await Post.get(thread_id=thread_id, is_opening=True)
    again = await flags.flag_post(gate, world.actor(world.colleague), opening.id, reason="spam")
    assert again.open_weight == 1 and await ReviewItem.filter(thread_id=thread_id).count() == 1
    # An expert's flag (weight 2) reaches the threshold (3): the whole thread is out of sight.
    hidden = await flags.flag_thread(gate, world.actor(world.expert), thread_id, reason="off_topic")
    assert hidden.hidden and hidden.open_weight == 3
    assert (await Post.get(id=opening.id)).state == PostState.HIDDEN
    with pytest.raises(NotFound):
        await thread_page.get_thread_view(world.actor(world.silver_partner), thread_id)
    await thread_page.get_thread_view(world.actor(world.partner), thread_id)  # its author still sees it
    assert await Flag.filter(target=f"thread:{thread_id}").count() == 2
    # Keeping it brings the thread back and dismisses every flag on it.
    await decisions.decide_item(world.actor(world.moderator), item.id, decision="keep")
    await thread_page.get_thread_view(world.actor(world.silver_partner), thread_id)
    assert {f.resolution for f in await Flag.filter(post_id=opening.id)} == {"disagreed"}


async def test_flag_thread_validates_like_a_post_flag(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    with pytest.raises(Invalid) as exc:
        await flags.flag_thread(gate, world.actor(world.colleague), flaggable.thread.id, reason="other")
    assert "note" in exc.value.fields
    with pytest.raises(NotFound):
        await flags.flag_thread(gate, world.actor(world.colleague), 987_654, reason="spam")
    assert not await Flag.exists()


async def test_edit_decision_rewrites_the_post_with_the_reason(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    answer = flaggable.answer.id
    await flags.flag_post(gate, world.actor(world.partner), answer, reason="spam")
    await flags.flag_post(gate, world.actor(world.expert), answer, reason="spam")  # hidden now
    item = await ReviewItem.get(post_id=answer)
    mo = world.actor(world.moderator)
    with pytest.raises(Invalid) as exc:
        await decisions.decide_item(mo, item.id, decision="edit", body="")
    assert {"reason", "body"} <= set(exc.value.fields)
    seen: list[object] = []

    async def listen(event: object) -> None:
        seen.append(event)

    subscribe(listen)
    try:
        await decisions.decide_item(
            mo, item.id, decision="edit", reason="Shop link removed", body="Any **managed** switch will do."
        )
    finally:
        unsubscribe(listen)
    post = await Post.get(id=answer)
    assert post.state == PostState.VISIBLE and "<strong>managed</strong>" in post.body_html
    assert post.revision_count == 2 and post.edited_by_id == world.moderator.id
    revision = await PostRevision.get(post_id=answer, number=2)
    assert revision.note == "Shop link removed" and revision.editor_id == world.moderator.id
    entry = await AuditEntry.get(action="post.edit")
    assert entry.before == {"state": "hidden", "body_source": "Buy from my cousin, cheap!!!"}
    assert entry.after == {"state": "visible", "body_source": "Any **managed** switch will do."}
    told = await Notification.get(user_id=world.colleague.id, kind="post_edited")
    assert "Shop link removed" in told.text and told.url.endswith(f"#p{answer}")
    assert {f.resolution for f in await Flag.filter(post_id=answer)} == {"agreed"}
    assert any(isinstance(e, PostEdited) for e in seen)
    with pytest.raises(Conflict):
        await decisions.decide_item(mo, item.id, decision="edit", reason="Again", body="Twice")


async def test_edit_decision_on_a_flagged_thread_can_fix_its_title(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    from community.models import Thread

    thread_id = flaggable.thread.id
    old_title = (await Thread.get(id=thread_id)).title
    await flags.flag_thread(gate, world.actor(world.colleague), thread_id, reason="off_topic")
    item = await ReviewItem.get(thread_id=thread_id)
    opening = await Post.get(thread_id=thread_id, is_opening=True)
    mo = world.actor(world.moderator)
    with pytest.raises(Invalid) as exc:
        await decisions.decide_item(mo, item.id, decision="edit", reason="x", body="Text.", title="Hi")
    assert "title" in exc.value.fields
    await decisions.decide_item(
        mo, item.id, decision="edit", reason="Clearer title", body=opening.body_source,
        title="Which managed switch for twenty desks?",
    )  # fmt: skip
    saved = await Thread.get(id=thread_id)
    assert saved.title == "Which managed switch for twenty desks?"
    revision = await PostRevision.get(post_id=opening.id, number=2)
    assert revision.title == "Which managed switch for twenty desks?"
    entry = await AuditEntry.get(action="post.edit")
    assert entry.before["title"] == old_title and entry.after["title"] == saved.title
    view = await thread_page.get_thread_view(world.actor(world.silver_partner), thread_id)
    assert view.thread.title == "Which managed switch for twenty desks?"


async def test_a_title_only_goes_with_an_edit_of_a_flagged_thread(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    await flags.flag_post(gate, world.actor(world.partner), flaggable.answer.id, reason="spam")
    item = await ReviewItem.get(post_id=flaggable.answer.id)
    with pytest.raises(Invalid) as exc:
        await decisions.decide_item(
            world.actor(world.moderator), item.id, decision="edit", reason="x", body="Fine.",
            title="A new title for the thread",
        )  # fmt: skip
    assert "title" in exc.value.fields
