"""Text analysis shared by indexing, querying and highlighting: accent folding, lower case, stop
words, Porter stemming.

Whoosh's stock ``StemmingAnalyzer | CharsetFilter`` runs every token through a chain of generators;
indexing spent most of its time there. This analyzer does the same work in one pass: fold and
lower-case the whole text with ``str.translate`` (C speed), find words with one regex, and map each
word to its term through a dictionary cache, so a word is stemmed once per process, not once per
occurrence. The query parser and the highlighter call :func:`term_of` so that a word typed, a word
indexed and a word marked in a snippet always agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from whoosh.analysis import STOP_WORDS, Token, Tokenizer
from whoosh.lang.porter import stem
from whoosh.support.charset import accent_map

# Letters and digits; an apostrophe or a dot inside a word keeps it whole ("don't", "v2.1").
WORD_RE = re.compile(r"[^\W_]+(?:['\u2019.][^\W_]+)*")
# Whoosh's list plus the question words people type around what they look for ("how do I ...").
STOP = frozenset(STOP_WORDS) | frozenset(
    [
        "i",
        "me",
        "my",
        "mine",
        "our",
        "am",
        "was",
        "were",
        "been",
        "being",
        "do",
        "does",
        "did",
        "doing",
        "done",
        "has",
        "had",
        "having",
        "how",
        "what",
        "why",
        "which",
        "who",
        "whom",
        "where",
        "there",
        "here",
        "than",
        "then",
        "so",
        "such",
        "too",
        "very",
        "just",
        "about",
        "into",
        "onto",
        "any",
        "some",
        "would",
        "should",
        "could",
        "shall",
        "might",
        "must",
        "its",
        "it's",
        "i'm",
        "i've",
        "i'd",
        "he",
        "she",
        "they",
        "them",
        "their",
        "his",
        "her",
        "vs",
        "versus",
        "s",
        "t",
        "don",
        "doesn",
        "isn",
        "can't",
        "don't",
        "won't",
        "didn't",
        "isn't",
    ]
)
MAX_WORD = 40
"""Longer words are neither indexed nor searched (hashes, base64, a key held down)."""

_FOLD = dict(accent_map)
_FOLD.update({0x2019: "'"})

_cache: dict[str, str] = {}


def fold(text: str) -> str:
    """Lower-case and strip accents: "Café Crème" -> "cafe creme"."""
    return text.translate(_FOLD).lower()


def _term(word: str) -> str:
    """The indexed form of one already folded word ("" for a stop word)."""
    if word in STOP or len(word) > MAX_WORD:
        return ""
    if "'" in word:
        word = word.split("'", 1)[0]
        if word in STOP or not word:
            return ""
    return stem(word) if word.isalpha() else word


def term_of(word: str) -> str:
    """The term a raw word is indexed as ("" when it is a stop word); cached."""
    try:
        return _cache[word]
    except KeyError:
        if len(_cache) > 500_000:
            _cache.clear()
        result = _cache[word] = _term(fold(word))
        return result


def terms(text: str) -> list[str]:
    """The terms of a text, in order, stop words left out."""
    cache = _cache
    out = []
    for word in WORD_RE.findall(fold(text)):
        t = cache.get(word)
        if t is None:
            t = term_of(word)
        if t:
            out.append(t)
    return out


def words(text: str) -> list[str]:
    """Folded words without stemming (for spelling suggestions), stop words left out."""
    return [w for w in WORD_RE.findall(fold(text)) if w not in STOP and 2 < len(w) <= MAX_WORD]


_CONTROL_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff0-\uffff]"
    "|[\ud800-\udfff]"
)


def clean(text: str) -> str:
    """Remove control, format and lone surrogate characters (they never belong in a document or
    a query; some would break a tokenizer or an encoder)."""
    return _CONTROL_RE.sub(" ", text)


class FastTokenizer(Tokenizer):
    """A Whoosh tokenizer doing folding, stop words and stemming in one pass (see module doc).

    ``no_morph=True`` (Whoosh's spelling path) and ``stem=False`` give unstemmed words.
    """

    is_morph = True

    def __init__(self, stem: bool = True) -> None:
        self.stem = stem

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FastTokenizer) and other.stem == self.stem

    def __hash__(self) -> int:
        return hash(("FastTokenizer", self.stem))

    def has_morph(self) -> bool:
        return self.stem

    def terms(self, value: str) -> list[str]:
        """The terms of a whole text at once (the fast path of the schema's formats)."""
        return terms(value) if self.stem else words(value)

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        no_morph: bool = False,
        **kwargs: object,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode)
        t.stopped = False
        t.boost = 1.0
        seq = terms(value) if self.stem and not no_morph else words(value)
        pos = start_pos
        for text in seq:
            t.text = text
            t.pos = pos
            pos += 1
            yield t
