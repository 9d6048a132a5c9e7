"""The Whoosh-backed search engine: one index directory, its writer and a warm searcher.

How a search runs (``tests/benchmarks/bench_search.py`` measures it):

1. The query string is parsed by :mod:`search_index.query` (never raises).
2. The *matching set* (:mod:`search_index.matching`) is computed with set algebra on posting lists
   read straight from the segment files and cached per segment (:mod:`search_index.segments`:
   segments never change once written; deletions are handled per snapshot,
   :mod:`search_index.snapshot`): allowed categories AND operators AND (any word) AND phrases,
   minus exclusions. Totals and facets (:mod:`search_index.facets`) count results (a thread and its
   answers are one result) with bitsets over groups: exact, computed only over what the user may
   see, microseconds however many match. Permission is part of the query, never a filter applied
   to a page afterwards, so pages are full.
3. Ranking (:mod:`search_index.ranking` over :mod:`search_index.scoring`): BM25F-style, one
   result per thread scored as one document with its answers (an article promoted from a thread
   is the same result), then re-scored with softer signals such as the share of the query's rarer
   words. Whoosh's own matchers are used only for what they do well here: reading the index.
4. Only the hits on the page are read and highlighted.
5. "Did you mean" (:mod:`search_index.spelling`) when a word is unknown or very rare among what
   the user may see.

Whoosh allows one writer per index. :class:`WhooshSearch` serialises its own writes with a lock
(:mod:`search_index.writing`), but callers running several processes must make sure only one of
them calls :meth:`WhooshSearch.apply` or :meth:`WhooshSearch.rebuild` at a time (the app's indexer
holds a cross-process lock). Searches may run in any number of processes: each notices new commits
within ``refresh_interval`` seconds and a swapped-in rebuild on its next search.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from search_index import _whoosh_fixes, analysis, facets, matching, ranking, spelling
from search_index.documents import Audience, SearchDocument, SearchHit, SearchResults
from search_index.query import ParsedQuery, QueryError, parse_query
from search_index.schema import D_UPDATED
from search_index.segments import IMPACT_CACHE
from search_index.snapshot import Segments, Snapshot
from search_index.writing import IndexWriter

_whoosh_fixes.apply()


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
        self._segments = Segments()
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._closed = False
        self._writing = IndexWriter(self.root)

    # -- snapshots ----------------------------------------------------------------------------

    def _current_snapshot(self) -> Snapshot:
        """The snapshot to search; reopened after our own commits, after other processes'
        commits (checked every ``refresh_interval`` seconds) and after a swapped-in rebuild."""
        snap = self._snapshot
        writing = self._writing
        now = time.monotonic()
        if snap is not None and not writing.stale and now - self._checked < self.refresh_interval:
            return snap
        self._checked = now
        name = writing.read_current()
        if name is not None and name != writing.ix_name:
            writing.follow(name)
        elif snap is not None and not writing.stale and snap.generation == writing.ix.latest_generation():
            return snap
        writing.stale = False
        self._snapshot = self._segments.open(writing.ix)
        return self._snapshot

    def warm(self, terms: int = 0) -> None:
        """Read what searches need from every segment now (columns, sort orders, categories,
        tags, the spelling vocabulary; with ``terms``, the postings of that many of the most
        frequent words), so that the first searches after a start or a rebuild are not the slow
        ones. A server calls it once at start, in a thread.

        Every word it reads comes from the index itself: nothing here knows what a community
        talks about."""
        with self._read_lock:
            snap = self._current_snapshot()
            if terms:
                common: Counter[str] = Counter()
                for reader, _, _ in snap.leaves:
                    for freq, text in reader.most_frequent_terms("body", terms):
                        common[text if isinstance(text, str) else text.decode("utf-8")] += freq
                for text, _ in common.most_common(terms):
                    if any(d.cached_impacts > IMPACT_CACHE * d.share * 0.7 for _, _, d in snap.leaves):
                        break  # keep room: warming must not evict what it just read
                    snap.any_field(text)
                    snap.own_text(text)
            for reader, _, data in snap.leaves:
                with contextlib.suppress(Exception):
                    # The spelling vocabulary, through the path "did you mean" takes, with a word
                    # of the segment's own.
                    word = next(iter(reader.field_terms("spell")), None)
                    if word is not None:
                        list(reader.terms_within("spell", word, 1, prefix=1))
                data.arrays(reader)  # mapped from beside the segment (written by the first process)
            for name in ("grp", "created", "votes"):
                snap.column(name)
            snap.group_index()
            facets.warm(snap)

    # -- writing ------------------------------------------------------------------------------

    def apply(self, upserts: Sequence[SearchDocument], deletes: Sequence[str]) -> None:
        """Add or replace ``upserts`` and remove the documents ``deletes`` names, in one commit.

        One writer at a time per index: this process is serialised by a lock; other processes
        must not write concurrently (hold a cross-process lock around calls)."""
        self._writing.apply(upserts, deletes)

    def wait_for_merges(self) -> None:
        self._writing.wait_for_merges()

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
        self._writing.rebuild(documents, progress, procs=procs, limitmb=limitmb, warm=self.warm)

    def clear(self) -> None:
        """Remove every document (used by tests and by a repair that starts over)."""
        self._writing.clear()

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
        private_orgs: Collection[int] = (),
        all_private: bool = False,
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
    ) -> SearchResults:
        """One page of results for ``q`` among the categories the user may see; of the private
        questions, those of ``private_orgs`` (or all of them with ``all_private``)."""
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
        allowed = audience(allowed_category_ids, private_orgs, all_private)
        with self._read_lock:
            snap = self._current_snapshot()
            matched = matching.match(snap, parsed, allowed)
            if matched is None:
                return _replace(base, error=_nothing_to_search_for(parsed))
            start = (page - 1) * per_page
            if sort == "relevance" and matched.terms:
                ranked = ranking.by_relevance(snap, matched, start + per_page)
            else:
                ranked = ranking.by_date_or_votes(snap, matched.docs, sort, start + per_page)
            hits = [
                ranking.hit(snap, docnum, score, matched.terms)
                for score, docnum in ranked[start : start + per_page]
            ]
            corrected = bool(matched.corrections)
            if corrected:
                suggestion: str | None = q
                for word, better in matched.corrections.items():
                    suggestion = spelling.replace_word(suggestion, word, better)
            else:
                suggestion = spelling.suggest(snap, q, parsed, allowed, matched.total)
        return _replace(
            base,
            results=hits,
            total=matched.total,
            categories=matched.categories,
            tags=matched.tags,
            suggestion=suggestion if suggestion != q else None,
            corrected=corrected and suggestion != q,
        )

    # -- similar questions --------------------------------------------------------------------

    def similar(
        self,
        title: str,
        *,
        allowed_category_ids: Collection[int],
        private_orgs: Collection[int] = (),
        all_private: bool = False,
        limit: int = 5,
        exclude_thread_id: int | None = None,
    ) -> list[SearchHit]:
        """Threads and articles most like a question being asked (for the ask form and a
        thread's "related" list): ranked as search ranks them, one per thread.

        ``exclude_thread_id`` leaves out the thread the list is shown on *before* judging what is
        close: otherwise the thread itself, always the best match, pushes every other one out."""
        terms = list(dict.fromkeys(analysis.terms(analysis.clean(title or "")[:300])))[:16]
        if not terms:
            return []
        allowed = audience(allowed_category_ids, private_orgs, all_private)
        with self._read_lock:
            snap = self._current_snapshot()
            return ranking.similar(snap, terms, allowed, limit, exclude_thread_id)

    def close(self) -> None:
        with self._writing.lock, self._read_lock:
            self.wait_for_merges()
            if self._snapshot is not None:
                self._snapshot.close()
                self._snapshot = None
            self._segments.close()
            self._closed = True


def audience(category_ids: Collection[int], private_orgs: Collection[int], all_private: bool) -> Audience:
    return Audience(
        frozenset(int(c) for c in category_ids), frozenset(int(o) for o in private_orgs), all_private
    )


def _replace(base: SearchResults, **changes: Any) -> SearchResults:
    return replace(base, **changes)


def _nothing_to_search_for(parsed: ParsedQuery) -> str:
    """Why a query whose every word is left out matches nothing: a word too long to be searched
    is no common word, and saying so sent people looking for a rarer one."""
    if any(len(word) > analysis.MAX_WORD for word in parsed.words):
        return (
            f"A word that long is not searched (words over {analysis.MAX_WORD} characters are ignored): "
            "search for a shorter one."
        )
    return "Those are all very common words; add a more specific one."
