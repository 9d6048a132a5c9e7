"""The Whoosh schema and how a :class:`SearchDocument` becomes its fields.

Text fields (stemmed, accent-folded, see :mod:`search_index.analysis`):
- ``title`` and ``body`` keep positions (for "exact phrases"); ``answers`` (a thread's answers,
  rolled up) and ``tagtext`` (tags as words) keep only frequencies: smaller and faster to write.
- Field weights are applied when querying (:data:`FIELD_BOOSTS`), so they can be tuned without a
  rebuild: title and tags weigh more than bodies, rolled-up answers less.

Exact fields for the operators and the permission filter: ``tags``, ``category``, ``cat`` (category
id), ``author``, ``org``, ``flags`` (kind, solved, accepted, unanswered, open/closed).

Columns (one value per document, read into arrays per segment): ``created`` and ``votes`` for sorting
and date ranges, ``grp`` (the result a document rolls up into: a thread, or an article).

Stored: ``doc_id`` and one ``data`` tuple with what a result row shows, including a short excerpt of
the body for the snippet (never the whole body: stored fields are read for every hit shown).
"""

from __future__ import annotations

from typing import Any

from whoosh import fields, formats

from search_index.analysis import FastTokenizer, clean
from search_index.documents import SearchDocument

TEXT_ANALYZER = FastTokenizer()
SPELL_ANALYZER = FastTokenizer(stem=False)

# Query-time weight of each text field (multiplies its BM25F score).
FIELD_BOOSTS: dict[str, float] = {"title": 3.0, "tagtext": 2.0, "body": 1.0, "answers": 0.5}
TEXT_FIELDS: tuple[str, ...] = tuple(FIELD_BOOSTS)
PHRASE_FIELDS: tuple[str, ...] = ("title", "body")

# Index-time weight of the whole document: articles and accepted answers win when otherwise equal.
KIND_BOOST = {"article": 1.25, "accepted": 1.15, "solved": 1.05}

EXCERPT_CHARS = 600
ANSWERS_CHARS = 6000

SCHEMA_VERSION = 1


def build_schema() -> fields.Schema:
    """The schema of a new index."""
    return fields.Schema(
        doc_id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=TEXT_ANALYZER, phrase=True),
        body=fields.TEXT(analyzer=TEXT_ANALYZER, phrase=True),
        answers=fields.TEXT(analyzer=TEXT_ANALYZER, phrase=False),
        tagtext=fields.TEXT(analyzer=TEXT_ANALYZER, phrase=False),
        # Unstemmed title and tag words: the vocabulary "did you mean" draws from.
        spell=fields.FieldType(formats.Existence(), SPELL_ANALYZER),
        tags=fields.KEYWORD(lowercase=True),
        category=fields.ID(),
        cat=fields.ID(),
        author=fields.ID(),
        org=fields.ID(),
        flags=fields.KEYWORD(),
        created=fields.NUMERIC(bits=64, sortable=True, signed=True),
        votes=fields.NUMERIC(bits=32, sortable=True, signed=True),
        grp=fields.NUMERIC(bits=64, sortable=True, signed=True),
        data=fields.STORED(),
    )


def group_number(doc: SearchDocument) -> int:
    """Threads (and their answers) by thread id; articles by their negated id."""
    if doc.kind == "article":
        return -int(doc.article_id or 0) - 1
    return int(doc.thread_id or 0)


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
        "title": title,
        "body": body,
        "tagtext": tag_words,
        "spell": f"{title} {tag_words}",
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
    if doc.answers:
        fields_["answers"] = clean(doc.answers[:ANSWERS_CHARS])
    if doc.org:
        fields_["org"] = doc.org.lower()
    boost = boost_of(doc)
    if boost != 1.0:
        fields_["_boost"] = boost
    return fields_


# Positions in the stored ``data`` tuple.
D_KIND, D_THREAD, D_POST, D_ARTICLE, D_TITLE, D_EXCERPT, D_URL, D_CATEGORY, D_CATEGORY_ID = range(9)
D_TAGS, D_AUTHOR, D_SOLVED, D_ACCEPTED, D_VOTES, D_CREATED, D_UPDATED = range(9, 16)
