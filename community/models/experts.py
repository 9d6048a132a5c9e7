"""Experts and routing: expert profiles, per-category response targets, the experts a question was
routed to, and each routed question's deadlines. No business rules beyond invariants (they are in
``community/experts/``)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RoutingReason:
    MATCH = "match"  # the question's tags or category matched the expert's expertise
    ASKED = "asked"  # the asker chose this expert ("Ask this expert")
    STAND_IN = "stand_in"  # standing in for an expert who is away
    FALLBACK = "fallback"  # no available expert's expertise matched: the least recently routed
    PASSED = "passed"  # a colleague passed the question on
    # In place of an expert asked for or matched who is away with no stand-in available (the
    # chain of stand-ins ends with nobody around): the next match, or the next available expert.
    COVER = "cover"
    ALL = (MATCH, ASKED, STAND_IN, FALLBACK, PASSED, COVER)


class ExpertProfile(Model):
    """An expert's categories and availability (their tags are ``User.expertise_tags``).

    ``away_until``: away before this moment (UTC), available again from it. ``last_routed_at``
    orders equally good matches (the least recently routed first)."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation = fields.OneToOneField(
        "community.User", related_name="expert_profile", on_delete=fields.CASCADE
    )
    user_id: int
    category_ids = fields.JSONField(default=list)
    away_until = fields.DatetimeField(null=True)
    stand_in: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "community.User", related_name="standing_in_for", null=True, on_delete=fields.SET_NULL
    )
    stand_in_id: int | None
    last_routed_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "expert_profile"


class ResponseTarget(Model):
    """A category's response targets and routing count (no row: the defaults)."""

    id = fields.IntField(primary_key=True)
    category: fields.OneToOneRelation = fields.OneToOneField(
        "community.Category", related_name="response_target", on_delete=fields.CASCADE
    )
    category_id: int
    first_answer_hours = fields.IntField(default=24)
    solution_hours = fields.IntField(null=True)
    route_count = fields.IntField(default=3)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "response_target"


class QuestionRouting(Model):
    """One expert a question was routed to, why, and whether they passed it on."""

    id = fields.IntField(primary_key=True)
    thread: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.Thread", related_name="routings", on_delete=fields.CASCADE
    )
    thread_id: int
    expert: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.User", related_name="routed_questions", on_delete=fields.CASCADE
    )
    expert_id: int
    reason = fields.CharField(max_length=16)
    # The away expert this one stands in for, or the colleague who passed the question on.
    standing_in_for_id = fields.IntField(null=True)
    passed_by_id = fields.IntField(null=True)
    note_html = fields.TextField(default="")
    routed_at = fields.DatetimeField()
    passed_on_at = fields.DatetimeField(null=True)

    class Meta:
        table = "question_routing"
        unique_together = [("thread_id", "expert_id")]
        ordering = ["routed_at", "id"]


class ResponseClock(Model):
    """A question's deadlines (UTC wall clock) and when its reminder and escalations went out.

    ``answered_at``: its first answer by someone other than the asker, noted when the answer is
    posted, or later when a check finds one (an answer held for review and approved since)."""

    id = fields.IntField(primary_key=True)
    thread: fields.OneToOneRelation = fields.OneToOneField(
        "community.Thread", related_name="response_clock", on_delete=fields.CASCADE
    )
    thread_id: int
    asked_at = fields.DatetimeField()
    first_answer_due = fields.DatetimeField(db_index=True)
    solution_due = fields.DatetimeField(null=True)
    answered_at = fields.DatetimeField(null=True)
    reminded_at = fields.DatetimeField(null=True)
    escalated_at = fields.DatetimeField(null=True)
    solution_escalated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "response_clock"
