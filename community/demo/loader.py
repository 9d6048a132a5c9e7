"""Writes the demo content through the product's use cases (the same the web and API call), so the
demo obeys every rule: visibility, accept and vote permissions, counters, revisions, tags."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tortoise.transactions import in_transaction

from community import validation
from community.accounts import directory, passwords, people
from community.actor import Actor
from community.demo.content import (
    CONTENT_FILE,
    MENTION,
    DemoArticle,
    DemoContent,
    DemoContentError,
    DemoPerson,
    DemoThread,
    read_content,
)
from community.errors import Conflict, ServiceError
from community.experts import profiles as expert_profiles
from community.experts import targets as response_targets
from community.forum import posts, thread_actions, threads
from community.kb import feedback, products
from community.kb.articles import promote_answer
from community.models import (
    Article,
    ArticleVersion,
    ArticleViewDay,
    Category,
    Organisation,
    Post,
    Thread,
    User,
)
from community.settings import Settings
from community.support import ratings

DEMO_PASSWORD = "demo-password-1"


@dataclass(frozen=True)
class DemoLogin:
    label: str
    name: str
    email: str


@dataclass
class DemoSummary:
    organisations: int = 0
    users: int = 0
    categories: int = 0
    threads: int = 0
    answers: int = 0
    accepted: int = 0
    votes: int = 0
    articles: int = 0
    private: int = 0
    ratings: int = 0
    password: str = DEMO_PASSWORD
    logins: list[DemoLogin] = field(default_factory=list)


def _email_domain(settings: Settings) -> str:
    return (validation.slugify(settings.company_name).split("-")[0] or "company") + ".example"


def _email(settings: Settings, person: DemoPerson) -> str:
    domain = person.organisation + ".example" if person.organisation else _email_domain(settings)
    return f"{person.mailbox}@{domain}"


def logins(settings: Settings, source: Path = CONTENT_FILE) -> list[DemoLogin]:
    content = read_content(source)
    return [_login(settings, person) for person in content.people.values() if person.login]


def _login(settings: Settings, person: DemoPerson) -> DemoLogin:
    return DemoLogin(person.login, person.name, _email(settings, person))


async def database_is_empty() -> bool:
    """``demo --if-empty`` loads the demo only into a database without any account."""
    return not await User.exists()


async def working_logins(settings: Settings, source: Path = CONTENT_FILE) -> tuple[list[DemoLogin], int]:
    """The demo logins that still sign in with the demo password (so `make run` can show them on
    every start), and how many demo accounts exist whose password was changed since."""
    wanted = logins(settings, source)
    hashes = dict(
        await User.filter(email__in=[w.email for w in wanted]).values_list("email", "password_hash")
    )
    present = [w for w in wanted if w.email in hashes]
    checks = [passwords.password_matches(hashes[w.email], DEMO_PASSWORD) for w in present]
    working = [w for w, ok in zip(present, await asyncio.gather(*checks), strict=True) if ok]
    return working, len(present) - len(working)


async def load_demo(settings: Settings, source: Path = CONTENT_FILE) -> DemoSummary:
    """Create the demo organisations, people, categories and conversations: all of it or, when
    something fails, nothing (one transaction; the use cases' own transactions nest inside).
    The data file is checked whole first, so a mistake in it is reported before anything is written."""
    content = read_content(source)
    first = next(iter(content.people.values()))
    if await User.filter(email=_email(settings, first)).exists():
        raise Conflict("The demo content is already loaded.")
    async with in_transaction():
        return await _DemoWriter(settings, content).write()


@contextmanager
def _entry(where: str) -> Iterator[None]:
    """A use case refusing part of the demo (a vote on one's own post, a tier the settings do not
    know) names the entry of the data file, not only the rule."""
    try:
        yield
    except DemoContentError:
        raise
    except ServiceError as exc:
        detail = "; ".join(f"{name}: {message}" for name, message in exc.fields.items())
        raise DemoContentError(where, detail or exc.message) from exc


class _DemoWriter:
    """One load of the demo: the people's actors and handles, and the summary, as it goes."""

    def __init__(self, settings: Settings, content: DemoContent) -> None:
        self.settings = settings
        self.content = content
        self.summary = DemoSummary(logins=[_login(settings, p) for p in content.people.values() if p.login])
        self.actors: dict[str, Actor] = {}
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.promotions: list[tuple[DemoArticle, int]] = []  # articles waiting for the products

    async def write(self) -> DemoSummary:
        company = await people.company_org(self.settings)
        await self._people(company, await self._organisations())
        await self._categories()
        await self._experts()
        for spec in self.content.threads:
            with _entry(spec.where):
                await self._thread(spec)
        await self._articles()
        return self.summary

    async def _organisations(self) -> dict[str, Organisation]:
        orgs: dict[str, Organisation] = {}
        for spec in self.content.organisations:
            org = await directory.find_organisation(spec.name)
            if org is None:
                with _entry(f"[organisations.{spec.key}]"):
                    org = await directory.create_organisation(
                        self.settings, None, name=spec.name, tier=spec.tier, description=spec.description
                    )
                self.summary.organisations += 1
            orgs[spec.key] = org
        return orgs

    async def _people(self, company: Organisation, orgs: dict[str, Organisation]) -> None:
        for spec in self.content.people.values():
            org = orgs[spec.organisation] if spec.organisation else company
            with _entry(f"[people.{spec.key}]"):
                user = await people.create_user(
                    self.settings, email=_email(self.settings, spec), display_name=spec.name, role=spec.role,
                    organisation=org, is_org_admin=spec.org_admin, expertise_tags=list(spec.expertise),
                    bio=f"{'Works at' if spec.organisation else 'Team member at'} {org.name}.",
                )  # fmt: skip
            user.organisation = org
            self.actors[spec.key] = Actor.from_user(user)
        # One hash for everybody: argon2 is slow on purpose, and they all share the demo password.
        await User.filter(id__in=[a.id for a in self.actors.values()]).update(
            password_hash=await passwords.hash_password(DEMO_PASSWORD)
        )
        self.summary.users = len(self.actors)

    async def _categories(self) -> None:
        for position, spec in enumerate(self.content.categories):
            if not await Category.filter(slug=spec.slug).exists():
                with _entry(spec.where):
                    await directory.create_category(
                        self.settings, None, name=spec.name, slug=spec.slug, visibility=spec.visibility,
                        description=spec.description, position=position,
                    )  # fmt: skip
                self.summary.categories += 1

    async def _experts(self) -> None:
        """Expert categories and availability, then response targets: before the threads, so that
        they are routed as new questions would be."""
        for spec in self.content.experts:
            with _entry(spec.where):
                actor = self.actors[spec.key]
                back = (self.now + timedelta(days=spec.away_days)).date() if spec.away_days else None
                await expert_profiles.update_expertise(
                    actor, actor.handle, tags=list(self.content.people[spec.key].expertise),
                    categories=list(spec.categories), away_until=back.isoformat() if back else "",
                    stand_in=self.actors[spec.stand_in].handle if spec.stand_in else "",
                )  # fmt: skip
        for targets in self.content.response_targets:
            with _entry(targets.where):
                await response_targets.set_targets(
                    self.actors[targets.set_by], targets.category,
                    first_answer_hours=targets.first_answer_hours, solution_hours=targets.solution_hours,
                    route_count=targets.route_count,
                )  # fmt: skip

    def _mentions(self, text: str) -> str:
        return MENTION.sub(lambda match: "@" + self.actors[match[1]].handle, text)

    async def _vote(self, voters: tuple[str, ...], post_id: int) -> None:
        for voter in voters:
            await posts.vote(self.actors[voter], post_id)
            self.summary.votes += 1

    async def _thread(self, spec: DemoThread) -> None:
        started = self.now - timedelta(days=spec.days_ago)
        thread = await threads.create_thread(
            self.actors[spec.author], category=spec.category, kind=spec.kind, title=spec.title,
            body=self._mentions(spec.body), tags=list(spec.tags), created_at=started, private=spec.private,
            expert=self.actors[spec.expert].handle if spec.expert else None,
        )  # fmt: skip
        self.summary.threads += 1
        self.summary.private += spec.private
        opening = await Post.filter(thread_id=thread.id, is_opening=True).first()
        assert opening is not None
        await self._vote(spec.votes, opening.id)
        for reply in spec.replies:
            with _entry(reply.where):
                when = min(started + timedelta(hours=reply.after_hours), self.now - timedelta(minutes=5))
                post = await posts.reply(
                    self.actors[reply.author], thread.id, body=self._mentions(reply.body), created_at=when
                )
                self.summary.answers += 1
                await self._vote(reply.votes, post.id)
                if reply.accepted:
                    await posts.accept_answer(self.actors[spec.author], post.id)
                    self.summary.accepted += 1
                    if spec.article is not None:
                        self.promotions.append((spec.article, post.id))
        if spec.pinned_by is not None:
            await thread_actions.set_pinned(self.actors[spec.pinned_by], thread.id, pinned=True)
        # Read as often as a thread of its age and answers would be (no use case sets a count: the
        # live ones are counted from page views), so lists do not say "0 views" everywhere.
        views = 9 + 13 * len(spec.replies) + 5 * len(spec.votes) + min(spec.days_ago, 60)
        await Thread.filter(id=thread.id).update(view_count=views)
        for rating in spec.ratings:
            with _entry(rating.where):
                await ratings.rate_support(
                    self.actors[rating.by], thread.id, score=rating.score, comment=rating.comment
                )
                self.summary.ratings += 1

    async def _articles(self) -> None:
        """Products, then the best-practice articles promoted from accepted answers, with ratings."""
        versions: dict[tuple[str, str], int] = {}
        for product_spec in self.content.products:
            with _entry(product_spec.where):
                staff = self.actors[product_spec.created_by]
                product = await products.create_product(staff, name=product_spec.name)
                for version_spec in product_spec.versions:
                    version = await products.add_version(staff, product.id, name=version_spec.name)
                    versions[(product_spec.name, version_spec.name)] = version.id
                    if version_spec.superseded:
                        await products.set_superseded(staff, version.id, True)
        for spec, post_id in self.promotions:
            with _entry(spec.where):
                article = await promote_answer(
                    self.actors[spec.curator], post_id, summary=spec.summary,
                    products=[versions[key] for key in spec.applies_to],
                )  # fmt: skip
                self.summary.articles += 1
                # Published a day after the answer, as a curator would (not all "just now").
                answered = (await Post.get(id=post_id)).created_at
                if answered.tzinfo is None:
                    answered = answered.replace(tzinfo=UTC)
                published = min(answered + timedelta(days=1), self.now - timedelta(hours=2))
                views = 20 + 15 * len(spec.helped)
                await Article.filter(id=article.id).update(
                    created_at=published, published_at=published, view_count=views
                )
                await _reads_per_day(article.id, views, published, self.now)
                await ArticleVersion.filter(article_id=article.id).update(created_at=published)
                for reader in spec.helped:
                    await feedback.rate(self.actors[reader], article.id, True)
                for reader in spec.did_not_help:
                    await feedback.rate(self.actors[reader], article.id, False)


async def _reads_per_day(article_id: int, views: int, published: datetime, now: datetime) -> None:
    """An article's reads spread evenly over the days since it was published, so the dashboard's
    "Article views" (read per day) agrees with the count on the article's page."""
    first, last = published.date(), now.date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    each, extra = divmod(views, len(days))
    await ArticleViewDay.bulk_create(
        [
            ArticleViewDay(article_id=article_id, day=day, views=each + (n < extra))
            for n, day in enumerate(days)
            if each + (n < extra)
        ]
    )
