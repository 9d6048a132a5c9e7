"""One segment of the index and what searches read from it, read once and cached.

Segments never change once written (deletions live beside them), so posting sets, columns, sort
orders and impacts read from a segment stay valid for its lifetime, across snapshots. Per-document
values and the orders derived from them live in a memory-mapped file beside the segment
(:mod:`search_index.sidecar`: one copy per host, shared by every worker); posting sets and impacts
are cached in the process, within budgets per segment.

Internal to :mod:`search_index`; :class:`search_index.engine.WhooshSearch` is the public class.
"""

from __future__ import annotations

import sys
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import STORED_COLUMN
from whoosh.reading import SegmentReader

from search_index import shared, sidecar
from search_index.docsets import DOC, DocSet
from search_index.schema import TEXT_FIELDS
from search_index.scoring import Postings, SegmentScores, read_ids, read_positions

# Budgets of one process for the whole index: each segment gets its share (its part of the
# index's documents, at least a tenth), so the memory cached does not grow with the number of
# segments.
# Sets are numpy arrays (4 bytes a document number, 12 a (document, impact) pair), so these hold
# a common word's postings at a million documents many times over in tens of MB.
SET_CACHE_IDS = 8_000_000  # document numbers of exact-field terms and derived sets
POSITION_CACHE = 300_000  # (document, positions) pairs kept for phrase checks
IMPACT_CACHE = 6_000_000  # (document, impact) pairs of text terms held in the process
# A term with at least this many postings in a segment has its impacts kept in a file beside the
# segment (:mod:`search_index.shared`), mapped by every process; at most this many mapped terms
# are kept open per process (each mapping holds a file descriptor: well under a default limit of
# 1,024 with Whoosh's own files and a server's sockets).
SHARED_POSTINGS = 4096
MAPPED_TERMS = 400
MIN_SHARE = 0.1


class SegmentData:
    """What one segment holds, read once: posting sets and per-document columns. Segments are
    immutable (deletions live beside them), so this is valid for the segment's lifetime."""

    def __init__(self, doc_count: int, path: Path | None = None) -> None:
        """``path``: where this segment's per-document arrays are kept (:mod:`search_index.sidecar`);
        None keeps them in this process."""
        self.doc_count = doc_count
        self.path = path
        self.share = 1.0  # of the process's cache budgets (set by ``snapshot.Segments``)
        self._arrays: sidecar.SegmentArrays | None = None
        self.sets: OrderedDict[tuple[str, str], DocSet] = OrderedDict()
        self.cached_ids = 0
        self.columns: dict[str, Sequence[int]] = {}
        self.cat: list[int] | None = None
        self.tags: list[tuple[str, ...]] | None = None
        self.scores = SegmentScores(doc_count)
        self.impact_cache: OrderedDict[str, tuple[Postings, float]] = OrderedDict()
        self.cached_impacts = 0  # postings held in this process (mapped ones are not counted)
        self.mapped_terms: set[str] = set()
        self.position_cache: OrderedDict[tuple[str, str], dict[int, bytes]] = OrderedDict()
        self.cached_positions = 0
        self.derived_cache: OrderedDict[tuple[Any, int], DocSet] = OrderedDict()
        self.gidx: np.ndarray | None = None
        self.gbits_cache: dict[tuple[Any, ...], int] = {}
        self.values: dict[str, list[str]] = {}
        self.cached_derived = 0

    def arrays(self, reader: SegmentReader) -> sidecar.SegmentArrays:
        """The segment's per-document arrays, mapped from the file beside it (written first when
        this is the first process to need them)."""
        if self._arrays is None:
            n = self.doc_count
            self._arrays = sidecar.load(
                self.path,
                lambda: tuple(read_column(reader, name, n) for name in ("created", "votes", "grp")),  # type: ignore[return-value]
            )
        return self._arrays

    def close(self) -> None:
        if self._arrays is not None:
            self._arrays.close()
            self._arrays = None

    def derived(self, key: tuple[Any, ...], offset: int, build: Callable[[], DocSet]) -> DocSet:
        """A set derived from this segment's postings (``build`` gives local document numbers),
        shifted by ``offset`` to global numbers; cached, since a segment's offset only changes
        when a segment before it is merged away."""
        ckey = (key, offset)
        found = self.derived_cache.get(ckey)
        if found is not None:
            self.derived_cache.move_to_end(ckey)
            return found
        local = self.derived_cache.get((key, 0)) if offset else None
        if local is None:
            local = build()
        found = local.shifted(offset)
        self.derived_cache[ckey] = found
        self.cached_derived += len(found)
        while self.cached_derived > SET_CACHE_IDS * self.share and len(self.derived_cache) > 1:
            _, old = self.derived_cache.popitem(last=False)
            self.cached_derived -= len(old)
        return found

    def group_index(self, reader: SegmentReader, index: dict[int, int]) -> np.ndarray:
        """Per document, the dense number of its group (``index`` maps group keys to dense
        numbers and only grows, so these stay valid; the numbers are this process's own)."""
        if self.gidx is None:
            keys, inverse = np.unique(np.asarray(self.column(reader, "grp")), return_inverse=True)
            dense = [index.setdefault(g, len(index)) for g in keys.tolist()]
            self.gidx = np.array(dense, dtype=DOC)[inverse] if dense else np.zeros(0, dtype=DOC)
        return self.gidx

    def members(self, reader: SegmentReader, group: int) -> Sequence[int]:
        """This segment's documents of ``group`` (local numbers, deleted included)."""
        return self.arrays(reader).members(group)

    def group_bits(self, key: tuple[Any, ...], local: Callable[[], np.ndarray]) -> int:
        """Bitset (over dense group numbers) of the groups of ``local()`` documents, deleted
        documents included (the snapshot corrects for those)."""
        found = self.gbits_cache.get(key)
        if found is None:
            assert self.gidx is not None
            found = bitset(self.gidx[local()])
            if len(self.gbits_cache) > 3_000:  # about 4 KB each for 30,000 threads
                self.gbits_cache.clear()
            self.gbits_cache[key] = found
        return found

    def field_values(self, reader: SegmentReader, fieldname: str) -> list[str]:
        found = self.values.get(fieldname)
        if found is None:
            found = self.values[fieldname] = list(reader.field_terms(fieldname))
        return found

    def positions(self, reader: SegmentReader, fieldname: str, term: str) -> dict[int, bytes]:
        """``docnum -> encoded positions`` of a term in a field (LRU-cached)."""
        key = (fieldname, term)
        found = self.position_cache.get(key)
        if found is not None:
            self.position_cache.move_to_end(key)
            return found
        found = self.position_cache[key] = read_positions(reader, fieldname, term)
        self.cached_positions += len(found)
        while self.cached_positions > POSITION_CACHE * self.share and len(self.position_cache) > 1:
            _, old = self.position_cache.popitem(last=False)
            self.cached_positions -= len(old)
        return found

    def impacts(self, reader: SegmentReader, term: str) -> tuple[Postings, float]:
        """The term's impacts in this segment and the largest of them (LRU-cached)."""
        found = self.impact_cache.get(term)
        if found is not None:
            self.impact_cache.move_to_end(term)
            return found
        if self.path is not None and _postings_count(reader, term) >= SHARED_POSTINGS:
            imp, mapped = shared.load(
                self.path.with_name(f"{self.path.stem}.t{shared.digest(term)}"),
                lambda: self.scores.impacts(reader, term),
            )
        else:
            imp, mapped = self.scores.impacts(reader, term), False
        found = (imp, float(imp.values.max()) if len(imp) else 0.0)
        self.impact_cache[term] = found
        if mapped:
            self.mapped_terms.add(term)
        else:
            self.cached_impacts += len(imp)
        share = self.share
        while len(self.impact_cache) > 1 and (
            self.cached_impacts > IMPACT_CACHE * share or len(self.mapped_terms) > MAPPED_TERMS * share
        ):
            old_term, (old, _) = self.impact_cache.popitem(last=False)
            if old_term in self.mapped_terms:
                self.mapped_terms.discard(old_term)
            else:
                self.cached_impacts -= len(old)
        return found

    def ids(self, reader: SegmentReader, fieldname: str, term: str) -> DocSet:
        key = (fieldname, term)
        found = self.sets.get(key)
        if found is not None:
            self.sets.move_to_end(key)
            return found
        result = DocSet.sorted(read_ids(reader, fieldname, term))
        self.sets[key] = result
        self.cached_ids += len(result)
        while self.cached_ids > SET_CACHE_IDS * self.share and len(self.sets) > 1:
            _, old = self.sets.popitem(last=False)
            self.cached_ids -= len(old)
        return result

    def column(self, reader: SegmentReader, name: str) -> Sequence[int]:
        if name in ("created", "votes", "grp"):
            return getattr(self.arrays(reader), name)  # type: ignore[no-any-return]
        col = self.columns.get(name)
        if col is None:
            col = self.columns[name] = read_column(reader, name, self.doc_count)
        return col

    def categories(self, reader: SegmentReader) -> list[int]:
        if self.cat is None:
            cat = [0] * self.doc_count
            for term in reader.field_terms("cat"):
                cid = int(term)
                for d in read_ids(reader, "cat", term).tolist():
                    cat[d] = cid
            self.cat = cat
        return self.cat

    def tag_lists(self, reader: SegmentReader) -> list[tuple[str, ...]]:
        if self.tags is None:
            lists: list[list[str]] = [[] for _ in range(self.doc_count)]
            for term in reader.field_terms("tags"):
                for d in read_ids(reader, "tags", term).tolist():
                    lists[d].append(term)
            self.tags = [tuple(x) for x in lists]
        return self.tags

    def created_index(self, reader: SegmentReader) -> tuple[Sequence[int], Sequence[int]]:
        """Creation times ascending, and the documents in that order (for date ranges by bisection)."""
        arrays = self.arrays(reader)
        return arrays.created_keys, arrays.created_docs

    def order(
        self, reader: SegmentReader, sort: str, offset: int = 0, docs: DocSet | None = None
    ) -> Iterator[tuple[int, int, int]]:
        """(key, tiebreak, global docnum) ascending, where ascending means newest / most voted
        first, from the mapped orders; with ``docs``, only those documents (filtered at once)."""
        arrays = self.arrays(reader)
        order = np.asarray(arrays.most_voted if sort == "votes" else arrays.newest)
        if docs is not None:
            order = order[docs.has(order + DOC(offset))]
        created = np.asarray(arrays.created)[order]
        if sort == "votes":
            first, second = -np.asarray(arrays.votes)[order], -created
        else:
            first, second = -created, np.zeros(len(order), dtype=np.int64)
        return _chunks(first, second, order + DOC(offset))


def _chunks(*columns: np.ndarray, size: int = 2048) -> Iterator[tuple[int, int, int]]:
    """Rows of the columns as Python tuples, converted a chunk at a time as they are read."""
    for i in range(0, len(columns[0]), size):
        yield from zip(*(c[i : i + size].tolist() for c in columns), strict=True)


def bitset(indices: np.ndarray) -> int:
    """A Python int with the given bits set (``indices``: any order, repeats allowed)."""
    if not len(indices):
        return 0
    mask = np.zeros(int(indices.max()) + 1, dtype=bool)
    mask[indices] = True
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


def read_column(reader: SegmentReader, name: str, doc_count: int) -> list[int]:
    """A numeric column as a list, read in one piece (not value by value)."""
    col = reader.column_reader(name)
    try:
        raw = col._dbfile.get(col._basepos, col._count * col._fixedlen)
        values = array(col._typecode, bytes(raw))
        if sys.byteorder == "little":
            values.byteswap()  # Whoosh writes columns big-endian
        out = values.tolist()
    except AttributeError:  # another column implementation: the slow, general way
        return list(col)
    if len(out) < doc_count:
        out.extend([col._default] * (doc_count - len(out)))
    return out


def _postings_count(reader: SegmentReader, term: str) -> int:
    """How many postings a term has in the segment's text fields (from the term index)."""
    return sum(reader.doc_frequency(f, term) for f in TEXT_FIELDS if f in reader.schema)


def open_segment(ix: Any, segment: Any) -> SegmentReader:
    """A reader with every file a search will need already open.

    Whoosh opens column files lazily; a merge committed in the meantime deletes the files of the
    segments it merged, and a lazy open then fails. Open files survive their deletion, so open them
    all now (a missing one means the segment is already gone: the caller re-reads the TOC)."""
    reader = SegmentReader(ix.storage, ix.schema, segment)
    try:
        perdoc = reader._perdoc
        if not perdoc.has_column("_stored"):
            raise FileNotFoundError(segment.segment_id())
        perdoc._cached_reader("_stored", STORED_COLUMN)
        for name in ("created", "votes", "grp"):
            reader.column_reader(name)
        for name in TEXT_FIELDS:
            perdoc.doc_field_length(0, name)
    except BaseException:
        reader.close()
        raise
    return reader
