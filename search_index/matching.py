"""Matching: from a parsed query to the exact set of documents it matches for one permission set.

Set algebra on posting sets read from the segments (see :mod:`search_index.snapshot`): allowed
categories AND operators AND (any word) AND phrases, minus exclusions. Permission is part of the
query, never a filter applied to a page afterwards, so pages are full and totals exact.

Totals and facets count results (a thread and its answers are one result) with bitsets over groups.
Free words with group-level filters only (permissions, tags, categories, ``is:``), the common case,
take a shorter path (:func:`_grouped`): totals and facets straight from group bitsets, and the
matching documents computed only if ranking reaches past those having every word.

A word nobody the user may see ever wrote is most likely misspelt: the closest word they may see is
searched instead (:mod:`search_index.spelling`), and the results say so.

Internal to :mod:`search_index`; :class:`search_index.engine.WhooshSearch` is the public class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as dtime
from typing import Any

from search_index import analysis, facets, spelling
from search_index.docsets import EMPTY, DocSet
from search_index.documents import Audience, FacetCount
from search_index.query import ParsedQuery, word_terms
from search_index.schema import PHRASE_FIELDS, SINGLE_POSITIONS
from search_index.scoring import has_phrase
from search_index.snapshot import Snapshot


@dataclass
class Matched:
    """The exact matching set of one query for one permission set, and what derives from it.

    ``docs`` (every matching document) is computed only when needed: totals and facets of
    simple queries come from group bitsets, and relevance ranking needs only ``all_words``
    unless the page reaches past the documents having every word."""

    docs_fn: Callable[[], DocSet]
    all_words: DocSet | None  # documents having every word; None when no words
    total: int
    categories: list[FacetCount]
    tags: list[FacetCount]
    _docs: DocSet | None = None
    ranked: list[tuple[float, int]] = field(default_factory=list)  # (score, docnum), one per group
    ranked_complete: bool = False
    terms: frozenset[str] = frozenset()
    corrections: dict[str, str] = field(default_factory=dict)  # misspelt word -> word searched

    @property
    def docs(self) -> DocSet:
        if self._docs is None:
            self._docs = self.docs_fn()
        return self._docs


def match(snap: Snapshot, parsed: ParsedQuery, allowed: Audience) -> Matched | None:
    """What ``parsed`` matches among what ``allowed`` may find (remembered per snapshot); None
    when the query is only very common words."""
    key = (parsed, allowed)
    found = snap.matched.get(key)
    if found is not None:
        snap.matched.move_to_end(key)
        return found
    # Words: any of them, and remember who has all of them.
    terms = word_terms(parsed.words)
    # A word nobody (that this user may see) ever wrote is most likely misspelt: search for
    # the closest word they may see instead, and say so.
    corrections: dict[str, str] = {}
    visible = snap.allowed(allowed)
    for word in parsed.words:
        t = analysis.term_of(word)
        if t and word.isalpha() and len(word) > 2 and snap.any_field(t).isdisjoint(visible):
            better = spelling.closest(snap, word, visible, min_df=1)
            if better:
                corrections[word] = better
                bt = analysis.term_of(better)
                terms = list(dict.fromkeys(bt if x == t else x for x in terms if bt))
    simple = not (
        parsed.authors
        or parsed.orgs
        or parsed.before
        or parsed.after
        or parsed.phrases
        or parsed.excluded_words
        or parsed.excluded_phrases
    )
    if simple and terms:
        return _grouped(snap, key, parsed, allowed, terms, corrections)
    docs: DocSet = snap.allowed(allowed)
    # Exact operators, narrowest first.
    for fieldname, values in (
        ("tags", parsed.tags),
        ("category", parsed.categories),
        ("author", parsed.authors),
        ("org", parsed.orgs),
    ):
        for value in values:
            docs = docs & snap.ids(fieldname, value)
    flag_field = {"solved": "solved", "unanswered": "unanswered", "article": "article"}
    for flag in parsed.flags:
        docs = docs & snap.ids("flags", flag_field[flag])
        if flag == "solved":
            docs = docs - snap.ids("flags", "post")  # the question, not each answer of it
    for flag in parsed.excluded_flags:
        docs = docs - snap.ids("flags", flag_field[flag])
    if parsed.before or parsed.after:
        start = _epoch(parsed.after) if parsed.after else None
        end = _epoch(parsed.before) if parsed.before else None
        docs = docs & snap.created_between(start, end)
    phrase_terms = [[t for t in (analysis.term_of(w) for w in p) if t] for p in parsed.phrases]
    all_words: DocSet | None = None
    only_stop_words = parsed.words and not terms and not any(phrase_terms)
    if only_stop_words and docs is snap.allowed(allowed) and not parsed.excluded_words:
        # "how to": fine beside an operator, useless on its own.
        return None
    if terms:
        word_sets = [snap.any_field(t) for t in terms]
        word_sets.sort(key=len)
        anyset = DocSet.union(*word_sets)
        docs = docs & anyset
        # "All words" means in the document's own text: a thread's rolled-up answers count
        # for its score, but a long discussion mentioning every common word somewhere should
        # not outrank a question that is about them.
        own_sets = [snap.own_text(t) for t in terms]
        own_sets.sort(key=len)
        every = docs
        for s in own_sets:
            every = every & s
        all_words = every
    for pterms in phrase_terms:
        if not pterms:
            continue
        docs = docs & _phrase_docs(snap, pterms, docs)
        if all_words is not None:
            all_words = all_words & docs
    for word in parsed.excluded_words:
        t = analysis.term_of(word)
        if t:
            docs = docs - snap.any_field(t)
    for phrase in parsed.excluded_phrases:
        pterms = [t for t in (analysis.term_of(w) for w in phrase) if t]
        if pterms:
            docs = docs - _phrase_docs(snap, pterms, docs)
    if all_words is not None:
        all_words = all_words & docs
    matched = _finish(snap, key, docs, all_words, terms + [t for p in phrase_terms for t in p])
    matched.corrections = corrections
    return matched


def _finish(
    snap: Snapshot,
    key: tuple[Any, ...],
    docs: DocSet,
    all_words: DocSet | None,
    terms: list[str],
) -> Matched:
    groups = snap.groups_of(docs)
    matched = Matched(
        docs_fn=lambda: docs,
        _docs=docs,
        all_words=all_words,
        total=groups.bit_count(),
        categories=facets.category_facets(snap, facets.category_counts(snap, groups, key[1])),
        tags=facets.top_facets(facets.tag_counts(snap, groups)),
        terms=frozenset(terms),
    )
    return _remember(snap, key, matched)


MATCHED_IDS = 2_000_000  # document numbers kept in remembered matches, in all


def _remember(snap: Snapshot, key: tuple[Any, ...], matched: Matched) -> Matched:
    """Keep the latest matches for the pages after the first: at most 24, and at most
    ``MATCHED_IDS`` document numbers in all (at a million documents a common word's match alone
    is hundreds of thousands)."""
    snap.matched[key] = matched
    while len(snap.matched) > 24 or (len(snap.matched) > 1 and _held(snap) > MATCHED_IDS):
        snap.matched.popitem(last=False)
    return matched


def _held(snap: Snapshot) -> int:
    return sum(len(m.all_words or ()) + len(m._docs or ()) for m in snap.matched.values())


def _grouped(
    snap: Snapshot,
    key: tuple[Any, ...],
    parsed: ParsedQuery,
    allowed: Audience,
    terms: list[str],
    corrections: dict[str, str],
) -> Matched:
    """Free words with group-level filters only (permissions, tags, categories, is:):
    totals and facets from bitsets over groups (microseconds however many results), the
    documents themselves only as far as ranking needs them."""
    g = snap.allowed_groups(allowed)
    for fieldname, values in (("tags", parsed.tags), ("category", parsed.categories)):
        for value in values:
            g &= snap.group_bits(("ids", fieldname, value), lambda f=fieldname, v=value: snap.ids(f, v))
    for flag in parsed.flags:
        g &= snap.group_bits(("ids", "flags", flag), lambda f=flag: snap.ids("flags", f))
    for flag in parsed.excluded_flags:
        g &= ~snap.group_bits(("ids", "flags", flag), lambda f=flag: snap.ids("flags", f))
    words = 0
    for t in terms:
        words |= snap.group_bits(("any", t), lambda t=t: snap.any_field(t))
    g &= words
    cat_counts = facets.category_counts(snap, g, allowed)
    tag_counts = facets.tag_counts(snap, g)

    def base_docs() -> DocSet:
        docs = snap.allowed(allowed)
        for fieldname, values in (("tags", parsed.tags), ("category", parsed.categories)):
            for value in values:
                docs = docs & snap.ids(fieldname, value)
        for flag in parsed.flags:
            docs = docs & snap.ids("flags", flag)
            if flag == "solved":
                docs = docs - snap.ids("flags", "post")
        for flag in parsed.excluded_flags:
            docs = docs - snap.ids("flags", flag)
        return docs

    own_sets = sorted((snap.own_text(t) for t in terms), key=len)
    every = own_sets[0]
    for s in own_sets[1:]:
        every = every & s
    base = base_docs() if len(every) > 0 else EMPTY
    all_words = every & base if base else EMPTY

    def all_docs() -> DocSet:
        return base_docs() & DocSet.union(*(snap.any_field(t) for t in terms))

    matched = Matched(
        docs_fn=all_docs,
        all_words=all_words,
        total=g.bit_count(),
        categories=facets.category_facets(snap, cat_counts),
        tags=facets.top_facets(tag_counts),
        terms=frozenset(terms),
        corrections=corrections,
    )
    return _remember(snap, key, matched)


def _phrase_docs(snap: Snapshot, pterms: list[str], within: DocSet) -> DocSet:
    """Documents of ``within`` having the phrase in their title or body (positions checked).

    The documents having the phrase are found per segment, over the whole segment, and kept
    with the segment's other derived sets: a phrase searched again (another page, another
    person, a later snapshot) reads no positions."""
    key = ("phrase", tuple(pterms))
    if len(within) < PHRASE_WITHIN and not snap.has_set(key):
        # Few documents to check (operators narrowed them): check those only, keep nothing.
        found = []
        for reader, offset, data in snap.leaves:
            mine = within.a[(within.a >= offset) & (within.a < offset + data.doc_count)] - offset
            found.append(_segment_phrase(reader, data, pterms, DocSet.sorted(mine)).shifted(offset))
        return DocSet.union(*found)
    return within & snap.per_segment(key, lambda r, d: _segment_phrase(r, d, pterms))


# Under this many documents to check, a phrase is checked on those only (not kept).
PHRASE_WITHIN = 2000


def _segment_phrase(reader: Any, data: Any, pterms: list[str], within: DocSet | None = None) -> DocSet:
    """One segment's documents (local numbers; of ``within`` when given) having the phrase in
    their title or body."""
    candidates: DocSet | None = within
    for t in pterms:
        has_term = DocSet.union(*(data.ids(reader, f, t) for f in PHRASE_FIELDS))
        candidates = has_term if candidates is None else candidates & has_term
        if not candidates:
            return EMPTY
    assert candidates is not None
    if len(pterms) == 1:
        return candidates
    found: list[int] = []
    for f in PHRASE_FIELDS:
        maps = [data.positions(reader, f, t) for t in pterms]
        for d in candidates - DocSet(found) if found else candidates:
            if has_phrase(maps, d, SINGLE_POSITIONS):
                found.append(d)
    return DocSet(found)


def _epoch(d: Any) -> int:
    return int(datetime.combine(d, dtime.min, tzinfo=UTC).timestamp())
