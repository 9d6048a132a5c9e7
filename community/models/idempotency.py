"""API create requests made with an ``Idempotency-Key``, kept with the answer they got."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IdempotentRequest(Model):
    """A create request with its answer: a retry with the same key gets this answer again.

    Stored in the transaction that created the thing, so the two commit together or not at all.
    ``fingerprint``: a digest of method, path and body (the same key with another request is refused)."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.IntField()
    key = fields.CharField(max_length=255)
    fingerprint = fields.CharField(max_length=64)
    status = fields.IntField()
    body = fields.TextField()
    location = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "idempotent_request"
        unique_together = (("user_id", "key"),)
