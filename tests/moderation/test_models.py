"""The moderation tables exist after migrating and keep their invariants."""

from __future__ import annotations

import pytest
from tortoise.exceptions import IntegrityError

from community.forum import threads
from community.models import AuditEntry, Flag, ReviewItem, ReviewKind
from tests.conftest import World


async def test_one_flag_per_person_and_target_and_one_open_review_item(world: World) -> None:
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question", title="How do I reset a switch?",
        body="It keeps rebooting.",
    )  # fmt: skip
    await Flag.create(target=f"thread:{thread.id}", thread_id=thread.id, flagger_id=world.colleague.id,
                      reason="spam")  # fmt: skip
    with pytest.raises(IntegrityError):
        await Flag.create(target=f"thread:{thread.id}", thread_id=thread.id, flagger_id=world.colleague.id,
                          reason="offensive")  # fmt: skip
    await ReviewItem.create(kind=ReviewKind.FLAGGED_POST, thread_id=thread.id, open_key="post:1")
    with pytest.raises(IntegrityError):
        await ReviewItem.create(kind=ReviewKind.FLAGGED_POST, thread_id=thread.id, open_key="post:1")
    # Decided items clear their key, so any number of them may exist.
    await ReviewItem.create(kind=ReviewKind.FLAGGED_POST, thread_id=thread.id, open_key=None)
    await ReviewItem.create(kind=ReviewKind.FLAGGED_POST, thread_id=thread.id, open_key=None)
    entry = await AuditEntry.create(action="post.hide", subject_type="post", subject_id=1,
                                    before={"state": "visible"}, after={"state": "hidden"})  # fmt: skip
    assert entry.actor_id is None
    assert (await AuditEntry.get(id=entry.id)).before == {"state": "visible"}
