"""Tortoise configuration, start-up and the migration helpers the CLI and app share."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.migrations.executor import MigrationExecutor

from community.settings import database_url_from_env

APP_LABEL = "community"
MODEL_MODULES = ["community.models"]
MIGRATIONS_MODULE = "community.migrations"


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": database_url},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def __getattr__(name: str) -> Any:
    # `tortoise makemigrations` reads community.db.TORTOISE_ORM (see pyproject [tool.tortoise]);
    # computed on demand so that importing this module never touches the environment.
    if name == "TORTOISE_ORM":
        return tortoise_config(database_url_from_env())
    raise AttributeError(name)


async def init_db(database_url: str) -> None:
    """Open connections; global fallback so request tasks see them (see DESIGN.md traps)."""
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_db() -> None:
    _close_sqlite_readers()
    await Tortoise.close_connections()


async def pending_migrations(database_url: str) -> list[str]:
    """Names of migrations not yet applied; initialises Tortoise if needed."""
    from tortoise.connection import get_connection

    config = tortoise_config(database_url)
    if not Tortoise.is_inited():
        await Tortoise.init(config=config, _enable_global_fallback=True)
    executor = MigrationExecutor(get_connection("default"), config["apps"])
    steps = await executor.plan(None)
    return [f"{s.migration.app_label}.{s.migration.name}" for s in steps if not s.backward]


async def apply_migrations(database_url: str, progress: Any = None) -> list[str]:
    """Apply every pending migration and return their names."""
    from tortoise.connection import get_connection

    config = tortoise_config(database_url)
    if not Tortoise.is_inited():
        await Tortoise.init(config=config, _enable_global_fallback=True)
    executor = MigrationExecutor(get_connection("default"), config["apps"])
    steps = [s for s in await executor.plan(None) if not s.backward]
    await executor.migrate(None, progress=progress)
    return [f"{s.migration.app_label}.{s.migration.name}" for s in steps]


_PLACEHOLDER = re.compile(r"\?")


async def fetch_rows(sql: str, *params: Any) -> list[dict[str, Any]]:
    """Raw SQL for the few hot paths where building ORM objects costs more than the query
    (who is asking, may they see this thread). Reads committed data only: never call it inside a
    transaction that must see its own writes.

    Write ``?`` placeholders; they become ``$1, $2...`` on PostgreSQL. On SQLite the query runs on
    a read-only connection right on the event loop: a primary-key lookup takes microseconds, while
    the ORM's connection hands every query to a thread and back (~0.1 ms here). WAL mode (Tortoise's
    default) means such a reader never waits for a writer."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        counter = iter(range(1, len(params) + 1))
        sql = _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)
        return await conn.execute_query_dict(sql, list(params))
    reader = _sqlite_reader(getattr(conn, "filename", ":memory:"))
    if reader is None:
        return await conn.execute_query_dict(sql, list(params))
    return [dict(row) for row in reader.execute(sql, params).fetchall()]


_sqlite_readers: dict[str, sqlite3.Connection] = {}


def _sqlite_reader(path: str) -> sqlite3.Connection | None:
    if path == ":memory:" or not Path(path).exists():
        return None
    reader = _sqlite_readers.get(path)
    if reader is None:
        reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        reader.row_factory = sqlite3.Row
        _sqlite_readers[path] = reader
    return reader


def _close_sqlite_readers() -> None:
    while _sqlite_readers:
        _, reader = _sqlite_readers.popitem()
        reader.close()
