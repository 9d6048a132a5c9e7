"""Work due at a moment (a reminder, an escalation, a digest), done once by whichever worker
claims it first. Rows stay after they are done so that a key is never scheduled twice."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ScheduledJob(Model):
    """One piece of due work, named by a unique key so that scheduling it twice is harmless.

    ``key`` reads like ``remind:thread:12``; ``done_at`` is set in the same transaction as the
    work's own writes, so the work and its mark commit together or not at all."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=40)
    key = fields.CharField(max_length=200, unique=True)
    payload: dict = fields.JSONField(default=dict)  # type: ignore[assignment]
    due_at = fields.DatetimeField(db_index=True)
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(default="")
    done_at = fields.DatetimeField(null=True, db_index=True)
    failed = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "scheduled_job"
        indexes = (("done_at", "due_at"),)
