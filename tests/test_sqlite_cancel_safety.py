"""A task cancelled while its transaction is starting must not leave the database locked for
everyone else (the shutdown that never ended: community/sqlite_cancel_safety.py)."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from community.models import Category


@pytest.fixture(autouse=True)
def _sqlite_only(world):  # type: ignore[no-untyped-def]
    if connections.get("default").capabilities.dialect != "sqlite":
        pytest.skip("the lock is SQLite's single connection; PostgreSQL uses a pool")


async def test_cancelled_while_beginning_a_transaction_leaves_the_database_usable():
    started = asyncio.Event()

    async def writer() -> None:
        started.set()
        async with in_transaction():
            await Category.filter(slug="general").update(name="Never saved")

    task = asyncio.create_task(writer())
    await started.wait()  # the task now waits on BEGIN in aiosqlite's thread
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(5):
        assert await Category.filter(slug="general").values_list("name", flat=True) != ["Never saved"]
        async with in_transaction():
            await Category.filter(slug="general").update(name="Saved")
    assert await Category.filter(slug="general").values_list("name", flat=True) == ["Saved"]
