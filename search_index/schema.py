"""The Whoosh schema and how a :class:`SearchDocument` becomes its fields.

Text fields (stemmed, accent-folded, see :mod:`search_index.analysis`):
- ``title`` and ``body`` keep positions (for "exact phrases"); ``answers`` (a thread's answers,
  rolled up) and ``tagtext`` (tags as words) keep only frequencies: smaller and faster to write.
- Field weights are applied when querying (:data:`FIELD_BOOSTS`), so they can be tuned without a
  rebuild: title and tags weigh more than bodies, rolled-up answers less.

Exact fields for the operators and the permission filter: ``tags``, ``category``, ``cat`` (category
id), ``aud`` (a private question's audience: ``private`` and ``org<id>``; public documents have none),
``author``, ``org``, ``flags`` (kind, solved, accepted, unanswered, open/closed).

Columns (one value per document, read into arrays per segment): ``created`` and ``votes`` for sorting
and date ranges, ``grp`` (the result a document rolls up into: a thread, or an article).

Stored: ``doc_id`` and one ``data`` tuple with what a result row shows, including a short excerpt of
the body for the snippet (never the whole body: stored fields are read for every hit shown).
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from pickle import dumps
from typing import Any

from whoosh import columns, fields, formats
from whoosh.system import pack_uint

from search_index.analysis import FastTokenizer, clean
from search_index.codec import SplitCodec
from search_index.documents import SearchDocument

TEXT_ANALYZER = FastTokenizer()
SPELL_ANALYZER = FastTokenizer(stem=False)

# Query-time weight of each text field (multiplies its BM25F score).
FIELD_BOOSTS: dict[str, float] = {"title": 3.0, "tagtext": 2.0, "body": 1.0, "answers": 0.5, "lead": 0.5}
TEXT_FIELDS: tuple[str, ...] = tuple(FIELD_BOOSTS)
OWN_TEXT_FIELDS: tuple[str, ...] = ("title", "tagtext", "body")
PHRASE_FIELDS: tuple[str, ...] = ("title", "body")

# Index-time weight of the whole document: articles and accepted answers win when otherwise equal.
KIND_BOOST = {"article": 1.25, "accepted": 1.15, "solved": 1.05}

EXCERPT_CHARS = 600
ANSWERS_CHARS = 6000

SCHEMA_VERSION = 1


class FastText(fields.TEXT):
    """A TEXT field whose terms come from :class:`FastPositions` / :class:`FastFrequency`."""

    def __init__(self, phrase: bool) -> None:
        super().__init__(analyzer=TEXT_ANALYZER, phrase=phrase)
        self.format = FastPositions() if phrase else FastFrequency()

    def index(self, value: Any, **kwargs: Any) -> Any:
        return [
            (t.encode("utf-8"), freq, weight, vbytes)
            for t, freq, weight, vbytes in self.format.word_values(value, self.analyzer, mode="index")
        ]


def codec() -> SplitCodec:
    """The codec of every segment we write (see :mod:`search_index.codec`)."""
    return SplitCodec()


def _text(phrase: bool) -> fields.TEXT:
    return FastText(phrase)


def build_schema() -> fields.Schema:
    """The schema of a new index."""
    return fields.Schema(
        doc_id=fields.ID(stored=True, unique=True),
        title=_text(phrase=True),
        body=_text(phrase=True),
        answers=_text(phrase=False),
        lead=_text(phrase=False),
        tagtext=_text(phrase=False),
        # Unstemmed title and tag words: the vocabulary "did you mean" draws from.
        spell=fields.FieldType(formats.Existence(), SPELL_ANALYZER),
        tags=fields.KEYWORD(lowercase=True),
        category=fields.ID(),
        cat=fields.ID(),
        author=fields.ID(),
        org=fields.ID(),
        flags=fields.KEYWORD(),
        aud=fields.KEYWORD(),
        # Column-only (no terms): sorting, date ranges and grouping read them as arrays.
        created=fields.COLUMN(columns.NumericColumn("q", default=0)),
        votes=fields.COLUMN(columns.NumericColumn("i", default=0)),
        grp=fields.COLUMN(columns.NumericColumn("q", default=0)),
        data=fields.STORED(),
    )


PRIVATE = "private"


def private_term(org_id: int) -> str:
    """The ``aud`` term of one organisation's private documents."""
    return f"org{int(org_id)}"


def group_number(doc: SearchDocument) -> int:
    """Threads (with their answers, and articles promoted from them) by thread id; other articles
    by their negated id."""
    if doc.kind == "article" and doc.source_thread_id is None:
        return -int(doc.article_id or 0) - 1
    return int((doc.thread_id if doc.kind != "article" else doc.source_thread_id) or 0)


def flags_of(doc: SearchDocument) -> list[str]:
    flags = [doc.kind, doc.status or "open"]
    if doc.solved:
        flags.append("solved")
    if doc.accepted:
        flags.append("accepted")
    if doc.kind == "thread" and doc.answer_count == 0:
        flags.append("unanswered")
    return flags


def boost_of(doc: SearchDocument) -> float:
    if doc.kind == "article":
        return KIND_BOOST["article"]
    if doc.accepted:
        return KIND_BOOST["accepted"]
    if doc.solved and doc.kind == "thread":
        return KIND_BOOST["solved"]
    return 1.0


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a text, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit]


def document_fields(doc: SearchDocument) -> dict[str, Any]:
    """The keyword arguments of ``writer.add_document`` for one document."""
    title = clean(doc.title)
    body = clean(doc.body)
    tags = [t.strip().lower() for t in doc.tags if t and t.strip()]
    tag_words = " ".join(t.replace("-", " ") for t in tags)
    data = (
        doc.kind,
        doc.thread_id,
        doc.post_id,
        doc.article_id,
        title,
        excerpt(body),
        doc.url,
        doc.category,
        doc.category_id,
        tuple(tags),
        doc.author,
        doc.solved,
        doc.accepted,
        doc.votes,
        doc.created_at.isoformat(),
        doc.updated_at.isoformat(),
    )
    fields_: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "body": body,
        "tags": " ".join(t.replace(" ", "-") for t in tags),
        "category": doc.category.lower(),
        "cat": str(doc.category_id),
        "author": doc.author.lower(),
        "flags": " ".join(flags_of(doc)),
        "created": int(doc.created_at.timestamp()),
        "votes": int(doc.votes),
        "grp": group_number(doc),
        "data": data,
    }
    if doc.kind != "post":
        # An answer is found by its own words; its thread's title and tags count for the thread.
        fields_["title"] = title
        fields_["tagtext"] = tag_words
        fields_["spell"] = f"{title} {tag_words}"
    if doc.answers:
        fields_["answers"] = clean(doc.answers[:ANSWERS_CHARS])
    if doc.lead_answers:
        fields_["lead"] = clean(doc.lead_answers[:ANSWERS_CHARS])
    if doc.org:
        fields_["org"] = doc.org.lower()
    if doc.private_org_id is not None:
        fields_["aud"] = f"{PRIVATE} {private_term(doc.private_org_id)}"
    boost = boost_of(doc)
    if boost != 1.0:
        fields_["_boost"] = boost
    return fields_


# Positions in the stored ``data`` tuple.
D_KIND, D_THREAD, D_POST, D_ARTICLE, D_TITLE, D_EXCERPT, D_URL, D_CATEGORY, D_CATEGORY_ID = range(9)
D_TAGS, D_AUTHOR, D_SOLVED, D_ACCEPTED, D_VOTES, D_CREATED, D_UPDATED = range(9, 16)


# Most terms occur once in a document: their encoded positions, made once.
_SINGLE_POSITION = [pack_uint(1) + dumps([i], 2) for i in range(4096)]
SINGLE_POSITIONS = {v: i for i, v in enumerate(_SINGLE_POSITION)}


class FastPositions(formats.Positions):
    """Positions computed from :func:`analysis.terms` directly (no token objects)."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            return super().word_values(value, analyzer, **kwargs)
        fb = self.field_boost
        poses: dict[str, list[int]] = {}
        for i, t in enumerate(analyzer.terms(value)):
            p = poses.get(t)
            if p is None:
                poses[t] = [i]
            else:
                p.append(i)
        out = []
        single = _SINGLE_POSITION
        for w, plist in poses.items():
            n = len(plist)
            if n == 1 and plist[0] < len(single):
                out.append((w, 1, fb, single[plist[0]]))
                continue
            deltas = [plist[0], *(b - a for a, b in pairwise(plist))] if n > 1 else plist
            out.append((w, n, n * fb, pack_uint(n) + dumps(deltas, 2)))
        return out


class FastFrequency(formats.Frequency):
    """Frequencies computed from :func:`analysis.terms` directly (no token objects)."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            return super().word_values(value, analyzer, **kwargs)
        fb = self.field_boost
        return [(w, n, n * fb, pack_uint(n)) for w, n in Counter(analyzer.terms(value)).items()]
