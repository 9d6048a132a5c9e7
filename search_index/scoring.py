"""BM25F-style ranking over posting arrays held in memory, vectorised with numpy.

Whoosh scores by stepping a tree of matcher objects document by document; for queries with common
words (the community's own subject, "use", "make") that meant hundreds of thousands of Python calls
per query. Here each term's postings are read once per segment into two arrays (sorted document
numbers, and the term's BM25 weight in each: all text fields summed with their boosts), and a query
scores every candidate at once: per term, its postings found among the candidates and their
weighted impacts added (numpy), then the best ``k`` taken with a partial sort.

Scores: ``sum over terms of idf(term) * sum over fields of boost * tf * (k1 + 1) /
(tf + k1 * (1 - b + b * length / average length))``, which is what Whoosh's BM25F computes, with
one idf per term across fields. Document boosts (articles, accepted answers) are part of ``tf``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import accumulate
from pickle import loads
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from search_index.codec import SplitLeafMatcher
from search_index.docsets import DOC, DocSet, positions
from search_index.schema import FIELD_BOOSTS, OWN_TEXT_FIELDS, TEXT_FIELDS

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


def read_ids(reader: Any, fieldname: str, term: str) -> np.ndarray:
    """The sorted document numbers (int32) of a term in one segment, deleted ones included."""
    return np.array(read_postings(reader, fieldname, term)[0], dtype=DOC)


class Postings:
    """A term's documents in one segment (sorted int32), its impact in each (float64), and
    those having it in their own text (sorted int32: title, tags, body; not only in rolled-up
    answers)."""

    __slots__ = ("docs", "own", "values")

    def __init__(self, docs: np.ndarray, values: np.ndarray, own: np.ndarray) -> None:
        self.docs = docs
        self.values = values
        self.own = own

    def __len__(self) -> int:
        return len(self.docs)

    def __bool__(self) -> bool:
        return len(self.docs) > 0

    def nbytes(self) -> int:
        return int(self.docs.nbytes + self.values.nbytes + self.own.nbytes)


NO_POSTINGS = Postings(np.zeros(0, dtype=DOC), np.zeros(0), np.zeros(0, dtype=DOC))


class SegmentScores:
    """Per-segment norms and term impacts (segments never change; deletions are filtered by the
    caller's candidate sets)."""

    def __init__(self, doc_count: int) -> None:
        self.doc_count = doc_count
        self._norms: dict[str, np.ndarray | None] = {}

    def norms(self, reader: Any, fieldname: str) -> np.ndarray | None:
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
            table = np.array([c1 + c2 * _B2L[i] for i in range(256)])
            result = np.full(max(self.doc_count, len(data)), c1)
            result[: len(data)] = table[np.frombuffer(bytes(data), dtype=np.uint8)]
        self._norms[fieldname] = result
        return result

    def impacts(self, reader: Any, term: str) -> Postings:
        """Per document having ``term``: the sum over text fields of boost * saturated tf.

        Vectorised over the postings; the fields are added largest first, in the same order
        (and so to the same floating-point sums) as scoring one posting at a time."""
        parts = []
        for f in TEXT_FIELDS:
            ids, ws = read_postings(reader, f, term, weights=True)
            if not ids:
                continue
            docs = np.array(ids, dtype=DOC)
            w = np.array(ws, dtype=np.float64)
            norms = self.norms(reader, f)
            dens = w + (norms[docs] if norms is not None else K1)
            parts.append((docs, (w * (FIELD_BOOSTS[f] * (K1 + 1))) / dens, f in OWN_TEXT_FIELDS))
        if not parts:
            return NO_POSTINGS
        if len(parts) == 1:
            docs, values, own = parts[0]
            return Postings(docs, values, docs if own else NO_POSTINGS.own)
        parts.sort(key=lambda p: -len(p[0]))
        docs = np.concatenate([p[0] for p in parts])
        values = np.concatenate([p[1] for p in parts])
        uniq, inverse = np.unique(docs, return_inverse=True)
        own_flags = np.zeros(len(uniq), dtype=bool)
        own_flags[inverse[np.concatenate([np.full(len(p[0]), p[2]) for p in parts])]] = True
        uniq = uniq.astype(DOC)
        return Postings(uniq, np.bincount(inverse, weights=values, minlength=len(uniq)), uniq[own_flags])


def idf(df: int, n: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


Weights = Sequence[tuple[float, list[tuple[int, Postings]], float]]


def rank(terms: Weights, candidates: DocSet, k: int) -> list[tuple[float, int]]:
    """The ``k`` best (score, docnum) among ``candidates`` (global document numbers), best first
    (equal scores: lower document number first).

    ``terms``: for each query term, its idf, its impacts per segment as ``(offset, postings)``,
    and its largest impact. Every candidate having any of the terms is scored, vectorised: each
    term's postings found among the candidates (a binary search or a mask), their weighted
    impacts added, terms in the order of their highest possible contribution."""
    if k <= 0 or not candidates:
        return []
    cand = candidates.a
    lo, hi = int(cand[0]), int(cand[-1])
    scores = np.zeros(len(cand))
    hit = np.zeros(len(cand), dtype=bool)
    index: np.ndarray | None = None  # candidate's position per document number, built once
    for w, leaves, _ in sorted(terms, key=lambda t: -t[0] * t[2]):
        for offset, p in leaves:
            # Postings are sorted: only those within the candidates' range can be candidates.
            start, end = np.searchsorted(p.docs, (lo - offset, hi - offset + 1))
            if start == end:
                continue
            docs = p.docs[start:end] + DOC(offset) if offset else p.docs[start:end]
            if len(docs) * 16 < len(cand):
                ok, at = positions(docs, cand)
            else:
                if index is None:
                    index = np.full(hi - lo + 1, -1, dtype=DOC)
                    index[cand - lo] = np.arange(len(cand), dtype=DOC)
                at = index[docs - lo]
                ok = at >= 0
                at = at[ok]
            if len(at):
                scores[at] += w * p.values[start:end][ok]
                hit[at] = True
    found = np.flatnonzero(hit)
    return top_k(scores[found], cand[found], k)


def top_k(scores: np.ndarray, docs: np.ndarray, k: int) -> list[tuple[float, int]]:
    """The ``k`` highest (score, doc) pairs, best first; equal scores: lower doc first."""
    if len(scores) > k:
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        keep = np.flatnonzero(scores >= kth)
        scores, docs = scores[keep], docs[keep]
    order = np.lexsort((docs, -scores))[:k]
    return list(zip(scores[order].tolist(), docs[order].tolist(), strict=True))


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
