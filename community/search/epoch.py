"""Whether a host's index still follows the database it was built from.

Each host keeps its own index and its own position in the change log (``search.changelog``), but
both describe one life of the database. ``community restore`` on one host puts back the shared
database of an earlier moment: the other hosts' indexes then hold documents the restored database
no longer has (and lack ones it has again), and positions recorded since may point past the
restored log, whose ids start again from the backup's. Two marks let every host notice by itself:

- **The database's epoch** (``community.database_epoch``): a token made at first use; ``restore``
  replaces it. Each host writes the token its index follows, with its position, to a small file
  beside the index (``RECORD``). A different token means the database was restored (or the data
  directory now points at another database): the index is rebuilt.
- **Positions going backwards**: a database put back by other means (``pg_restore`` by hand, a
  SQLite file copied) keeps its token, but the host's row in it (or, without a row, the newest log
  id) is below the position the host recorded: also rebuilt.

The indexer checks both at start (``mismatch``) and at every heartbeat while running (``check``,
which raises ``Restored``), and ``/healthz`` reports an index known to be incomplete
(``incomplete``) until it is rebuilt.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from community.database_epoch import current
from community.models import IndexHost
from community.search import changelog

RECORD = "database.json"  # in the index's root, beside CURRENT and the index directories


class Restored(Exception):
    """The database this host's index follows was put back to another moment: rebuild it."""


@dataclass(frozen=True)
class Record:
    """What a host's index follows: the database's epoch token, and the change log position it
    had applied when last written (at most the host's real position)."""

    token: str
    position: int


def root_of(index: Any) -> Path | None:
    root = getattr(index, "root", None)
    return Path(root) if root is not None else None


def read(root: Path | None) -> Record | None:
    if root is None:
        return None
    try:
        data = json.loads((root / RECORD).read_text())
        return Record(str(data["token"]), int(data["position"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none yet (a new index, or one from before epochs): nothing to compare


def write(root: Path | None, token: str, position: int) -> None:
    if root is None:
        return
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f"{RECORD}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps({"token": token, "position": position}) + "\n")
    os.replace(tmp, root / RECORD)


async def mismatch(root: Path | None, host: str) -> str | None:
    """Why the index in ``root`` does not follow this database (so must be rebuilt), or None."""
    record = read(root)
    if record is None:
        return None
    if record.token != await current():
        return "the database was restored (or replaced) since this index was built"
    row = await IndexHost.get_or_none(name=host)
    applied = int(row.position) if row is not None else await changelog.latest_id()
    if record.position > applied:
        return (
            f"the database's change log is behind this index (it had applied {record.position}, "
            f"the database says {applied}): the database was put back to an earlier moment"
        )
    return None


async def check(host: str, token: str, position: int) -> None:
    """While running: raise ``Restored`` if the database was restored since this host's index
    took ``token``, or if its row fell below ``position`` (read before calling: the row only
    moves up while this host runs, so a concurrent advance cannot look like a restore)."""
    if await current() != token:
        raise Restored("the database was restored: this host's search index is rebuilt")
    row = await IndexHost.get_or_none(name=host)
    if row is not None and int(row.position) < position:
        raise Restored(
            f"this host's position in the change log went back from {position} to {row.position} "
            "(the database was put back to an earlier moment): its search index is rebuilt"
        )


async def incomplete(root: Path | None, host: str) -> str | None:
    """For /healthz: why this host's index is known not to hold what the database says, or None."""
    row = await IndexHost.get_or_none(name=host)
    if row is not None and row.rebuilding:
        return "the search index is being rebuilt"
    return await mismatch(root, host)
