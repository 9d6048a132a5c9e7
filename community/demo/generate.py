"""A synthetic community of any size for load tests and benchmarks (``community generate``).

Organisations of every tier, their members, experts and moderators; question threads and
discussions whose titles and sentences are real ones from a Stack Exchange dump (the tests
and benchmarks use the one in ``../shared/data/``), with answers, accepted answers, helpful
votes, flags (mostly decided, a few waiting in the review queue) and knowledge-base articles
promoted from accepted answers.
Dates spread over the past year in order (a thread's answers after its question).

Speed is what it is for: rows are written with multi-row inserts in batches and explicit ids
(no read-back per row), text is escaped into paragraphs instead of going through Markdown and
the sanitiser (the sentences are plain text), and counters (answers, scores, post counts) are
computed while generating. It writes into a database no server is writing to at the same time
and leaves the search index to the indexer: the next start (or ``community reindex``) builds it.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from tortoise import connections
from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from community.accounts import people
from community.forum.stackexchange import read_posts
from community.models import (
    Article,
    ArticleState,
    ArticleVersion,
    Category,
    Flag,
    FlagReason,
    FlagResolution,
    Organisation,
    Post,
    PostRevision,
    ReviewItem,
    ReviewKind,
    Role,
    Tag,
    Thread,
    ThreadKind,
    ThreadTag,
    User,
    Vote,
)
from community.settings import Settings
from community.timeutil import utcnow

BATCH = 2_000
POSTS_PER_MEMBER = 25  # a member writes about this many posts
MEMBERS_PER_ORG = 12
DAYS = 365
GENERATED_DOMAIN = "generated.invalid"  # never delivers: generated people get no mail
_TAG_RE = re.compile(r"<[^>]+>")
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")

Progress = Callable[[int], None]


@dataclass
class Corpus:
    """Real titles and sentences to build posts from."""

    titles: list[str]
    sentences: list[str]
    tags: list[str]


def read_corpus(posts_xml: Path) -> Corpus:
    """Titles, sentences (plain text, 25-300 characters, no code) and tags of a Posts.xml."""
    from community.forum.stackexchange import ImportReport

    questions = read_posts(posts_xml, ImportReport(site="generate", category="generate"))
    sentences: list[str] = []
    tags: set[str] = set()
    for q in questions:
        tags.update(t for t in q.tags if len(t) <= 40)
        for body in (q.body, *(a.body for a in q.answers)):
            if "<code>" in body or "<pre" in body:
                body = re.sub(r"<pre.*?</pre>|<code>.*?</code>", " ", body, flags=re.S)
            text = html.unescape(_TAG_RE.sub(" ", body))
            for sentence in _SENTENCE_RE.split(" ".join(text.split())):
                if 25 <= len(sentence) <= 300:
                    sentences.append(sentence)
    titles = [q.title for q in questions if 10 <= len(q.title) <= 200]
    if not titles or not sentences:
        raise ValueError(f"{posts_xml} holds no questions to build posts from")
    return Corpus(titles, sentences, sorted(tags) or ["general"])


@dataclass
class Plan:
    """How many of each thing ``posts`` posts come with."""

    posts: int
    organisations: int = 0
    members: int = 0
    experts: int = 0
    moderators: int = 0

    def __post_init__(self) -> None:
        people = max(20, self.posts // POSTS_PER_MEMBER)
        self.experts = max(3, people // 25)
        self.moderators = max(2, people // 200)
        self.members = people - self.experts - self.moderators
        self.organisations = max(3, self.members // MEMBERS_PER_ORG)


class _Ids:
    """Explicit ids after the table's highest, so rows can point at rows not yet written."""

    def __init__(self, start: int) -> None:
        self.next = start + 1

    def take(self) -> int:
        self.next += 1
        return self.next - 1


async def _after_max(model: type[Model]) -> _Ids:
    rows = await connections.get("default").execute_query_dict(
        f'SELECT MAX(id) AS top FROM "{model._meta.db_table}"'
    )
    return _Ids(int(rows[0]["top"] or 0))


# Rows are written in this order, so that every foreign key finds its row.
ORDER: tuple[type[Model], ...] = (
    Organisation,
    User,
    Thread,
    Post,
    PostRevision,
    Vote,
    ThreadTag,
    Flag,
    ReviewItem,
    Article,
    ArticleVersion,
)


class _Writer:
    """Rows per model, written BATCH at a time (all kinds together, in ``ORDER``)."""

    def __init__(self) -> None:
        self.pending: dict[type[Model], list[Model]] = {}
        self.written: dict[str, int] = {}

    async def add(self, row: Model) -> None:
        rows = self.pending.setdefault(type(row), [])
        rows.append(row)
        if len(rows) >= BATCH:
            await self.flush()

    async def flush(self) -> None:
        async with in_transaction():  # one commit for the lot
            for kind in ORDER:
                rows = self.pending.get(kind) or []
                if rows:
                    await kind.bulk_create(rows, batch_size=BATCH)
                    self.written[kind.__name__] = self.written.get(kind.__name__, 0) + len(rows)
                    rows.clear()


def _paragraphs(rng: random.Random, sentences: Sequence[str], low: int, high: int) -> tuple[str, str]:
    """(Markdown source, its HTML): a few paragraphs of escaped sentences."""
    paras = [
        " ".join(rng.choice(sentences) for _ in range(rng.randint(1, 3)))
        for _ in range(rng.randint(low, high))
    ]
    return "\n\n".join(paras), "".join(f"<p>{html.escape(p)}</p>" for p in paras)


async def generate(
    settings: Settings, corpus: Corpus, posts: int, *, seed: int = 1, progress: Progress | None = None
) -> dict[str, int]:
    """Write a community of about ``posts`` posts; returns how many rows of each kind."""
    rng = random.Random(seed)
    plan = Plan(posts)
    writer = _Writer()
    _, member_ids, staff_ids, mod_ids = await _people(settings, plan, writer, rng)
    categories = [c for c in await Category.all() if c.visibility == "all"] or [
        await Category.create(slug="generated", name="Generated questions", visibility="all")
    ]
    await _tags(corpus)
    tag_ids = {t.name: t.id for t in await Tag.filter(name__in=corpus.tags)}
    threads, post_ids, revisions = (
        await _after_max(Thread),
        await _after_max(Post),
        await _after_max(PostRevision),
    )
    articles = await _after_max(Article)
    authors = member_ids + staff_ids
    post_counts: dict[int, int] = {}
    start = utcnow() - timedelta(days=DAYS)
    made = 0
    while made < posts:
        answers = min(posts - made - 1, max(0, int(rng.expovariate(1 / 3.5))))
        made += await _thread(
            writer, rng, corpus, plan, categories, tag_ids, authors, staff_ids, member_ids, mod_ids,
            (threads, post_ids, revisions, articles), start + timedelta(seconds=DAYS * 86_400 * made / posts),
            answers, post_counts,
        )  # fmt: skip
        if progress:
            progress(made)
    await writer.flush()
    await _bump_post_counts(post_counts)
    await _reset_sequences()
    return writer.written


async def _people(
    settings: Settings, plan: Plan, writer: _Writer, rng: random.Random
) -> tuple[list[int], list[int], list[int], list[int]]:
    company = await people.company_org(settings)  # before the ids are counted: it may be new
    orgs, users = await _after_max(Organisation), await _after_max(User)
    tiers = list(settings.partner_tiers)
    org_ids = []
    for _ in range(plan.organisations):
        oid = orgs.take()
        org_ids.append(oid)
        tier = tiers[min(len(tiers) - 1, int(rng.expovariate(1.2)))]
        await writer.add(
            Organisation(id=oid, name=f"Generated Partner {oid}", slug=f"generated-{oid}", tier=tier)
        )
    await writer.flush()

    def person(role: str, org: int, admin: bool = False) -> User:
        uid = users.take()
        return User(
            id=uid, email=f"person{uid}@{GENERATED_DOMAIN}", handle=f"gen-{uid}",
            display_name=f"Person {uid}", role=role, organisation_id=org, is_org_admin=admin,
            password_hash=None,
        )  # fmt: skip

    groups: dict[str, list[int]] = {"member": [], "expert": [], "moderator": []}
    for n in range(plan.members):
        user = person(Role.PARTNER, org_ids[n % len(org_ids)], admin=n < len(org_ids))
        groups["member"].append(user.id)
        await writer.add(user)
    for role, key, count in (
        (Role.EXPERT, "expert", plan.experts),
        (Role.MODERATOR, "moderator", plan.moderators),
    ):
        for _ in range(count):
            user = person(role, company.id)
            groups[key].append(user.id)
            await writer.add(user)
    await writer.flush()
    return org_ids, groups["member"], groups["expert"], groups["moderator"]


async def _tags(corpus: Corpus) -> None:
    known = set(await Tag.filter(name__in=corpus.tags).values_list("name", flat=True))
    await Tag.bulk_create([Tag(name=n) for n in corpus.tags if n not in known], batch_size=BATCH)


async def _thread(
    writer: _Writer, rng: random.Random, corpus: Corpus, plan: Plan, categories: list[Category],
    tag_ids: dict[str, int], authors: list[int], experts: list[int], members: list[int], mods: list[int],
    ids: tuple[_Ids, _Ids, _Ids, _Ids], when: datetime, answers: int, post_counts: dict[int, int],
) -> int:  # fmt: skip
    """One thread with its posts, votes, flags and perhaps an article; returns its post count."""
    threads, post_ids, revisions, articles = ids
    tid = threads.take()
    asker = rng.choice(authors)
    kind = ThreadKind.QUESTION if rng.random() < 0.85 else ThreadKind.DISCUSSION
    tags = rng.sample(corpus.tags, k=min(len(corpus.tags), rng.randint(1, 3)))
    title = rng.choice(corpus.titles)
    category = rng.choice(categories)
    posts: list[tuple[int, int, datetime, str, str]] = []
    moment = when
    for n in range(answers + 1):
        source, body_html = _paragraphs(rng, corpus.sentences, 1, 3 if n else 4)
        author = asker if n == 0 else rng.choice(experts if rng.random() < 0.3 else authors)
        posts.append((post_ids.take(), author, moment, source, body_html))
        moment += timedelta(minutes=rng.expovariate(1 / 240))
    scores = {pid: 0 for pid, *_ in posts}
    votes: list[Vote] = []  # written after their posts (a full batch is written at once)
    for pid, author, at, *_ in posts[1:]:
        voters = {rng.choice(authors) for _ in range(int(rng.expovariate(1 / 1.5)))} - {author}
        votes += [Vote(post_id=pid, user_id=voter, created_at=at) for voter in voters]
        scores[pid] = len(voters)
    accepted = None
    if kind == ThreadKind.QUESTION and len(posts) > 1 and rng.random() < 0.55:
        accepted = max(posts[1:], key=lambda p: scores[p[0]])
    await writer.add(Thread(
        id=tid, category_id=category.id, kind=kind, title=title, author_id=asker,
        tag_names=tags, reply_count=answers, accepted_post_id=accepted[0] if accepted else None,
        created_at=when, last_activity_at=posts[-1][2], view_count=int(rng.expovariate(1 / 40)),
    ))  # fmt: skip
    for name in tags:
        await writer.add(ThreadTag(thread_id=tid, tag_id=tag_ids[name]))
    for n, (pid, author, at, source, body_html) in enumerate(posts):
        await writer.add(Post(
            id=pid, thread_id=tid, author_id=author, is_opening=n == 0, body_source=source,
            body_html=body_html, score=scores[pid], created_at=at,
        ))  # fmt: skip
        await writer.add(PostRevision(
            id=revisions.take(), post_id=pid, number=1, editor_id=author, body_source=source,
            body_html=body_html, title=None if n else title, tag_names=None if n else tags, created_at=at,
        ))  # fmt: skip
        post_counts[author] = post_counts.get(author, 0) + 1
        if rng.random() < 0.004:
            await _flag(writer, rng, tid, pid, author, at, members, mods)
    for vote in votes:
        await writer.add(vote)
    if accepted and rng.random() < 0.05:
        await _article(writer, articles.take(), rng.choice(experts), category.id, tid, accepted, tags)
    return len(posts)


async def _flag(
    writer: _Writer, rng: random.Random, tid: int, pid: int, author: int, at: datetime,
    members: list[int], mods: list[int],
) -> None:  # fmt: skip
    """Most flags were decided long ago; one in ten still waits in the review queue."""
    flagger = rng.choice(members)
    if flagger == author:
        return
    waiting = rng.random() < 0.1
    resolution = None if waiting else rng.choice([FlagResolution.AGREED, FlagResolution.DISAGREED])
    await writer.add(Flag(
        target=f"post:{pid}", post_id=pid, thread_id=tid, flagger_id=flagger,
        reason=rng.choice(FlagReason.ALL), resolution=resolution,
        resolved_at=None if waiting else at + timedelta(hours=rng.expovariate(1 / 6)),
    ))  # fmt: skip
    if waiting:
        await writer.add(ReviewItem(
            kind=ReviewKind.FLAGGED_POST, post_id=pid, thread_id=tid, open_key=f"post:{pid}",
            reason="Flagged by a member", user_id=author,
        ))  # fmt: skip


async def _article(
    writer: _Writer, aid: int, curator: int, category_id: int, tid: int,
    accepted: tuple[int, int, datetime, str, str], tags: list[str],
) -> None:  # fmt: skip
    pid, author, at, source, body_html = accepted
    title = f"Best practice from thread {tid}"
    await writer.add(Article(
        id=aid, title=title, body_source=source, body_html=body_html, category_id=category_id, tag_names=tags,
        state=ArticleState.PUBLISHED, source_post_id=pid, source_thread_id=tid, answer_author_id=author,
        curator_id=curator, published_at=at + timedelta(days=1),
    ))  # fmt: skip
    await writer.add(ArticleVersion(
        article_id=aid, number=1, editor_id=curator, title=title, body_source=source, body_html=body_html,
        category_id=category_id, tag_names=tags,
    ))  # fmt: skip


async def _bump_post_counts(counts: dict[int, int]) -> None:
    by_count: dict[int, list[int]] = {}
    for user_id, n in counts.items():
        by_count.setdefault(n, []).append(user_id)
    for n, user_ids in by_count.items():
        for start in range(0, len(user_ids), 500):
            await User.filter(id__in=user_ids[start : start + 500]).update(post_count=F("post_count") + n)


async def _reset_sequences() -> None:
    """PostgreSQL's id sequences must follow the explicit ids written (SQLite follows by itself)."""
    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        return
    for model in (Organisation, User, Thread, Post, PostRevision, Article):
        table = model._meta.db_table
        await conn.execute_script(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))"
        )


def rows_summary(written: dict[str, int]) -> str:
    """ "12 Organisation, 800 User, ..." in the order they were written."""
    return ", ".join(f"{written[m.__name__]:,} {m.__name__}" for m in ORDER if m.__name__ in written)
