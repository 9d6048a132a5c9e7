"""Document sets as sorted numpy arrays: the same answers as Python sets, whichever way
(binary search or mask) an operation takes, and scoring equal to a plain per-posting sum."""

from __future__ import annotations

import random

import numpy as np
import pytest

from search_index.docsets import EMPTY, DocSet, member, positions
from search_index.scoring import Postings, rank, top_k


def _random_set(rng: random.Random, n: int, top: int) -> set[int]:
    return set(rng.sample(range(top), min(n, top)))


@pytest.mark.parametrize(
    ("small", "large", "top"), [(3, 5, 10), (10, 50_000, 100_000), (40_000, 60_000, 100_000)]
)
def test_set_algebra_matches_python_sets(small: int, large: int, top: int) -> None:
    rng = random.Random(small + large)
    a, b = _random_set(rng, small, top), _random_set(rng, large, top)
    x, y = DocSet(a), DocSet(b)
    assert list(x & y) == sorted(a & b)
    assert list(y & x) == sorted(a & b)
    assert list(x | y) == sorted(a | b)
    assert list(x - y) == sorted(a - b)
    assert list(y - x) == sorted(b - a)
    assert list(DocSet.union(x, y, DocSet([top + 5]))) == sorted(a | b | {top + 5})
    assert x.isdisjoint(y) == a.isdisjoint(b)
    assert len(x & y) == len(a & b)
    probe = rng.sample(range(top + 10), min(200, top + 10))
    assert [d in y for d in probe] == [d in b for d in probe]
    values = np.array(probe, dtype=np.int32)
    assert member(values, y.a).tolist() == [d in b for d in probe]
    ok, at = positions(values, y.a)
    assert ok.tolist() == [d in b for d in probe]
    assert y.a[at].tolist() == [d for d in probe if d in b]


def test_empty_sets_and_unsorted_input() -> None:
    assert not EMPTY and len(EMPTY) == 0
    assert list(DocSet([5, 1, 5, 3])) == [1, 3, 5]
    assert not (DocSet([1, 2]) & EMPTY)
    assert list(DocSet([1, 2]) - EMPTY) == [1, 2]
    assert list(EMPTY | DocSet([4])) == [4]
    assert DocSet.union() is EMPTY
    assert DocSet([7, 9]).min() == 7
    assert list(DocSet([1, 2]).shifted(10)) == [11, 12]


def test_top_k_breaks_equal_scores_by_lower_document() -> None:
    scores = np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    docs = np.array([10, 4, 2, 7, 9])
    assert top_k(scores, docs, 2) == [(3.0, 2), (3.0, 4)]
    assert top_k(scores, docs, 10) == [(3.0, 2), (3.0, 4), (3.0, 9), (2.0, 7), (1.0, 10)]


def test_rank_equals_a_plain_sum_over_postings() -> None:
    rng = random.Random(3)
    n = 5000
    candidates = DocSet(_random_set(rng, 3000, 2 * n))
    terms = []
    for _ in range(3):
        leaves = []
        for offset in (0, n):
            docs = np.array(sorted(_random_set(rng, rng.randrange(1, 2000), n)), dtype=np.int32)
            leaves.append((offset, Postings(docs, np.array([rng.random() for _ in docs]), docs[docs > 0])))
        top = max(float(p.values.max()) for _, p in leaves)
        terms.append((rng.random() * 3, leaves, top))
    expected: dict[int, float] = {}
    for w, leaves, _ in sorted(terms, key=lambda t: -t[0] * t[2]):
        for offset, p in leaves:
            for d, v in zip(p.docs.tolist(), p.values.tolist(), strict=True):
                if d + offset in candidates:
                    expected[d + offset] = expected.get(d + offset, 0.0) + w * v
    best = sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))[:50]
    assert rank(terms, candidates, 50) == [(s, d) for d, s in best]
