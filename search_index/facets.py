"""Facet counts (results per category and per tag) from bitsets over groups.

A facet counts results, and a thread with its answers is one result, so counts are the number of set
bits in (the matching groups AND the groups having that category or tag): exact, computed only over
what the user may see, and microseconds however many documents match. The per-category and per-tag
group bitsets are cached per segment (:meth:`search_index.segments.SegmentData.group_bits`).

Internal to :mod:`search_index`; :class:`search_index.engine.WhooshSearch` is the public class.
"""

from __future__ import annotations

from collections import Counter

from search_index.documents import Audience, FacetCount
from search_index.snapshot import Snapshot

FACET_LIMIT = 12


def category_counts(snap: Snapshot, groups: int, allowed: Audience) -> Counter[int]:
    counts: Counter[int] = Counter()
    for c in allowed.category_ids:
        bits = snap.group_bits(("ids", "cat", str(c)), lambda c=c: snap.ids("cat", str(c)))
        counts[c] = (groups & bits).bit_count()
    return counts


def tag_counts(snap: Snapshot, groups: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    for t in snap.tag_names():
        bits = snap.group_bits(("ids", "tags", t), lambda t=t: snap.ids("tags", t))
        counts[t] = (groups & bits).bit_count()
    return counts


def category_facets(snap: Snapshot, counts: Counter[int]) -> list[FacetCount]:
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_LIMIT]
    return [
        FacetCount(key=snap.slug(c, snap.ids("cat", str(c)).min()), count=n, category_id=c)
        for c, n in top
        if n
    ]


def top_facets(counts: Counter[str]) -> list[FacetCount]:
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_LIMIT]
    return [FacetCount(key=k, count=n) for k, n in top if n]


def warm(snap: Snapshot) -> None:
    """Read the group bitsets of every category and tag (a server's first searches then only
    intersect them)."""
    everything = frozenset(int(c) for r, _, d in snap.leaves for c in d.field_values(r, "cat"))
    category_counts(snap, 0, Audience(everything))
    tag_counts(snap, 0)
