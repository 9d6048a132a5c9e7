"""Per-document arrays of one segment, kept in a file beside it and memory-mapped.

Searches need a few values of every document (creation time, votes, group) and orders derived from
them (by date, by votes, documents per group). Held as Python lists they cost about 40 bytes per value
in every worker process (a million documents: hundreds of MB per worker); here they are plain
native-endian arrays in ``<segment id>.arrays`` beside the segment's files, written once by the first
process that needs them (to a temporary name, then renamed) and mapped read-only by every process:
the operating system keeps one copy per host, shared by all the workers, and pages it out under
pressure like any file.

Segments never change once written (deletions live beside them), so neither does this file. Its name
follows Whoosh's segment file pattern, so Whoosh removes it with its segment after a merge.

Internal to :mod:`search_index`.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
import sys
import uuid
from array import array
from bisect import bisect_left
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

MAGIC = b"SIDECAR1"
# name, typecode: the order of the arrays in the file.
LAYOUT: tuple[tuple[str, str], ...] = (
    ("created", "q"),  # per document
    ("votes", "q"),  # per document
    ("grp", "q"),  # per document: its group key (thread id)
    ("created_keys", "q"),  # creation times, ascending
    ("created_docs", "i"),  # the documents in that order
    ("newest", "i"),  # documents newest first (ties: lower number first)
    ("most_voted", "i"),  # documents most voted first, then newest, then lower number
    ("group_keys", "q"),  # distinct group keys, ascending
    ("group_starts", "i"),  # len(group_keys) + 1 offsets into group_docs
    ("group_docs", "i"),  # documents by group, ascending within a group
)
_HEADER = struct.Struct("<8s" + "q" * len(LAYOUT))
T = TypeVar("T")


class SegmentArrays:
    """The arrays of one segment, as read-only memoryviews (indexing gives ints; slicing is free)."""

    def __init__(self, views: dict[str, memoryview], keep: object = None) -> None:
        self._views = views
        self._keep = keep  # the mmap (or bytes) the views point into
        self.created = views["created"]
        self.votes = views["votes"]
        self.grp = views["grp"]
        self.created_keys = views["created_keys"]
        self.created_docs = views["created_docs"]
        self.newest = views["newest"]
        self.most_voted = views["most_voted"]
        self.group_keys = views["group_keys"]
        self.group_starts = views["group_starts"]
        self.group_docs = views["group_docs"]

    def members(self, group: int) -> Sequence[int]:
        """This segment's documents of ``group`` (deleted ones included)."""
        keys = self.group_keys
        i = bisect_left(keys, group)
        if i == len(keys) or keys[i] != group:
            return ()
        return self.group_docs[self.group_starts[i] : self.group_starts[i + 1]]

    def close(self) -> None:
        """Drop this object's hold on the mapping (unmapped once no slice of it is left)."""
        self._views = {}
        self._keep = None


def build(created: Sequence[int], votes: Sequence[int], grp: Sequence[int]) -> bytes:
    """The file's bytes for one segment's columns."""
    n = len(created)
    docs = range(n)
    by_created = sorted(docs, key=created.__getitem__)
    newest = sorted(docs, key=lambda d: (-created[d], d))
    most_voted = sorted(docs, key=lambda d: (-votes[d], -created[d], d))
    by_group = sorted(docs, key=lambda d: (grp[d], d))
    keys: list[int] = []
    starts: list[int] = []
    for i, d in enumerate(by_group):
        g = grp[d]
        if not keys or keys[-1] != g:
            keys.append(g)
            starts.append(i)
    starts.append(n)
    values = {
        "created": created,
        "votes": votes,
        "grp": grp,
        "created_keys": [created[d] for d in by_created],
        "created_docs": by_created,
        "newest": newest,
        "most_voted": most_voted,
        "group_keys": keys,
        "group_starts": starts,
        "group_docs": by_group,
    }
    parts = [array(code, values[name]) for name, code in LAYOUT]
    if sys.byteorder != "little":  # pragma: no cover - the file is little-endian everywhere
        for part in parts:
            part.byteswap()
    body = b"".join(part.tobytes() for part in parts)
    return _HEADER.pack(MAGIC, *(len(part) for part in parts)) + body


def parse(buffer: mmap.mmap | bytes) -> SegmentArrays:
    header = _HEADER.unpack_from(buffer, 0)
    if header[0] != MAGIC:
        raise ValueError("not a sidecar file")
    whole = memoryview(buffer)
    views: dict[str, memoryview] = {}
    pos = _HEADER.size
    for (name, code), count in zip(LAYOUT, header[1:], strict=True):
        size = array(code).itemsize * count
        if pos + size > len(whole):
            raise ValueError("truncated sidecar file")
        views[name] = whole[pos : pos + size].cast(code)
        pos += size
    return SegmentArrays(views, buffer)


def load(
    path: Path | None, columns: Callable[[], tuple[Sequence[int], Sequence[int], Sequence[int]]]
) -> SegmentArrays:
    """The arrays of the segment whose file is ``path``: mapped when the file exists, else built
    from ``columns()`` and written there first (``path`` None: kept in this process only)."""
    return map_or_write(path, lambda: build(*columns()), parse)[0]


def map_or_write(
    path: Path | None, data: Callable[[], bytes], parse: Callable[[mmap.mmap | bytes], T]
) -> tuple[T, bool]:
    """``parse`` of the file at ``path``, mapped read-only; when the file is missing, ``data()``
    written there first (to a temporary name, then renamed: a reader never sees half a file).
    The flag says whether the result is mapped (False: no path, or the file could not be
    written; then it is parsed from the bytes, held in this process)."""
    if path is not None:
        with contextlib.suppress(OSError, ValueError):
            return _map(path, parse), True
    raw = data()
    if path is not None:
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_bytes(raw)
            os.replace(tmp, path)
            return _map(path, parse), True
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                tmp.unlink()
    return parse(raw), False


def _map(path: Path, parse: Callable[[mmap.mmap | bytes], T]) -> T:
    with path.open("rb") as f:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        return parse(mapped)
    except ValueError:
        mapped.close()
        raise
