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

import heapq
from collections.abc import Collection, Iterable
from datetime import datetime

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
    if len(weights) == 1 and len(candidates) > 2000:
        top = _rank_one(snap, terms[0], weights[0][0], candidates, k)
    else:
        top = rank(weights, candidates, k)
    ranked = rerank(snap, terms, weights, top)
    shown = [(score, shown_doc(snap, d, matched.docs, terms, weights)) for score, d in ranked]
    matched.ranked = shown[: max(need, len(shown))]
    matched.ranked_complete = len(top) < k
    return matched.ranked


def head_candidates(snap: Snapshot, docs: frozenset[int]) -> frozenset[int]:
    """What relevance scores for ``docs``: the heads (threads, articles) of their groups, and for a
    group whose head did not match at all (only an answer did: an operator such as ``author:``, or
    words past the rolled-up text) its matching documents themselves."""
    heads = snap.heads()
    found = docs & heads
    rest = docs - heads
    if not rest:
        return found
    grp = snap.array("grp")
    missing = set(map(grp.__getitem__, rest)) - set(map(grp.__getitem__, found))
    if not missing:
        return found
    extra = [h for g in missing for h in snap.group_docs(g) if h in heads]
    extra += [d for d in rest if grp[d] in missing]
    return found | frozenset(extra)


def rerank(
    snap: Snapshot,
    terms: list[str],
    weights: list[tuple[float, list[tuple[int, dict[int, float]]], float]],
    top: list[tuple[float, int]],
) -> list[tuple[float, int]]:
    """BM25F's best, re-scored with the query's coverage (soft) and kept one per group."""
    total = sum(w for w, _, _ in weights)
    if len(weights) > 1 and total > 0:
        sets = [(w, snap.any_field(t)) for t, (w, _, _) in zip(terms, weights, strict=True)]
        rescored = []
        for score, d in top:
            covered = sum(w for w, s in sets if d in s) / total
            rescored.append((score * (1 - COVERAGE_WEIGHT + COVERAGE_WEIGHT * covered), d))
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


def shown_doc(
    snap: Snapshot,
    best: int,
    docs: frozenset[int],
    terms: list[str],
    weights: list[tuple[float, list[tuple[int, dict[int, float]]], float]],
) -> int:
    """The document a result shows: its head (thread, article) unless one of its answers holds
    more of the query's words in its own text (then that answer: its snippet is what the searcher
    wants to read)."""
    if best not in snap.heads():
        return best
    own = [(w, snap.own_text(t)) for t, (w, _, _) in zip(terms, weights, strict=True)]
    members = [d for d in snap.group_docs(snap.array("grp")[best]) if d in docs and d != best]
    if best not in docs:
        if not members:
            return best
        best_member = rank(weights, frozenset(members), 1)
        return best_member[0][1] if best_member else members[0]
    if not members or not own:
        return best

    def covered(d: int) -> float:
        return sum(w for w, s in own if d in s)

    head_covers = covered(best)
    answer_covers, answer = max((covered(d), -d) for d in members)
    return -answer if answer_covers > head_covers else best


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
    snap: Snapshot, terms: list[str], allowed: Audience, limit: int, exclude_thread_id: int | None
) -> list[SearchHit]:
    """Threads and articles closest to ``terms``, ranked as search ranks them, one per thread (see
    :meth:`search_index.engine.WhooshSearch.similar`). Weak matches (under 40% of the best
    score) are left out: a related list is better short than padded."""
    pool = snap.heads() & snap.allowed(allowed)
    if exclude_thread_id is not None:
        pool = pool - frozenset(snap.group_docs(int(exclude_thread_id)))
    terms = [t for t in terms if snap.impacts(t)[0]]
    if not pool or not terms:
        return []
    weights = term_weights(snap, terms)
    ranked = rerank(snap, terms, weights, rank(weights, pool, max(limit * 4, RERANK)))
    if not ranked:
        return []
    floor = ranked[0][0] * 0.4
    return [hit(snap, d, s, frozenset(terms)) for s, d in ranked[:limit] if s >= floor]
