"""Spelling: "did you mean" suggestions, and the correction of a word nobody wrote.

Candidates come from the ``spell`` field (the unstemmed title and tag words of threads and articles,
see :mod:`search_index.schema`) through Whoosh's Levenshtein automaton, within one edit
for words of up to four letters and two beyond, sharing the first letter. They are ranked by
closeness, then by how common the word is (from the term index: no postings read), and only the best
few are checked against the documents this user may see: a suggestion never reveals a word that
appears only where the user may not look.

Internal to :mod:`search_index`; :class:`search_index.engine.WhooshSearch` is the public class.
"""

from __future__ import annotations

import contextlib
import re

from search_index import analysis
from search_index.docsets import DocSet
from search_index.documents import Audience
from search_index.query import ParsedQuery
from search_index.schema import OWN_TEXT_FIELDS
from search_index.snapshot import Snapshot


def suggest(snap: Snapshot, q: str, parsed: ParsedQuery, allowed: Audience, total: int) -> str | None:
    """A corrected query when a typed word is unknown (or very rare) among the documents the
    user may see, and a close word from those documents' titles and tags is common there."""
    if not parsed.words:
        return None
    visible = snap.allowed(allowed)
    replacements: dict[str, str] = {}
    for word in parsed.words:
        term = analysis.term_of(word)
        if not term or len(word) < 3 or not word.isalpha():
            continue
        df = len(snap.any_field(term) & visible) if total < 1000 else 1000
        if df > 3:
            continue
        best = closest(snap, word, visible, min_df=max(1, df * 20))
        if best and best != word:
            replacements[word] = best
    if not replacements:
        return None
    out = q
    for word, better in replacements.items():
        out = replace_word(out, word, better)
    return out if out != q else None


def closest(snap: Snapshot, word: str, visible: DocSet, min_df: int) -> str | None:
    """The closest word to ``word`` found in at least ``min_df`` of the ``visible`` documents."""
    candidates: set[str] = set()
    maxdist = 1 if len(word) <= 4 else 2
    for reader, _, _ in snap.leaves:
        with contextlib.suppress(Exception):
            candidates.update(reader.terms_within("spell", word, maxdist, prefix=1))
    candidates.discard(word)
    own = analysis.term_of(word)
    # Rank by closeness, then by how common the word is (from the term index: no postings
    # read), and check only the best few against what this user may see.
    scored = []
    for cand in candidates:
        t = analysis.term_of(cand)
        if not t or t == own:
            continue
        df = sum(reader.doc_frequency(f, t) for reader, _, _ in snap.leaves for f in OWN_TEXT_FIELDS)
        if df >= min_df:
            scored.append((edit_distance(word, cand), -df, cand, t))
    for _, _, cand, t in sorted(scored)[:6]:
        docs = snap.own_text(t)
        if min_df <= 1:
            if not docs.isdisjoint(visible):
                return cand
        elif len(docs & visible) >= min_df:
            return cand
    return None


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), for ranking suggestions."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def replace_word(text: str, word: str, better: str) -> str:
    """``text`` with its first ``word`` (a whole word, any case) replaced by ``better``."""
    pattern = re.compile(r"(?<![\w])" + re.escape(word) + r"(?![\w])", re.IGNORECASE)
    replaced, n = pattern.subn(better, text, count=1)
    if n:
        return replaced
    # The word was typed with accents or in another form: rebuild around the folded text.
    folded = analysis.fold(text)
    replaced, n = pattern.subn(better, folded, count=1)
    return replaced if n else text
