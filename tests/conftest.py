"""Fixtures: a fresh database per test (SQLite copy, or the real PostgreSQL when
COMMUNITY_TEST_DATABASE_URL is set), the app, an HTTP client, and a small world of users.

SQLite: migrations run once into a template file, and each test gets a copy of it.
PostgreSQL: one fresh database per run, migrated once; each test starts from emptied tables.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tortoise import Tortoise, connections

from community.accounts import directory, passwords, people
from community.actor import Actor
from community.app import create_app
from community.db import apply_migrations, close_db, init_db
from community.models import Category, Organisation, User
from community.ports import ModerationGate
from community.search.indexer import Indexer
from community.settings import Settings

PG_URL = os.environ.get("COMMUNITY_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("COMMUNITY_TEST_REDIS_URL")
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def _migrate(url: str) -> None:
    await apply_migrations(url)
    await close_db()


def _pg_admin(url: str, sql: str) -> None:
    import asyncpg

    async def go() -> None:
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    _run(go())


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> None:
    """argon2's defaults cost ~160 ms a hash here; tests use minimal parameters."""
    from argon2 import PasswordHasher

    passwords.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SQLite: path of a migrated template file. PostgreSQL: URL of a fresh migrated database."""
    if PG_URL:
        name = f"community_test_{uuid.uuid4().hex[:10]}"
        base, _, _ = PG_URL.rpartition("/")
        _pg_admin(PG_URL, f'CREATE DATABASE "{name}"')
        url = f"{base}/{name}"
        _run(_migrate(url))
        yield url
        _pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        _run(_migrate(f"sqlite://{path}"))
        yield str(path)


@pytest.fixture
def settings(tmp_path: Path, database_template: str) -> Settings:
    if PG_URL:
        url = database_template
    else:
        db_file = tmp_path / "community.sqlite3"
        shutil.copyfile(database_template, db_file)
        url = f"sqlite://{db_file}"
    return Settings.from_env(
        {
            "COMMUNITY_DATA_DIR": str(tmp_path / "data"),
            "COMMUNITY_DATABASE_URL": url,
            "COMMUNITY_SECRET_KEY": "test-secret-key-not-for-production",
            "COMMUNITY_PAGE_SIZE": "20",
            "COMMUNITY_POSTS_PER_PAGE": "20",
            # Off unless a test is about them (tests/moderation/test_newcomers.py, test_rate_limits.py):
            # the world's partners are brand-new accounts posting many times a minute from one address.
            "COMMUNITY_NEW_ACCOUNT_HELD_POSTS": "0",
            "COMMUNITY_NEW_ACCOUNT_DAYS": "0",
            "COMMUNITY_POSTS_PER_MINUTE": "0",
            "COMMUNITY_POSTS_PER_DAY": "0",
            "COMMUNITY_POSTS_PER_IP_MINUTE": "0",
        }
    )


async def _truncate_all() -> None:
    conn = connections.get("default")
    tables = [m._meta.db_table for m in Tortoise.apps["community"].values()]
    quoted = ", ".join(f'"{t}"' for t in tables)
    await conn.execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Settings]:
    await init_db(settings.database_url)
    if PG_URL:
        await _truncate_all()
    try:
        yield settings
    finally:
        await close_db()


@pytest.fixture
async def app(db: Settings):  # type: ignore[no-untyped-def]
    return create_app(db, manage_db=False)


@pytest.fixture
def gate(app) -> ModerationGate:  # type: ignore[no-untyped-def]
    """The moderation rules the app wires in (what views hand to the use cases)."""
    return app.state.moderation


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def indexer(app) -> AsyncIterator[Indexer]:  # type: ignore[no-untyped-def]
    """Applies the outbox to the app's own index: the lifespan's indexer does not run under the
    in-process client."""
    yield Indexer(app.state.search)
    app.state.search.close()


@dataclass
class World:
    """A small community: the company, three partner organisations, one user per role,
    and categories of each visibility."""

    settings: Settings
    company: Organisation
    gold: Organisation
    silver: Organisation
    registered: Organisation
    partner: User  # gold partner, organisation admin
    colleague: User  # same gold organisation
    silver_partner: User
    registered_partner: User
    expert: User
    moderator: User
    admin: User
    general: Category  # everyone
    staff_only: Category
    gold_only: Category

    def actor(self, user: User) -> Actor:
        org = {o.id: o for o in (self.company, self.gold, self.silver, self.registered)}[user.organisation_id]
        user.organisation = org
        return Actor.from_user(user)


@pytest.fixture
async def world(db: Settings) -> World:
    s = db
    company = await people.company_org(s)
    gold = await directory.create_organisation(s, None, name="Gold Reseller GmbH", tier="gold")
    silver = await directory.create_organisation(s, None, name="Silver Systems Ltd", tier="silver")
    registered = await directory.create_organisation(s, None, name="Registered IT", tier="registered")

    async def user(email: str, name: str, role: str, org: Organisation | None, **kw) -> User:  # type: ignore[no-untyped-def]
        return await people.create_user(
            s, email=email, display_name=name, role=role, organisation=org, password=PASSWORD, **kw
        )

    return World(
        settings=s,
        company=company,
        gold=gold,
        silver=silver,
        registered=registered,
        partner=await user("pat@gold.example", "Pat Partner", "partner", gold, is_org_admin=True),
        colleague=await user("cole@gold.example", "Cole League", "partner", gold),
        silver_partner=await user("sam@silver.example", "Sam Silver", "partner", silver),
        registered_partner=await user("reg@registered.example", "Rae Registered", "partner", registered),
        expert=await user("erin@northwind.example", "Erin Expert", "expert", None),
        moderator=await user("mo@northwind.example", "Mo Moderator", "moderator", None),
        admin=await user("ada@northwind.example", "Ada Admin", "admin", None),
        general=await directory.create_category(s, None, name="General questions", slug="general"),
        staff_only=await directory.create_category(
            s, None, name="Staff room", slug="staff-room", visibility="staff"
        ),
        gold_only=await directory.create_category(
            s, None, name="Gold programme", slug="gold-programme", visibility="tiers:gold"
        ),
    )


async def csrf_of(client: httpx.AsyncClient, path: str = "/login") -> str:
    """The CSRF token from a page's form."""
    response = await client.get(path)
    match = CSRF_RE.search(response.text)
    assert match, f"no csrf token on {path}"
    return match.group(1)


async def login(client: httpx.AsyncClient, user: User, password: str = PASSWORD) -> str:
    """Sign in through the real form; returns a fresh CSRF token for later requests."""
    token = await csrf_of(client, "/login")
    response = await client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token, "next": "/"}
    )
    assert response.status_code == 303, response.text
    return await csrf_of(client, "/")
