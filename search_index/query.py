"""The query language people type into the search box, parsed without ever raising.

Whoosh's own query syntax (AND/OR/NOT, wildcards, field:value for every field, ranges) is far larger
than what we want to promise and reacts badly to stray characters, so the box has its own small
language, read by the tokenizer below and turned into a :class:`ParsedQuery`. The engine maps that to
index lookups; :data:`QUERY_HELP` is the text of the help popover.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from search_index.analysis import WORD_RE, clean, fold, term_of

MAX_QUERY_CHARS = 400
MAX_WORDS = 16

QUERY_HELP: tuple[tuple[str, str], ...] = (
    ("vlan router", "threads with any of the words, the best matches first"),
    ('"deal registration"', "this exact phrase"),
    ("-legacy", 'leave out results with this word (or -"a phrase")'),
    ("tag:firmware", "tagged firmware"),
    ("category:general", "in this category (its short name, as in its address)"),
    ("author:hannah-becker", "written by this person (their handle)"),
    ("org:bluewave-integration", "written by someone from this organisation (its short name)"),
    ("is:solved", "questions with an accepted answer"),
    ("is:unanswered", "questions nobody has answered yet"),
    ("is:article", "knowledge-base articles only"),
    ("after:2024-01-31", "written on or after this day"),
    ("before:2024-05-31", "written before this day"),
)

_OPERATORS = ("tag", "category", "author", "org", "is", "before", "after")
_IS_VALUES = ("solved", "unanswered", "article")
_EXAMPLES = {
    "tag": "tag:firmware",
    "category": "category:support",
    "author": "author:alice",
    "org": "org:acme",
    "is": "is:solved",
}
_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TOKEN_RE = re.compile(r'(-?)(?:([A-Za-z]+):)?("([^"]*)"?|[^\s"]*)')
_VALUE_RE = re.compile(r"[^\w.\-]+")


@dataclass(frozen=True)
class ParsedQuery:
    """What a search box string asks for. Words are as typed (folded to lower case);
    the engine analyses them the same way documents were."""

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded_words: tuple[str, ...] = ()
    excluded_phrases: tuple[tuple[str, ...], ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    flags: frozenset[str] = field(default_factory=frozenset)
    excluded_flags: frozenset[str] = field(default_factory=frozenset)
    before: date | None = None
    after: date | None = None

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)

    @property
    def is_empty(self) -> bool:
        return not (
            self.has_text
            or self.excluded_words
            or self.excluded_phrases
            or self.tags
            or self.categories
            or self.authors
            or self.orgs
            or self.flags
            or self.excluded_flags
            or self.before
            or self.after
        )


@dataclass(frozen=True)
class QueryError:
    """A query we cannot run, with a message saying how to fix it."""

    message: str


def _date(op: str, value: str) -> date | str:
    m = _DATE_RE.match(value)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    return f"{op}: needs a date like 2024-05-31"


def _phrase_words(text: str) -> tuple[str, ...]:
    return tuple(WORD_RE.findall(fold(text)))


def parse_query(text: str) -> ParsedQuery | QueryError:
    """Read a search box string. Never raises: anything unreadable becomes a :class:`QueryError`
    with a message for the user, or is read as plain words.

    Stray characters are ignored, an unclosed quote closes at the end, unknown ``name:value``
    pairs are plain words (people search for "error:404"), and only the first ``MAX_WORDS`` words
    of a very long query count.
    """
    try:
        return _parse(text)
    except Exception:  # pragma: no cover - a bug here must never become a 500
        return QueryError("We could not read that search. Try fewer special characters.")


def _parse(text: str) -> ParsedQuery | QueryError:
    if not isinstance(text, str):
        return QueryError("Type something to search for.")
    text = clean(text[: MAX_QUERY_CHARS * 4])[:MAX_QUERY_CHARS]
    text = text.replace("“", '"').replace("”", '"').replace("„", '"')
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    ex_words: list[str] = []
    ex_phrases: list[tuple[str, ...]] = []
    values: dict[str, list[str]] = {op: [] for op in ("tag", "category", "author", "org")}
    flags: set[str] = set()
    ex_flags: set[str] = set()
    before: date | None = None
    after: date | None = None

    for m in _TOKEN_RE.finditer(text):
        minus, op, raw, quoted = m[1], (m[2] or "").lower(), m[3], m[4]
        is_quoted = raw.startswith('"')
        value = quoted if is_quoted else raw
        if op and op not in _OPERATORS:
            # Not ours: read "error:404" as the words it contains.
            value, is_quoted, op = f"{m[2]} {value}", False, ""
        if op:
            value = value.strip()
            if not value:
                example = _EXAMPLES.get(op, f"{op}:2024-05-31")
                return QueryError(f"{op}: needs a value, like {example}")
            if op in ("before", "after"):
                d = _date(op, value)
                if isinstance(d, str):
                    return QueryError(d)
                if op == "before":
                    before = d if before is None else min(before, d)
                else:
                    after = d if after is None else max(after, d)
            elif op == "is":
                v = value.lower()
                if v not in _IS_VALUES:
                    return QueryError("is: can be is:solved, is:unanswered or is:article")
                (ex_flags if minus else flags).add(v)
            else:
                v = _VALUE_RE.sub("", fold(value).replace(" ", "-")).strip("-.")
                if not v:
                    return QueryError(f"{op}: needs a value, like {_EXAMPLES[op]}")
                if minus:
                    # "-tag:x" is rare; read it as excluding the word.
                    ex_words.extend(WORD_RE.findall(fold(value)))
                else:
                    values[op].append(v)
            continue
        found = _phrase_words(value)
        if not found:
            continue
        if is_quoted and len(found) > 1:
            (ex_phrases if minus else phrases).append(found[:MAX_WORDS])
        elif minus:
            ex_words.extend(found)
        else:
            words.extend(found)

    words = _dedupe(words)[:MAX_WORDS]
    return ParsedQuery(
        words=tuple(words),
        phrases=tuple(dict.fromkeys(phrases))[:4],
        excluded_words=tuple(_dedupe(ex_words))[:MAX_WORDS],
        excluded_phrases=tuple(dict.fromkeys(ex_phrases))[:4],
        tags=tuple(_dedupe(values["tag"])),
        categories=tuple(_dedupe(values["category"])),
        authors=tuple(_dedupe(values["author"])),
        orgs=tuple(_dedupe(values["org"])),
        flags=frozenset(flags),
        excluded_flags=frozenset(ex_flags),
        before=before,
        after=after,
    )


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def word_terms(words: tuple[str, ...]) -> list[str]:
    """The index terms of typed words, stop words dropped, each term once."""
    return _dedupe([t for t in (term_of(w) for w in words) if t])
