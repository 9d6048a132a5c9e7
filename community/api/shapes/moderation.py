"""Flags, the review queue and its decisions, the audit log and the moderation overview."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import UNSET, Meta, UnsetType

from community.api.shapes import AuthorSummary, Body, Counted, Instant, Shape, choice, text, utc
from community.models import Decision, FlagReason, ReviewKind
from community.settings import Settings
from community.validation import REASON_MAX, TITLE_MAX
from moderation import flags
from moderation.overview import Overview
from moderation.queue import ItemView

ReviewKindName = Annotated[str, Meta(extra_json_schema={"enum": list(ReviewKind.ALL)})]
FlagReasonName = Annotated[
    str,
    Meta(
        description="confidential: a partner's pricing or customer data posted in the open.",
        extra_json_schema={"enum": list(FlagReason.ALL)},
    ),
]
ItemUrl = Annotated[str, Meta(description="The item's page (HTML).", extra_json_schema={"format": "uri"})]


class NewFlag(Body):
    """Why a post or thread needs a moderator."""

    required = ("reason",)
    reason: (
        choice(FlagReason.ALL, "confidential: a partner's pricing or customer data posted in the open.")
        | UnsetType
    ) = UNSET
    note: text("The note must be text.", "Required for other.", maxLength=flags.NOTE_MAX) | UnsetType = UNSET


class FlagResult(Shape):
    """The flag (flagging again changes its reason)."""

    reason: FlagReasonName
    note: str
    weight: Annotated[int, Meta(description="What this flag adds (by the flagger's role).")]
    post_hidden: Annotated[bool, Meta(description="Whether this flag hid the post pending review.")]


class ReviewQueueItem(Shape):
    """An item waiting for a decision."""

    id: int
    kind: ReviewKindName
    reason: Annotated[str, Meta(description="Why it is in the queue, e.g. 'Flagged: Spam'.")]
    post_id: int | None
    thread_id: int | None
    thread_title: str | None
    author: AuthorSummary | None
    claimed_by: Annotated[str | None, Meta(description="The moderator handling it, if any.")]
    claimed_at: Instant | None
    created_at: Instant
    waiting_seconds: Annotated[int, Meta(description="How long it has waited.")]
    url: ItemUrl


class ReviewQueue(Counted):
    """Pending items, oldest first (at most 50)."""

    items: list[ReviewQueueItem]


class ItemThread(Shape):
    """The thread a review item is about."""

    id: int
    title: str


class ItemPost(Shape):
    """The content, also when hidden."""

    id: int
    state: str
    body_source: str
    body_html: str


class PastDecision(Shape):
    """An earlier decision about the same author."""

    id: int
    kind: ReviewKindName
    decision: str | None
    reason: str
    decided_at: Instant | None


class AuthorHistory(Shape):
    """What the author did before."""

    post_count: int
    flags_against: Annotated[int, Meta(description="Flags ever raised on their posts.")]
    decisions: list[PastDecision]


class ItemFlag(Shape):
    """A flag on the item's content."""

    reason: FlagReasonName
    note: str
    weight: int
    resolution: Annotated[str | None, Meta(extra_json_schema={"enum": ["agreed", "disagreed", None]})]
    created_at: Instant
    flagger: AuthorSummary | None


class ReviewItem(Shape):
    """One review item with its content, flags and the author's history."""

    id: int
    kind: ReviewKindName
    state: Annotated[str, Meta(extra_json_schema={"enum": ["pending", "decided"]})]
    reason: Annotated[str, Meta(description="Why it is in the queue, e.g. 'Flagged: Spam'.")]
    thread: ItemThread | None
    post: ItemPost | None
    author: AuthorSummary | None
    author_history: AuthorHistory
    flags: list[ItemFlag]
    claimed_by: Annotated[str | None, Meta(description="The moderator handling it, if any.")]
    claimed_at: Instant | None
    decision: Annotated[str | None, Meta(extra_json_schema={"enum": [*Decision.ALL, None]})]
    decision_reason: str
    decided_by: str | None
    decided_at: Instant | None
    created_at: Instant
    url: ItemUrl


class NewDecision(Body):
    """What to do with a review item."""

    required = ("decision",)
    decision: choice(
        Decision.ALL,
        "keep: flags dismissed, the post shown; hide; delete (softly); restore; edit: the post rewritten "
        "with `body` and shown (a revision noting the reason).",
    ) | UnsetType = UNSET  # fmt: skip
    reason: text("The reason must be text.", "Required for hide, delete and edit: the author is told.",
                 maxLength=REASON_MAX) | UnsetType = UNSET  # fmt: skip
    # Read for an edit only (and a title for a flagged thread only): the use case judges them.
    body: text(None, "For edit: the post's new Markdown text.") | UnsetType = UNSET
    title: text(None, "For edit of a flagged thread: the thread's new title (422 elsewhere).",
                maxLength=TITLE_MAX) | UnsetType = UNSET  # fmt: skip


class AuditEntry(Shape):
    """One audited action."""

    id: int
    created_at: Instant
    actor: Annotated[AuthorSummary | None, Meta(description="null: an automatic rule.")]
    action: str
    subject_type: str
    subject_id: int
    reason: str
    before: Annotated[dict[str, Any] | None, Meta(description="The content before.")]
    after: Annotated[dict[str, Any] | None, Meta(description="The content after.")]


class AuditLog(Counted):
    """At most 100 entries, newest first; total counts them all."""

    items: list[AuditEntry]


class RestoreReason(Body):
    """Why."""

    reason: text("The reason must be text.", maxLength=REASON_MAX) | UnsetType = UNSET


class RestoredPost(Shape):
    """The restored post."""

    post_id: int
    state: str


class WaitingCount(Shape):
    """Items waiting of one type."""

    kind: ReviewKindName
    count: int


class OldestItem(Shape):
    """The item waiting longest."""

    id: int
    kind: ReviewKindName
    reason: str
    thread_title: str | None
    created_at: Instant
    waiting_seconds: int


class ModeratorWeek(Shape):
    """What one moderator did this week."""

    handle: str
    display_name: str
    decisions: Annotated[int, Meta(description="Review items decided this week.")]
    actions: Annotated[int, Meta(description="Audited actions this week.")]


class FlaggedUser(Shape):
    """A member whose posts drew flags."""

    handle: str
    display_name: str
    flags: int


class FlaggedThread(Shape):
    """A thread that drew flags."""

    id: int
    title: str
    flags: int


class ModerationOverview(Shape):
    """What waits, how fast it is decided, by whom, and where flags gather."""

    since: Annotated[Instant, Meta(description="Start of the week counted (the last 7 days).")]
    waiting: Annotated[
        list[WaitingCount], Meta(description="Items waiting, by type (every type, zeros included).")
    ]
    waiting_total: int
    oldest: Annotated[OldestItem | None, Meta(description="The item waiting longest.")]
    moderators: list[ModeratorWeek]
    decided_this_week: Annotated[int, Meta(description="Flagged items decided this week.")]
    median_seconds_to_decision: Annotated[
        int | None, Meta(description="Median time from the first flag to the decision, this week.")
    ]
    flags_since: Annotated[Instant, Meta(description="Start of the most-flagged window (30 days).")]
    flagged_users: Annotated[
        list[FlaggedUser], Meta(description="Members whose posts drew the most flags (at most 10).")
    ]
    flagged_threads: Annotated[
        list[FlaggedThread], Meta(description="Threads that drew the most flags (at most 10).")
    ]


# --- building them ---------------------------------------------------------------------------------


def _author(handle: str | None, name: str | None) -> AuthorSummary | None:
    return AuthorSummary(handle=handle, display_name=name) if handle else None  # type: ignore[arg-type]


def _item_url(settings: Settings, item_id: int) -> str:
    return f"{settings.base_url}/moderation/items/{item_id}"


def queue_item(settings: Settings, row: dict[str, Any]) -> ReviewQueueItem:
    return ReviewQueueItem(
        id=row["id"], kind=row["kind"], reason=row["reason"], post_id=row["post_id"],
        thread_id=row["thread_id"], thread_title=row["thread_title"],
        author=_author(row["author_handle"], row["author_name"]), claimed_by=row["claimed_by_name"],
        claimed_at=utc(row["claimed_at"]), created_at=utc(row["created_at"]),
        waiting_seconds=row["waiting_seconds"], url=_item_url(settings, row["id"]),
    )  # fmt: skip


def item_detail(settings: Settings, view: ItemView) -> ReviewItem:
    item, post, thread, author, history = view.item, view.post, view.thread, view.author, view.author_history
    return ReviewItem(
        id=item.id, kind=item.kind, state=item.state, reason=item.reason,
        thread=ItemThread(id=thread.id, title=thread.title) if thread else None,
        post=ItemPost(id=post.id, state=post.state, body_source=post.body_source, body_html=post.body_html)
        if post else None,
        author=_author(author.handle, author.display_name) if author else None,
        author_history=AuthorHistory(
            post_count=history["post_count"], flags_against=history["flags_against"],
            decisions=[
                PastDecision(id=d["id"], kind=d["kind"], decision=d["decision"], reason=d["decision_reason"],
                             decided_at=utc(d["decided_at"]))
                for d in history["decisions"]
            ],
        ),
        flags=[
            ItemFlag(reason=f["reason"], note=f["note"], weight=f["weight"], resolution=f["resolution"],
                     created_at=utc(f["created_at"]), flagger=_author(f["flagger_handle"], f["flagger_name"]))
            for f in view.flags
        ],
        claimed_by=view.claimed_by_name, claimed_at=utc(item.claimed_at), decision=item.decision,
        decision_reason=item.decision_reason, decided_by=view.decided_by_name,
        decided_at=utc(item.decided_at),
        created_at=utc(item.created_at), url=_item_url(settings, item.id),
    )  # fmt: skip


def audit_entry(row: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        id=row["id"], created_at=utc(row["created_at"]),
        actor=_author(row["actor_handle"], row["actor_name"]),
        action=row["action"], subject_type=row["subject_type"], subject_id=row["subject_id"],
        reason=row["reason"], before=row["before"], after=row["after"],
    )  # fmt: skip


def overview(ov: Overview) -> ModerationOverview:
    oldest = ov.oldest
    return ModerationOverview(
        since=utc(ov.since), waiting=[WaitingCount(kind=w["kind"], count=w["count"]) for w in ov.waiting],
        waiting_total=ov.waiting_total,
        oldest=OldestItem(id=oldest["id"], kind=oldest["kind"], reason=oldest["reason"],
                          thread_title=oldest["thread_title"], created_at=utc(oldest["created_at"]),
                          waiting_seconds=oldest["waiting_seconds"]) if oldest else None,
        moderators=[
            ModeratorWeek(handle=m["handle"], display_name=m["display_name"], decisions=m["decisions"],
                          actions=m["actions"])
            for m in ov.moderators
        ],
        decided_this_week=ov.decided_this_week, median_seconds_to_decision=ov.median_seconds_to_decision,
        flags_since=utc(ov.flags_since),
        flagged_users=[FlaggedUser(handle=u["handle"], display_name=u["display_name"], flags=u["flags"])
                       for u in ov.flagged_users],
        flagged_threads=[FlaggedThread(id=t["id"], title=t["title"], flags=t["flags"])
                         for t in ov.flagged_threads],
    )  # fmt: skip
