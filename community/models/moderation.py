"""Moderation: flags, review items, the audit log, watched words and sanctions on users.

Only invariants live here; the rules (weights, thresholds, matching) are in ``moderation/rules/``
and the use cases in ``moderation/``.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class FlagReason:
    SPAM = "spam"
    OFFENSIVE = "offensive"
    OFF_TOPIC = "off_topic"
    CONFIDENTIAL = "confidential"
    OTHER = "other"
    ALL = (SPAM, OFFENSIVE, OFF_TOPIC, CONFIDENTIAL, OTHER)
    LABELS = {
        SPAM: "Spam",
        OFFENSIVE: "Offensive",
        OFF_TOPIC: "Off-topic",
        CONFIDENTIAL: "Confidential information",
        OTHER: "Something else",
    }


class FlagResolution:
    AGREED = "agreed"  # the post was hidden or deleted
    DISAGREED = "disagreed"  # the post was kept: flags dismissed


class ReviewKind:
    FLAGGED_POST = "flagged_post"
    FLAGGED_THREAD = "flagged_thread"  # the item is about the thread's opening post (the whole thread)
    HELD_POST = "held_post"
    NEW_ACCOUNT = "new_account"
    ALL = (FLAGGED_POST, FLAGGED_THREAD, HELD_POST, NEW_ACCOUNT)


class ReviewState:
    PENDING = "pending"
    DECIDED = "decided"


class Decision:
    KEEP = "keep"
    HIDE = "hide"
    DELETE = "delete"
    RESTORE = "restore"
    EDIT = "edit"  # the moderator rewrote the post (the reason is the revision's note); it stays up
    ALL = (KEEP, HIDE, DELETE, RESTORE, EDIT)


class WatchedAction:
    BLOCK = "block"
    HOLD = "hold"
    FLAG = "flag"
    CENSOR = "censor"
    ALL = (BLOCK, HOLD, FLAG, CENSOR)


class SanctionKind:
    WARN = "warn"
    SILENCE = "silence"
    SUSPEND = "suspend"
    ALL = (WARN, SILENCE, SUSPEND)


class Flag(Model):
    """One person's flag on a post or a thread (one row per target: flagging again changes it)."""

    id = fields.IntField(primary_key=True)
    # "post:<id>" or "thread:<id>": one unique key for both kinds of target on every database.
    target = fields.CharField(max_length=40)
    post: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "community.Post", related_name="flags", null=True, on_delete=fields.CASCADE
    )
    post_id: int | None
    thread: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.Thread", related_name="flags", on_delete=fields.CASCADE
    )
    thread_id: int
    flagger: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.User", related_name="flags_raised", on_delete=fields.CASCADE
    )
    flagger_id: int
    reason = fields.CharField(max_length=16)
    note = fields.CharField(max_length=500, default="")
    weight = fields.IntField(default=1)
    resolution = fields.CharField(max_length=16, null=True)
    resolved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "flag"
        unique_together = [("flagger_id", "target")]
        indexes = [("target", "resolution")]


class ReviewItem(Model):
    """Something waiting for a moderator's decision: a flagged or held post, or a new account."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=16)
    post: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "community.Post", related_name="review_items", null=True, on_delete=fields.CASCADE
    )
    post_id: int | None
    thread: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "community.Thread", related_name="review_items", null=True, on_delete=fields.CASCADE
    )
    thread_id: int | None
    # The author of the post, or the new account itself.
    user: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "community.User", related_name="review_items", null=True, on_delete=fields.CASCADE
    )
    user_id: int | None
    category_id = fields.IntField(null=True)
    # Set while pending ("post:<id>" / "user:<id>"), cleared on decision: at most one open item each.
    open_key = fields.CharField(max_length=40, null=True, unique=True)
    state = fields.CharField(max_length=16, default=ReviewState.PENDING, db_index=True)
    reason = fields.CharField(max_length=200, default="")
    claimed_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "community.User", related_name="review_claims", null=True, on_delete=fields.SET_NULL
    )
    claimed_by_id: int | None
    claimed_at = fields.DatetimeField(null=True)
    decided_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "community.User", related_name="review_decisions", null=True, on_delete=fields.SET_NULL
    )
    decided_by_id: int | None
    decided_at = fields.DatetimeField(null=True)
    decision = fields.CharField(max_length=16, null=True)
    decision_reason = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "review_item"
        indexes = [("state", "created_at")]


class AuditEntry(Model):
    """Every moderator, admin and automatic-rule action, never edited and never deleted."""

    id = fields.BigIntField(primary_key=True)
    # None: an automatic rule acted.
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "community.User", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    action = fields.CharField(max_length=40, db_index=True)
    subject_type = fields.CharField(max_length=16)
    subject_id = fields.IntField()
    reason = fields.CharField(max_length=500, default="")
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "audit_entry"
        indexes = [("subject_type", "subject_id")]


class WatchedWord(Model):
    """A word, phrase or pattern and what happens to a post that contains it."""

    id = fields.IntField(primary_key=True)
    pattern = fields.CharField(max_length=200)
    is_regex = fields.BooleanField(default=False)
    action = fields.CharField(max_length=16)
    # Category ids the word applies in; empty: every category.
    category_ids = fields.JSONField(default=list)
    # "" for words added by people; a starter rule set's name for rules shipped with the product.
    rule_set = fields.CharField(max_length=40, default="")
    enabled = fields.BooleanField(default=True)
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "community.User", related_name="watched_words", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "watched_word"


class CategoryRules(Model):
    """Per-category switches for the starter rule sets (absent row: the default applies)."""

    id = fields.IntField(primary_key=True)
    category: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.Category", related_name="moderation_rules", on_delete=fields.CASCADE, unique=True
    )
    category_id: int
    confidentiality = fields.BooleanField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "category_rules"


class Sanction(Model):
    """A warning, silence (can read, not post) or suspension (cannot sign in) of a user."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.User", related_name="sanctions", on_delete=fields.CASCADE
    )
    user_id: int
    kind = fields.CharField(max_length=16)
    reason = fields.CharField(max_length=500)
    starts_at = fields.DatetimeField()
    # None: indefinitely (until lifted).
    ends_at = fields.DatetimeField(null=True)
    lifted_at = fields.DatetimeField(null=True)
    lifted_by_id = fields.IntField(null=True)
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "community.User", related_name="sanctions_given", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sanction"
        indexes = [("user_id", "kind")]


class RateEvent(Model):
    """One counted action (a post, by user or by IP) for rate limits shared by every worker."""

    id = fields.BigIntField(primary_key=True)
    # e.g. "post:user:12" or "post:ip:203.0.113.5".
    key = fields.CharField(max_length=80)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "rate_event"
        indexes = [("key", "created_at")]
