"""When the database is out of reach, pages and the API answer 503 with Retry-After (nothing was
saved: try again), never a 500; and they recover by themselves once it is back."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from tortoise.exceptions import DBConnectionError, OperationalError

from community.db import is_unavailable
from tests.api.conftest import bearer
from tests.conftest import PG_URL


@pytest.mark.parametrize(
    "exc",
    [
        DBConnectionError("could not connect"),
        ConnectionRefusedError(111, "Connection refused"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.InterfaceError("connection is closed"),
        asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
        OperationalError("database is locked"),
    ],
)
def test_outages_are_told_apart_from_bugs(exc):
    assert is_unavailable(exc)


@pytest.mark.parametrize(
    "exc", [OperationalError("no such column: x"), ValueError("bad"), asyncpg.InterfaceError("bad argument")]
)
def test_bugs_are_not_outages(exc):
    assert not is_unavailable(exc)


@pytest.mark.skipif(not PG_URL, reason="a PostgreSQL server restart is a PostgreSQL matter")
async def test_connections_killed_by_the_server_answer_503_or_recover(app, world, db):
    """What a PostgreSQL restart does to the open pool: every connection is terminated."""
    # raise_app_exceptions (the default): an outage must be answered inside the app, not
    # re-raised to the server as a crash (each 503 used to log "Exception in ASGI application").
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        auth = await bearer(world.partner)
        assert (await client.get("/api/v1/threads", headers=auth)).status_code == 200
        database = db.database_url.rpartition("/")[2]
        admin = await asyncpg.connect(PG_URL.replace("postgres://", "postgresql://", 1))
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
            )
        finally:
            await admin.close()
        statuses = [(await client.get("/api/v1/threads", headers=auth)).status_code for _ in range(5)]
        page = await client.get("/login")
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[-1] == 200, "the pool reconnects by itself"
    assert page.status_code in (200, 503)


async def test_an_outage_is_answered_inside_the_app_and_not_reraised_as_a_crash(app, world, monkeypatch):
    from community.api import threads as api_threads

    async def database_gone(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise DBConnectionError("could not connect")

    monkeypatch.setattr(api_threads.lists, "list_threads", database_gone)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        response = await client.get("/api/v1/threads", headers=await bearer(world.partner))
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json()["error"]["code"] == "unavailable"
