"""The Whoosh-backed search engine: one index directory, its writer and a warm searcher.

How a search runs (``tests/benchmarks/bench_search.py`` measures it):

1. The query string is parsed by :mod:`search_index.query` (never raises).
2. The *matching set* is computed with set algebra on posting lists read straight from the segment
   files and cached per segment (segments never change once written; deletions are handled per
   snapshot): allowed categories AND operators AND (any word) AND phrases, minus exclusions.
   Totals and facets count results (a thread and its answers are one result) with bitsets over
   groups: exact, computed only over what the user may see, microseconds however many match.
   Permission is part of the query, never a filter applied to a page afterwards, so pages are full.
3. Ranking (:mod:`search_index.scoring`): BM25F-style over the documents having ALL the words in
   their own text first, then over the rest of the matching set when the page is not full. Each
   thread is one result: its best document (the thread, or one of its answers) stands for it.
   Whoosh's own matchers are used only for what they do well here: reading the index.
4. Only the hits on the page are read and highlighted.

Whoosh allows one writer per index. :class:`WhooshSearch` serialises its own writes with a lock, but
callers running several processes must make sure only one of them calls :meth:`WhooshSearch.apply`
or :meth:`WhooshSearch.rebuild` at a time (the app's indexer holds a cross-process lock).
Searches may run in any number of processes: each notices new commits within
``refresh_interval`` seconds and a swapped-in rebuild on its next search.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import os
import shutil
import sys
import threading
import time
import uuid
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as dtime
from itertools import chain
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import STORED_COLUMN
from whoosh.reading import MultiReader, SegmentReader
from whoosh.searching import Searcher
from whoosh.writing import CLEAR, MERGE_SMALL

from search_index import _whoosh_fixes, analysis
from search_index.documents import FacetCount, SearchDocument, SearchHit, SearchResults
from search_index.highlight import mark, snippet
from search_index.query import ParsedQuery, QueryError, parse_query, word_terms
from search_index.schema import (
    D_ACCEPTED,
    D_ARTICLE,
    D_AUTHOR,
    D_CATEGORY,
    D_CATEGORY_ID,
    D_CREATED,
    D_EXCERPT,
    D_KIND,
    D_POST,
    D_SOLVED,
    D_TAGS,
    D_THREAD,
    D_TITLE,
    D_UPDATED,
    D_URL,
    D_VOTES,
    OWN_TEXT_FIELDS,
    PHRASE_FIELDS,
    SINGLE_POSITIONS,
    TEXT_FIELDS,
    build_schema,
    codec,
    document_fields,
)
from search_index.scoring import SegmentScores, has_phrase, idf, rank, read_positions, read_postings

log = logging.getLogger(__name__)
_whoosh_fixes.apply()

CURRENT = "CURRENT"
MAX_SEGMENTS = 8
FACET_LIMIT = 12
_EMPTY: frozenset[int] = frozenset()
# Memory budgets per segment (a 100,000-document index built with two processes has two big
# segments), measured: a searching process of such an index peaks at about 650 MB.
_SET_CACHE_IDS = 1_000_000  # document numbers of exact-field terms and derived sets
_POSITION_CACHE = 300_000  # (document, positions) pairs kept for phrase checks
_IMPACT_CACHE = 1_000_000  # (document, impact) pairs of text terms
_SORTED_TERMS = 12  # words whose postings are also kept sorted by impact (one-word queries)


class _SegmentData:
    """What one segment holds, read once: posting sets and per-document columns. Segments are
    immutable (deletions live beside them), so this is valid for the segment's lifetime."""

    def __init__(self, doc_count: int) -> None:
        self.doc_count = doc_count
        self.sets: OrderedDict[tuple[str, str], frozenset[int]] = OrderedDict()
        self.cached_ids = 0
        self.columns: dict[str, list[int]] = {}
        self.cat: list[int] | None = None
        self.tags: list[tuple[str, ...]] | None = None
        self.by_created: tuple[list[int], list[int]] | None = None
        self.orders: dict[str, list[tuple[int, int, int]]] = {}
        self.scores = SegmentScores(doc_count)
        self.impact_cache: OrderedDict[str, tuple[dict[int, float], float]] = OrderedDict()
        self.cached_impacts = 0
        self.position_cache: OrderedDict[tuple[str, str], dict[int, bytes]] = OrderedDict()
        self.cached_positions = 0
        self.derived_cache: OrderedDict[tuple[Any, int], frozenset[int]] = OrderedDict()
        self.sorted_cache: OrderedDict[tuple[str, str], list[tuple[float, int]]] = OrderedDict()
        self.gidx: list[int] | None = None
        self.gbits_cache: dict[tuple[Any, ...], int] = {}
        self.values: dict[str, list[str]] = {}
        self.cached_derived = 0

    def derived(
        self, key: tuple[Any, ...], offset: int, build: Callable[[], frozenset[int]]
    ) -> frozenset[int]:
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
        found = local if offset == 0 else frozenset([d + offset for d in local])
        self.derived_cache[ckey] = found
        self.cached_derived += len(found)
        while self.cached_derived > _SET_CACHE_IDS and len(self.derived_cache) > 1:
            _, old = self.derived_cache.popitem(last=False)
            self.cached_derived -= len(old)
        return found

    def group_index(self, reader: SegmentReader, index: dict[int, int]) -> list[int]:
        """Per document, the dense number of its group (``index`` maps group keys to dense
        numbers and only grows, so these stay valid)."""
        if self.gidx is None:
            out = []
            for g in self.column(reader, "grp"):
                i = index.get(g)
                if i is None:
                    i = index[g] = len(index)
                out.append(i)
            self.gidx = out
        return self.gidx

    def group_bits(self, key: tuple[Any, ...], local: Callable[[], Collection[int]]) -> int:
        """Bitset (over dense group numbers) of the groups of ``local()`` documents, deleted
        documents included (the snapshot corrects for those)."""
        found = self.gbits_cache.get(key)
        if found is None:
            assert self.gidx is not None
            found = _bits(set(map(self.gidx.__getitem__, local())))
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
        while self.cached_positions > _POSITION_CACHE and len(self.position_cache) > 1:
            _, old = self.position_cache.popitem(last=False)
            self.cached_positions -= len(old)
        return found

    def by_impact(self, reader: SegmentReader, term: str) -> list[tuple[float, int]]:
        """The term's (impact, docnum) pairs, highest first (for one-word queries)."""
        key = ("by_impact", term)
        found = self.sorted_cache.get(key)
        if found is None:
            imp = self.impacts(reader, term)[0]
            found = sorted(zip(imp.values(), imp.keys(), strict=True), reverse=True)
            if len(self.sorted_cache) > _SORTED_TERMS:
                self.sorted_cache.popitem(last=False)
            self.sorted_cache[key] = found
        else:
            self.sorted_cache.move_to_end(key)
        return found

    def impacts(self, reader: SegmentReader, term: str) -> tuple[dict[int, float], float]:
        """The term's impacts in this segment and the largest of them (LRU-cached)."""
        found = self.impact_cache.get(term)
        if found is not None:
            self.impact_cache.move_to_end(term)
            return found
        imp = self.scores.impacts(reader, term)
        found = (imp, max(imp.values(), default=0.0))
        self.impact_cache[term] = found
        self.cached_impacts += len(imp)
        while self.cached_impacts > _IMPACT_CACHE and len(self.impact_cache) > 1:
            _, (old, _) = self.impact_cache.popitem(last=False)
            self.cached_impacts -= len(old)
        return found

    def ids(self, reader: SegmentReader, fieldname: str, term: str) -> frozenset[int]:
        key = (fieldname, term)
        found = self.sets.get(key)
        if found is not None:
            self.sets.move_to_end(key)
            return found
        result = frozenset(_read_ids(reader, fieldname, term))
        self.sets[key] = result
        self.cached_ids += len(result)
        while self.cached_ids > _SET_CACHE_IDS and len(self.sets) > 1:
            _, old = self.sets.popitem(last=False)
            self.cached_ids -= len(old)
        return result

    def column(self, reader: SegmentReader, name: str) -> list[int]:
        col = self.columns.get(name)
        if col is None:
            col = self.columns[name] = _read_column(reader, name, self.doc_count)
        return col

    def categories(self, reader: SegmentReader) -> list[int]:
        if self.cat is None:
            cat = [0] * self.doc_count
            for term in reader.field_terms("cat"):
                cid = int(term)
                for d in _read_ids(reader, "cat", term):
                    cat[d] = cid
            self.cat = cat
        return self.cat

    def tag_lists(self, reader: SegmentReader) -> list[tuple[str, ...]]:
        if self.tags is None:
            lists: list[list[str]] = [[] for _ in range(self.doc_count)]
            for term in reader.field_terms("tags"):
                for d in _read_ids(reader, "tags", term):
                    lists[d].append(term)
            self.tags = [tuple(x) for x in lists]
        return self.tags

    def created_index(self, reader: SegmentReader) -> tuple[list[int], list[int]]:
        """Documents sorted by creation time, and those times (for date ranges by bisection)."""
        if self.by_created is None:
            created = self.column(reader, "created")
            docs = sorted(range(self.doc_count), key=created.__getitem__)
            self.by_created = ([created[d] for d in docs], docs)
        return self.by_created

    def order(self, reader: SegmentReader, sort: str) -> list[tuple[int, int, int]]:
        """(key, tiebreak, docnum) ascending, where ascending means newest / most voted first."""
        found = self.orders.get(sort)
        if found is None:
            created = self.column(reader, "created")
            if sort == "votes":
                votes = self.column(reader, "votes")
                found = sorted((-votes[d], -created[d], d) for d in range(self.doc_count))
            else:
                found = sorted((-created[d], 0, d) for d in range(self.doc_count))
            self.orders[sort] = found
        return found


def _shifted(order: list[tuple[int, int, int]], offset: int) -> Iterator[tuple[int, int, int]]:
    """A segment's sort order with its document numbers made index-wide (a function, so that each
    segment keeps its own ``offset``: a generator expression in a loop would see only the last)."""
    if not offset:
        return iter(order)
    return ((k, t, d + offset) for k, t, d in order)


def _bits(indices: Collection[int]) -> int:
    """A Python int with the given bits set (built through a bytearray: one pass, C-speed
    conversion)."""
    if not indices:
        return 0
    buf = bytearray((max(indices) >> 3) + 1)
    for i in indices:
        buf[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buf, "little")


def _read_column(reader: SegmentReader, name: str, doc_count: int) -> list[int]:
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


def _read_ids(reader: SegmentReader, fieldname: str, term: str) -> list[int]:
    return read_postings(reader, fieldname, term)[0]


@dataclass
class _Matched:
    """The exact matching set of one query for one permission set, and what derives from it.

    ``docs`` (every matching document) is computed only when needed: totals and facets of
    simple queries come from group bitsets, and relevance ranking needs only ``all_words``
    unless the page reaches past the documents having every word."""

    docs_fn: Callable[[], frozenset[int]]
    all_words: frozenset[int] | None  # documents having every word; None when no words
    total: int
    categories: list[FacetCount]
    tags: list[FacetCount]
    _docs: frozenset[int] | None = None
    ranked: list[tuple[float, int]] = field(default_factory=list)  # (score, docnum), one per group
    ranked_complete: bool = False
    terms: frozenset[str] = frozenset()
    corrections: dict[str, str] = field(default_factory=dict)  # misspelt word -> word searched

    @property
    def docs(self) -> frozenset[int]:
        if self._docs is None:
            self._docs = self.docs_fn()
        return self._docs


class _Snapshot:
    """One generation of the index as searches see it: a searcher plus per-segment caches."""

    def __init__(self, ix: Any, readers: list[SegmentReader], datas: list[_SegmentData]) -> None:
        self.ix = ix
        if len(readers) == 1:
            reader: Any = readers[0]
        elif readers:
            reader = MultiReader(readers)
        else:
            reader = ix.reader()
        self.searcher = Searcher(reader, fromindex=ix, closereader=False)
        self.leaves: list[tuple[SegmentReader, int, _SegmentData]] = []
        offset = 0
        deleted: set[int] = set()
        for r, data in zip(readers, datas, strict=True):
            self.leaves.append((r, offset, data))
            deleted.update(d + offset for d in r.deleted_docs_set)
            offset += r.doc_count_all()
        self.size = offset
        self.deleted = frozenset(deleted)
        self.generation = ix.latest_generation()
        self._allowed: dict[frozenset[int], frozenset[int]] = {}
        self._sets: OrderedDict[tuple[Any, ...], frozenset[int]] = OrderedDict()
        self._set_ids = 0
        self._impacts: dict[tuple[str, str], tuple[list[tuple[int, dict[int, float]]], float]] = {}
        self.matched: OrderedDict[tuple[Any, ...], _Matched] = OrderedDict()
        self._arrays: dict[str, list[Any]] = {}
        self._slugs: dict[int, str] = {}
        self.group_numbers: dict[int, int] = {}
        self.gidx: list[int] | None = None
        self.dirty_mask = 0
        self.dirty_docs: frozenset[int] = _EMPTY

    # -- sets ------------------------------------------------------------------------------------

    def _union(
        self, key: tuple[Any, ...], part: Callable[[SegmentReader, _SegmentData], frozenset[int]]
    ) -> frozenset[int]:
        found = self._sets.get(key)
        if found is not None:
            self._sets.move_to_end(key)
            return found
        parts = []
        for reader, offset, data in self.leaves:
            got = data.derived(key, offset, lambda r=reader, d=data: part(r, d))
            if got:
                parts.append(got)
        if not parts:
            result = _EMPTY
        elif len(parts) == 1:
            result = parts[0]
        else:
            result = frozenset().union(*parts)
        self._set_ids += len(result)
        self._sets[key] = result
        while self._set_ids > _SET_CACHE_IDS and len(self._sets) > 1:
            _, old = self._sets.popitem(last=False)
            self._set_ids -= len(old)
        return result

    def ids(self, fieldname: str, term: str) -> frozenset[int]:
        """Global document numbers having ``term`` in ``fieldname`` (deleted ones included)."""
        return self._union(("ids", fieldname, term), lambda r, d: d.ids(r, fieldname, term))

    def impacts(self, term: str) -> tuple[list[tuple[int, dict[int, float]]], float]:
        """Per segment ``(offset, docnum -> impact)`` of a text term, and its largest impact."""
        key = ("*imp", term)
        found = self._impacts.get(key)
        if found is None:
            parts = []
            top = 0.0
            for reader, offset, data in self.leaves:
                imp, mx = data.impacts(reader, term)
                if imp:
                    parts.append((offset, imp))
                    top = max(top, mx)
            found = self._impacts[key] = (parts, top)
        return found

    def any_field(self, term: str) -> frozenset[int]:
        """Global document numbers having ``term`` in any text field (deleted ones included)."""
        return self._union(("any", term), lambda r, d: frozenset(d.impacts(r, term)[0]))

    def own_text(self, term: str) -> frozenset[int]:
        """Documents having ``term`` in their own text (title, body, tags; not rolled-up answers)."""
        return self._union(
            ("own", term), lambda r, d: frozenset().union(*(d.ids(r, f, term) for f in OWN_TEXT_FIELDS))
        )

    def _prepare_groups(self) -> None:
        """Dense group numbers for every document, and the groups touched by deletions."""
        parts = [data.group_index(reader, self.group_numbers) for reader, _, data in self.leaves]
        self.gidx = list(chain.from_iterable(parts))
        gidx = self.gidx
        dirty = {gidx[d] for d in self.deleted}
        self.dirty_mask = _bits(dirty)
        # Live documents of those groups: their bits are recomputed exactly per query key.
        self.dirty_docs = (
            frozenset(d for d, g in enumerate(gidx) if g in dirty) - self.deleted if dirty else _EMPTY
        )
        self._gbits: dict[tuple[Any, ...], int] = {}

    def group_bits(self, key: tuple[Any, ...], docs: Callable[[], frozenset[int]]) -> int:
        """Bitset of the groups having a live document in ``docs()``; per-segment parts are
        cached under ``key`` ("any", term) or ("ids", field, value)."""
        if self.gidx is None:
            self._prepare_groups()
        found = self._gbits.get(key)
        if found is not None:
            return found
        bits = 0
        for reader, _, data in self.leaves:
            if key[0] == "any":
                part = data.group_bits(key, lambda r=reader, d=data, t=key[1]: d.impacts(r, t)[0])
            else:
                _, fieldname, value = key
                part = data.group_bits(key, lambda r=reader, d=data, f=fieldname, v=value: d.ids(r, f, v))
            bits |= part
        if self.dirty_mask:
            bits &= ~self.dirty_mask
            if self.dirty_docs:
                bits |= _bits({self.gidx[d] for d in self.dirty_docs & docs()})
        if len(self._gbits) > 4000:
            self._gbits.clear()
        self._gbits[key] = bits
        return bits

    def allowed_groups(self, category_ids: frozenset[int]) -> int:
        bits = 0
        for c in category_ids:
            bits |= self.group_bits(("ids", "cat", str(c)), lambda c=c: self.ids("cat", str(c)))
        return bits

    def tag_names(self) -> list[str]:
        names: set[str] = set()
        for reader, _, data in self.leaves:
            names.update(data.field_values(reader, "tags"))
        return sorted(names)

    def live_count(self) -> int:
        return self.size - len(self.deleted)

    def allowed(self, category_ids: frozenset[int]) -> frozenset[int]:
        found = self._allowed.get(category_ids)
        if found is None:
            found = frozenset().union(*(self.ids("cat", str(c)) for c in category_ids)) - self.deleted
            if len(self._allowed) > 64:
                self._allowed.clear()
            self._allowed[category_ids] = found
        return found

    def created_between(self, start: int | None, end: int | None) -> set[int]:
        out: set[int] = set()
        for reader, offset, data in self.leaves:
            keys, docs = data.created_index(reader)
            lo = 0 if start is None else bisect_left(keys, start)
            hi = len(keys) if end is None else bisect_left(keys, end)
            out.update(docs[lo:hi] if offset == 0 else (d + offset for d in docs[lo:hi]))
        return out

    # -- per-document arrays -------------------------------------------------------------------

    def array(self, name: str) -> list[Any]:
        found = self._arrays.get(name)
        if found is None:
            parts: list[list[Any]] = []
            for reader, _, data in self.leaves:
                if name == "cat":
                    parts.append(data.categories(reader))
                elif name == "tags":
                    parts.append(data.tag_lists(reader))
                else:
                    parts.append(data.column(reader, name))
            found = self._arrays[name] = list(chain.from_iterable(parts))
        return found

    def ordered(self, sort: str) -> Iterable[int]:
        """All documents, newest (or most voted) first."""
        iters = [_shifted(data.order(reader, sort), offset) for reader, offset, data in self.leaves]
        return (d for _, _, d in heapq.merge(*iters))

    def slug(self, category_id: int, docnum: int) -> str:
        found = self._slugs.get(category_id)
        if found is None:
            found = self._slugs[category_id] = self.searcher.stored_fields(docnum)["data"][D_CATEGORY]
        return found

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.searcher.close()


def _open_segment(ix: Any, segment: Any) -> SegmentReader:
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


def _epoch(d: Any) -> int:
    return int(datetime.combine(d, dtime.min, tzinfo=UTC).timestamp())


def _edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), for ranking suggestions."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


class WhooshSearch:
    """Search over a Whoosh index kept in ``path`` (created when missing).

    ``path`` holds one or more index directories and a ``CURRENT`` file naming the live one; a
    rebuild writes a new directory and swaps ``CURRENT`` atomically.

    Thread-safe: searches are serialised by a lock (Whoosh readers are not safe to share between
    threads, and the work is CPU-bound under the GIL anyway); writes take a second lock.
    """

    def __init__(self, path: str | os.PathLike[str], *, refresh_interval: float = 0.2) -> None:
        self.root = Path(path)
        self.root.mkdir(parents=True, exist_ok=True)
        self.refresh_interval = refresh_interval
        self._read_lock = threading.RLock()
        self._write_lock = threading.RLock()
        self._segment_data: dict[str, _SegmentData] = {}
        self._group_numbers: dict[int, int] = {}  # group key -> dense number, for group bitsets
        self._readers: dict[tuple[str, int], SegmentReader] = {}
        self._snapshot: _Snapshot | None = None
        self._checked = 0.0
        self._stale = False
        self._merge_thread: threading.Thread | None = None
        self._journal: list[tuple[Sequence[SearchDocument], Sequence[str]]] | None = None
        self._closed = False
        with self._write_lock:
            self._ix_name, self._ix = self._open_current()

    # -- index directories --------------------------------------------------------------------

    def _read_current(self) -> str | None:
        try:
            name = (self.root / CURRENT).read_text().strip()
        except FileNotFoundError:
            return None
        return name if name and (self.root / name).is_dir() else None

    def _open_current(self) -> tuple[str, Any]:
        name = self._read_current()
        if name is None:
            name = self._new_dir_name()
            (self.root / name).mkdir()
            whoosh_index.create_in(str(self.root / name), build_schema())
            self._point_to(name)
        return name, whoosh_index.open_dir(str(self.root / name))

    def _new_dir_name(self) -> str:
        return f"ix-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"

    def _point_to(self, name: str) -> None:
        tmp = self.root / f"{CURRENT}.{uuid.uuid4().hex}.tmp"
        tmp.write_text(name + "\n")
        os.replace(tmp, self.root / CURRENT)

    # -- snapshots ----------------------------------------------------------------------------

    def _current_snapshot(self) -> _Snapshot:
        """The snapshot to search; reopened after our own commits, after other processes'
        commits (checked every ``refresh_interval`` seconds) and after a swapped-in rebuild."""
        snap = self._snapshot
        now = time.monotonic()
        if snap is not None and not self._stale and now - self._checked < self.refresh_interval:
            return snap
        self._checked = now
        name = self._read_current()
        if name is not None and name != self._ix_name:
            with self._write_lock:
                self._ix_name = name
                self._ix = whoosh_index.open_dir(str(self.root / name))
        elif snap is not None and not self._stale and snap.generation == self._ix.latest_generation():
            return snap
        self._stale = False
        return self._open_snapshot()

    def _open_snapshot(self) -> _Snapshot:
        ix = self._ix
        for _ in range(5):
            try:
                segments = ix._read_toc().segments
                readers, datas, keep = [], [], {}
                for seg in segments:
                    key = (seg.segment_id(), seg.deleted_count())
                    reader = self._readers.get(key)
                    if reader is None:
                        reader = _open_segment(ix, seg)
                    keep[key] = reader
                    readers.append(reader)
                    data = self._segment_data.get(seg.segment_id())
                    if data is None:
                        data = _SegmentData(seg.doc_count_all())
                    datas.append(data)
                break
            except OSError:  # a merge removed files between reading the TOC and opening them
                for r in readers:
                    if r not in self._readers.values():
                        with contextlib.suppress(Exception):
                            r.close()
                time.sleep(0.01)
        else:  # pragma: no cover
            raise RuntimeError("could not open the search index")
        snap = _Snapshot(ix, readers, datas)
        snap.group_numbers = self._group_numbers
        for key, reader in self._readers.items():
            if key not in keep:
                with contextlib.suppress(Exception):
                    reader.close()
        self._readers = keep
        self._segment_data = {k[0]: d for k, d in zip(keep, datas, strict=True)}
        self._snapshot = snap
        return snap

    def warm(self, terms: int = 0) -> None:
        """Read what searches need from every segment now (columns, sort orders, categories,
        tags, the spelling vocabulary; with ``terms``, the postings of that many of the most
        frequent words), so that the first searches after a start or a rebuild are not the slow
        ones. A server calls it once at start, in a thread."""
        with self._read_lock:
            snap = self._current_snapshot()
            if terms:
                common: Counter[str] = Counter()
                for reader, _, _ in snap.leaves:
                    for freq, text in reader.most_frequent_terms("body", terms):
                        common[text if isinstance(text, str) else text.decode("utf-8")] += freq
                for text, _ in common.most_common(terms):
                    if any(d.cached_impacts > _IMPACT_CACHE * 0.7 for _, _, d in snap.leaves):
                        break  # keep room: warming must not evict what it just read
                    snap.any_field(text)
                    snap.own_text(text)
                for text, _ in common.most_common(_SORTED_TERMS):
                    for reader, _, data in snap.leaves:
                        data.by_impact(reader, text)
            for reader, _, data in snap.leaves:
                with contextlib.suppress(Exception):
                    list(reader.terms_within("spell", "coffee", 1, prefix=1))
                for name in ("created", "votes", "grp"):
                    data.column(reader, name)
                data.categories(reader)
                data.tag_lists(reader)
                data.created_index(reader)
                data.order(reader, "newest")
                data.order(reader, "votes")
            for name in ("grp", "cat", "tags", "created", "votes"):
                snap.array(name)
            # Facet bitsets: every category and tag.
            everything = frozenset(int(c) for r, _, d in snap.leaves for c in d.field_values(r, "cat"))
            self._category_counts(snap, 0, everything)
            self._tag_counts(snap, 0)

    # -- writing ------------------------------------------------------------------------------

    def apply(self, upserts: Sequence[SearchDocument], deletes: Sequence[str]) -> None:
        """Add or replace ``upserts`` and remove the documents ``deletes`` names, in one commit.

        One writer at a time per index: this process is serialised by a lock; other processes
        must not write concurrently (hold a cross-process lock around calls)."""
        if not upserts and not deletes:
            return
        with self._write_lock:
            if self._journal is not None:
                self._journal.append((list(upserts), list(deletes)))
            writer = _writer(self._ix)
            try:
                for doc_id in deletes:
                    writer.delete_by_term("doc_id", doc_id)
                for doc in upserts:
                    writer.update_document(**document_fields(doc))
            except BaseException:
                writer.cancel()
                raise
            big = len(upserts) + len(deletes) > 2000
            writer.commit(merge=big)
            self._stale = True
            if not big and len(self._ix._read_toc().segments) > MAX_SEGMENTS:
                self._merge_in_background()

    def _merge_in_background(self) -> None:
        """Fold the small segments of recent commits together, off the caller's path."""
        if self._merge_thread is not None and self._merge_thread.is_alive():
            return

        def merge() -> None:
            try:
                with self._write_lock:
                    writer = _writer(self._ix)
                    writer.commit(mergetype=MERGE_SMALL)
                    self._stale = True
            except Exception:  # pragma: no cover - merging is an optimisation only
                log.exception("search index merge failed")

        self._merge_thread = threading.Thread(target=merge, name="search-merge", daemon=True)
        self._merge_thread.start()

    def wait_for_merges(self) -> None:
        thread = self._merge_thread
        if thread is not None:
            thread.join()

    def rebuild(
        self,
        documents: Iterable[SearchDocument],
        progress: Callable[[int], None] | None = None,
        *,
        procs: int | None = None,
        limitmb: int = 1024,
    ) -> None:
        """Index ``documents`` into a new directory and swap it in atomically.

        Searches keep using the old index until the swap. Changes applied (through this object)
        while the rebuild runs are replayed into the new index before the swap, so none is lost.
        ``progress`` is called with the number of documents indexed so far.
        """
        procs = procs if procs is not None else min(4, os.cpu_count() or 1)
        name = self._new_dir_name()
        path = self.root / name
        path.mkdir()
        ix = whoosh_index.create_in(str(path), build_schema())
        with self._write_lock:
            self._journal = []
        try:
            count = _bulk_write(ix, documents, progress, procs=procs, limitmb=limitmb)
            with self._write_lock:
                journal, self._journal = self._journal or [], None
                if journal:
                    writer = _writer(ix)
                    for upserts, deletes in journal:
                        for doc_id in deletes:
                            writer.delete_by_term("doc_id", doc_id)
                        for doc in upserts:
                            writer.update_document(**document_fields(doc))
                    writer.commit(merge=False)
                self._point_to(name)
                old_name = self._ix_name
                self._ix_name, self._ix = name, ix
                self._stale = True
            log.info("search index rebuilt: %d documents in %s", count, name)
            self.warm()
            self._remove_old_dirs(keep={name, old_name})
        except BaseException:
            with self._write_lock:
                self._journal = None
            shutil.rmtree(path, ignore_errors=True)
            raise

    def _remove_old_dirs(self, keep: set[str]) -> None:
        """Remove index directories older than the previous one (other processes may still be
        reading the previous one until their next search)."""
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("ix-") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

    def clear(self) -> None:
        """Remove every document (used by tests and by a repair that starts over)."""
        with self._write_lock:
            writer = _writer(self._ix)
            writer.commit(mergetype=CLEAR)
            self._stale = True

    # -- reading ------------------------------------------------------------------------------

    def doc_ids(self) -> set[str]:
        return set(self.stamps())

    def stamps(self) -> dict[str, datetime]:
        """Every indexed document id with its ``updated_at``, to compare with the database."""
        with self._read_lock:
            snap = self._current_snapshot()
            out: dict[str, datetime] = {}
            for stored in snap.searcher.reader().all_stored_fields():
                out[stored["doc_id"]] = datetime.fromisoformat(stored["data"][D_UPDATED])
            return out

    def doc_count(self) -> int:
        with self._read_lock:
            return self._current_snapshot().searcher.doc_count()

    def search(
        self,
        q: str,
        *,
        allowed_category_ids: Collection[int],
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
    ) -> SearchResults:
        """One page of results for ``q`` among the categories the user may see."""
        page = max(1, min(int(page), 500))
        per_page = max(1, min(int(per_page), 100))
        if sort not in ("relevance", "newest", "votes"):
            sort = "relevance"
        base = SearchResults(query=q if isinstance(q, str) else "", page=page, per_page=per_page, sort=sort)
        parsed = parse_query(q)
        if isinstance(parsed, QueryError):
            return _replace(base, error=parsed.message)
        if parsed.is_empty:
            return _replace(base, error="Type a word to search for.")
        allowed = frozenset(int(c) for c in allowed_category_ids)
        with self._read_lock:
            snap = self._current_snapshot()
            matched = self._match(snap, parsed, allowed)
            if matched is None:
                return _replace(base, error="Those are all very common words; add a more specific one.")
            start = (page - 1) * per_page
            if sort == "relevance" and matched.terms:
                ranked = self._ranked(snap, parsed, matched, start + per_page)
            else:
                ranked = self._sorted(snap, matched.docs, sort, start + per_page)
            hits = [
                self._hit(snap, docnum, score, matched.terms)
                for score, docnum in ranked[start : start + per_page]
            ]
            corrected = bool(matched.corrections)
            if corrected:
                suggestion: str | None = q
                for word, better in matched.corrections.items():
                    suggestion = _replace_word(suggestion, word, better)
            else:
                suggestion = self._suggest(snap, q, parsed, allowed, matched.total)
        return _replace(
            base,
            results=hits,
            total=matched.total,
            categories=matched.categories,
            tags=matched.tags,
            suggestion=suggestion if suggestion != q else None,
            corrected=corrected and suggestion != q,
        )

    # -- matching -----------------------------------------------------------------------------

    def _match(self, snap: _Snapshot, parsed: ParsedQuery, allowed: frozenset[int]) -> _Matched | None:
        key = (parsed, allowed)
        found = snap.matched.get(key)
        if found is not None:
            snap.matched.move_to_end(key)
            return found
        # Words: any of them, and remember who has all of them.
        terms = word_terms(parsed.words)
        # A word nobody (that this user may see) ever wrote is most likely misspelt: search for
        # the closest word they may see instead, and say so.
        corrections: dict[str, str] = {}
        visible = snap.allowed(allowed)
        for word in parsed.words:
            t = analysis.term_of(word)
            if t and word.isalpha() and len(word) > 2 and snap.any_field(t).isdisjoint(visible):
                better = self._closest(snap, word, visible, min_df=1)
                if better:
                    corrections[word] = better
                    bt = analysis.term_of(better)
                    terms = list(dict.fromkeys(bt if x == t else x for x in terms if bt))
        simple = not (
            parsed.authors
            or parsed.orgs
            or parsed.before
            or parsed.after
            or parsed.phrases
            or parsed.excluded_words
            or parsed.excluded_phrases
        )
        if simple and terms:
            return self._grouped(snap, key, parsed, allowed, terms, corrections)
        docs: frozenset[int] | set[int] = snap.allowed(allowed)
        # Exact operators, narrowest first.
        for fieldname, values in (
            ("tags", parsed.tags),
            ("category", parsed.categories),
            ("author", parsed.authors),
            ("org", parsed.orgs),
        ):
            for value in values:
                docs = docs & snap.ids(fieldname, value)
        flag_field = {"solved": "solved", "unanswered": "unanswered", "article": "article"}
        for flag in parsed.flags:
            docs = docs & snap.ids("flags", flag_field[flag])
            if flag == "solved":
                docs = docs - snap.ids("flags", "post")  # the question, not each answer of it
        for flag in parsed.excluded_flags:
            docs = docs - snap.ids("flags", flag_field[flag])
        if parsed.before or parsed.after:
            start = _epoch(parsed.after) if parsed.after else None
            end = _epoch(parsed.before) if parsed.before else None
            docs = docs & snap.created_between(start, end)
        phrase_terms = [[t for t in (analysis.term_of(w) for w in p) if t] for p in parsed.phrases]
        all_words: frozenset[int] | None = None
        only_stop_words = parsed.words and not terms and not any(phrase_terms)
        if only_stop_words and docs is snap.allowed(allowed) and not parsed.excluded_words:
            # "how to": fine beside an operator, useless on its own.
            return None
        if terms:
            word_sets = [snap.any_field(t) for t in terms]
            word_sets.sort(key=len)
            anyset = frozenset().union(*word_sets)
            docs = docs & anyset
            # "All words" means in the document's own text: a thread's rolled-up answers count
            # for its score, but a long discussion mentioning every common word somewhere should
            # not outrank a question that is about them.
            own_sets = [snap.own_text(t) for t in terms]
            own_sets.sort(key=len)
            every = docs
            for s in own_sets:
                every = every & s
            all_words = frozenset(every)
        for pterms in phrase_terms:
            if not pterms:
                continue
            docs = docs & self._phrase_docs(snap, pterms, docs)
            if all_words is not None:
                all_words = all_words & docs
        for word in parsed.excluded_words:
            t = analysis.term_of(word)
            if t:
                docs = docs - snap.any_field(t)
        for phrase in parsed.excluded_phrases:
            pterms = [t for t in (analysis.term_of(w) for w in phrase) if t]
            if pterms:
                docs = docs - self._phrase_docs(snap, pterms, docs)
        if all_words is not None:
            all_words = all_words & docs
        matched = self._finish(snap, key, docs, all_words, terms + [t for p in phrase_terms for t in p])
        matched.corrections = corrections
        return matched

    def _finish(
        self,
        snap: _Snapshot,
        key: tuple[Any, ...],
        docs: Collection[int],
        all_words: frozenset[int] | None,
        terms: list[str],
    ) -> _Matched:
        docs = frozenset(docs)
        if snap.gidx is None:
            snap._prepare_groups()
        assert snap.gidx is not None
        groups = _bits(set(map(snap.gidx.__getitem__, docs)))
        matched = _Matched(
            docs_fn=lambda: docs,
            all_words=all_words,
            total=groups.bit_count(),
            categories=self._category_facets(snap, self._category_counts(snap, groups, key[1])),
            tags=_top_facets(self._tag_counts(snap, groups)),
            terms=frozenset(terms),
        )
        return self._remember(snap, key, matched)

    def _category_counts(self, snap: _Snapshot, groups: int, allowed: Collection[int]) -> Counter[int]:
        counts: Counter[int] = Counter()
        for c in allowed:
            bits = snap.group_bits(("ids", "cat", str(c)), lambda c=c: snap.ids("cat", str(c)))
            counts[c] = (groups & bits).bit_count()
        return counts

    def _tag_counts(self, snap: _Snapshot, groups: int) -> Counter[str]:
        counts: Counter[str] = Counter()
        for t in snap.tag_names():
            bits = snap.group_bits(("ids", "tags", t), lambda t=t: snap.ids("tags", t))
            counts[t] = (groups & bits).bit_count()
        return counts

    def _remember(self, snap: _Snapshot, key: tuple[Any, ...], matched: _Matched) -> _Matched:
        snap.matched[key] = matched
        while len(snap.matched) > 24:
            snap.matched.popitem(last=False)
        return matched

    def _category_facets(self, snap: _Snapshot, counts: Counter[int]) -> list[FacetCount]:
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_LIMIT]
        return [
            FacetCount(key=snap.slug(c, min(snap.ids("cat", str(c)))), count=n, category_id=c)
            for c, n in top
            if n
        ]

    def _grouped(
        self,
        snap: _Snapshot,
        key: tuple[Any, ...],
        parsed: ParsedQuery,
        allowed: frozenset[int],
        terms: list[str],
        corrections: dict[str, str],
    ) -> _Matched:
        """Free words with group-level filters only (permissions, tags, categories, is:):
        totals and facets from bitsets over groups (microseconds however many results), the
        documents themselves only as far as ranking needs them."""
        g = snap.allowed_groups(allowed)
        for fieldname, values in (("tags", parsed.tags), ("category", parsed.categories)):
            for value in values:
                g &= snap.group_bits(("ids", fieldname, value), lambda f=fieldname, v=value: snap.ids(f, v))
        for flag in parsed.flags:
            g &= snap.group_bits(("ids", "flags", flag), lambda f=flag: snap.ids("flags", f))
        for flag in parsed.excluded_flags:
            g &= ~snap.group_bits(("ids", "flags", flag), lambda f=flag: snap.ids("flags", f))
        words = 0
        for t in terms:
            words |= snap.group_bits(("any", t), lambda t=t: snap.any_field(t))
        g &= words
        cat_counts = self._category_counts(snap, g, allowed)
        tag_counts = self._tag_counts(snap, g)

        def base_docs() -> frozenset[int]:
            docs: frozenset[int] = snap.allowed(allowed)
            for fieldname, values in (("tags", parsed.tags), ("category", parsed.categories)):
                for value in values:
                    docs = docs & snap.ids(fieldname, value)
            for flag in parsed.flags:
                docs = docs & snap.ids("flags", flag)
                if flag == "solved":
                    docs = docs - snap.ids("flags", "post")
            for flag in parsed.excluded_flags:
                docs = docs - snap.ids("flags", flag)
            return docs

        own_sets = sorted((snap.own_text(t) for t in terms), key=len)
        every = own_sets[0]
        for s in own_sets[1:]:
            every = every & s
        base = base_docs() if len(every) > 0 else _EMPTY
        all_words = every & base if base else _EMPTY

        def all_docs() -> frozenset[int]:
            return base_docs() & frozenset().union(*(snap.any_field(t) for t in terms))

        matched = _Matched(
            docs_fn=all_docs,
            all_words=all_words,
            total=g.bit_count(),
            categories=self._category_facets(snap, cat_counts),
            tags=_top_facets(tag_counts),
            terms=frozenset(terms),
            corrections=corrections,
        )
        return self._remember(snap, key, matched)

    def _phrase_docs(self, snap: _Snapshot, pterms: list[str], within: Collection[int]) -> frozenset[int]:
        """Documents of ``within`` having the phrase in their title or body (positions checked)."""
        candidates = frozenset(within)
        for t in pterms:
            candidates = candidates & (snap.ids("title", t) | snap.ids("body", t))
        if not candidates or len(pterms) == 1:
            return candidates
        found: set[int] = set()
        offsets = [offset for _, offset, _ in snap.leaves]
        for f in PHRASE_FIELDS:
            maps = [[data.positions(reader, f, t) for t in pterms] for reader, _, data in snap.leaves]
            for d in candidates - found if found else candidates:
                leaf = bisect_right(offsets, d) - 1
                if has_phrase(maps[leaf], d - offsets[leaf], SINGLE_POSITIONS):
                    found.add(d)
        return frozenset(found)

    # -- ranking ------------------------------------------------------------------------------

    def _term_weights(
        self, snap: _Snapshot, terms: Iterable[str]
    ) -> list[tuple[float, list[tuple[int, dict[int, float]]], float]]:
        n = max(1, snap.live_count())
        out = []
        for t in terms:
            parts, top = snap.impacts(t)
            if parts:
                out.append((idf(len(snap.any_field(t)), n), parts, top))
        return out

    def _ranked(
        self, snap: _Snapshot, parsed: ParsedQuery, matched: _Matched, need: int
    ) -> list[tuple[float, int]]:
        """The first ``need`` results by relevance, one per group: documents having all words
        first, then the others (each tier ranked by BM25F, see :mod:`search_index.scoring`)."""
        if matched.ranked_complete or len(matched.ranked) >= need:
            return matched.ranked
        terms = sorted(t for t in matched.terms if snap.impacts(t)[0])
        weights = self._term_weights(snap, terms)
        grp = snap.array("grp")
        tiers: list[frozenset[int]] = []
        if matched.all_words is None:
            tiers.append(matched.docs)
        else:
            if matched.all_words:
                tiers.append(matched.all_words)
            rest = matched.docs - matched.all_words
            if rest:
                tiers.append(rest)
        seen: set[int] = set()
        ranked: list[tuple[float, int]] = []
        complete = True
        for tier in tiers:
            if len(ranked) >= need:
                complete = False
                break
            k = max(need * 3, need + 30)
            while True:
                if len(weights) == 1 and len(tier) > 2000:
                    top = self._rank_one(snap, terms[0], weights[0][0], tier, k)
                else:
                    top = rank(weights, tier, k)
                added = []
                local_seen = set(seen)
                for score, docnum in top:
                    g = grp[docnum]
                    if g not in local_seen:
                        local_seen.add(g)
                        added.append((score, docnum))
                if len(ranked) + len(added) >= need or len(top) < k:
                    break
                k *= 4
            ranked.extend(added)
            seen = local_seen
            if len(top) >= k:
                complete = False
        matched.ranked = ranked
        matched.ranked_complete = complete
        return ranked

    def _rank_one(
        self, snap: _Snapshot, term: str, weight: float, candidates: frozenset[int], k: int
    ) -> list[tuple[float, int]]:
        """Top ``k`` for a single word: walk its postings from the highest impact down and stop
        at the ``k``-th candidate (instead of scoring every document that has the word)."""
        best: list[tuple[float, int]] = []
        for reader, offset, data in snap.leaves:
            imp = data.impacts(reader, term)[0]
            if ("by_impact", term) not in data.sorted_cache:
                # Sorting costs more than one pass keeping the best k (warm() sorts the most
                # frequent words ahead of time).
                best.extend(
                    heapq.nlargest(
                        k, ((weight * v, d + offset) for d, v in imp.items() if d + offset in candidates)
                    )
                )
                continue
            found = 0
            for impact, d in data.by_impact(reader, term):
                g = d + offset
                if g in candidates:
                    best.append((weight * impact, g))
                    found += 1
                    if found >= k:
                        break
        best.sort(key=lambda x: (-x[0], x[1]))
        return best[:k]

    def _sorted(self, snap: _Snapshot, docs: frozenset[int], sort: str, need: int) -> list[tuple[float, int]]:
        """The first ``need`` results newest (or most voted) first, one per group."""
        grp = snap.array("grp")
        out: list[tuple[float, int]] = []
        seen: set[int] = set()
        if len(docs) * 50 < snap.size:  # sparse: sort the matches; dense: walk the sort order
            created = snap.array("created")
            if sort == "votes":
                votes = snap.array("votes")
                order: Iterable[int] = sorted(docs, key=lambda d: (-votes[d], -created[d]))
            else:
                order = sorted(docs, key=created.__getitem__, reverse=True)
        else:
            order = (d for d in snap.ordered(sort) if d in docs)
        posts = snap.ids("flags", "post")
        for d in order:
            g = grp[d]
            if g in seen:
                continue
            seen.add(g)
            if d in posts:
                # The thread itself stands for its group when it matches too.
                thread = snap.ids("doc_id", f"thread:{g}") & docs
                d = min(thread) if thread else d
            out.append((0.0, d))
            if len(out) >= need:
                break
        return out

    def _hit(self, snap: _Snapshot, docnum: int, score: float, terms: Collection[str]) -> SearchHit:
        stored = snap.searcher.stored_fields(docnum)
        data = stored["data"]
        return SearchHit(
            kind=data[D_KIND],
            doc_id=stored["doc_id"],
            thread_id=data[D_THREAD],
            post_id=data[D_POST],
            article_id=data[D_ARTICLE],
            title=mark(data[D_TITLE], terms),
            snippet=snippet(data[D_EXCERPT], terms),
            url=data[D_URL],
            score=round(float(score), 4),
            category=data[D_CATEGORY],
            category_id=data[D_CATEGORY_ID],
            tags=data[D_TAGS],
            author=data[D_AUTHOR],
            solved=data[D_SOLVED],
            accepted=data[D_ACCEPTED],
            votes=data[D_VOTES],
            created_at=datetime.fromisoformat(data[D_CREATED]),
        )

    # -- did you mean -------------------------------------------------------------------------

    def _suggest(
        self, snap: _Snapshot, q: str, parsed: ParsedQuery, allowed: frozenset[int], total: int
    ) -> str | None:
        """A corrected query when a typed word is unknown (or very rare) among the documents the
        user may see, and a close word from those documents' titles and tags is common there."""
        if not parsed.words:
            return None
        visible = snap.allowed(allowed)
        replacements: dict[str, str] = {}
        for word in parsed.words:
            term = analysis.term_of(word)
            if not term or len(word) < 3 or not word.isalpha():
                continue
            df = len(snap.any_field(term) & visible) if total < 1000 else 1000
            if df > 3:
                continue
            best = self._closest(snap, word, visible, min_df=max(1, df * 20))
            if best and best != word:
                replacements[word] = best
        if not replacements:
            return None
        out = q
        for word, better in replacements.items():
            out = _replace_word(out, word, better)
        return out if out != q else None

    def _closest(self, snap: _Snapshot, word: str, visible: frozenset[int], min_df: int) -> str | None:
        candidates: set[str] = set()
        maxdist = 1 if len(word) <= 4 else 2
        for reader, _, _ in snap.leaves:
            with contextlib.suppress(Exception):
                candidates.update(reader.terms_within("spell", word, maxdist, prefix=1))
        candidates.discard(word)
        own = analysis.term_of(word)
        # Rank by closeness, then by how common the word is (from the term index: no postings
        # read), and check only the best few against what this user may see.
        scored = []
        for cand in candidates:
            t = analysis.term_of(cand)
            if not t or t == own:
                continue
            df = sum(reader.doc_frequency(f, t) for reader, _, _ in snap.leaves for f in OWN_TEXT_FIELDS)
            if df >= min_df:
                scored.append((_edit_distance(word, cand), -df, cand, t))
        for _, _, cand, t in sorted(scored)[:6]:
            docs = snap.own_text(t)
            if min_df <= 1:
                if not docs.isdisjoint(visible):
                    return cand
            elif len(docs & visible) >= min_df:
                return cand
        return None

    # -- similar questions --------------------------------------------------------------------

    def similar(
        self,
        title: str,
        *,
        allowed_category_ids: Collection[int],
        limit: int = 5,
        exclude_thread_id: int | None = None,
    ) -> list[SearchHit]:
        """Threads and articles most like a question being asked (for the ask form and a
        thread's "related" list): the closest matches, solved threads and articles first.

        ``exclude_thread_id`` leaves out the thread the list is shown on *before* judging what is
        close: otherwise the thread itself, always the best match, pushes every other one out."""
        terms = list(dict.fromkeys(analysis.terms(analysis.clean(title or "")[:300])))[:16]
        if not terms:
            return []
        allowed = frozenset(int(c) for c in allowed_category_ids)
        with self._read_lock:
            snap = self._current_snapshot()
            pool = (snap.ids("flags", "thread") | snap.ids("flags", "article")) & snap.allowed(allowed)
            if not pool:
                return []
            hits = rank(self._term_weights(snap, terms), pool, limit * 4)
            if not hits:
                return []
            found = [self._hit(snap, d, s, frozenset(terms)) for s, d in hits]
            found = [h for h in found if h.kind == "article" or h.thread_id != exclude_thread_id]
            if not found:
                return []
            top = found[0].score
            rows = [h for h in found if h.score >= top * 0.4]
        rows.sort(key=lambda h: (not (h.solved or h.kind == "article"), -h.score))
        return rows[:limit]

    def close(self) -> None:
        with self._write_lock, self._read_lock:
            self.wait_for_merges()
            if self._snapshot is not None:
                self._snapshot.close()
                self._snapshot = None
            for reader in self._readers.values():
                with contextlib.suppress(Exception):
                    reader.close()
            self._readers = {}
            self._closed = True


def _top_facets(counts: Counter[str]) -> list[FacetCount]:
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_LIMIT]
    return [FacetCount(key=k, count=n) for k, n in top if n]


def _replace(base: SearchResults, **changes: Any) -> SearchResults:
    from dataclasses import replace

    return replace(base, **changes)


def _replace_word(text: str, word: str, better: str) -> str:
    import re

    pattern = re.compile(r"(?<![\w])" + re.escape(word) + r"(?![\w])", re.IGNORECASE)
    replaced, n = pattern.subn(better, text, count=1)
    if n:
        return replaced
    # The word was typed with accents or in another form: rebuild around the folded text.
    folded = analysis.fold(text)
    replaced, n = pattern.subn(better, folded, count=1)
    return replaced if n else text


def _writer(ix: Any, **kwargs: Any) -> Any:
    """A writer with our codec; segments as separate files (assembling a compound file copies
    every byte once more and gains nothing on a local disk)."""
    kwargs.setdefault("limitmb", 128)
    return ix.writer(codec=codec(), compound=False, **kwargs)


def _bulk_write(
    ix: Any,
    documents: Iterable[SearchDocument],
    progress: Callable[[int], None] | None,
    *,
    procs: int,
    limitmb: int,
) -> int:
    """Write many documents fast: several processes each fill their own segments (kept as they
    are, not merged: merging costs as much as indexing and barely speeds up queries)."""
    if procs > 1:
        writer = _writer(ix, procs=procs, limitmb=limitmb, multisegment=True, batchsize=256)
    else:
        writer = _writer(ix, limitmb=limitmb)
    count = 0
    try:
        for doc in documents:
            writer.add_document(**document_fields(doc))
            count += 1
            if progress is not None and count % 1000 == 0:
                progress(count)
    except BaseException:
        writer.cancel()
        raise
    if procs > 1:
        writer.commit()
    else:
        writer.commit(merge=False)
    if progress is not None:
        progress(count)
    return count
