"""Support ratings: how the support on one question went, seen from both sides."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RatingSide:
    """Who rates: the asker (the support they got) or an expert who answered (how well they think
    they helped). The dashboard sets the two side by side."""

    ASKER = "asker"
    EXPERT = "expert"
    ALL = (ASKER, EXPERT)


class SupportRating(Model):
    """One person's rating of the support on one question, from 1 to 5 with an optional comment
    (one per person and question, changed by its author only)."""

    id = fields.IntField(primary_key=True)
    thread: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.Thread", related_name="support_ratings", on_delete=fields.CASCADE
    )
    thread_id: int
    rater: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.User", related_name="support_ratings", on_delete=fields.CASCADE
    )
    rater_id: int
    side = fields.CharField(max_length=16)
    score = fields.IntField()
    comment = fields.TextField(default="")
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "support_rating"
        unique_together = [("thread_id", "rater_id")]
