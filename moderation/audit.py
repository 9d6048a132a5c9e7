"""The audit log: recording what moderators, administrators and the rules did, reading it back
(filters, CSV export), and restoring a post from an entry.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from community import validation
from community.actor import Actor
from community.errors import Conflict, NotFound
from community.events import (
    PostRestored,
    publish,
    record,
)
from community.models import (
    AuditEntry,
    Category,
    Decision,
    Post,
    PostState,
    ReviewItem,
    ReviewState,
    Thread,
    User,
)
from community.notifications import moderation_notices
from community.notifications.delivery import announce
from community.timeutil import utcnow
from moderation.post_state import set_post_state
from moderation.queue import post_key, require_moderator

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
    require_moderator(actor)
    fields: dict[str, str] = {}
    query = AuditEntry.all()
    if moderator:
        if moderator == "rules":
            query = query.filter(actor_id__isnull=True)
        else:
            who = (
                await User.filter(handle=moderator).first()
                if validation.can_name_something(moderator)
                else None
            )
            if who is None:
                fields["moderator"] = "No member has this handle."
            else:
                query = query.filter(actor_id=who.id)
    if user:
        author = await User.filter(handle=user).first() if validation.can_name_something(user) else None
        if author is None:
            fields["user"] = "No member has this handle."
        else:
            query = query.filter(_acted_upon(author.id))
    if action:
        if not validation.can_name_something(action, 40):
            fields["action"] = "Not an action name."
        else:
            query = query.filter(action__startswith=action)
    start, end = _date(since, fields, "since"), _date(until, fields, "until")
    validation.raise_if(fields)
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


# What each action code means, as the audit log page says it (the code stays the filter's value and
# what the CSV export and the API carry).
ACTION_WORDS = {
    "post.keep": "kept the post",
    "post.hide": "hid the post",
    "post.delete": "deleted the post",
    "post.restore": "restored the post",
    "post.edit": "edited the post",
    "post.auto_hide": "hid the post: flags reached the limit",
    "post.resubmit": "edited their hidden post for review",
    "post.rule_hold": "held the post for review",
    "post.rule_flag": "queued the post for review",
    "post.rule_censor": "masked words in the post",
    "post.rule_new_account": "held a new member's post for approval",
    "review.keep": "closed the review item",
    "review.hide": "closed the review item (hide)",
    "review.delete": "closed the review item (delete)",
    "review.restore": "closed the review item (restore)",
    "review.edit": "closed the review item (edit)",
    "thread.close": "closed the thread",
    "thread.reopen": "reopened the thread",
    "thread.lock": "locked the thread",
    "thread.unlock": "unlocked the thread",
    "thread.pin": "pinned the thread",
    "thread.unpin": "unpinned the thread",
    "thread.move": "moved the thread",
    "thread.merge": "merged the thread into another",
    "thread.duplicate": "marked the thread a duplicate",
    "thread.not_duplicate": "took back the duplicate mark",
    "watched_word.create": "added a watched word",
    "watched_word.delete": "removed a watched word",
    "category.confidentiality": "switched the confidentiality rules",
    "user.warn": "warned the member",
    "user.silence": "silenced the member",
    "user.suspend": "suspended the member",
    "user.silence_lifted": "lifted the member's silence",
    "user.suspend_lifted": "lifted the member's suspension",
}


def action_words(action: str, before: dict[str, Any] | None = None) -> str:
    """The action in words; a kept post that was waiting for approval was approved."""
    if action == "post.keep" and (before or {}).get("state") == PostState.PENDING:
        return "approved the post"
    return ACTION_WORDS.get(action, action.replace("_", " ").replace(".", ": "))


async def describe_entries(entries: list[dict[str, Any]]) -> None:
    """Add to each entry what the page shows: ``action_words``, what it is about in words with a
    link (``subject_label``, ``subject_url``) and the member acted upon (``member_name``,
    ``member_handle``: the author of the post or thread, the member of a review item or a
    sanction). One query per kind of subject on the page."""
    ids: dict[str, list[int]] = {}
    for e in entries:
        ids.setdefault(e["subject_type"], []).append(e["subject_id"])

    async def by_id(kind: str, query: Any, *fields: str, **related: str) -> dict[int, dict[str, Any]]:
        if kind not in ids:
            return {}
        return {r["id"]: r for r in await query.filter(id__in=ids[kind]).values("id", *fields, **related)}

    author = {"member_name": "author__display_name", "member_handle": "author__handle"}
    posts = await by_id("post", Post, "thread_id", thread_title="thread__title", **author)
    threads = await by_id("thread", Thread, "title", **author)
    items = await by_id(
        "review_item", ReviewItem, "kind", member_name="user__display_name", member_handle="user__handle"
    )
    users = await by_id("user", User, "display_name", "handle")
    categories = await by_id("category", Category, "name", "slug")
    for e in entries:
        e["action_words"] = action_words(e["action"], e["before"])
        kind, sid = e["subject_type"], e["subject_id"]
        label, url = f"{kind.replace('_', ' ')} {sid}", None
        member: dict[str, Any] | None = None
        if kind == "post" and (p := posts.get(sid)):
            label, url, member = f"post {sid} in “{p['thread_title']}”", f"/posts/{sid}", p
        elif kind == "thread" and (t := threads.get(sid)):
            label, url, member = f"“{t['title']}”", f"/t/{sid}", t
        elif kind == "review_item" and (i := items.get(sid)):
            label, url, member = f"review item {sid}", f"/moderation/items/{sid}", i
        elif kind == "user" and (u := users.get(sid)):
            label, url = u["display_name"], f"/u/{u['handle']}"
            member = {"member_name": u["display_name"], "member_handle": u["handle"]}
        elif kind == "category" and (c := categories.get(sid)):
            label, url = f"category “{c['name']}”", f"/c/{c['slug']}"
        elif kind == "watched_word":
            label, url = "watched words", "/admin/watched-words"
        e["subject_label"], e["subject_url"] = label, url
        e["member_name"] = member["member_name"] if member else None
        e["member_handle"] = member["member_handle"] if member else None


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
    require_moderator(actor)
    entry = await AuditEntry.filter(id=entry_id).first()
    if entry is None:
        raise NotFound("No such audit entry.")
    fields: dict[str, str] = {}
    reason_text = validation.reason(reason, fields)
    validation.raise_if(fields)
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
        await set_post_state(post, thread, PostState.VISIBLE)
        await audit(
            actor.id, "post.restore", "post", post.id,
            reason=reason_text or f"Restored from audit entry {entry.id}",
            before={"state": before}, after={"state": PostState.VISIBLE},
        )  # fmt: skip
        notes = await moderation_notices.after_decision(actor.id, post, thread, before, reason_text)
        restored = PostRestored(thread.id, post.id, post.author_id, actor.id)
        await record(restored)
    await publish(restored)
    await announce(notes)
    return post


async def audit(
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: int,
    *,
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record an action in the audit log; call inside the use case's transaction."""
    return await AuditEntry.create(
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        reason=reason[: validation.REASON_MAX],
        before=before,
        after=after,
    )
