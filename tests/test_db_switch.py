"""A process that opens SQLite and then PostgreSQL (the suite, a command run in-process) writes to
PostgreSQL with PostgreSQL's SQL: Tortoise caches each model's INSERT by connection name only."""

from __future__ import annotations

import pytest

from community.db import apply_migrations, close_db, init_db
from community.models import Organisation
from tests.conftest import PG_URL


@pytest.mark.skipif(not PG_URL, reason="the switch is from SQLite to PostgreSQL")
async def test_inserts_after_switching_from_sqlite_to_postgresql(db, tmp_path):
    await close_db()
    sqlite_url = f"sqlite://{tmp_path / 'before.sqlite3'}"
    await init_db(sqlite_url)
    await apply_migrations(sqlite_url)
    await Organisation.create(name="On SQLite", slug="on-sqlite")
    await close_db()
    await init_db(db.database_url)
    # Before: "syntax error at or near ','" (SQLite's "?" placeholders sent to PostgreSQL).
    await Organisation.create(name="On PostgreSQL", slug="on-postgresql")
    assert await Organisation.filter(slug="on-postgresql").exists()
