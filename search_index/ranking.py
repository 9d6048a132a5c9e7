"""Ranking: the first results of a page, one per group, and the hits read for it.

Relevance (:func:`by_relevance`) is BM25F-style over posting lists held in memory
(:mod:`search_index.scoring`), one result per thread: the thread's own document (question, tags
and its answers rolled up, the accepted and voted-up ones in a field that weighs more) is scored,
whichever of the thread's documents matched, and an article promoted from the thread shares its
result. The best ``RERANK`` are then re-scored with softer signals (the share of the query's
rarer words they hold; no hard "all words" tier), and the document shown is the thread, or the
answer holding the words when the thread's own text does not (:func:`shown_doc`). A one-word
query over many candidates walks that word's postings from the highest impact down instead of
scoring them all (:func:`_rank_one`). Newest and most voted first (:func:`by_date_or_votes`) sort
the matches when they are few and walk the segments' sort orders when they are many.

Whoosh's own matchers are used only for what they do well here: reading the index. Only the hits
on the page are read and highlighted (:func:`hit`).

Internal to :mod:`search_index`; :class:`search_index.engine.WhooshSearch` is the public class.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

import numpy as np

from search_index.docsets import DOC, DocSet
from search_index.documents import Audience, SearchHit
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
from search_index.scoring import Postings, idf, rank
from search_index.snapshot import Snapshot

TermWeight = tuple[float, list[tuple[int, Postings]], float]  # idf, (offset, postings) per segment, max


def term_weights(snap: Snapshot, terms: Iterable[str]) -> list[TermWeight]:
    """Per term found in the index: its idf, its impacts per segment and the largest of them."""
    n = max(1, snap.live_count())
    out = []
    for t in terms:
        parts, top = snap.impacts(t)
        if parts:
            out.append((idf(len(snap.any_field(t)), n), parts, top))
    return out


# How much a result's share of the query's words (weighted by rarity) counts: a soft signal, so a
# thread about the rare words of a question beats one that happens to hold every common one.
COVERAGE_WEIGHT = 0.8
# Relevance ranks this many results by BM25F, then re-ranks them with the softer signals.
RERANK = 100


def by_relevance(snap: Snapshot, matched: Matched, need: int) -> list[tuple[float, int]]:
    """The first ``need`` results by relevance, one per thread (or article).

    A thread is ranked as one document, its question with its answers rolled up (see
    :func:`head_candidates`), whichever of its documents matched; the document shown for it is the
    thread itself when it matches, otherwise its best matching answer."""
    if matched.ranked_complete or len(matched.ranked) >= need:
        return matched.ranked
    terms = sorted(t for t in matched.terms if snap.impacts(t)[0])
    weights = term_weights(snap, terms)
    candidates = head_candidates(snap, matched.docs)
    k = max(need * 2, RERANK)
    top = rank(weights, candidates, k)
    ranked = rerank(snap, terms, weights, top)
    shown = list(
        zip(
            [score for score, _ in ranked],
            shown_docs(snap, [d for _, d in ranked], matched.docs, terms, weights),
            strict=True,
        )
    )
    matched.ranked = shown[: max(need, len(shown))]
    matched.ranked_complete = len(top) < k
    return matched.ranked


def head_candidates(snap: Snapshot, docs: DocSet) -> DocSet:
    """What relevance scores for ``docs``: the heads (threads, articles) of their groups, and for a
    group whose head did not match at all (only an answer did: an operator such as ``author:``, or
    words past the rolled-up text) its matching documents themselves."""
    heads = snap.heads()
    found = docs & heads
    rest = docs - heads
    if not rest:
        return found
    gidx = snap.group_index()
    have = np.zeros(int(gidx.max()) + 1, dtype=bool)
    have[gidx[found.a]] = True
    rest_groups = gidx[rest.a]
    missing = np.zeros(len(have), dtype=bool)
    missing[rest_groups[~have[rest_groups]]] = True
    if not missing.any():
        return found
    extra_heads = heads.a[missing[gidx[heads.a]]]
    extra_rest = rest.a[missing[rest_groups]]
    return DocSet.union(found, extra_heads, extra_rest)


def rerank(
    snap: Snapshot,
    terms: list[str],
    weights: list[TermWeight],
    top: list[tuple[float, int]],
) -> list[tuple[float, int]]:
    """BM25F's best, re-scored with the query's coverage (soft) and kept one per group."""
    total = sum(w for w, _, _ in weights)
    if len(weights) > 1 and total > 0 and top:
        docs = np.array([d for _, d in top], dtype=DOC)
        covered = np.zeros(len(top))
        for t, (w, _, _) in zip(terms, weights, strict=True):
            covered += np.where(snap.any_field(t).has(docs), w, 0.0)
        factors = (1 - COVERAGE_WEIGHT + COVERAGE_WEIGHT * (covered / total)).tolist()
        rescored = [(score * f, d) for (score, d), f in zip(top, factors, strict=True)]
        rescored.sort(key=lambda x: (-x[0], x[1]))
    else:
        rescored = top
    grp = snap.array("grp")
    seen: set[int] = set()
    out = []
    for score, d in rescored:
        g = grp[d]
        if g not in seen:
            seen.add(g)
            out.append((score, d))
    return out


def shown_docs(
    snap: Snapshot, bests: list[int], docs: DocSet, terms: list[str], weights: list[TermWeight]
) -> list[int]:
    """The document each result shows: its head (thread, article) unless one of its answers holds
    more of the query's words in its own text (then that answer: its snippet is what the searcher
    wants to read); a head that did not match itself shows its best matching answer.

    All results at once: the matching documents of their groups found in one pass, and the
    words each holds in one membership test per word."""
    out = list(bests)
    if not bests:
        return out
    best = np.array(bests, dtype=DOC)
    is_head = snap.heads().has(best)
    if not is_head.any():
        return out
    gidx = snap.group_index()
    groups = gidx[best]
    wanted = np.zeros(int(gidx.max()) + 1, dtype=bool)
    wanted[groups[is_head]] = True
    members = docs.a[wanted[gidx[docs.a]]]  # ascending
    by_group = np.argsort(gidx[members], kind="stable")
    members = members[by_group]
    member_groups = gidx[members]
    both = np.concatenate((best, members))
    covered = np.zeros(len(both))
    for t, (w, _, _) in zip(terms, weights, strict=True):
        covered += np.where(snap.own_text(t).has(both), w, 0.0)
    best_covers, member_covers = covered[: len(best)], covered[len(best) :]
    starts = np.searchsorted(member_groups, groups, side="left")
    ends = np.searchsorted(member_groups, groups, side="right")
    matched = docs.has(best)
    for i in np.flatnonzero(is_head).tolist():
        lo, hi = int(starts[i]), int(ends[i])
        others = members[lo:hi] != best[i]
        group = members[lo:hi][others]
        if not len(group):
            continue
        if not matched[i]:
            found = rank(weights, DocSet.sorted(group), 1)
            out[i] = found[0][1] if found else int(group[0])
        elif weights:
            covers = member_covers[lo:hi][others]
            most = covers.max()
            if most > best_covers[i]:
                out[i] = int(group[covers == most].min())  # equal: the first answer
    return out


def by_date_or_votes(snap: Snapshot, docs: DocSet, sort: str, need: int) -> list[tuple[float, int]]:
    """The first ``need`` results newest (or most voted) first, one per group."""
    grp = snap.array("grp")
    out: list[tuple[float, int]] = []
    seen: set[int] = set()
    if len(docs) * 50 < snap.size:  # sparse: sort the matches; dense: walk the sort order
        a = docs.a
        created = snap.column("created")[a]
        if sort == "votes":
            keys = np.lexsort((a, -created, -snap.column("votes")[a]))
        else:
            keys = np.lexsort((a, -created))
        order: Iterable[int] = a[keys].tolist()
    else:
        order = snap.ordered(sort, docs)
    posts = snap.ids("flags", "post")
    for d in order:
        g = grp[d]
        if g in seen:
            continue
        seen.add(g)
        if d in posts:
            # The thread itself stands for its group when it matches too.
            thread = snap.ids("doc_id", f"thread:{g}") & docs
            d = thread.min() if thread else d
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
    snap: Snapshot, terms: list[str], allowed: Audience, limit: int, exclude_thread_id: int | None
) -> list[SearchHit]:
    """Threads and articles closest to ``terms``, ranked as search ranks them, one per thread (see
    :meth:`search_index.engine.WhooshSearch.similar`). Weak matches (under 40% of the best
    score) are left out: a related list is better short than padded."""
    pool = snap.heads() & snap.allowed(allowed)
    if exclude_thread_id is not None:
        pool = pool - DocSet(snap.group_docs(int(exclude_thread_id)))
    terms = [t for t in terms if snap.impacts(t)[0]]
    if not pool or not terms:
        return []
    weights = term_weights(snap, terms)
    ranked = rerank(snap, terms, weights, rank(weights, pool, max(limit * 4, RERANK)))
    if not ranked:
        return []
    floor = ranked[0][0] * 0.4
    return [hit(snap, d, s, frozenset(terms)) for s, d in ranked[:limit] if s >= floor]
