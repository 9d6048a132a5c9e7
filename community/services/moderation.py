"""Moderation use cases: flag a post, the review queue, claiming and deciding an item.

Every change of a post's state happens here or in ``posts``; each one bumps the thread's version
(the page cache), writes outbox rows (the search index drops what is not visible) and an audit
entry, in one transaction; events are published after the commit.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q, Subquery
from tortoise.transactions import in_transaction

from community import policy
from community.actor import Actor
from community.errors import Conflict, Forbidden, NotFound
from community.events import (
    Event,
    PostEdited,
    PostFlagged,
    PostHidden,
    PostRestored,
    ReviewItemChanged,
    publish,
)
from community.models import (
    AuditEntry,
    Category,
    CategoryRules,
    Decision,
    Flag,
    FlagReason,
    FlagResolution,
    NotificationKind,
    Post,
    PostRevision,
    PostState,
    ReviewItem,
    ReviewKind,
    ReviewState,
    Thread,
    User,
    Visibility,
    WatchedAction,
    WatchedWord,
)
from community.ports import ModerationGate
from community.services import moderation_notices
from community.services import posts as posts_service
from community.services import threads as threads_service
from community.services import validation as v
from community.services.notifications import Created, announce, notify
from community.services.outbox import POST, THREAD, index_later
from community.services.review import audit, open_item, post_key
from community.services.sanctions import require_can_post
from community.services.threads import utcnow

NOTE_MAX = 500
REASON_MAX = 500
QUEUE_PAGE = 50


@dataclass(frozen=True, slots=True)
class FlagOutcome:
    flag: Flag
    open_weight: int
    hidden: bool


async def _set_post_state(post: Post, thread: Thread, state: str) -> None:
    """Change a post's state with everything that follows from it: counters when it enters or
    leaves 'deleted', the thread's version (page cache) and the search outbox."""
    was = post.state
    updates: dict[str, Any] = {"version": F("version") + 1}
    if (was == PostState.DELETED) != (state == PostState.DELETED):
        step = -1 if state == PostState.DELETED else 1
        if post.is_opening:
            updates["is_deleted"] = state == PostState.DELETED
        else:
            updates["reply_count"] = F("reply_count") + step
        await User.filter(id=post.author_id).update(post_count=F("post_count") + step)
    if state == PostState.DELETED and thread.accepted_post_id == post.id:
        updates["accepted_post_id"] = None
        await User.filter(id=post.author_id).update(accepted_count=F("accepted_count") - 1)
    await Post.filter(id=post.id).update(state=state)
    await Thread.filter(id=thread.id).update(**updates)
    if post.is_opening:  # the question hidden or shown: duplicates' banners name it or not
        await threads_service.refresh_duplicates_of(thread.id)
    await index_later((THREAD, thread.id), (POST, post.id))
    post.state = state


# --- flags -----------------------------------------------------------------------------------------


async def post_for_flag(actor: Actor, post_id: int) -> tuple[Post, Thread]:
    """The post to show on the flag form: the same checks as ``flag_post``, before any input."""
    require_can_post(actor)
    post, thread = await posts_service.load_visible_post(actor, post_id)
    if post.author_id == actor.id:
        raise Forbidden("You cannot flag your own post.")
    if not policy.can_flag(actor, post):
        raise Forbidden("This post cannot be flagged.")
    return post, thread


async def flag_post(
    gate: ModerationGate, actor: Actor, post_id: int, *, reason: object, note: object = ""
) -> FlagOutcome:
    """Flag a post once (flagging again changes the reason). The flag goes to the review queue;
    when the unresolved flags weigh enough, the post is hidden at once pending review."""
    post, thread = await post_for_flag(actor, post_id)
    return await _flag(gate, actor, post, thread, post_key(post.id), ReviewKind.FLAGGED_POST, reason, note)


async def thread_for_flag(actor: Actor, thread_id: int) -> tuple[Post, Thread]:
    """The thread to show on its flag form, and its opening post (which carries its flags)."""
    require_can_post(actor)
    thread = await threads_service.load_visible_thread(actor, thread_id)
    if not policy.can_flag_thread(actor, thread):
        raise Forbidden("You cannot flag your own thread.")
    opening = await Post.get(thread_id=thread.id, is_opening=True)
    return opening, thread


async def flag_thread(
    gate: ModerationGate, actor: Actor, thread_id: int, *, reason: object, note: object = ""
) -> FlagOutcome:
    """Flag a thread as a whole (its title, its topic). Its flags sit on its opening post, so at the
    threshold the whole thread is hidden pending review, and one queue item covers both."""
    opening, thread = await thread_for_flag(actor, thread_id)
    key = f"thread:{thread.id}"
    return await _flag(gate, actor, opening, thread, key, ReviewKind.FLAGGED_THREAD, reason, note)


async def _flag(
    gate: ModerationGate, actor: Actor, post: Post, thread: Thread, key: str, kind: str,
    reason: object, note: object,
) -> FlagOutcome:  # fmt: skip
    fields: dict[str, str] = {}
    reason_value = v.choice(reason, FlagReason.ALL, fields, "reason")
    note_text = v.short_text(note, fields, "note", "The note", required=False, max_len=NOTE_MAX)
    if reason_value == FlagReason.OTHER and not note_text and "note" not in fields:
        fields["note"] = "Please say what is wrong with it."
    v.raise_if(fields)
    weight = gate.flag_weight(actor.role)
    events: list[Event] = []
    what = "Flagged thread" if kind == ReviewKind.FLAGGED_THREAD else "Flagged"
    notes: Created = []
    async with in_transaction():
        flag = await Flag.filter(flagger_id=actor.id, target=key).first()
        if flag is None:
            flag = await Flag.create(
                target=key, post_id=post.id, thread_id=thread.id, flagger_id=actor.id,
                reason=reason_value, note=note_text, weight=weight,
            )  # fmt: skip
        else:
            flag.reason, flag.note, flag.weight = reason_value, note_text, weight
            flag.resolution, flag.resolved_at = None, None
            await flag.save(
                update_fields=["reason", "note", "weight", "resolution", "resolved_at", "updated_at"]
            )
        # One person's flags on a question and on its thread count once (the heavier one).
        heaviest: dict[int, int] = {}
        for row in await Flag.filter(post_id=post.id, resolution__isnull=True).values("flagger_id", "weight"):
            heaviest[row["flagger_id"]] = max(row["weight"], heaviest.get(row["flagger_id"], 0))
        open_weight = sum(heaviest.values())
        label = FlagReason.LABELS[reason_value]
        item = await open_item(
            post, thread.id, thread.category_id, kind, f"{what}: {label}", actor_id=actor.id, notes=notes
        )
        hidden = False
        if post.state == PostState.VISIBLE and gate.flag_hides(open_weight):
            await _set_post_state(post, thread, PostState.HIDDEN)
            await audit(
                None, "post.auto_hide", "post", post.id,
                reason=f"Flags reached the threshold ({open_weight}): {label}",
                before={"state": PostState.VISIBLE}, after={"state": PostState.HIDDEN},
            )  # fmt: skip
            hidden = True
            events.append(PostHidden(thread.id, post.id, post.author_id, None, f"{what}: {label}"))
            notes += await moderation_notices.post_hidden(None, post, thread, f"flagged as {label.lower()}")
        await ReviewItem.filter(id=item.id).update(updated_at=utcnow())
    await publish(PostFlagged(thread.id, post.id, actor.id, reason_value))
    for event in events:
        await publish(event)
    await announce(notes)
    return FlagOutcome(flag=flag, open_weight=open_weight, hidden=hidden)


async def resubmit_after_edit(
    post: Post, thread: Thread, editor_id: int, notes: Created | None = None
) -> None:
    """The author edited a hidden post: it goes back to the review queue (call inside the edit's
    transaction). It stays hidden until a moderator decides."""
    if post.state != PostState.HIDDEN or editor_id != post.author_id:
        return
    item = await open_item(
        post,
        thread.id,
        thread.category_id,
        ReviewKind.FLAGGED_POST,
        "Edited by the author after being hidden",
        actor_id=editor_id,
        notes=notes,
    )
    await ReviewItem.filter(id=item.id).update(reason="Edited by the author after being hidden")
    await audit(editor_id, "post.resubmit", "post", post.id, reason="Edited after being hidden")


# --- the review queue ------------------------------------------------------------------------------


def _require_moderator(actor: Actor) -> None:
    if not policy.can_moderate(actor):
        raise Forbidden("Only moderators can use the review queue.")


@dataclass
class Queue:
    items: list[dict[str, Any]]
    total: int
    filters: dict[str, str]


async def list_queue(
    actor: Actor, *, kind: str | None = None, category: str | None = None, reason: str | None = None
) -> Queue:
    """Pending items, oldest first, with who has claimed each and how long it has waited."""
    _require_moderator(actor)
    fields: dict[str, str] = {}
    query = ReviewItem.filter(state=ReviewState.PENDING)
    if kind:
        query = query.filter(kind=v.choice(kind, ReviewKind.ALL, fields, "kind"))
    if reason:
        reason_value = v.choice(reason, FlagReason.ALL, fields, "reason")
        if not fields:
            query = query.filter(post__flags__reason=reason_value, post__flags__resolution__isnull=True)
    if category:
        cat = await Category.filter(slug=category).first() if v.SLUG_RE.match(category) else None
        if cat is None:
            fields["category"] = "No such category."
        else:
            query = query.filter(category_id=cat.id)
    v.raise_if(fields)
    rows = (
        await query.distinct()
        .order_by("created_at", "id")
        .limit(QUEUE_PAGE)
        .values(
            "id", "kind", "post_id", "thread_id", "user_id", "reason", "created_at", "claimed_at",
            "claimed_by_id", thread_title="thread__title", author_name="user__display_name",
            author_handle="user__handle", claimed_by_name="claimed_by__display_name",
        )
    )  # fmt: skip
    total = await query.distinct().count()
    now = utcnow()
    for row in rows:
        row["waiting_seconds"] = max(0, int((now - row["created_at"]).total_seconds()))
    filters = {"kind": kind or "", "category": category or "", "reason": reason or ""}
    return Queue(items=rows, total=total, filters=filters)


@dataclass
class ItemView:
    item: ReviewItem
    post: Post | None
    thread: Thread | None
    author: User | None
    flags: list[dict[str, Any]]
    author_history: dict[str, Any]
    claimed_by_name: str | None
    decided_by_name: str | None


async def get_item(actor: Actor, item_id: int) -> ItemView:
    """One item with the content (also what was hidden), the thread, every flag with its note and
    the author's history: posts, flags against them, earlier decisions."""
    _require_moderator(actor)
    item = await ReviewItem.filter(id=item_id).first()
    if item is None:
        raise NotFound("No such review item.")
    post = await Post.filter(id=item.post_id).first() if item.post_id else None
    thread = await Thread.filter(id=item.thread_id).first() if item.thread_id else None
    author = await User.filter(id=item.user_id).first() if item.user_id else None
    flags = (
        await Flag.filter(post_id=item.post_id).order_by("created_at", "id")
        .values("id", "reason", "note", "weight", "resolution", "created_at",
                flagger_name="flagger__display_name", flagger_handle="flagger__handle")
        if item.post_id else []
    )  # fmt: skip
    history: dict[str, Any] = {"post_count": 0, "flags_against": 0, "decisions": []}
    if author is not None:
        history["post_count"] = author.post_count
        history["flags_against"] = await Flag.filter(post__author_id=author.id).count()
        history["decisions"] = (
            await ReviewItem.filter(user_id=author.id, state=ReviewState.DECIDED)
            .order_by("-decided_at")
            .limit(10)
            .values("id", "kind", "decision", "decision_reason", "decided_at")
        )
    names = {
        u["id"]: u["display_name"]
        for u in await User.filter(id__in=[i for i in (item.claimed_by_id, item.decided_by_id) if i]).values(
            "id", "display_name"
        )
    }
    return ItemView(
        item=item,
        post=post,
        thread=thread,
        author=author,
        flags=flags,
        author_history=history,
        claimed_by_name=names.get(item.claimed_by_id) if item.claimed_by_id else None,
        decided_by_name=names.get(item.decided_by_id) if item.decided_by_id else None,
    )


async def claim_item(actor: Actor, item_id: int, *, release: bool = False) -> ReviewItem:
    """Say 'I am handling this' (or let go of it). Claiming what another moderator holds is a
    conflict: they see each other's claims on the queue."""
    _require_moderator(actor)
    item = await ReviewItem.filter(id=item_id).first()
    if item is None:
        raise NotFound("No such review item.")
    if item.state != ReviewState.PENDING:
        raise Conflict("This item was already decided.")
    if release:
        updated = await ReviewItem.filter(id=item.id, claimed_by_id=actor.id).update(
            claimed_by_id=None, claimed_at=None
        )
    else:
        now = utcnow()
        updated = (
            await ReviewItem.filter(id=item.id, state=ReviewState.PENDING, claimed_by_id=None).update(
                claimed_by_id=actor.id, claimed_at=now
            )
            or await ReviewItem.filter(id=item.id, claimed_by_id=actor.id).count()
        )
    if not updated:
        raise Conflict("Another moderator is handling this item.")
    await item.refresh_from_db()
    await publish(ReviewItemChanged(item.id, item.state, item.claimed_by_id))
    return item


_TARGET_STATE = {
    Decision.HIDE: PostState.HIDDEN,
    Decision.DELETE: PostState.DELETED,
    Decision.RESTORE: PostState.VISIBLE,
}


async def decide_item(
    actor: Actor,
    item_id: int,
    *,
    decision: object,
    reason: object = "",
    body: object = None,
    title: object = None,
) -> ReviewItem:
    """Apply a decision once: the item is marked decided with a conditional update on its pending
    state, so a second moderator deciding at the same moment gets a conflict and nothing twice.

    ``edit`` rewrites the post with ``body`` (what was wrong taken out) and keeps it up: a new
    revision whose note is the reason, the author told why. On a flagged thread the edit may also
    give the thread a new ``title`` (often what the flag was about)."""
    _require_moderator(actor)
    item = await ReviewItem.filter(id=item_id).first()
    if item is None:
        raise NotFound("No such review item.")
    fields: dict[str, str] = {}
    decision_value = v.choice(decision, Decision.ALL, fields, "decision")
    reason_text = v.short_text(reason, fields, "reason", "The reason", required=False, max_len=REASON_MAX)
    if decision_value in (Decision.HIDE, Decision.DELETE, Decision.EDIT) and not reason_text:
        fields.setdefault("reason", "Say why: the author is told.")
    new_text, new_html = "", ""
    if decision_value == Decision.EDIT:
        new_text = v.body(body, fields)
        if item.post_id is None:
            fields["decision"] = "Only a post can be edited."
    new_title: str | None = None
    if title not in (None, ""):
        if decision_value != Decision.EDIT or item.kind != ReviewKind.FLAGGED_THREAD:
            fields["title"] = "Only an edit of a flagged thread can change its title."
        else:
            new_title = v.title(title, fields)
    v.raise_if(fields)
    if new_text:
        new_html, _ = await threads_service.render_post_body(new_text)
    created: list[tuple[int, int]] = []
    if item.state != ReviewState.PENDING:
        raise Conflict("This item was already decided.")
    events: list[Event] = []
    notes: Created = []
    now = utcnow()
    async with in_transaction():
        updated = await ReviewItem.filter(id=item.id, state=ReviewState.PENDING).update(
            state=ReviewState.DECIDED, open_key=None, decided_by_id=actor.id, decided_at=now,
            decision=decision_value, decision_reason=reason_text, updated_at=now,
        )  # fmt: skip
        if not updated:
            raise Conflict("This item was already decided.")
        post = await Post.filter(id=item.post_id).first() if item.post_id else None
        if post is not None:
            thread = await Thread.get(id=post.thread_id)
            before, before_source, before_title = post.state, post.body_source, thread.title
            target = _TARGET_STATE.get(decision_value)
            if decision_value in (Decision.KEEP, Decision.EDIT) and before in (
                PostState.HIDDEN,
                PostState.PENDING,
            ):
                target = PostState.VISIBLE
            if decision_value == Decision.EDIT:
                if post.state == PostState.DELETED:
                    raise Conflict("This post was deleted meanwhile: restore it before editing it.")
                created = await _edit_as_moderator(
                    actor, post, thread, new_text, new_html, reason_text, new_title
                )
            if target is not None and target != before:
                await _set_post_state(post, thread, target)
            retitled = {"title": before_title} if thread.title != before_title else {}
            await audit(
                actor.id, f"post.{decision_value}", "post", post.id, reason=reason_text,
                before={"state": before, "body_source": before_source, **retitled},
                after={"state": post.state, "body_source": post.body_source,
                       **({"title": thread.title} if retitled else {})},
            )  # fmt: skip
            # An edit agrees with the flags: something had to go.
            agreed = post.state != PostState.VISIBLE or decision_value == Decision.EDIT
            resolution = FlagResolution.AGREED if agreed else FlagResolution.DISAGREED
            flagger_ids = [
                r["flagger_id"]
                for r in await Flag.filter(post_id=post.id, resolution__isnull=True).values("flagger_id")
            ]
            if flagger_ids:
                await Flag.filter(post_id=post.id, resolution__isnull=True).update(
                    resolution=resolution, resolved_at=now
                )
                decided = decision_value if agreed else Decision.KEEP
                notes += await moderation_notices.flag_outcome(actor.id, post, thread, flagger_ids, decided)
            if post.state != before:
                if post.state == PostState.VISIBLE:
                    events.append(PostRestored(thread.id, post.id, post.author_id, actor.id))
                elif post.state == PostState.HIDDEN:
                    events.append(PostHidden(thread.id, post.id, post.author_id, actor.id, reason_text))
            notes += await moderation_notices.after_decision(actor.id, post, thread, before, reason_text)
        else:
            await audit(actor.id, f"review.{decision_value}", "review_item", item.id, reason=reason_text)
    await item.refresh_from_db()
    events.append(ReviewItemChanged(item.id, item.state, item.claimed_by_id, decision_value))
    if decision_value == Decision.EDIT and item.post_id and item.thread_id:
        events.append(PostEdited(item.thread_id, item.post_id, actor.id))
    await announce(created)
    for event in events:
        await publish(event)
    await announce(notes)
    return item


async def _edit_as_moderator(
    actor: Actor, post: Post, thread: Thread, text: str, html: str, reason: str, title: str | None = None
) -> list[tuple[int, int]]:
    """Inside the decision's transaction: the new text (and, for a thread's question, maybe a new
    title) as a revision noting the reason, the thread's page and search documents refreshed, the
    author told."""
    saved = await Post.filter(id=post.id, revision_count=post.revision_count).update(
        body_source=text, body_html=html, edited_at=utcnow(), edited_by_id=actor.id,
        revision_count=post.revision_count + 1,
    )  # fmt: skip
    if not saved:
        raise Conflict("The post was edited meanwhile. Reload the item and decide again.")
    post.body_source, post.body_html, post.revision_count = text, html, post.revision_count + 1
    if title is not None and post.is_opening:
        thread.title = title
        await Thread.filter(id=thread.id).update(title=title)
        await threads_service.refresh_duplicates_of(thread.id)
    await PostRevision.create(
        post_id=post.id, number=post.revision_count, editor_id=actor.id, body_source=text, body_html=html,
        note=reason[:200], title=thread.title if post.is_opening else None,
        tag_names=thread.tag_names if post.is_opening else None,
    )  # fmt: skip
    await Thread.filter(id=thread.id).update(version=F("version") + 1)
    await index_later((THREAD, thread.id), (POST, post.id))
    return await notify(
        kind=NotificationKind.POST_EDITED, recipient_ids=[post.author_id],
        text=f"A moderator edited your post in “{thread.title}”: {reason}",
        url=f"/t/{thread.id}#p{post.id}", actor_id=actor.id, thread_id=thread.id, post_id=post.id,
    )  # fmt: skip


def waiting_label(seconds: int) -> str:
    """'just now', '3 min', '2 h', '4 d': how long an item has waited, for the queue."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86_400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86_400} d"


def as_utc(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- the audit log ---------------------------------------------------------------------------------

AUDIT_PAGE = 100
AUDIT_EXPORT_MAX = 50_000
_AUDIT_FIELDS = ("id", "action", "subject_type", "subject_id", "reason", "before", "after", "created_at")


def _date(value: str | None, fields: dict[str, str], name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        fields[name] = "Give a date as YYYY-MM-DD."
        return None


@dataclass
class AuditLog:
    entries: list[dict[str, Any]]
    total: int
    filters: dict[str, str]


async def list_audit(
    actor: Actor,
    *,
    moderator: str | None = None,
    user: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = AUDIT_PAGE,
) -> AuditLog:
    """Newest first; by who acted (a handle, or 'rules' for automatic actions), who was acted upon
    (their posts, threads, review items, sanctions), the action (a prefix such as 'post.' works)
    and a date range."""
    _require_moderator(actor)
    fields: dict[str, str] = {}
    query = AuditEntry.all()
    if moderator:
        if moderator == "rules":
            query = query.filter(actor_id__isnull=True)
        else:
            who = await User.filter(handle=moderator).first() if v.can_name_something(moderator) else None
            if who is None:
                fields["moderator"] = "No member has this handle."
            else:
                query = query.filter(actor_id=who.id)
    if user:
        author = await User.filter(handle=user).first() if v.can_name_something(user) else None
        if author is None:
            fields["user"] = "No member has this handle."
        else:
            query = query.filter(_acted_upon(author.id))
    if action:
        if not v.can_name_something(action, 40):
            fields["action"] = "Not an action name."
        else:
            query = query.filter(action__startswith=action)
    start, end = _date(since, fields, "since"), _date(until, fields, "until")
    v.raise_if(fields)
    if start:
        query = query.filter(created_at__gte=start)
    if end:
        query = query.filter(created_at__lt=end + timedelta(days=1))
    total = await query.count()
    entries = (
        await query.order_by("-created_at", "-id")
        .limit(limit)
        .values(*_AUDIT_FIELDS, actor_name="actor__display_name", actor_handle="actor__handle")
    )
    filters = {
        "moderator": moderator or "",
        "user": user or "",
        "action": action or "",
        "since": since or "",
        "until": until or "",
    }
    return AuditLog(entries=entries, total=total, filters=filters)


def _acted_upon(user_id: int) -> Q:
    """Entries about a member: their posts and threads, review items about them, sanctions on
    them. Subqueries, so the database does the matching however much they wrote."""
    return (
        Q(subject_type="post", subject_id__in=Subquery(Post.filter(author_id=user_id).values("id")))
        | Q(subject_type="thread", subject_id__in=Subquery(Thread.filter(author_id=user_id).values("id")))
        | Q(
            subject_type="review_item",
            subject_id__in=Subquery(ReviewItem.filter(user_id=user_id).values("id")),
        )
        | Q(subject_type="user", subject_id=user_id)
    )


def audit_csv(log: AuditLog) -> str:
    """The entries as CSV (a spreadsheet opens it); before/after as JSON text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "when", "who", "action", "subject", "reason", "before", "after"])
    for e in log.entries:
        writer.writerow(
            [
                e["id"],
                e["created_at"].isoformat(),
                e["actor_handle"] or "rules",
                e["action"],
                f"{e['subject_type']}:{e['subject_id']}",
                _csv_safe(e["reason"]),
                json.dumps(e["before"], ensure_ascii=False) if e["before"] is not None else "",
                json.dumps(e["after"], ensure_ascii=False) if e["after"] is not None else "",
            ]
        )
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: never for text people typed."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


async def restore_from_audit(actor: Actor, entry_id: int, *, reason: object = "") -> Post:
    """Bring a hidden or deleted post back from its audit entry (nothing is hard-deleted)."""
    _require_moderator(actor)
    entry = await AuditEntry.filter(id=entry_id).first()
    if entry is None:
        raise NotFound("No such audit entry.")
    fields: dict[str, str] = {}
    reason_text = v.short_text(reason, fields, "reason", "The reason", required=False, max_len=REASON_MAX)
    v.raise_if(fields)
    post = await Post.filter(id=entry.subject_id).first() if entry.subject_type == "post" else None
    if post is None:
        raise Conflict("This entry is not about a post.")
    if post.state == PostState.VISIBLE:
        raise Conflict("This post is already visible.")
    thread = await Thread.get(id=post.thread_id)
    before = post.state
    async with in_transaction():
        await ReviewItem.filter(open_key=post_key(post.id)).update(
            open_key=None,
            state=ReviewState.DECIDED,
            decision=Decision.RESTORE,
            decided_by_id=actor.id,
            decided_at=utcnow(),
            decision_reason=reason_text,
        )
        await _set_post_state(post, thread, PostState.VISIBLE)
        await audit(
            actor.id, "post.restore", "post", post.id,
            reason=reason_text or f"Restored from audit entry {entry.id}",
            before={"state": before}, after={"state": PostState.VISIBLE},
        )  # fmt: skip
        notes = await moderation_notices.after_decision(actor.id, post, thread, before, reason_text)
    await publish(PostRestored(thread.id, post.id, post.author_id, actor.id))
    await announce(notes)
    return post


# --- watched words ---------------------------------------------------------------------------------

PATTERN_MAX = 200
_WORD_VALUES = ("id", "pattern", "is_regex", "action", "category_ids", "rule_set", "enabled", "created_at")


def _require_admin(actor: Actor) -> None:
    if not policy.can_manage_site(actor):
        raise Forbidden("Only administrators can manage watched words.")


async def list_watched_words(actor: Actor) -> list[dict[str, Any]]:
    """Every watched word, newest first, with the slugs of the categories it is limited to."""
    _require_admin(actor)
    rows = await WatchedWord.all().order_by("-id").values(*_WORD_VALUES)
    slugs = dict(await Category.all().values_list("id", "slug"))
    for row in rows:
        row["categories"] = [slugs[c] for c in row["category_ids"] or [] if c in slugs]
    return rows


async def _category_ids(value: object, fields: dict[str, str]) -> list[int]:
    """Slugs as a list or comma-separated text; empty: every category."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        names = [n.strip() for n in value.split(",") if n.strip()]
    elif isinstance(value, list) and all(isinstance(n, str) for n in value):
        names = [n.strip() for n in value]
    else:
        fields["categories"] = "Categories must be a list of category slugs."
        return []
    if len(names) > 100 or not all(v.SLUG_RE.match(n) for n in names):
        fields["categories"] = "Name categories by their slugs (e.g. general)."
        return []
    found = dict(await Category.filter(slug__in=names).values_list("slug", "id"))
    missing = [n for n in names if n not in found]
    if missing:
        fields["categories"] = f"No such category: {', '.join(missing[:5])}."
    return [found[n] for n in names if n in found]


async def add_watched_word(
    gate: ModerationGate,
    actor: Actor,
    *,
    pattern: object,
    action: object,
    is_regex: object = False,
    categories: object = None,
) -> WatchedWord:
    """A word, phrase or regular expression and what it does to new posts; applies at once here
    and within seconds on other workers."""
    _require_admin(actor)
    fields: dict[str, str] = {}
    text = v.short_text(pattern, fields, "pattern", "The word or pattern", required=True, max_len=PATTERN_MAX)
    action_value = v.choice(action, WatchedAction.ALL, fields, "action")
    if not isinstance(is_regex, bool):
        fields["is_regex"] = "is_regex is true or false."
    elif is_regex and "pattern" not in fields:
        try:
            re.compile(text)
        except re.error as exc:
            fields["pattern"] = f"Not a valid regular expression: {exc}."
    category_ids = await _category_ids(categories, fields)
    v.raise_if(fields)
    async with in_transaction():
        word = await WatchedWord.create(
            pattern=text, is_regex=bool(is_regex), action=action_value, category_ids=category_ids,
            created_by_id=actor.id,
        )  # fmt: skip
        await audit(
            actor.id, "watched_word.create", "watched_word", word.id,
            after={"pattern": text, "action": action_value, "is_regex": bool(is_regex),
                   "category_ids": category_ids},
        )  # fmt: skip
    gate.invalidate()
    return word


async def remove_watched_word(gate: ModerationGate, actor: Actor, word_id: int) -> None:
    _require_admin(actor)
    word = await WatchedWord.filter(id=word_id).first()
    if word is None:
        raise NotFound("No such watched word.")
    async with in_transaction():
        await audit(
            actor.id, "watched_word.delete", "watched_word", word.id,
            before={"pattern": word.pattern, "action": word.action, "is_regex": word.is_regex,
                    "category_ids": word.category_ids},
        )  # fmt: skip
        await word.delete()
    gate.invalidate()


@dataclass(frozen=True, slots=True)
class RuleTest:
    action: str | None
    reason: str
    censored_text: str | None


async def try_watched_words(
    gate: ModerationGate, actor: Actor, *, text: object, category: object
) -> RuleTest:
    """What a sample text would trigger in a category, without posting anything."""
    _require_admin(actor)
    fields: dict[str, str] = {}
    sample = v.body(text, fields, "text")
    cat = await _category_field(category, fields)
    v.raise_if(fields)
    assert cat is not None
    verdict = await gate.check_post(sample, category_id=cat.id)
    return RuleTest(verdict.action, verdict.reason, verdict.censored_text)


async def _category_field(category: object, fields: dict[str, str]) -> Category | None:
    """The category a form names by slug, or a field error."""
    if not isinstance(category, str) or not v.SLUG_RE.match(category):
        fields["category"] = "Choose a category."
        return None
    cat = await Category.filter(slug=category).first()
    if cat is None:
        fields["category"] = "Choose one of the categories listed."
    return cat


CONFIDENTIALITY_CHOICES = ("default", "on", "off")


async def category_rule_switches(actor: Actor) -> list[dict[str, Any]]:
    """Each category with its confidentiality switch: default (on where every partner can see),
    on or off."""
    _require_admin(actor)
    overrides = dict(await CategoryRules.all().values_list("category_id", "confidentiality"))
    rows = await Category.all().order_by("position", "name").values("id", "slug", "name", "visibility")
    for row in rows:
        value = overrides.get(row["id"])
        row["confidentiality"] = "default" if value is None else ("on" if value else "off")
        row["default_on"] = row["visibility"] == Visibility.ALL
    return rows


async def set_category_confidentiality(
    gate: ModerationGate, actor: Actor, *, category: object, value: object
) -> None:
    """Switch the confidentiality starter set on or off in one category, or back to the default."""
    _require_admin(actor)
    fields: dict[str, str] = {}
    choice = v.choice(value, CONFIDENTIALITY_CHOICES, fields, "confidentiality")
    cat = await _category_field(category, fields)
    v.raise_if(fields)
    assert cat is not None
    stored = None if choice == "default" else choice == "on"
    async with in_transaction():
        before = await CategoryRules.filter(category_id=cat.id).values_list("confidentiality", flat=True)
        await CategoryRules.filter(category_id=cat.id).delete()
        if stored is not None:
            await CategoryRules.create(category_id=cat.id, confidentiality=stored)
        await audit(
            actor.id, "category.confidentiality", "category", cat.id,
            before={"confidentiality": before[0] if before else None}, after={"confidentiality": stored},
        )  # fmt: skip
    gate.invalidate()
