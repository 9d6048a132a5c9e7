"""Search corpora made from the coffee.stackexchange.com dump in ``../shared/data`` (CC BY-SA 3.0).

Used by the search benchmark and the relevance script; nothing here is copied into the repository:
the text is read from the dump at run time.

- :func:`load_coffee` reads the dump: questions with their answers, tag wikis, plain text.
- :func:`coffee_documents` turns it into :class:`SearchDocument` values as the app would (threads
  with their answers rolled up, answers, tag wikis as articles).
- :func:`synthetic_corpus` recombines the real sentences into a reproducible corpus of any size.
"""

from __future__ import annotations

import html
import random
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

from search_index.documents import SearchDocument

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "coffee-Posts.xml"

CATEGORIES = (
    "brewing",
    "espresso",
    "beans",
    "equipment",
    "health",
    "storage",
    "roasting",
    "milk-drinks",
    "cold-coffee",
    "culture",
    "support",
    "partners-only",
)
RESTRICTED = tuple(range(9, len(CATEGORIES) + 1))  # ids some users may not see

_TAG_RE = re.compile(r"<([^>]+)>")
_HTML_RE = re.compile(r"<[^>]+>")
_CODE_RE = re.compile(r"<pre>.*?</pre>|<code>.*?</code>", re.S)
_URL_RE = re.compile(r"https?://\S+")
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def plain(body: str) -> str:
    """HTML body to plain text (as the app's indexer does)."""
    text = _CODE_RE.sub(" ", body)
    text = _HTML_RE.sub(" ", text)
    text = _URL_RE.sub(" ", html.unescape(text))
    return " ".join(text.split())


@dataclass
class Post:
    id: int
    kind: str  # question | answer | wiki
    title: str
    body: str
    tags: tuple[str, ...]
    score: int
    created: datetime
    owner: str
    parent: int | None = None
    accepted_id: int | None = None
    answers: list[Post] = field(default_factory=list)


@dataclass
class Coffee:
    questions: dict[int, Post]
    answers: dict[int, Post]
    wikis: list[Post]


def _date(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def load_coffee(path: Path = DATA) -> Coffee:
    root = ET.parse(path).getroot()
    questions: dict[int, Post] = {}
    answers: dict[int, Post] = {}
    wikis: list[Post] = []
    for row in root:
        a = row.attrib
        kind = {"1": "question", "2": "answer", "5": "wiki"}.get(a["PostTypeId"])
        if kind is None:
            continue
        post = Post(
            id=int(a["Id"]),
            kind=kind,
            title=html.unescape(a.get("Title", "")),
            body=plain(a.get("Body", "")),
            tags=tuple(_TAG_RE.findall(html.unescape(a.get("Tags", "")))),
            score=int(a.get("Score", 0)),
            created=_date(a["CreationDate"]),
            owner=f"user{a.get('OwnerUserId', '0')}",
            parent=int(a["ParentId"]) if "ParentId" in a else None,
            accepted_id=int(a["AcceptedAnswerId"]) if "AcceptedAnswerId" in a else None,
        )
        if kind == "question":
            questions[post.id] = post
        elif kind == "answer":
            answers[post.id] = post
        elif post.body:
            wikis.append(post)
    for ans in answers.values():
        q = questions.get(ans.parent or -1)
        if q is not None:
            q.answers.append(ans)
            ans.tags = q.tags
    return Coffee(questions, answers, wikis)


def category_of(tags: tuple[str, ...]) -> int:
    """A stable category id (1-based) for a tag list."""
    key = tags[0] if tags else ""
    for i, name in enumerate(CATEGORIES, 1):
        if name.split("-")[0] in key:
            return i
    return 1 + sum(map(ord, key)) % len(CATEGORIES)


def coffee_documents(coffee: Coffee) -> list[SearchDocument]:
    """The dump as the app would index it: threads (answers rolled up), answers, articles."""
    docs: list[SearchDocument] = []
    for q in coffee.questions.values():
        cat = category_of(q.tags)
        solved = q.accepted_id is not None
        docs.append(
            SearchDocument(
                doc_id=f"thread:{q.id}",
                kind="thread",
                thread_id=q.id,
                title=q.title,
                body=q.body,
                tags=q.tags,
                category=CATEGORIES[cat - 1],
                category_id=cat,
                author=q.owner,
                solved=solved,
                votes=q.score,
                created_at=q.created,
                updated_at=q.created,
                url=f"/t/{q.id}",
                answers="\n".join(a.body for a in q.answers),
                answer_count=len(q.answers),
            )
        )
        for a in q.answers:
            docs.append(
                SearchDocument(
                    doc_id=f"post:{a.id}",
                    kind="post",
                    thread_id=q.id,
                    post_id=a.id,
                    title=q.title,
                    body=a.body,
                    tags=q.tags,
                    category=CATEGORIES[cat - 1],
                    category_id=cat,
                    author=a.owner,
                    solved=solved,
                    accepted=a.id == q.accepted_id,
                    votes=a.score,
                    created_at=a.created,
                    updated_at=a.created,
                    url=f"/t/{q.id}#post-{a.id}",
                )
            )
    return docs


def sentences(text: str) -> list[str]:
    return [s for s in _SENT_RE.split(text) if 3 <= len(s.split()) <= 60]


class Recombiner:
    """Draws realistic titles, bodies, tags and people from the real posts."""

    def __init__(self, coffee: Coffee, seed: int) -> None:
        self.rng = random.Random(seed)
        self.questions = list(coffee.questions.values())
        self.by_tag: dict[str, list[str]] = defaultdict(list)
        self.all: list[str] = []
        self.asks: list[str] = []
        for q in self.questions:
            pool = sentences(q.body)
            self.asks.extend(s for s in pool if s.endswith("?") and 4 <= len(s.split()) <= 16)
            for a in q.answers:
                pool.extend(sentences(a.body))
            for t in q.tags:
                self.by_tag[t].extend(pool)
            self.all.extend(pool)
        self.wikis = [w for w in coffee.wikis if len(w.body.split()) > 20]

    def tags(self) -> tuple[str, ...]:
        return self.rng.choice(self.questions).tags

    def title(self, tags: tuple[str, ...]) -> str:
        r = self.rng.random()
        if r < 0.35:
            return self.rng.choice(self.questions).title
        return self.rng.choice(self.asks)

    def body(self, tags: tuple[str, ...], low: int, high: int) -> str:
        n = self.rng.randint(low, high)
        pools = [self.by_tag[t] for t in tags if self.by_tag.get(t)]
        out = []
        for _ in range(n):
            pool = self.rng.choice(pools) if pools and self.rng.random() < 0.8 else self.all
            out.append(self.rng.choice(pool))
        return " ".join(out)


def synthetic_corpus(coffee: Coffee, n: int, seed: int = 42) -> list[SearchDocument]:
    """``n`` documents: about 40% threads, 58% answers, 2% articles; seeded and reproducible."""
    rec = Recombiner(coffee, seed)
    rng = rec.rng
    start = datetime(2019, 1, 1, tzinfo=UTC)
    span = 6 * 365 * 86400
    authors = [f"user{i}" for i in range(1, 3001)]
    weights = list(accumulate(1 / (i**0.8) for i in range(1, 3001)))
    orgs = [f"org{i}" for i in range(1, 301)]
    docs: list[SearchDocument] = []
    n_articles = max(1, n // 50)
    thread_id = 0
    post_id = 100_000_000
    while len(docs) < n - n_articles:
        thread_id += 1
        tags = rec.tags()
        cat = category_of(tags)
        created = start + timedelta(seconds=int(span * len(docs) / n) + rng.randint(0, 3600))
        n_answers = min(rng.choice((0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5)), n - n_articles - len(docs) - 1)
        accepted = rng.randrange(n_answers) if n_answers and rng.random() < 0.55 else None
        answers = [rec.body(tags, 1, 6) for _ in range(n_answers)]
        author = rng.choices(authors, cum_weights=weights)[0]
        title = rec.title(tags)
        common = dict(
            category=CATEGORIES[cat - 1],
            category_id=cat,
            tags=tags,
            solved=accepted is not None,
        )
        docs.append(
            SearchDocument(
                doc_id=f"thread:{thread_id}",
                kind="thread",
                thread_id=thread_id,
                title=title,
                body=rec.body(tags, 1, 5),
                author=author,
                org=orgs[int(author[4:]) % len(orgs)],
                votes=max(0, int(rng.paretovariate(1.5)) - 1),
                created_at=created,
                updated_at=created,
                url=f"/t/{thread_id}",
                answers="\n".join(answers),
                answer_count=n_answers,
                **common,
            )
        )
        for i, body in enumerate(answers):
            post_id += 1
            who = rng.choices(authors, cum_weights=weights)[0]
            docs.append(
                SearchDocument(
                    doc_id=f"post:{post_id}",
                    kind="post",
                    thread_id=thread_id,
                    post_id=post_id,
                    title=title,
                    body=body,
                    author=who,
                    org=orgs[int(who[4:]) % len(orgs)],
                    accepted=i == accepted,
                    votes=max(0, int(rng.paretovariate(1.3)) - 1),
                    created_at=created + timedelta(hours=i + 1),
                    updated_at=created + timedelta(hours=i + 1),
                    url=f"/t/{thread_id}#post-{post_id}",
                    **common,
                )
            )
    for article_id in range(1, n - len(docs) + 1):
        wiki = rng.choice(rec.wikis) if rec.wikis else None
        tags = rec.tags()
        cat = category_of(tags)
        created = start + timedelta(seconds=rng.randint(0, span))
        docs.append(
            SearchDocument(
                doc_id=f"article:{article_id}",
                kind="article",
                article_id=article_id,
                title=rec.title(tags).rstrip("?"),
                body=(wiki.body + " " if wiki else "") + rec.body(tags, 3, 8),
                tags=tags,
                category=CATEGORIES[cat - 1],
                category_id=cat,
                author="expert1",
                votes=rng.randint(0, 30),
                created_at=created,
                updated_at=created,
                url=f"/kb/{article_id}",
            )
        )
    return docs
