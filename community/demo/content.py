"""The demo's content as read from its data file, checked whole before anything is written.

The content lives in ``content.toml`` beside this module, not in code, so that whoever writes the
demo edits text rather than Python. TOML because the bodies are Markdown with code blocks and
tables: its literal multi-line strings keep them exactly as written (JSON would need every line
break and quote escaped), comments can explain the file inside it, and the standard library reads
it (``tomllib``), so the demo needs no dependency.

Every mistake an editor can make (a misspelt person, category or field, a wrong type, a missing
field) is reported as a :class:`DemoContentError` naming the entry, before the database is touched.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from community.errors import ServiceError
from community.models import Role, ThreadKind

CONTENT_FILE = Path(__file__).with_name("content.toml")

PERSON_KEY = re.compile(r"[\w-]+")
MENTION = re.compile(r"@@([\w-]+)")
"""In a body, ``@@key`` stands for the @handle of the person with that key."""

CENTURY_IN_DAYS = 36_525  # dates further back than that are a typo (and soon not a datetime)

_REQUIRED = object()


class DemoContentError(ServiceError):
    """The data file says something the loader cannot write; the message names the entry."""

    code = "invalid_demo_content"

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    name: str
    tier: str
    description: str


@dataclass(frozen=True)
class DemoPerson:
    key: str
    name: str
    mailbox: str  # the e-mail address before the @
    role: str
    organisation: str | None  # an organisation key, or None for the manufacturer
    org_admin: bool
    login: str  # the label printed with the demo logins, or "" when not printed
    expertise: tuple[str, ...]


@dataclass(frozen=True)
class DemoCategory:
    where: str
    slug: str
    name: str
    visibility: str
    description: str


@dataclass(frozen=True)
class DemoVersion:
    name: str
    superseded: bool


@dataclass(frozen=True)
class DemoProduct:
    where: str
    name: str
    created_by: str
    versions: tuple[DemoVersion, ...]


@dataclass(frozen=True)
class DemoReply:
    where: str
    author: str
    after_hours: float
    body: str
    votes: tuple[str, ...]
    accepted: bool


@dataclass(frozen=True)
class DemoRating:
    """A rating of the support on the thread: by its asker (once a reply is accepted) or by an
    expert who replied (``community.support.ratings``)."""

    where: str
    by: str
    score: int
    comment: str


@dataclass(frozen=True)
class DemoArticle:
    """The thread's accepted answer, promoted to a best-practice article by ``curator``."""

    where: str
    curator: str
    summary: str
    applies_to: tuple[tuple[str, str], ...]  # (product, version)
    helped: tuple[str, ...]  # readers who rated it helpful
    did_not_help: tuple[str, ...]


@dataclass(frozen=True)
class DemoThread:
    where: str
    category: str
    author: str
    kind: str
    title: str
    tags: tuple[str, ...]
    days_ago: float
    body: str
    votes: tuple[str, ...]
    pinned_by: str | None
    replies: tuple[DemoReply, ...]
    article: DemoArticle | None
    private: bool = False  # asked privately: its organisation and staff only
    ratings: tuple[DemoRating, ...] = ()
    expert: str | None = None  # "Ask this expert": a person's key


@dataclass(frozen=True)
class DemoExpert:
    """An expert's categories and availability (their tags are the person's ``expertise``)."""

    where: str
    key: str
    categories: tuple[str, ...]
    away_days: float  # away for this many days from the load; 0: available
    stand_in: str | None


@dataclass(frozen=True)
class DemoTargets:
    where: str
    category: str
    set_by: str
    first_answer_hours: int
    solution_hours: int | None
    route_count: int


@dataclass(frozen=True)
class DemoContent:
    source: Path
    organisations: tuple[DemoOrganisation, ...]
    people: dict[str, DemoPerson]  # in the file's order: the first one tells whether the demo is loaded
    categories: tuple[DemoCategory, ...]
    products: tuple[DemoProduct, ...]
    threads: tuple[DemoThread, ...]
    experts: tuple[DemoExpert, ...] = ()
    response_targets: tuple[DemoTargets, ...] = ()


def read_content(source: Path = CONTENT_FILE) -> DemoContent:
    """Read and check the data file; raises :class:`DemoContentError` naming the faulty entry."""
    try:
        with source.open("rb") as file:
            data = tomllib.load(file)
    except OSError as exc:
        raise DemoContentError(str(source), f"cannot read the demo content ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise DemoContentError(str(source), f"not valid TOML ({exc})") from None
    try:
        return _Reader(source).content(_Table(data, "the file"))
    except DemoContentError as exc:
        raise DemoContentError(str(source), exc.message) from None


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Table:
    """One table of the file, read field by field, so that every complaint names its entry and
    a field nobody reads (a misspelt one) is an error rather than silently ignored."""

    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, dict):
            raise DemoContentError(where, f"should be a table of fields, not {value!r}")
        self.where = where
        self._data: dict[str, object] = value
        self._read: set[str] = set()

    def _get(self, name: str, default: object, expected: tuple[type, ...], what: str) -> object:
        self._read.add(name)
        if name not in self._data:
            if default is _REQUIRED:
                close = difflib.get_close_matches(name, [key for key in self._data if key != name], n=1)
                misspelt = f" ('{close[0]}' misspelt?)" if close else ""
                raise DemoContentError(self.where, f"missing field '{name}'{misspelt}")
            return default
        value = self._data[name]
        if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
            raise DemoContentError(self.where, f"'{name}' should be {what}, not {value!r}")
        return value

    def text(self, name: str, default: object = _REQUIRED) -> str:
        value = self._get(name, default, (str,), "a text")
        if default is _REQUIRED and not str(value).strip():
            raise DemoContentError(self.where, f"'{name}' is empty")
        return str(value)

    def optional_text(self, name: str) -> str | None:
        value = self._get(name, None, (str,), "a text")
        return None if value is None else str(value)

    def number(self, name: str, most: float) -> float:
        value = self._get(name, _REQUIRED, (int, float), "a number")
        assert isinstance(value, int | float)
        if not 0 <= value <= most:  # also refuses TOML's nan and inf
            raise DemoContentError(self.where, f"'{name}' should be from 0 to {most:g}, not {value!r}")
        return value

    def optional_number(self, name: str, most: float) -> float | None:
        if name not in self._data:
            self._read.add(name)
            return None
        return self.number(name, most)

    def flag(self, name: str) -> bool:
        return bool(self._get(name, False, (bool,), "true or false"))

    def texts(self, name: str) -> tuple[str, ...]:
        values = self._get(name, [], (list,), "a list of texts")
        assert isinstance(values, list)
        if not all(isinstance(v, str) for v in values):
            raise DemoContentError(self.where, f"'{name}' should be a list of texts, not {values!r}")
        if len(set(values)) != len(values):
            raise DemoContentError(self.where, f"'{name}' names someone or something twice: {values!r}")
        return tuple(values)

    def tables(self, name: str, where: str) -> list[_Table]:
        """A list of tables (``[[name]]``); ``where`` names each by position, from 1."""
        values = self._get(name, [], (list,), "a list of tables")
        assert isinstance(values, list)
        return [_Table(value, f"{where} {n}") for n, value in enumerate(values, start=1)]

    def keyed_tables(self, name: str) -> dict[str, _Table]:
        """A table of tables (``[name.key]``), each named by its key."""
        values = self._get(name, {}, (dict,), "a table")
        assert isinstance(values, dict)
        return {key: _Table(value, f"[{name}.{key}]") for key, value in values.items()}

    def optional_table(self, name: str, where: str) -> _Table | None:
        value = self._get(name, None, (dict,), "a table")
        return None if value is None else _Table(value, where)

    def done(self) -> None:
        for name in self._data:
            if name not in self._read:
                raise DemoContentError(self.where, f"unknown field '{name}'{_suggest(name, self._read)}")


class _Reader:
    """Builds the content section by section: people, categories and products first, so that the
    threads that name them can be checked against them."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.people: dict[str, DemoPerson] = {}
        self.category_slugs: set[str] = set()
        self.versions: set[tuple[str, str]] = set()

    def content(self, top: _Table) -> DemoContent:
        organisations = tuple(self._organisation(k, t) for k, t in top.keyed_tables("organisations").items())
        org_keys = {org.key for org in organisations}
        for key, table in top.keyed_tables("people").items():
            self.people[key] = self._person(key, table, org_keys)
        if not self.people:
            raise DemoContentError("the file", "no [people.KEY] entries: the demo needs at least one person")
        categories = tuple(self._category(t) for t in top.tables("categories", "category"))
        products = tuple(self._product(t) for t in top.tables("products", "product"))
        experts = tuple(self._expert(k, t) for k, t in top.keyed_tables("experts").items())
        targets = tuple(self._targets(t) for t in top.tables("response_targets", "response target"))
        threads = tuple(self._thread(t) for t in top.tables("threads", "thread"))
        top.done()
        return DemoContent(
            self.source, organisations, dict(self.people), categories, products, threads, experts, targets
        )

    def _category_slug(self, where: str, slug: str) -> str:
        if slug not in self.category_slugs:
            raise DemoContentError(
                where, f"names the category '{slug}', which is not in [[categories]]"
                f"{_suggest(slug, self.category_slugs)}",
            )  # fmt: skip
        return slug

    def _expert(self, key: str, table: _Table) -> DemoExpert:
        self._person_key(table.where, "[experts.KEY]", key)
        if self.people[key].role not in Role.STAFF:
            raise DemoContentError(table.where, f"'{key}' is a partner: experts are staff")
        stand_in = table.optional_text("stand_in")
        if stand_in is not None:
            self._person_key(table.where, "stand_in", stand_in)
        away = table.optional_number("away_days", most=366) or 0.0
        expert = DemoExpert(
            where=table.where, key=key,
            categories=tuple(self._category_slug(table.where, c) for c in table.texts("categories")),
            away_days=away, stand_in=stand_in,
        )  # fmt: skip
        table.done()
        return expert

    def _targets(self, table: _Table) -> DemoTargets:
        solution = table.optional_number("solution_hours", most=2160)
        targets = DemoTargets(
            where=table.where,
            category=self._category_slug(table.where, table.text("category")),
            set_by=self._person_key(table.where, "set_by", table.text("set_by")),
            first_answer_hours=int(table.number("first_answer_hours", most=2160)),
            solution_hours=None if solution is None else int(solution),
            route_count=int(table.number("route_count", most=10)),
        )
        table.done()
        return targets

    def _person_key(self, where: str, field: str, key: str) -> str:
        if key not in self.people:
            raise DemoContentError(
                where, f"'{field}' names '{key}', who is not in [people]{_suggest(key, self.people)}"
            )
        return key

    def _people_keys(self, table: _Table, field: str) -> tuple[str, ...]:
        return tuple(self._person_key(table.where, field, key) for key in table.texts(field))

    def _body(self, table: _Table) -> str:
        body = table.text("body")
        for key in MENTION.findall(body):
            if key not in self.people:
                suggestion = _suggest(key, self.people)
                problem = f"the body mentions '@@{key}', who is not in [people]{suggestion}"
                raise DemoContentError(table.where, problem)
        return body

    def _organisation(self, key: str, table: _Table) -> DemoOrganisation:
        org = DemoOrganisation(key, table.text("name"), table.text("tier"), table.text("description", ""))
        table.done()
        return org

    def _person(self, key: str, table: _Table, org_keys: set[str]) -> DemoPerson:
        if not PERSON_KEY.fullmatch(key):
            raise DemoContentError(table.where, "a person's key is letters, digits, - and _ (for @@KEY)")
        role = table.text("role")
        if role not in Role.ALL:
            raise DemoContentError(table.where, f"unknown role '{role}' (one of: {', '.join(Role.ALL)})")
        organisation = table.optional_text("organisation")
        if organisation is not None and organisation not in org_keys:
            raise DemoContentError(
                table.where,
                f"'organisation' names '{organisation}', which is not in [organisations]"
                f"{_suggest(organisation, org_keys)}",
            )
        person = DemoPerson(
            key=key,
            name=table.text("name"),
            mailbox=table.text("mailbox"),
            role=role,
            organisation=organisation,
            org_admin=table.flag("org_admin"),
            login=table.text("login", ""),
            expertise=table.texts("expertise"),
        )
        table.done()
        return person

    def _category(self, table: _Table) -> DemoCategory:
        slug = table.text("slug")
        table.where = f'{table.where} ("{slug}")'
        if slug in self.category_slugs:
            raise DemoContentError(table.where, f"a category with the slug '{slug}' comes earlier")
        self.category_slugs.add(slug)
        category = DemoCategory(
            table.where, slug, table.text("name"), table.text("visibility"), table.text("description", "")
        )
        table.done()
        return category

    def _product(self, table: _Table) -> DemoProduct:
        name = table.text("name")
        table.where = f'{table.where} ("{name}")'
        if any(product == name for product, _ in self.versions):
            raise DemoContentError(table.where, f"a product named '{name}' comes earlier")
        created_by = self._person_key(table.where, "created_by", table.text("created_by"))
        versions = []
        for version_table in table.tables("versions", f"{table.where}, version"):
            version = DemoVersion(version_table.text("name"), version_table.flag("superseded"))
            version_table.done()
            if (name, version.name) in self.versions:
                raise DemoContentError(version_table.where, f"the version '{version.name}' comes earlier")
            self.versions.add((name, version.name))
            versions.append(version)
        table.done()
        return DemoProduct(table.where, name, created_by, tuple(versions))

    def _thread(self, table: _Table) -> DemoThread:
        title = table.text("title")
        table.where = f'{table.where} ("{title}")'
        category = table.text("category")
        if category not in self.category_slugs:
            raise DemoContentError(
                table.where,
                f"'category' names '{category}', which is not in [[categories]]"
                f"{_suggest(category, self.category_slugs)}",
            )
        kind = table.text("kind", ThreadKind.QUESTION)
        if kind not in ThreadKind.ALL:
            kinds = ", ".join(ThreadKind.ALL)
            raise DemoContentError(table.where, f"unknown kind '{kind}' (one of: {kinds})")
        pinned_by = table.optional_text("pinned_by")
        if pinned_by is not None:
            self._person_key(table.where, "pinned_by", pinned_by)
        replies = tuple(self._reply(t) for t in table.tables("replies", f"{table.where}, reply"))
        accepted = [reply for reply in replies if reply.accepted]
        if len(accepted) > 1:
            raise DemoContentError(table.where, f"{len(accepted)} replies are accepted: a thread accepts one")
        article_table = table.optional_table("article", f"{table.where}, article")
        article = None if article_table is None else self._article(article_table, bool(accepted))
        thread = DemoThread(
            where=table.where,
            category=category,
            author=self._person_key(table.where, "author", table.text("author")),
            kind=kind,
            title=title,
            tags=table.texts("tags"),
            days_ago=table.number("days_ago", most=CENTURY_IN_DAYS),
            body=self._body(table),
            votes=self._people_keys(table, "votes"),
            pinned_by=pinned_by,
            replies=replies,
            article=article,
            private=table.flag("private"),
            ratings=tuple(self._rating(t) for t in table.tables("ratings", f"{table.where}, rating")),
            expert=self._asked_expert(table),
        )
        table.done()
        return thread

    def _rating(self, table: _Table) -> DemoRating:
        score = table.number("score", most=5)
        if score not in (1, 2, 3, 4, 5):
            raise DemoContentError(table.where, f"'score' is a whole number from 1 to 5, not {score!r}")
        rating = DemoRating(
            table.where,
            self._person_key(table.where, "by", table.text("by")),
            int(score),
            table.text("comment", ""),
        )
        table.done()
        return rating

    def _asked_expert(self, table: _Table) -> str | None:
        key = table.optional_text("expert")
        return None if key is None else self._person_key(table.where, "expert", key)

    def _reply(self, table: _Table) -> DemoReply:
        reply = DemoReply(
            where=table.where,
            author=self._person_key(table.where, "author", table.text("author")),
            after_hours=table.number("after_hours", most=CENTURY_IN_DAYS * 24),
            body=self._body(table),
            votes=self._people_keys(table, "votes"),
            accepted=table.flag("accepted"),
        )
        table.done()
        return reply

    def _article(self, table: _Table, has_accepted_answer: bool) -> DemoArticle:
        if not has_accepted_answer:
            raise DemoContentError(table.where, "an article is promoted from the accepted reply: accept one")
        applies_to = []
        for target in table.tables("applies_to", f"{table.where}, applies_to"):
            key = (target.text("product"), target.text("version"))
            target.done()
            if key not in self.versions:
                known = [f"{product} {version}" for product, version in sorted(self.versions)]
                raise DemoContentError(
                    target.where,
                    f"no product '{key[0]}' with the version '{key[1]}' in [[products]]"
                    f"{_suggest(' '.join(key), known)}",
                )
            applies_to.append(key)
        helped = self._people_keys(table, "helped")
        did_not_help = self._people_keys(table, "did_not_help")
        if both := set(helped) & set(did_not_help):
            raise DemoContentError(table.where, f"{', '.join(sorted(both))} both helped and did not help")
        article = DemoArticle(
            where=table.where,
            curator=self._person_key(table.where, "curator", table.text("curator")),
            summary=table.text("summary", ""),
            applies_to=tuple(applies_to),
            helped=helped,
            did_not_help=did_not_help,
        )
        table.done()
        return article
