"""Changes that must reach other parts (the search index) even if the process dies right after
the commit: written in the same transaction as the change, then moved in commit order into the
change log every host's search index follows at its own position (``community.search.changelog``)."""

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


class IndexChange(Model):
    """One entry of the search index's change log. Ids commit in id order (search.changelog), so a
    host that applied every id up to N never misses one committed later."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=16)  # as IndexOutbox.kind
    object_id = fields.IntField()
    created_at = fields.DatetimeField()  # when the change was made (its outbox row's), for ages

    class Meta:
        table = "index_change"


class IndexHost(Model):
    """A host's own search index, and how far along the change log it has applied it."""

    # The host's name and the index directory, as its lease (community.search.lease.lease_name).
    name = fields.CharField(max_length=200, primary_key=True)
    # Change log ids up to this one are in the host's index (once it is not rebuilding), and the
    # rows above it are kept for it.
    position = fields.BigIntField(default=0)
    rebuilding = fields.BooleanField(default=False)  # a rebuild started and has not finished
    seen_at = fields.DatetimeField()  # hosts not seen for COMMUNITY_INDEX_HOST_FORGET_HOURS are forgotten

    class Meta:
        table = "index_host"


class IndexEpoch(Model):
    """Which life of the database the hosts' indexes follow (one row). ``community restore``
    gives it a new token: an index whose recorded token differs was built from another database
    (the one before the restore) and is rebuilt (community.database_epoch, community.search.epoch)."""

    id = fields.IntField(primary_key=True)  # always 1
    token = fields.CharField(max_length=32)
    started_at = fields.DatetimeField()

    class Meta:
        table = "index_epoch"


class IndexerLease(Model):
    """Which process writes one search index, and when it last said it was working (its heartbeat)."""

    # The host's name and the index directory (community.search.lease.lease_name).
    name = fields.CharField(max_length=200, primary_key=True)
    holder = fields.CharField(max_length=100)
    acquired_at = fields.DatetimeField()
    heartbeat_at = fields.DatetimeField()

    class Meta:
        table = "indexer_lease"
