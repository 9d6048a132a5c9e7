"""Sets of document numbers as sorted numpy arrays, with the set algebra searches need.

A common word's documents at a million posts are hundreds of thousands of numbers: as a Python
``frozenset`` that is about 60 bytes a number in every worker, and each intersection or union a
Python-speed walk over them (about a second of CPU per query at that size). Here a set is a
sorted, duplicate-free ``int32`` array (4 bytes a number) and the algebra is vectorised: a
binary search of the smaller set in the larger when one is small, a byte mask over the range of
document numbers otherwise (one pass over memory, no hashing).

:class:`DocSet` keeps the operators and methods of a ``frozenset`` that the engine uses (``&``,
``|``, ``-``, ``in``, ``len``, iteration, ``isdisjoint``), so set algebra reads as before.

Internal to :mod:`search_index`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

DOC = np.int32


def _search_cheaper(values: int, n: int, top: int) -> bool:
    """Whether binary searches of ``values`` numbers in a set of ``n`` (largest ``top``) cost less
    than a mask over ``0 .. top`` (each search is ~log2(n) dependent reads; a mask is a memset
    of ``top`` bytes, ``n`` writes and ``values`` reads)."""
    return values * n.bit_length() * 4 < top // 8 + n + values


def as_array(values: Any) -> np.ndarray:
    """A sorted, duplicate-free int32 array of ``values`` (any iterable of ints)."""
    if isinstance(values, DocSet):
        return values.a
    if isinstance(values, np.ndarray):
        arr = values.astype(DOC, copy=False)
    else:
        if not isinstance(values, list | tuple | range):
            values = list(values)
        arr = np.array(values, dtype=DOC)
    if len(arr) > 1 and not bool(np.all(arr[1:] > arr[:-1])):
        arr = np.unique(arr)
    return arr


def member(values: np.ndarray, sorted_set: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """For each of ``values`` (any order), whether it is in ``sorted_set`` (sorted, unique);
    ``mask``: the set's mask when it is kept (see :meth:`DocSet.keep_mask`)."""
    n = len(sorted_set)
    if n == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    if mask is None:
        if _search_cheaper(len(values), n, int(sorted_set[-1])):
            i = np.searchsorted(sorted_set, values)
            np.minimum(i, n - 1, out=i)
            return sorted_set[i] == values  # type: ignore[no-any-return]
        mask = np.zeros(int(sorted_set[-1]) + 1, dtype=bool)
        mask[sorted_set] = True
    top = len(mask)
    if len(values) and int(values.max()) >= top:
        inside = values < top
        out = np.zeros(len(values), dtype=bool)
        out[inside] = mask[values[inside]]
        return out
    return mask[values]  # type: ignore[no-any-return]


def positions(values: np.ndarray, sorted_set: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``values``, whether it is in ``sorted_set`` and its index there (``ok``,
    ``index[ok]``): the index of each found value."""
    n = len(sorted_set)
    if n == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool), np.zeros(0, dtype=np.intp)
    if _search_cheaper(len(values), n, int(sorted_set[-1])):
        i = np.searchsorted(sorted_set, values)
        np.minimum(i, n - 1, out=i)
        ok = sorted_set[i] == values
        return ok, i[ok]
    index = np.full(max(int(sorted_set[-1]), int(values.max())) + 1, -1, dtype=np.int32)
    index[sorted_set] = np.arange(n, dtype=np.int32)
    i = index[values]
    ok = i >= 0
    return ok, i[ok]


class DocSet:
    """An immutable set of document numbers held as a sorted int32 array (``a``)."""

    __slots__ = ("_mask", "a")

    def __init__(self, values: Any = ()) -> None:
        self.a: np.ndarray = as_array(values)
        self._mask: np.ndarray | None = None

    @classmethod
    def sorted(cls, arr: np.ndarray) -> DocSet:
        """A set over ``arr``, already sorted and duplicate-free (not checked)."""
        s = cls.__new__(cls)
        s.a = arr if arr.dtype == DOC else arr.astype(DOC)
        s._mask = None
        return s

    @classmethod
    def union(cls, *parts: DocSet | np.ndarray) -> DocSet:
        arrays = [p.a if isinstance(p, DocSet) else p for p in parts]
        arrays = [a for a in arrays if len(a)]
        if not arrays:
            return EMPTY
        if len(arrays) == 1:
            return cls.sorted(arrays[0])
        total = sum(map(len, arrays))
        top = max(int(a[-1]) for a in arrays) + 1
        if total * 8 < top:
            return cls.sorted(np.unique(np.concatenate(arrays)))
        mask = np.zeros(top, dtype=bool)
        for a in arrays:
            mask[a] = True
        return cls.sorted(np.flatnonzero(mask).astype(DOC))

    def keep_mask(self) -> DocSet:
        """Keep a byte per document number up to the largest (for the big sets every query tests,
        such as what an audience may see: a lookup then costs no mask built per test)."""
        if self._mask is None and len(self.a):
            m = np.zeros(int(self.a[-1]) + 1, dtype=bool)
            m[self.a] = True
            self._mask = m
        return self

    def has(self, values: np.ndarray) -> np.ndarray:
        """For each of ``values``, whether it is in this set."""
        return member(values, self.a, self._mask)

    def __and__(self, other: Any) -> DocSet:
        if not isinstance(other, DocSet):
            other = DocSet(other)
        small, large = (self, other) if len(self.a) <= len(other.a) else (other, self)
        if not len(small.a):
            return EMPTY
        mask = large._mask
        if mask is None and small._mask is not None and len(small.a) * 4 > len(large.a):
            small, large, mask = large, small, small._mask
        return DocSet.sorted(small.a[member(small.a, large.a, mask)])

    __rand__ = __and__

    def __or__(self, other: Any) -> DocSet:
        return DocSet.union(self, as_array(other))

    __ror__ = __or__

    def __sub__(self, other: Any) -> DocSet:
        if not isinstance(other, DocSet):
            other = DocSet(other)
        if not len(other.a) or not len(self.a):
            return self
        return DocSet.sorted(self.a[~member(self.a, other.a, other._mask)])

    def __rsub__(self, other: Any) -> DocSet:
        return DocSet(other) - self

    def __contains__(self, d: object) -> bool:
        a = self.a
        i = int(a.searchsorted(d))
        return i < len(a) and int(a[i]) == d

    def __len__(self) -> int:
        return len(self.a)

    def __bool__(self) -> bool:
        return len(self.a) > 0

    def __iter__(self) -> Iterator[int]:
        return iter(self.a.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DocSet):
            return bool(np.array_equal(self.a, other.a))
        if isinstance(other, set | frozenset):
            return set(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def isdisjoint(self, other: Any) -> bool:
        return not len(self & other)

    def min(self) -> int:
        return int(self.a[0])

    def shifted(self, offset: int) -> DocSet:
        return self if not offset else DocSet.sorted(self.a + DOC(offset))

    def __repr__(self) -> str:
        return f"DocSet({self.a.tolist()[:8]}{'...' if len(self.a) > 8 else ''}, n={len(self.a)})"


def of(values: Iterable[int]) -> DocSet:
    return DocSet(values)


EMPTY = DocSet.sorted(np.zeros(0, dtype=DOC))
