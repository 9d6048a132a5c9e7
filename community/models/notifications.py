"""Notifications, what people watch or mute, their preferences, and the live event log.

Notifications are written in the same transaction as the change that causes them, so none is
lost; live delivery reads them (and the live event log) after the commit.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class NotificationKind:
    REPLY = "reply"  # a reply in your discussion
    ANSWER = "answer"  # an answer to your question
    MENTION = "mention"
    ACCEPTED = "accepted"  # your answer was accepted
    BEST_PRACTICE = "best_practice"  # your answer became a knowledge-base article
    WATCHED_THREAD = "watched_thread"  # a new post in a thread you watch
    WATCHED_QUESTION = "watched_question"  # a new question in a category or tag you watch
    FLAG_OUTCOME = "flag_outcome"
    POST_HIDDEN = "post_hidden"
    POST_RESTORED = "post_restored"
    POST_APPROVED = "post_approved"  # your post held for review is approved
    POST_EDITED = "post_edited"  # a moderator edited your post (with the reason)
    THREAD_MODERATED = "thread_moderated"  # your thread was closed, locked, moved, merged...
    REVIEW_ITEM = "review_item"  # moderators: something new waits in the queue
    ARTICLE_REVIEW = "article_review"  # curators: an article needs review
    SANCTION = "sanction"  # a warning, silence or suspension from a moderator
    ANNOUNCEMENT = "announcement"
    ROUTED = "routed"  # experts: a question was routed (or passed on) to you
    RESPONSE_REMINDER = "response_reminder"  # experts: a question routed to you is half-way to its target
    RESPONSE_ESCALATED = "response_escalated"  # moderators: a question is past its response target
    ALL = (
        REPLY,
        ANSWER,
        MENTION,
        ACCEPTED,
        BEST_PRACTICE,
        WATCHED_THREAD,
        WATCHED_QUESTION,
        FLAG_OUTCOME,
        POST_HIDDEN,
        POST_RESTORED,
        POST_APPROVED,
        POST_EDITED,
        THREAD_MODERATED,
        REVIEW_ITEM,
        ARTICLE_REVIEW,
        SANCTION,
        ANNOUNCEMENT,
        ROUTED,
        RESPONSE_REMINDER,
        RESPONSE_ESCALATED,
    )


class WatchTarget:
    THREAD = "thread"
    CATEGORY = "category"
    TAG = "tag"
    ALL = (THREAD, CATEGORY, TAG)


class WatchLevel:
    WATCHING = "watching"
    MUTED = "muted"
    ALL = (WATCHING, MUTED)


class Notification(Model):
    """One entry in a person's notification centre (several replies in one thread group into one)."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.User", related_name="notifications", on_delete=fields.CASCADE
    )
    user_id: int
    kind = fields.CharField(max_length=32)
    # Who caused it (None: the system or an automatic rule).
    actor_id = fields.IntField(null=True)
    thread_id = fields.IntField(null=True)
    post_id = fields.IntField(null=True)
    article_id = fields.IntField(null=True)
    text = fields.CharField(max_length=300)
    url = fields.CharField(max_length=300)
    # Unread entries with the same key merge into one (count goes up), e.g. "thread:12:reply".
    group_key = fields.CharField(max_length=80, null=True)
    count = fields.IntField(default=1)
    read_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notification"
        indexes = [("user_id", "read_at"), ("user_id", "group_key")]


class Watch(Model):
    """A person watching or muting a thread, a category or a tag."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.User", related_name="watches", on_delete=fields.CASCADE
    )
    user_id: int
    target_type = fields.CharField(max_length=16)
    # The thread or category id as text, or the tag name.
    target_key = fields.CharField(max_length=60)
    level = fields.CharField(max_length=16, default=WatchLevel.WATCHING)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "watch"
        unique_together = [("user_id", "target_type", "target_key")]
        indexes = [("target_type", "target_key", "level")]


class NotificationSettings(Model):
    """A person's notification preferences (no row: the defaults)."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation = fields.OneToOneField(
        "community.User", related_name="notification_settings", on_delete=fields.CASCADE
    )
    user_id: int
    # Kinds switched off for in-app delivery.
    muted_kinds = fields.JSONField(default=list)
    watch_started = fields.BooleanField(default=True)
    watch_answered = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notification_settings"


class AnnouncementAudience:
    """Everyone, or the partners of one organisation tier (the tier's name)."""

    ALL = "all"


class Announcement(Model):
    """A message from the administrators to everyone or to one partner tier. Its notification links here."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=150)
    body_source = fields.TextField()
    body_html = fields.TextField()
    # "all" or a partner tier's name.
    audience = fields.CharField(max_length=32, default=AnnouncementAudience.ALL)
    author: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.User", related_name="announcements", on_delete=fields.RESTRICT
    )
    author_id: int
    recipient_count = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "announcement"


class LiveEvent(Model):
    """The log live delivery resumes from: a reconnecting client asks for ids after the last it saw."""

    id = fields.BigIntField(primary_key=True)
    # "user:<id>", "thread:<id>" or "queue".
    stream = fields.CharField(max_length=40)
    kind = fields.CharField(max_length=40)
    payload = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "live_event"
        indexes = [("stream", "id")]


class PendingLiveEvent(Model):
    """A domain event written in the transaction of the change it reports: the recorder turns it
    into live event log rows and deletes it in one transaction, so a crash loses neither or both."""

    id = fields.BigIntField(primary_key=True)
    # The event's class name in community.events and its fields.
    kind = fields.CharField(max_length=40)
    data = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "live_pending"
