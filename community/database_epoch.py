"""The database's life: one token, made at first use and replaced by ``community restore``.

A restore puts back the database of an earlier moment, so what every running process derived from
the database since (a host's search index and its place in the change log, the live hub's place in
the event log) no longer matches it. Comparing this token with the one they started from is how
each notices by itself (``search.epoch`` for indexes, ``realtime.hub`` for live updates).
"""

from __future__ import annotations

import uuid

from tortoise.exceptions import IntegrityError

from community.models import IndexEpoch
from community.timeutil import utcnow

_ID = 1


async def current() -> str:
    """The database's epoch token (made at first use)."""
    row = await IndexEpoch.get_or_none(id=_ID)
    if row is None:
        try:
            row = await IndexEpoch.create(id=_ID, token=uuid.uuid4().hex, started_at=utcnow())
        except IntegrityError:  # another host made it first
            row = await IndexEpoch.get(id=_ID)
    return row.token


async def begin_new() -> str:
    """A new epoch (``community restore``, after the database is put back): every process that
    followed the database before notices and starts over from it."""
    token = uuid.uuid4().hex
    # One UPDATE, not update_or_create's read-then-write transaction: on SQLite a write after a
    # read in the same transaction fails at once ("database is locked") when a running server
    # wrote in between, where a lone UPDATE waits for the lock like any other write.
    if not await IndexEpoch.filter(id=_ID).update(token=token, started_at=utcnow()):
        try:
            await IndexEpoch.create(id=_ID, token=token, started_at=utcnow())
        except IntegrityError:  # made meanwhile by a host's first use: ours replaces it
            await IndexEpoch.filter(id=_ID).update(token=token, started_at=utcnow())
    return token
