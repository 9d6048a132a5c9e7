"""Notifications, preferences, watches and announcements."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import UNSET, Meta, UnsetType

from community.api.shapes import AuthorSummary, Body, Instant, Listing, Shape, Url, choice, flag, text, utc
from community.models import NotificationKind, WatchLevel, WatchTarget
from community.notifications.watchers import Preferences
from community.settings import Settings
from community.validation import BODY_MAX, TITLE_MAX, TITLE_MIN

KindName = Annotated[
    str,
    Meta(
        description="reply, answer: to your thread; mention; accepted, best_practice: your answer; "
        "watched_thread: a new post in a thread you watch; watched_question: a new question in a category "
        "or tag you watch; flag_outcome; post_hidden, post_restored, post_approved, post_edited: "
        "your post; "
        "thread_moderated: your thread; review_item, article_review: moderators and curators; sanction; "
        "announcement; routed, response_reminder: experts (a question routed or passed on to you, "
        "still waiting half-way to its target); response_escalated: moderators (past its target).",
        extra_json_schema={"enum": list(NotificationKind.ALL)},
    ),
]
TargetType = Annotated[str, Meta(extra_json_schema={"enum": list(WatchTarget.ALL)})]


class Notification(Shape):
    """Something that happened that concerns the caller."""

    id: int
    kind: KindName
    text: str
    url: Annotated[
        str,
        Meta(description="What it is about (HTML). A post's address leads to the page of its thread that "
             "shows it.", extra_json_schema={"format": "uri"}),
    ]  # fmt: skip
    thread_id: int | None
    post_id: int | None
    article_id: int | None
    count: Annotated[
        int,
        Meta(description="How many events this entry groups (several replies in one thread while it was "
             "unread); text and url are the latest one's."),
    ]  # fmt: skip
    read: bool
    read_at: Instant | None
    created_at: Instant
    updated_at: Annotated[Instant, Meta(description="The latest event it groups; lists sort by it.")]


class NotificationList(Shape):
    """One page of notifications; follow next for more."""

    items: list[Notification]
    unread: Annotated[int, Meta(description="Unread notifications in all.")]
    next: Annotated[
        str | None,
        Meta(description="The next page (a cursor after the last item), or null.",
             extra_json_schema={"format": "uri"}),
    ]  # fmt: skip


class UnreadCount(Shape):
    """How many notifications are unread."""

    unread: int


class MarkedRead(Shape):
    """How many notifications were marked read."""

    marked: Annotated[int, Meta(description="How many were unread.")]


class NotificationPreferences(Shape):
    """Which notifications the caller gets."""

    muted_kinds: Annotated[list[KindName], Meta(description="Kinds switched off (sanction cannot be).")]
    watch_started: Annotated[bool, Meta(description="Watch the threads you start.")]
    watch_answered: Annotated[bool, Meta(description="Watch the threads you answer.")]
    kinds: Annotated[list[KindName], Meta(description="The kinds you can switch off.")]


class PreferencesUpdate(Body):
    """Fields left out keep their value."""

    muted_kinds: Annotated[
        list[str], Meta(extra_json_schema={"items": {"enum": list(NotificationKind.ALL)}},
                        extra={"invalid": "Give a list of notification kinds."}),
    ] | UnsetType = UNSET  # fmt: skip
    watch_started: flag("watch_started") | UnsetType = UNSET
    watch_answered: flag("watch_answered") | UnsetType = UNSET


class Watch(Shape):
    """A thread, category or tag the caller watches or muted."""

    id: int
    target_type: TargetType
    target: Annotated[str, Meta(description="Thread id, category slug or tag name.")]
    label: Annotated[str, Meta(description="The thread's title, category's name or the tag.")]
    level: Annotated[str, Meta(extra_json_schema={"enum": list(WatchLevel.ALL)})]
    url: Url
    created_at: Instant


class WatchList(Listing):
    """Every watch, newest first (one page)."""

    items: list[Watch]


class NewWatch(Body):
    """What to watch or mute."""

    required = ("target_type", "target", "level")
    target_type: choice(WatchTarget.ALL) | UnsetType = UNSET
    target: Annotated[
        str | int,
        Meta(description="A thread id, a category slug or a tag name.",
             extra={"invalid": "Name a thread by its id, a category by its slug or a tag by its name."}),
    ] | UnsetType = UNSET  # fmt: skip
    level: text(
        "Choose one of: watching, muted, none.",
        "watching: a notification for each new post in the thread, or each new question in the category "
        "or tag; muted: none from it.",
        enum=list(WatchLevel.ALL),
    ) | UnsetType = UNSET  # fmt: skip


class Announcement(Shape):
    """A message from the company to partners."""

    id: int
    title: str
    body_html: Annotated[str, Meta(description="Sanitised HTML.")]
    audience: Annotated[str, Meta(description="all, or a partner tier.")]
    author: AuthorSummary
    recipient_count: Annotated[int, Meta(description="People notified.")]
    created_at: Instant
    url: Annotated[str, Meta(description="Its page (HTML).", extra_json_schema={"format": "uri"})]


class NewAnnouncement(Body):
    """An announcement to send."""

    required = ("title", "body")
    title: text("The title must be text.", minLength=TITLE_MIN, maxLength=TITLE_MAX) | UnsetType = UNSET
    body: text("The text must be text.", "Markdown.", maxLength=BODY_MAX) | UnsetType = UNSET
    # The choices are the site's partner tiers (settings): the use case names them.
    audience: text(None, "all, or a partner tier: only that tier's partners are notified.",
                   default="all") | UnsetType = UNSET  # fmt: skip


def notification(settings: Settings, row: dict[str, Any]) -> Notification:
    return Notification(
        id=row["id"], kind=row["kind"], text=row["text"], url=f"{settings.base_url}{row['url']}",
        thread_id=row["thread_id"], post_id=row["post_id"], article_id=row["article_id"], count=row["count"],
        read=row["read_at"] is not None, read_at=utc(row["read_at"]), created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
    )  # fmt: skip


def preferences(kinds: list[str], prefs: Preferences) -> NotificationPreferences:
    return NotificationPreferences(
        muted_kinds=list(prefs.muted_kinds), watch_started=prefs.watch_started,
        watch_answered=prefs.watch_answered, kinds=kinds,
    )  # fmt: skip


def watch(settings: Settings, row: dict[str, Any]) -> Watch:
    return Watch(
        id=row["id"], target_type=row["target_type"], target=row["target"], label=row["label"],
        level=row["level"], url=f"{settings.base_url}{row['url']}", created_at=utc(row["created_at"]),
    )  # fmt: skip


def announcement(settings: Settings, row: dict[str, Any]) -> Announcement:
    return Announcement(
        id=row["id"], title=row["title"], body_html=row["body_html"], audience=row["audience"],
        author=AuthorSummary(handle=row["author_handle"], display_name=row["author_name"]),
        recipient_count=row["recipient_count"], created_at=utc(row["created_at"]),
        url=f"{settings.base_url}/announcements/{row['id']}",
    )  # fmt: skip
