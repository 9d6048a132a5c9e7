"""Merging a thread into another and marking one as a duplicate of another, and where a merged
thread's old address leads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from community import policy, validation
from community.actor import Actor, load_actor
from community.errors import Conflict, Invalid, NotFound
from community.events import ThreadModerated, publish
from community.forum.thread_actions import apply_change, thread_for_moderator
from community.forum.threads import set_thread_tags
from community.models import (
    Article,
    AuditEntry,
    Category,
    Flag,
    Post,
    PostState,
    ReviewItem,
    Thread,
    ThreadStatus,
    User,
    Watch,
    WatchTarget,
)
from community.notifications import forum_notices
from community.notifications.delivery import Created, announce
from community.search.outbox import POST, THREAD, index_later
from community.validation import MAX_ID
from community.visibility import load_visible_thread
from moderation.audit import audit


def _thread_ref(value: object, fields: dict[str, str], name: str) -> int | None:
    """Another thread named by its id (a number, or its digits from a form), or its address."""
    if isinstance(value, str):
        text = value.strip().rstrip("/")
        for prefix in ("/t/", "t/"):
            if prefix in text:
                text = text.rsplit(prefix, 1)[1].split("?")[0].split("#")[0]
        if text.isascii() and text.isdigit() and len(text) <= 10:
            value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        fields[name] = "Give the other thread's number (or its address, /t/123)."
        return None
    if not 0 < value <= MAX_ID:
        fields[name] = "There is no thread with this number."
        return None
    return value


async def _other_thread(
    actor: Actor, thread: Thread, value: object, fields: dict[str, str], name: str
) -> Thread | None:
    """The thread named as the target of a merge or duplicate: never the same one, and one the
    moderator can see (not deleted or merged away)."""
    other_id = _thread_ref(value, fields, name)
    if other_id is None:
        return None
    if other_id == thread.id:
        fields[name] = "Choose another thread: this is the same one."
        return None
    try:
        return await load_visible_thread(actor, other_id, check_opening=False)
    except NotFound:
        fields[name] = "There is no thread with this number."
        return None


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    source_id: int
    target: Thread
    moved_post_ids: list[int]


async def merge_thread(
    actor: Actor,
    thread_id: int,
    *,
    into: object,
    reason: object = "",
    confirmed: bool = True,
    confirm_wider: bool = False,
) -> MergeOutcome:
    """Move every post of this thread into another one (they keep their dates, so they fall into
    place in time order); tags are merged; the source's address redirects to the target from now
    on. The target keeps its accepted answer; without one it takes the source's. ``confirmed``:
    whether the person ticked the page's confirmation box (the API confirms by calling).
    ``confirm_wider``: the target's category is seen by more people than the source's, and the
    moderator checked that its posts hold nothing confidential (without it such a merge is refused)."""
    source = await thread_for_moderator(actor, thread_id)
    fields: dict[str, str] = {}
    reason_text = validation.reason(reason, fields, required=True)
    target = await _other_thread(actor, source, into, fields, "into")
    if target is not None and not policy.may_publish_into(
        actor,
        source.category,
        target.category,
        confirm_wider=confirm_wider,
        source_private_org_id=source.private_org_id,
        target_private_org_id=target.private_org_id,
    ):
        seen_by = (
            "this private question's organisation and staff"
            if source.private_org_id is not None
            else f"this thread's category (“{source.category.name}”)"
        )
        fields["confirm_wider"] = (
            f"“{target.title}” in “{target.category.name}” is seen by more people than {seen_by}: its "
            "posts would become readable there. Confirm the wider audience after checking they hold "
            "nothing partner-confidential, or choose another thread."
        )
    if not confirmed:  # the page asks for a tick: merging cannot be undone with one click
        fields["confirm"] = "Tick the box to confirm: the posts move and this thread's address redirects."
    validation.raise_if(fields)
    assert target is not None
    created: Created = []
    async with in_transaction():
        # Both rows locked in id order (PostgreSQL): two merges naming the same threads queue up
        # instead of deadlocking, and each re-reads what the other left.
        locked = {
            t.id: t
            for t in await Thread.filter(id__in=[source.id, target.id]).select_for_update().order_by("id")
        }
        src, dst = locked.get(source.id), locked.get(target.id)
        if src is None or dst is None or src.is_deleted or dst.is_deleted:
            raise Conflict("One of the threads was just merged or removed by someone else. Reload it.")
        if (src.category_id, dst.category_id) != (source.category_id, target.category_id):
            raise Conflict("One of the threads was just moved to another category. Reload it.")
        # Claim the source first: of two merges of the same thread, the second changes nothing.
        claimed = await Thread.filter(id=src.id, is_deleted=False, merged_into_id=None).update(
            is_deleted=True, merged_into_id=dst.id, status=ThreadStatus.CLOSED, version=F("version") + 1
        )
        if not claimed:
            raise Conflict("This thread was just merged by someone else.")
        moved = (
            await Post.filter(thread_id=src.id)
            .order_by("created_at", "id")
            .values("id", "state", "is_opening")
        )
        moved_ids = [p["id"] for p in moved]
        opening_id = next((p["id"] for p in moved if p["is_opening"]), None)
        await Post.filter(thread_id=src.id).update(thread_id=dst.id, is_opening=False)
        await Flag.filter(thread_id=src.id).update(thread_id=dst.id)
        await ReviewItem.filter(thread_id=src.id).update(thread_id=dst.id, category_id=dst.category_id)
        # Best-practice articles follow their answers: the badge and link show on the target.
        await Article.filter(source_thread_id=src.id).update(source_thread_id=dst.id)
        # Earlier merges and duplicates pointing at the source now point at the target: one hop.
        await Thread.filter(merged_into_id=src.id).update(merged_into_id=dst.id)
        await (
            Thread.filter(duplicate_of_id=src.id)
            .exclude(id=dst.id)
            .update(duplicate_of_id=dst.id, version=F("version") + 1)
        )
        accepted = await _merge_accepted(src, dst)
        tags = list(dict.fromkeys([*dst.tag_names, *src.tag_names]))[: validation.TAGS_MAX]
        # A target that was closed as a duplicate of the source now is the original: open again.
        was_duplicate: dict[str, Any] = (
            {"duplicate_of_id": None, "status": ThreadStatus.OPEN} if dst.duplicate_of_id == src.id else {}
        )
        await Thread.filter(id=dst.id).update(
            reply_count=F("reply_count") + sum(1 for p in moved if p["state"] in PostState.COUNTED),
            last_activity_at=max(src.last_activity_at, dst.last_activity_at),
            tag_names=tags,
            accepted_post_id=accepted,
            version=F("version") + 1,
            **was_duplicate,
        )
        if tags != dst.tag_names:
            await set_thread_tags(dst, tags)
        await _move_watches(src.id, dst.id)
        await audit(
            actor.id, "thread.merge", "thread", src.id, reason=reason_text,
            before={"thread_id": src.id, "title": src.title, "post_ids": moved_ids,
                    "opening_post_id": opening_id, "accepted_post_id": src.accepted_post_id,
                    "tags": src.tag_names},
            after={"merged_into": dst.id, "target_title": dst.title, "accepted_post_id": accepted,
                   "tags": tags, "target_no_longer_duplicate": bool(was_duplicate)},
        )  # fmt: skip
        await index_later((THREAD, src.id), (THREAD, dst.id), *[(POST, pid) for pid in moved_ids])
        created = await _tell_merge(actor, src, source.category, dst, target.category, reason_text, moved)
    await announce(created)
    categories = tuple(dict.fromkeys((src.category_id, dst.category_id)))
    await publish(ThreadModerated(src.id, "merge", actor.id, dst.id, categories))
    await publish(ThreadModerated(dst.id, "merged_into", actor.id, src.id, categories))
    return MergeOutcome(source_id=src.id, target=await Thread.get(id=dst.id), moved_post_ids=moved_ids)


async def _may_see(user_id: int, thread: Thread, category: Category, opening_state: str | None) -> bool:
    """Whether a notice to this person may name the thread: they may see its category and its
    question is not held or hidden from them."""
    person = await load_actor(user_id)
    return (
        person is not None
        and opening_state is not None
        and policy.can_see_category(person, category)
        and policy.can_see_thread(
            person, thread.author_id, opening_state, private_org_id=thread.private_org_id
        )
    )


async def _tell_merge(
    actor: Actor,
    src: Thread,
    src_category: Category,
    dst: Thread,
    dst_category: Category,
    reason: str,
    moved: list[dict[str, Any]],
) -> Created:
    """Both authors hear of the merge; each notice names the other thread only to someone who may
    see it (a title can be the confidential part)."""
    dst_states = await Post.filter(thread_id=dst.id, is_opening=True).values_list("state", flat=True)
    target_seen = await _may_see(src.author_id, dst, dst_category, dst_states[0] if dst_states else None)
    created = await forum_notices.thread_merged(actor.id, src, dst, reason, target_seen=target_seen)
    if dst.author_id != src.author_id:
        src_state = next((p["state"] for p in moved if p["is_opening"]), None)
        source_seen = await _may_see(dst.author_id, src, src_category, src_state)
        created += await forum_notices.merged_into_thread(actor.id, src, dst, source_seen=source_seen)
    return created


async def _merge_accepted(src: Thread, dst: Thread) -> int | None:
    """The target's accepted answer stays; a question without one takes the source's. An
    acceptance that does not survive is taken back from its author's count."""
    keep = dst.accepted_post_id
    if keep is None and dst.is_question and src.accepted_post_id is not None:
        return src.accepted_post_id
    if src.accepted_post_id is not None:
        author = await Post.filter(id=src.accepted_post_id).values_list("author_id", flat=True)
        if author:
            await User.filter(id=author[0]).update(accepted_count=F("accepted_count") - 1)
    return keep


async def _move_watches(source_id: int, target_id: int) -> None:
    """People watching (or muting) the source now do the same with the target, unless they
    already chose something for the target."""
    chose = await Watch.filter(target_type=WatchTarget.THREAD, target_key=str(target_id)).values_list(
        "user_id", flat=True
    )
    watches = Watch.filter(target_type=WatchTarget.THREAD, target_key=str(source_id))
    await watches.filter(user_id__not_in=list(chose) or [0]).update(target_key=str(target_id))
    await Watch.filter(target_type=WatchTarget.THREAD, target_key=str(source_id)).delete()


async def mark_duplicate(actor: Actor, thread_id: int, *, of: object, reason: object = "") -> Thread:
    """Close the thread with a banner linking to the original; ``of`` None takes the mark back
    (and reopens it)."""
    thread = await thread_for_moderator(actor, thread_id)
    fields: dict[str, str] = {}
    reason_text = validation.reason(reason, fields)
    if of is validation.KEEP:
        raise Invalid({"of": "Name the original thread, or give null to take the duplicate mark back."})
    if of in (None, ""):
        validation.raise_if(fields)
        changes: dict[str, Any] = {"duplicate_of_id": None, "status": ThreadStatus.OPEN}
        if thread.duplicate_of_id is None:
            return thread
        notice = partial(forum_notices.thread_changed, actor.id, thread, "not_duplicate", reason_text)
        await apply_change(actor, thread, "not_duplicate", changes, reason=reason_text, tell_author=notice)
        return thread
    original = await _other_thread(actor, thread, of, fields, "of")
    if original is not None and original.duplicate_of_id == thread.id:
        fields["of"] = "That thread is marked as a duplicate of this one."
    validation.raise_if(fields)
    assert original is not None
    changes = {"duplicate_of_id": original.id, "status": ThreadStatus.CLOSED}
    states = await Post.filter(thread_id=original.id, is_opening=True).values_list("state", flat=True)
    seen = await _may_see(thread.author_id, original, original.category, states[0] if states else None)
    named = original.title if seen else None
    notice = partial(forum_notices.thread_marked_duplicate, actor.id, thread, named, reason_text)
    await apply_change(actor, thread, "duplicate", changes, reason=reason_text, tell_author=notice)
    return thread


async def merged_target(actor: Actor, thread_id: int) -> int | None:
    """Where a merged thread's address leads now, if the actor could have seen the merged thread
    (its category, its question not held or hidden) and may see the target. Anyone else gets the
    same 404 as for a thread that never existed: a redirect would tell them it did."""
    source = (
        await Thread.filter(id=thread_id, merged_into_id__isnull=False).select_related("category").first()
    )
    if source is None or not policy.can_see_category(actor, source.category):
        return None
    if not policy.can_see_thread(
        actor, source.author_id, await _former_opening_state(source.id), private_org_id=source.private_org_id
    ):
        return None
    try:
        target = await load_visible_thread(actor, source.merged_into_id)
    except NotFound:
        return None
    return target.id


async def _former_opening_state(thread_id: int) -> str:
    """The state of a merged thread's question now (a reply in the target), found through the
    merge's audit entry; unknown counts as hidden."""
    entry = await AuditEntry.filter(
        action="thread.merge", subject_type="thread", subject_id=thread_id
    ).first()
    opening_id = (entry.before or {}).get("opening_post_id") if entry is not None else None
    states = await Post.filter(id=opening_id).values_list("state", flat=True) if opening_id else []
    return states[0] if states else PostState.HIDDEN
