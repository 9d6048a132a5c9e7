"""BM25F-style ranking over posting lists held in memory, with MaxScore pruning.

Whoosh scores by stepping a tree of matcher objects document by document; for queries with common
words (the community's own subject, "use", "make") that meant hundreds of thousands of Python calls
per query and p95 latencies of several hundred milliseconds at 100,000 documents. Here each term's
postings are read once per segment into a dictionary ``docnum -> impact`` (the term's BM25 weight
in that document, all text fields summed with their boosts), and a query is scored term at a time,
rarest term first. Once the best ``k`` candidates are certain to beat anything the remaining
(common) terms could lift a new document to, those terms only update the existing candidates.

Scores: ``sum over terms of idf(term) * sum over fields of boost * tf * (k1 + 1) /
(tf + k1 * (1 - b + b * length / average length))``, which is what Whoosh's BM25F computes, with
one idf per term across fields. Document boosts (articles, accepted answers) are part of ``tf``.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Collection, Sequence
from itertools import accumulate, repeat
from operator import add, itemgetter, mul, truediv
from pickle import loads
from typing import Any

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from search_index.codec import SplitLeafMatcher
from search_index.schema import FIELD_BOOSTS, TEXT_FIELDS

K1 = 1.2
B = 0.75
_B2L = [byte_to_length(i) for i in range(256)]


def read_postings(
    reader: Any, fieldname: str, term: str, weights: bool = False
) -> tuple[list[int], list[float]]:
    """Document numbers (and weights) of a term in one segment, deleted ones included.

    Reads the posting blocks directly (a C-speed ``accumulate`` per block) instead of stepping a
    matcher document by document: ten times faster for the long lists of common words.
    """
    try:
        btext = reader._text_to_bytes(fieldname, term)
        m = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)
    except (TermNotFound, KeyError):
        return [], []
    if not isinstance(m, W3LeafMatcher):
        ids, ws = [], []
        while m.is_active():
            ids.append(m.id())
            ws.append(m.weight())
            m.next()
        return ids, ws
    ids: list[int] = []
    out_w: list[float] = []
    split = isinstance(m, SplitLeafMatcher)
    while True:
        if split:
            raw, w = m.read_head()
        else:
            if m._data is None:
                m._read_data()
            raw, w = m._data[0], m._data[1]
        n = len(ids)
        ids.extend(raw if m._byteids else accumulate(raw))
        if weights:
            count = len(ids) - n
            if w is None:
                out_w.extend([1.0] * count)
            elif isinstance(w, float):
                out_w.extend([w] * count)
            else:
                out_w.extend(w)
        if m._lastblock:
            return ids, out_w
        m._goto(m._nextoffset)


class SegmentScores:
    """Per-segment norms and term impacts (segments never change; deletions are filtered by the
    caller's candidate sets)."""

    def __init__(self, doc_count: int) -> None:
        self.doc_count = doc_count
        self._norms: dict[str, list[float] | None] = {}

    def norms(self, reader: Any, fieldname: str) -> list[float] | None:
        """``k1 * (1 - b + b * length / average)`` per document, for one field."""
        if fieldname in self._norms:
            return self._norms[fieldname]
        perdoc = reader._perdoc
        perdoc.doc_field_length(0, fieldname)  # loads the length column as bytes (see fixes)
        data = getattr(perdoc, "_length_bytes", {}).get(fieldname)
        result = None
        if data:
            total = reader.field_length(fieldname) or 1
            avg = max(1.0, total / max(1, self.doc_count))
            c1, c2 = K1 * (1 - B), K1 * B / avg
            table = [c1 + c2 * _B2L[i] for i in range(256)]
            result = [table[b] for b in data]
            if len(result) < self.doc_count:
                result.extend([c1] * (self.doc_count - len(result)))
        self._norms[fieldname] = result
        return result

    def impacts(self, reader: Any, term: str) -> dict[int, float]:
        """``docnum -> sum over text fields of boost * saturated tf`` for one term.

        The per-posting arithmetic runs through ``map`` with ``operator`` functions (C calls, no
        Python frame per posting); the largest field becomes the dictionary, the others are
        added to it."""
        parts = []
        for f in TEXT_FIELDS:
            ids, ws = read_postings(reader, f, term, weights=True)
            if not ids:
                continue
            norms = self.norms(reader, f)
            scale = FIELD_BOOSTS[f] * (K1 + 1)
            dens = map(add, ws, map(norms.__getitem__, ids) if norms is not None else repeat(K1))
            values = map(truediv, map(mul, ws, repeat(scale)), dens)
            parts.append((ids, values))
        if not parts:
            return {}
        parts.sort(key=lambda p: -len(p[0]))
        acc = dict(zip(parts[0][0], parts[0][1], strict=False))
        get = acc.get
        for ids, values in parts[1:]:
            for d, v in zip(ids, values, strict=False):
                acc[d] = get(d, 0.0) + v
        return acc


def idf(df: int, n: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def rank(
    terms: Sequence[tuple[float, list[tuple[int, dict[int, float]]], float]],
    candidates: Collection[int],
    k: int,
) -> list[tuple[float, int]]:
    """The ``k`` best (score, docnum) among ``candidates`` (global document numbers).

    ``terms``: for each query term, its idf, its impacts per segment as ``(offset, impacts)``, and
    its largest impact. MaxScore: terms are taken rarest (highest possible contribution) first;
    once ``k`` candidates score more than the remaining terms could give a document that has none
    of the terms seen so far, the remaining terms only add to existing candidates.
    """
    if k <= 0 or not candidates:
        return []
    order = sorted(terms, key=lambda t: -t[0] * t[2])
    rest = [0.0] * (len(order) + 1)
    for i in range(len(order) - 1, -1, -1):
        rest[i] = rest[i + 1] + order[i][0] * order[i][2]
    acc: dict[int, float] = {}
    get = acc.get
    closed = False
    for i, (w, leaves, _) in enumerate(order):
        if not closed and len(acc) >= k:
            kth = heapq.nlargest(k, acc.values())[-1]
            if kth > rest[i]:
                closed = True
                # Drop candidates that can no longer reach the k-th score.
                floor = kth - rest[i]
                acc = {d: s for d, s in acc.items() if s >= floor}
                get = acc.get
        if closed:
            for offset, imp in leaves:
                iget = imp.get
                for d in list(acc):
                    v = iget(d - offset)
                    if v is not None:
                        acc[d] += w * v
            continue
        for offset, imp in leaves:
            if offset == 0 and len(imp) > 2 * len(candidates):
                iget = imp.get
                for d in candidates:
                    v = iget(d)
                    if v is not None:
                        acc[d] = get(d, 0.0) + w * v
            elif offset == 0:
                for d, v in imp.items():
                    if d in candidates:
                        acc[d] = get(d, 0.0) + w * v
            else:
                for d, v in imp.items():
                    g = d + offset
                    if g in candidates:
                        acc[g] = get(g, 0.0) + w * v
    best = heapq.nlargest(k, acc.items(), key=itemgetter(1))
    return [(s, d) for d, s in best]


def read_positions(reader: Any, fieldname: str, term: str) -> dict[int, bytes]:
    """``docnum -> encoded positions`` of a term in one segment (decoded only when needed)."""
    try:
        btext = reader._text_to_bytes(fieldname, term)
        m = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)
    except (TermNotFound, KeyError):
        return {}
    if not isinstance(m, W3LeafMatcher):
        out = {}
        while m.is_active():
            out[m.id()] = m.value()
            m.next()
        return out
    out = {}
    while True:
        m._read_values()
        raw = m._data[0]
        out.update(zip(raw if m._byteids else accumulate(raw), m._values, strict=True))
        if m._lastblock:
            return out
        m._goto(m._nextoffset)


def decode_positions(value: bytes, single: dict[bytes, int]) -> list[int]:
    pos = single.get(value)
    if pos is not None:
        return [pos]
    if not value.endswith(b"."):
        value += b"."
    return list(accumulate(loads(value[4:])))


def has_phrase(positions: list[dict[int, bytes]], docnum: int, single: dict[bytes, int]) -> bool:
    """Whether the terms (in order, each with its positions map) stand next to each other."""
    starts: set[int] | None = None
    for i, pmap in enumerate(positions):
        value = pmap.get(docnum)
        if value is None:
            return False
        here = {p - i for p in decode_positions(value, single)}
        starts = here if starts is None else starts & here
        if not starts:
            return False
    return bool(starts)
