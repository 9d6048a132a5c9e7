"""Snippets: a short window of a result's text with the matched words in ``<mark>``.

Whoosh's highlighter re-analyses the stored text with token objects and scores fragments; for the
twenty hits of a page a single regex pass with the cached :func:`term_of` is several times cheaper,
and it marks exactly the words the index matched (same folding and stemming).
"""

from __future__ import annotations

from collections.abc import Collection
from html import escape

from search_index.analysis import WORD_RE, term_of

SNIPPET_CHARS = 220
_LEAD = 60


_term = term_of  # cached there


def snippet(text: str, terms: Collection[str], size: int = SNIPPET_CHARS) -> str:
    """An HTML-escaped window of ``text`` around the best cluster of ``terms``, marked."""
    if not text:
        return ""
    matches = []
    if terms:
        for m in WORD_RE.finditer(text):
            t = _term(m.group().lower())
            if t and t in terms:
                matches.append((m.start(), m.end(), t))
    if not matches:
        return _window(text, 0, size, [])
    # The window starting near the match that has the most distinct terms within reach.
    best, best_n = 0, -1
    for i, (start, _, _) in enumerate(matches):
        seen = {t for s, _, t in matches[i:] if s < start + size - _LEAD}
        if len(seen) > best_n:
            best, best_n = i, len(seen)
    anchor = matches[best][0]
    begin = 0 if anchor < _LEAD else text.rfind(" ", 0, anchor - _LEAD // 2) + 1
    if anchor - begin > _LEAD:
        begin = anchor - _LEAD // 2
    return _window(text, begin, size, matches)


def _window(text: str, begin: int, size: int, matches: list[tuple[int, int, str]]) -> str:
    end = begin + size
    if end < len(text):
        space = text.rfind(" ", begin + size // 2, end)
        end = space if space > 0 else end
    else:
        end = len(text)
    out = ["…"] if begin > 0 else []
    pos = begin
    for s, e, _ in matches:
        if s < begin or e > end:
            continue
        out.append(escape(text[pos:s], quote=False))
        out.append(f"<mark>{escape(text[s:e], quote=False)}</mark>")
        pos = e
    out.append(escape(text[pos:end], quote=False))
    if end < len(text):
        out.append("…")
    return "".join(out)


def mark(text: str, terms: Collection[str]) -> str:
    """The whole (short) text, escaped, with matched words marked: for titles."""
    return (
        _window(
            text,
            0,
            len(text),
            [(m.start(), m.end(), "") for m in WORD_RE.finditer(text) if _term(m.group().lower()) in terms],
        )
        if terms
        else escape(text, quote=False)
    )
