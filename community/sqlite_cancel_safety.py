"""Cancel-safe SQLite transactions for Tortoise ORM 1.1.

Tortoise serialises everything on a SQLite connection with one ``asyncio.Lock``. Its transaction
context takes that lock and *then* awaits ``BEGIN`` (and its connection wrapper awaits opening the
connection): a task cancelled during that await (a background task stopped at shutdown, a request
whose client went away) leaves ``__aenter__`` with the lock still held, ``__aexit__`` never runs,
and every later query in the process waits forever. We saw it as a shutdown that never ended.

``install()`` wraps both ``__aenter__`` methods so that a failure after the lock is taken
releases it (and rolls back a ``BEGIN`` that ran in aiosqlite's thread meanwhile). Upstream's
methods are otherwise unchanged; ``tests/test_sqlite_cancel_safety.py`` shows the hang without it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tortoise.backends.base.client import ConnectionWrapper
from tortoise.backends.sqlite.client import SqliteTransactionContext
from tortoise.connection import get_connections

_installed = False


async def _enter_transaction(self: SqliteTransactionContext) -> Any:
    await self._trxlock.acquire()
    token = None
    try:
        await self.ensure_connection()
        token = get_connections().set(self.connection_name, self.connection)
        await self.connection.begin()
    except BaseException:
        try:
            if token is not None:
                get_connections().reset(token)
            raw = self.connection._connection
            if raw is not None:
                # Shielded: this task may be cancelled again; the rollback still runs in order
                # on aiosqlite's thread, after the BEGIN it undoes.
                await asyncio.shield(raw.rollback())
        finally:
            self._trxlock.release()
        raise
    self.token = token
    return self.connection


async def _enter_connection(self: ConnectionWrapper[Any]) -> Any:
    await self._lock.acquire()
    try:
        await self.ensure_connection()
    except BaseException:
        self._lock.release()
        raise
    return self.connection


def install() -> None:
    """Idempotent; ``community.db`` calls it on import, before any connection is opened."""
    global _installed
    if _installed:
        return
    SqliteTransactionContext.__aenter__ = _enter_transaction  # type: ignore[method-assign]
    ConnectionWrapper.__aenter__ = _enter_connection  # type: ignore[method-assign]
    _installed = True
