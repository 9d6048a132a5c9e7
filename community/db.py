"""Tortoise configuration, start-up and the migration helpers the CLI and app share."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.exceptions import BaseORMException, DBConnectionError, OperationalError
from tortoise.migrations.executor import MigrationExecutor

from community import sqlite_cancel_safety
from community.settings import database_url_from_env

# Before any connection exists: whatever opens the database goes through this module.
sqlite_cancel_safety.install()

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
    await _init(tortoise_config(database_url))


async def _init(config: dict[str, Any]) -> None:
    # Tortoise caches each model's INSERT per connection *name*, not per dialect: a process that
    # opened SQLite and then PostgreSQL (the test suite, a CLI command in-process) sent SQLite's
    # "?" placeholders to PostgreSQL ("syntax error at or near ','", an outgoing mail lost).
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=config, _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


async def pending_migrations(database_url: str) -> list[str]:
    """Names of migrations not yet applied; initialises Tortoise if needed."""
    from tortoise.connection import get_connection

    config = tortoise_config(database_url)
    if not Tortoise.is_inited():
        await _init(config)
    executor = MigrationExecutor(get_connection("default"), config["apps"])
    steps = await executor.plan(None)
    return [f"{s.migration.app_label}.{s.migration.name}" for s in steps if not s.backward]


async def apply_migrations(database_url: str, progress: Any = None) -> list[str]:
    """Apply every pending migration and return their names."""
    from tortoise.connection import get_connection

    config = tortoise_config(database_url)
    if not Tortoise.is_inited():
        await _init(config)
    executor = MigrationExecutor(get_connection("default"), config["apps"])
    steps = [s for s in await executor.plan(None) if not s.backward]
    await executor.migrate(None, progress=progress)
    return [f"{s.migration.app_label}.{s.migration.name}" for s in steps]


_PLACEHOLDER = re.compile(r"\?")


async def fetch_rows(sql: str, *params: Any) -> list[dict[str, Any]]:
    """Raw SQL for the few hot paths where building ORM objects costs more than the query
    (who is asking, may they see this thread). Write ``?`` placeholders; they become
    ``$1, $2...`` on PostgreSQL.

    Measured and undone: running these reads on a synchronous SQLite connection right on the event
    loop (no thread hop) raised throughput by ~15% but pushed the thread page's p99 from 40 ms to
    330 ms: now and then a read waits inside SQLite's WAL locking and the whole loop waits with it."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        counter = iter(range(1, len(params) + 1))
        sql = _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)
    return await conn.execute_query_dict(sql, list(params))


# What a database call raises (the ORM's errors, the driver's, the network's): the app answers
# these itself (community/edge/errors.py): 503 when ``is_unavailable`` says so, else a 500.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    BaseORMException,
    ConnectionError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached just now (down, restarting, a dropped
    connection, SQLite busy past its timeout) rather than that a query is wrong: the first is a 503
    to retry, the second a bug. Tortoise passes most connection errors through from the driver."""

    if isinstance(exc, (DBConnectionError, ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, (asyncpg.PostgresConnectionError, asyncpg.exceptions.OperatorInterventionError)):
        return True  # a dropped connection; a server shutting down, crashed or starting up
    if isinstance(exc, asyncpg.InterfaceError) and "connection" in str(exc).lower():
        return True  # "connection is closed", "connection was closed in the middle of operation"
    if isinstance(exc, asyncpg.InternalClientError):
        return True  # a pooled connection the server dropped mid-protocol ("cannot switch to state")
    if isinstance(exc, OperationalError) and "database is locked" in str(exc):
        return True
    cause = exc.__cause__
    return cause is not None and cause is not exc and is_unavailable(cause)
