"""The knowledge base: curated, versioned articles promoted from answers, the products they
apply to, and readers' ratings."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ArticleState:
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"
    ALL = (DRAFT, PUBLISHED, ARCHIVED)


class Product(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "product"
        ordering = ["name"]


class ProductVersion(Model):
    """A product release articles apply to, e.g. Router X200 firmware 4.x."""

    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "community.Product", related_name="versions", on_delete=fields.CASCADE
    )
    product_id: int
    name = fields.CharField(max_length=60)
    superseded_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "product_version"
        unique_together = [("product_id", "name")]


class Article(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    summary = fields.CharField(max_length=500, default="")
    body_source = fields.TextField()
    body_html = fields.TextField()
    category: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.Category", related_name="articles", on_delete=fields.RESTRICT
    )
    category_id: int
    tag_names = fields.JSONField(default=list)
    state = fields.CharField(max_length=16, default=ArticleState.DRAFT, db_index=True)
    needs_review = fields.BooleanField(default=False)
    needs_review_reason = fields.CharField(max_length=300, default="")
    # The answer it was promoted from (unique: an answer becomes at most one article).
    source_post_id = fields.IntField(null=True, unique=True)
    source_thread_id = fields.IntField(null=True, db_index=True)
    answer_author_id = fields.IntField(null=True)
    curator: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.User", related_name="curated_articles", on_delete=fields.RESTRICT
    )
    curator_id: int
    version_count = fields.IntField(default=1)
    view_count = fields.IntField(default=0)
    helpful_count = fields.IntField(default=0)
    unhelpful_count = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    published_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "article"
        indexes = [("category_id", "state")]


class ArticleVersion(Model):
    """A full copy of an article as it was after each save (version 1 is the promotion)."""

    id = fields.IntField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "community.Article", related_name="versions", on_delete=fields.CASCADE
    )
    article_id: int
    number = fields.IntField()
    editor: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.User", related_name="article_versions", on_delete=fields.RESTRICT
    )
    editor_id: int
    title = fields.CharField(max_length=200)
    summary = fields.CharField(max_length=500, default="")
    body_source = fields.TextField()
    body_html = fields.TextField()
    category_id = fields.IntField()
    tag_names = fields.JSONField(default=list)
    product_version_ids = fields.JSONField(default=list)
    note = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "article_version"
        unique_together = [("article_id", "number")]
        ordering = ["number"]


class ArticleProduct(Model):
    id = fields.IntField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "community.Article", related_name="product_links", on_delete=fields.CASCADE
    )
    article_id: int
    product_version: fields.ForeignKeyRelation[ProductVersion] = fields.ForeignKeyField(
        "community.ProductVersion", related_name="article_links", on_delete=fields.CASCADE
    )
    product_version_id: int

    class Meta:
        table = "article_product"
        unique_together = [("article_id", "product_version_id")]


class ArticleTag(Model):
    id = fields.IntField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "community.Article", related_name="article_tags", on_delete=fields.CASCADE
    )
    article_id: int
    tag: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.Tag", related_name="article_tags", on_delete=fields.CASCADE
    )
    tag_id: int

    class Meta:
        table = "article_tag"
        unique_together = [("article_id", "tag_id")]


class ArticleRating(Model):
    """One reader's "helped / did not help" (one per reader, changeable)."""

    id = fields.IntField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "community.Article", related_name="ratings", on_delete=fields.CASCADE
    )
    article_id: int
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.User", related_name="article_ratings", on_delete=fields.CASCADE
    )
    user_id: int
    helpful = fields.BooleanField()
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "article_rating"
        unique_together = [("article_id", "user_id")]


class ArticleViewDay(Model):
    """How often an article was read on one day (UTC), for views per period (the channel-health
    dashboard): ``Article.view_count`` only knows the total."""

    id = fields.IntField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "community.Article", related_name="view_days", on_delete=fields.CASCADE
    )
    article_id: int
    day = fields.DateField(db_index=True)
    views = fields.IntField(default=0)

    class Meta:
        table = "article_view_day"
        unique_together = [("article_id", "day")]
