"""One generation of the index as searches see it: the segments' readers, their cached data,
and sets, arrays and group bitsets made index-wide.

Document numbers here are global: a segment's local numbers shifted by the documents of the segments
before it. Deleted documents are left in the cached posting sets and taken out per snapshot (from
``deleted``, or by the group bitsets' ``dirty_mask``), so a commit that deletes a few documents
does not invalidate what was read from the segments.

Internal to :mod:`search_index`; :class:`search_index.engine.WhooshSearch` is the public class.
"""

from __future__ import annotations

import contextlib
import heapq
import time
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.reading import MultiReader, SegmentReader
from whoosh.searching import Searcher

from search_index.docsets import DOC, EMPTY, DocSet
from search_index.documents import Audience
from search_index.schema import D_CATEGORY, PRIVATE, private_term
from search_index.scoring import Postings
from search_index.segments import MIN_SHARE, SET_CACHE_IDS, SegmentData, bitset, open_segment

ALLOWED_IDS = 8_000_000  # document numbers of the audiences' visible sets kept, in all (4 bytes each)


class Snapshot:
    """One generation of the index as searches see it: a searcher plus per-segment caches."""

    def __init__(self, ix: Any, readers: list[SegmentReader], datas: list[SegmentData]) -> None:
        self.ix = ix
        if len(readers) == 1:
            reader: Any = readers[0]
        elif readers:
            reader = MultiReader(readers)
        else:
            reader = ix.reader()
        self.searcher = Searcher(reader, fromindex=ix, closereader=False)
        self.leaves: list[tuple[SegmentReader, int, SegmentData]] = []
        offset = 0
        deleted: list[int] = []
        for r, data in zip(readers, datas, strict=True):
            self.leaves.append((r, offset, data))
            deleted.extend(d + offset for d in r.deleted_docs_set)
            offset += r.doc_count_all()
        self.size = offset
        self.deleted = DocSet(deleted)
        self.generation = ix.latest_generation()
        self._allowed: dict[Audience, DocSet] = {}
        self._sets: OrderedDict[tuple[Any, ...], DocSet] = OrderedDict()
        self._set_ids = 0
        self._impacts: dict[tuple[str, str], tuple[list[tuple[int, Postings]], float]] = {}
        # matching.Matched per (query, permissions): valid for this generation only.
        self.matched: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._arrays: dict[str, Sequence[Any]] = {}
        self._np: dict[str, np.ndarray] = {}
        self._slugs: dict[int, str] = {}
        self.group_numbers: dict[int, int] = {}
        self.gidx: np.ndarray | None = None
        self.dirty_mask = 0
        self.dirty_docs: DocSet = EMPTY
        self._heads: DocSet | None = None

    # -- sets ------------------------------------------------------------------------------------

    def per_segment(self, key: tuple[Any, ...], part: Callable[[Any, SegmentData], DocSet]) -> DocSet:
        """A set made of every segment's ``part()`` (local numbers), kept with the segment under
        ``key`` (valid for the segment's lifetime) and with this snapshot."""
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
            result = EMPTY
        elif len(parts) == 1:
            result = parts[0]
        else:  # segments hold consecutive ranges of document numbers: no sorting needed
            result = DocSet.sorted(np.concatenate([p.a for p in parts]))
        self._set_ids += len(result)
        self._sets[key] = result
        while self._set_ids > SET_CACHE_IDS and len(self._sets) > 1:
            _, old = self._sets.popitem(last=False)
            self._set_ids -= len(old)
        return result

    def has_set(self, key: tuple[Any, ...]) -> bool:
        """Whether :meth:`per_segment` holds ``key`` already (no segment needs computing)."""
        return key in self._sets

    def ids(self, fieldname: str, term: str) -> DocSet:
        """Global document numbers having ``term`` in ``fieldname`` (deleted ones included)."""
        return self.per_segment(("ids", fieldname, term), lambda r, d: d.ids(r, fieldname, term))

    def impacts(self, term: str) -> tuple[list[tuple[int, Postings]], float]:
        """Per segment ``(offset, postings)`` of a text term, and its largest impact."""
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

    def any_field(self, term: str) -> DocSet:
        """Global document numbers having ``term`` in any text field (deleted ones included)."""
        return self.per_segment(("any", term), lambda r, d: DocSet.sorted(d.impacts(r, term)[0].docs))

    def own_text(self, term: str) -> DocSet:
        """Documents having ``term`` in their own text (title, body, tags; not rolled-up answers)."""
        return self.per_segment(("own", term), lambda r, d: _own(d.impacts(r, term)[0]))

    def _prepare_groups(self) -> None:
        """Dense group numbers for every document, and the groups touched by deletions."""
        parts = [data.group_index(reader, self.group_numbers) for reader, _, data in self.leaves]
        self.gidx = gidx = np.concatenate(parts) if parts else np.zeros(0, dtype=DOC)
        self.dirty_mask = bitset(gidx[self.deleted.a])
        # Live documents of those groups: their bits are recomputed exactly per query key. Found
        # through the segments' documents per group, not by walking every document of the index
        # after each commit.
        grp = self.array("grp")
        keys = {grp[d] for d in self.deleted}
        self.dirty_docs = DocSet(list(chain.from_iterable(map(self.group_docs, keys)))) if keys else EMPTY
        self._gbits: dict[tuple[Any, ...], int] = {}

    def group_index(self) -> np.ndarray:
        """Per document (global number), the dense number of its group."""
        if self.gidx is None:
            self._prepare_groups()
        assert self.gidx is not None
        return self.gidx

    def groups_of(self, docs: DocSet) -> int:
        """Bitset of the groups of ``docs`` (live documents)."""
        return bitset(self.group_index()[docs.a])

    def group_bits(self, key: tuple[Any, ...], docs: Callable[[], DocSet]) -> int:
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
                part = data.group_bits(key, lambda r=reader, d=data, t=key[1]: d.impacts(r, t)[0].docs)
            else:
                _, fieldname, value = key
                part = data.group_bits(key, lambda r=reader, d=data, f=fieldname, v=value: d.ids(r, f, v).a)
            bits |= part
        if self.dirty_mask:
            bits &= ~self.dirty_mask
            if self.dirty_docs:
                bits |= bitset(self.gidx[(self.dirty_docs & docs()).a])
        if len(self._gbits) > 4000:
            self._gbits.clear()
        self._gbits[key] = bits
        return bits

    def allowed_groups(self, audience: Audience) -> int:
        bits = 0
        for c in audience.category_ids:
            bits |= self.group_bits(("ids", "cat", str(c)), lambda c=c: self.ids("cat", str(c)))
        if not audience.all_private:
            # A private question's group holds only its own (private) documents: articles promoted
            # from it are grouped on their own (``SearchDocument.private_org_id``).
            private = self.group_bits(("ids", "aud", PRIVATE), lambda: self.ids("aud", PRIVATE))
            if private:
                for org in audience.private_orgs:
                    t = private_term(org)
                    private &= ~self.group_bits(("ids", "aud", t), lambda t=t: self.ids("aud", t))
                bits &= ~private
        return bits

    def tag_names(self) -> list[str]:
        names: set[str] = set()
        for reader, _, data in self.leaves:
            names.update(data.field_values(reader, "tags"))
        return sorted(names)

    def live_count(self) -> int:
        return self.size - len(self.deleted)

    def allowed(self, audience: Audience) -> DocSet:
        """The live documents ``audience`` may find."""
        found = self._allowed.get(audience)
        if found is None:
            found = DocSet.union(*(self.ids("cat", str(c)) for c in audience.category_ids)) - self.deleted
            if not audience.all_private:
                private = self.ids("aud", PRIVATE)
                if private:
                    theirs = DocSet.union(*(self.ids("aud", private_term(o)) for o in audience.private_orgs))
                    found = found - (private - theirs)
            # At most 64 audiences and ALLOWED_IDS document numbers (a million-document index
            # makes each audience's set about as large as the index).
            held = sum(map(len, self._allowed.values()))
            if len(self._allowed) >= 64 or held + len(found) > ALLOWED_IDS:
                self._allowed.clear()
            self._allowed[audience] = found.keep_mask()
        return found

    def created_between(self, start: int | None, end: int | None) -> DocSet:
        parts = []
        for reader, offset, data in self.leaves:
            keys, docs = data.created_index(reader)
            lo = 0 if start is None else bisect_left(keys, start)
            hi = len(keys) if end is None else bisect_left(keys, end)
            part = np.sort(np.asarray(docs[lo:hi], dtype=DOC))
            parts.append(part + DOC(offset) if offset else part)
        return DocSet.sorted(np.concatenate(parts)) if parts else EMPTY

    # -- results: one per thread -----------------------------------------------------------------

    def heads(self) -> DocSet:
        """The live documents that can stand for a result: threads (their answers rolled up)
        and articles."""
        if self._heads is None:
            heads = (self.ids("flags", "thread") | self.ids("flags", "article")) - self.deleted
            self._heads = heads.keep_mask()
        return self._heads

    def group_docs(self, group: int) -> list[int]:
        """The live documents of one group: a thread, its answers, an article promoted from it
        (per-segment lists, cached with the segment, so a new snapshot costs nothing here)."""
        deleted = self.deleted
        out = []
        for reader, offset, data in self.leaves:
            for d in data.members(reader, group):
                if d + offset not in deleted:
                    out.append(d + offset)
        return out

    # -- per-document arrays -------------------------------------------------------------------

    def array(self, name: str) -> Sequence[Any]:
        """A per-document value over the whole snapshot (global document numbers): for the
        numeric columns, the segments' mapped arrays (one segment) or a compact copy of them."""
        found = self._arrays.get(name)
        if found is None and name in ("grp", "created", "votes"):
            views = [data.column(reader, name) for reader, _, data in self.leaves]
            if len(views) == 1:
                found = views[0]
            else:
                joined = array("q")
                for view in views:
                    joined.frombytes(view.cast("B"))  # type: ignore[attr-defined]
                found = joined
            self._arrays[name] = found
        if found is None:
            parts: list[Sequence[Any]] = []
            for reader, _, data in self.leaves:
                if name == "cat":
                    parts.append(data.categories(reader))
                elif name == "tags":
                    parts.append(data.tag_lists(reader))
                else:
                    parts.append(data.column(reader, name))
            found = self._arrays[name] = list(chain.from_iterable(parts))
        return found

    def column(self, name: str) -> np.ndarray:
        """``grp``, ``created`` or ``votes`` of every document (global numbers) as a numpy array
        (a view of the mapped file when the index has one segment)."""
        found = self._np.get(name)
        if found is None:
            found = self._np[name] = np.asarray(self.array(name))
        return found

    def ordered(self, sort: str, docs: DocSet | None = None) -> Iterable[int]:
        """All documents (or those of ``docs``), newest (or most voted) first: each segment's
        mapped order filtered at once, then the segments merged as far as the caller reads."""
        iters = [data.order(reader, sort, offset, docs) for reader, offset, data in self.leaves]
        return (d for _, _, d in heapq.merge(*iters))

    def slug(self, category_id: int, docnum: int) -> str:
        found = self._slugs.get(category_id)
        if found is None:
            found = self._slugs[category_id] = self.searcher.stored_fields(docnum)["data"][D_CATEGORY]
        return found

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.searcher.close()


class Segments:
    """The open segment readers and each segment's cached data, kept from one snapshot to the next
    (a commit adds a segment or changes one's deletions; the others are reused as they are)."""

    def __init__(self) -> None:
        self.data: dict[str, SegmentData] = {}
        self.group_numbers: dict[int, int] = {}  # group key -> dense number, for group bitsets
        self.readers: dict[tuple[str, int], SegmentReader] = {}

    def open(self, ix: Any) -> Snapshot:
        """A snapshot of the index's latest commit."""
        for _ in range(5):
            try:
                segments = ix._read_toc().segments
                readers, datas, keep = [], [], {}
                for seg in segments:
                    key = (seg.segment_id(), seg.deleted_count())
                    reader = self.readers.get(key)
                    if reader is None:
                        reader = open_segment(ix, seg)
                    keep[key] = reader
                    readers.append(reader)
                    data = self.data.get(seg.segment_id())
                    if data is None:
                        data = SegmentData(seg.doc_count_all(), sidecar_path(ix, seg))
                    datas.append(data)
                break
            except OSError:  # a merge removed files between reading the TOC and opening them
                for r in readers:
                    if r not in self.readers.values():
                        with contextlib.suppress(Exception):
                            r.close()
                time.sleep(0.01)
        else:  # pragma: no cover
            raise RuntimeError("could not open the search index")
        total = sum(data.doc_count for data in datas) or 1
        for data in datas:
            data.share = max(MIN_SHARE, data.doc_count / total)
        snap = Snapshot(ix, readers, datas)
        snap.group_numbers = self.group_numbers
        for key, reader in self.readers.items():
            if key not in keep:
                with contextlib.suppress(Exception):
                    reader.close()
        self.readers = keep
        self.data = {k[0]: d for k, d in zip(keep, datas, strict=True)}
        return snap

    def close(self) -> None:
        for reader in self.readers.values():
            with contextlib.suppress(Exception):
                reader.close()
        self.readers = {}


def _own(postings: Postings) -> DocSet:
    return DocSet.sorted(postings.own)


def sidecar_path(ix: Any, segment: Any) -> Path | None:
    """Where a segment's per-document arrays are kept: beside its files, named so that Whoosh
    removes the file with the segment (None for an index not on disk)."""
    folder = getattr(ix.storage, "folder", None)
    return Path(folder) / f"{segment.segment_id()}.arrays" if folder else None
