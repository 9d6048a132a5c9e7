"""Ranking: the first results of a page, one per group, and the hits read for it.

Relevance (:func:`by_relevance`) is BM25F-style over posting lists held in memory
(:mod:`search_index.scoring`), in two tiers: the documents having ALL the words in their own text
first, then the rest of the matching set when the page is not full. Each thread is one result: its
best document (the thread, or one of its answers) stands for it. A one-word query over many
candidates walks that word's postings from the highest impact down instead of scoring them all
(:func:`_rank_one`). Newest and most voted first (:func:`by_date_or_votes`) sort the matches when
they are few and walk the segments' sort orders when they are many.

Whoosh's own matchers are used only for what they do well here: reading the index. Only the hits
on the page are read and highlighted (:func:`hit`).

Internal to :mod:`search_index`; :class:`search_index.engine.WhooshSearch` is the public class.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable
from datetime import datetime

from search_index.documents import SearchHit
from search_index.highlight import mark, snippet
from search_index.matching import Matched
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
    D_URL,
    D_VOTES,
)
from search_index.scoring import idf, rank
from search_index.snapshot import Snapshot


def term_weights(
    snap: Snapshot, terms: Iterable[str]
) -> list[tuple[float, list[tuple[int, dict[int, float]]], float]]:
    """Per term found in the index: its idf, its impacts per segment and the largest of them."""
    n = max(1, snap.live_count())
    out = []
    for t in terms:
        parts, top = snap.impacts(t)
        if parts:
            out.append((idf(len(snap.any_field(t)), n), parts, top))
    return out


def by_relevance(snap: Snapshot, matched: Matched, need: int) -> list[tuple[float, int]]:
    """The first ``need`` results by relevance, one per group: documents having all words
    first, then the others (each tier ranked by BM25F, see :mod:`search_index.scoring`)."""
    if matched.ranked_complete or len(matched.ranked) >= need:
        return matched.ranked
    terms = sorted(t for t in matched.terms if snap.impacts(t)[0])
    weights = term_weights(snap, terms)
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
                top = _rank_one(snap, terms[0], weights[0][0], tier, k)
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
    snap: Snapshot, term: str, weight: float, candidates: frozenset[int], k: int
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


def by_date_or_votes(snap: Snapshot, docs: frozenset[int], sort: str, need: int) -> list[tuple[float, int]]:
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


def hit(snap: Snapshot, docnum: int, score: float, terms: Collection[str]) -> SearchHit:
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


def similar(
    snap: Snapshot, terms: list[str], allowed: frozenset[int], limit: int, exclude_thread_id: int | None
) -> list[SearchHit]:
    """Threads and articles closest to ``terms``, solved threads and articles first (see
    :meth:`search_index.engine.WhooshSearch.similar`)."""
    pool = (snap.ids("flags", "thread") | snap.ids("flags", "article")) & snap.allowed(allowed)
    if not pool:
        return []
    hits = rank(term_weights(snap, terms), pool, limit * 4)
    if not hits:
        return []
    found = [hit(snap, d, s, frozenset(terms)) for s, d in hits]
    found = [h for h in found if h.kind == "article" or h.thread_id != exclude_thread_id]
    if not found:
        return []
    top = found[0].score
    rows = [h for h in found if h.score >= top * 0.4]
    rows.sort(key=lambda h: (not (h.solved or h.kind == "article"), -h.score))
    return rows[:limit]
