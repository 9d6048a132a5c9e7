"""Categories, threads, posts, their revisions, tags and helpful votes."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Visibility:
    ALL = "all"
    STAFF = "staff"
    TIERS = "tiers"


class ThreadKind:
    QUESTION = "question"
    DISCUSSION = "discussion"
    ALL = (QUESTION, DISCUSSION)


class ThreadStatus:
    OPEN = "open"
    CLOSED = "closed"


class PostState:
    VISIBLE = "visible"
    DELETED = "deleted"
    HIDDEN = "hidden"
    PENDING = "pending"
    # The states a reply counts in (``Thread.reply_count``): a post held for review is not part
    # of the thread for anyone but its author and the moderators until it is approved.
    COUNTED = frozenset({VISIBLE, HIDDEN})


class Category(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=60, unique=True)
    name = fields.CharField(max_length=80)
    description = fields.TextField(default="")
    position = fields.IntField(default=0)
    visibility = fields.CharField(max_length=16, default=Visibility.ALL)
    tiers = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "category"
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Tag(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40, unique=True)

    class Meta:
        table = "tag"


class Thread(Model):
    id = fields.IntField(primary_key=True)
    category: fields.ForeignKeyRelation[Category] = fields.ForeignKeyField(
        "community.Category", related_name="threads", on_delete=fields.RESTRICT
    )
    category_id: int
    kind = fields.CharField(max_length=16, default=ThreadKind.QUESTION)
    title = fields.CharField(max_length=200)
    author: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.User", related_name="threads", on_delete=fields.RESTRICT
    )
    author_id: int
    status = fields.CharField(max_length=16, default=ThreadStatus.OPEN)
    pinned = fields.BooleanField(default=False)
    # Locked: nobody but moderators may post or edit in it (closed only stops new answers).
    locked = fields.BooleanField(default=False)
    # Set when merged into another thread: its address redirects there.
    merged_into_id = fields.IntField(null=True)
    duplicate_of_id = fields.IntField(null=True)
    is_deleted = fields.BooleanField(default=False)
    # A private question: only this partner organisation and company staff see the thread
    # (``policy.can_see_private``). None: everyone allowed into the category sees it.
    private_org_id = fields.IntField(null=True, db_index=True)
    tag_names = fields.JSONField(default=list)
    view_count = fields.IntField(default=0)
    reply_count = fields.IntField(default=0)
    score = fields.IntField(default=0)
    # Not a foreign key: threads and posts would reference each other.
    accepted_post_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(db_index=True)
    last_activity_at = fields.DatetimeField(db_index=True)
    # Bumped by every change that alters what the thread page shows; part of the page cache key.
    version = fields.IntField(default=1)
    source_ref = fields.CharField(max_length=64, null=True, unique=True)
    # The expert the asker chose ("Ask this expert"): routed to first, also when the question is
    # published only after a review (experts.routing.route_published_question).
    asked_expert_id = fields.IntField(null=True)

    class Meta:
        table = "thread"
        indexes = [("category_id", "last_activity_at")]

    @property
    def is_question(self) -> bool:
        return self.kind == ThreadKind.QUESTION

    @property
    def is_solved(self) -> bool:
        return self.accepted_post_id is not None

    @property
    def is_private(self) -> bool:
        return self.private_org_id is not None

    def __str__(self) -> str:
        return self.title


class ThreadTag(Model):
    id = fields.IntField(primary_key=True)
    thread: fields.ForeignKeyRelation[Thread] = fields.ForeignKeyField(
        "community.Thread", related_name="thread_tags", on_delete=fields.CASCADE
    )
    thread_id: int
    tag: fields.ForeignKeyRelation[Tag] = fields.ForeignKeyField(
        "community.Tag", related_name="thread_tags", on_delete=fields.CASCADE
    )
    tag_id: int

    class Meta:
        table = "thread_tag"
        unique_together = [("thread_id", "tag_id")]


class Post(Model):
    id = fields.IntField(primary_key=True)
    thread: fields.ForeignKeyRelation[Thread] = fields.ForeignKeyField(
        "community.Thread", related_name="posts", on_delete=fields.CASCADE
    )
    thread_id: int
    author: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.User", related_name="posts", on_delete=fields.RESTRICT
    )
    author_id: int
    is_opening = fields.BooleanField(default=False)
    body_source = fields.TextField()
    body_html = fields.TextField()
    score = fields.IntField(default=0)
    state = fields.CharField(max_length=16, default=PostState.VISIBLE)
    created_at = fields.DatetimeField(db_index=True)
    edited_at = fields.DatetimeField(null=True)
    edited_by_id = fields.IntField(null=True)
    revision_count = fields.IntField(default=1)
    source_ref = fields.CharField(max_length=64, null=True, unique=True)

    class Meta:
        table = "post"
        indexes = [("thread_id", "created_at")]


class PostRevision(Model):
    """A full copy of a post as it was after each save (revision 1 is the original)."""

    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "community.Post", related_name="revisions", on_delete=fields.CASCADE
    )
    post_id: int
    number = fields.IntField()
    editor: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.User", related_name="revisions", on_delete=fields.RESTRICT
    )
    editor_id: int
    title = fields.CharField(max_length=200, null=True)
    tag_names = fields.JSONField(null=True)
    body_source = fields.TextField()
    body_html = fields.TextField()
    note = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "post_revision"
        unique_together = [("post_id", "number")]
        ordering = ["number"]


class Vote(Model):
    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "community.Post", related_name="votes", on_delete=fields.CASCADE
    )
    post_id: int
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.User", related_name="votes", on_delete=fields.CASCADE
    )
    user_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "vote"
        unique_together = [("post_id", "user_id")]
