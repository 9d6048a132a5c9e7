"""Changes that must reach other parts (the search index) even if the process dies right after
the commit: written in the same transaction as the change, consumed and deleted by their reader."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IndexOutbox(Model):
    """Something whose search document must be rebuilt (or removed) from the database's state."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=16)  # "thread" | "post" | "article" (search.outbox)
    object_id = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "index_outbox"


class IndexerLease(Model):
    """Which process writes one search index, and when it last said it was working (its heartbeat)."""

    # The host's name and the index directory (community.search.lease.lease_name).
    name = fields.CharField(max_length=200, primary_key=True)
    holder = fields.CharField(max_length=100)
    acquired_at = fields.DatetimeField()
    heartbeat_at = fields.DatetimeField()

    class Meta:
        table = "indexer_lease"
