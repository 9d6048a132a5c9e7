"""The flag pages check what is flagged once per request: the form (GET) and the flag sent (POST)
each load the post or thread and check its visibility once, not once for the page and again for
the flag."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import World, login
from tests.moderation.conftest import Flaggable

Statements = list[tuple[str, str]]


@contextmanager
def statements_sent(caplog: pytest.LogCaptureFixture) -> Iterator[Statements]:
    """Every statement sent to the database, with its values: Tortoise logs each one (also inside
    transactions, which a wrapper around the default connection would miss) at DEBUG."""
    sent: Statements = []
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        yield sent
        sent += [
            (str(r.args[0]), repr(r.args[1:]))
            for r in caplog.records
            if r.name == "tortoise.db_client" and r.args and str(r.args[0]).lstrip().startswith("SELECT")
        ]


def repeated(sent: Statements) -> list[str]:
    return [sql[:120] for (sql, _), n in Counter(sent).items() if n > 1]


async def _one_request(
    caplog: pytest.LogCaptureFixture, call: Callable[[], Awaitable[httpx.Response]], status: int
) -> Statements:
    with statements_sent(caplog) as sent:
        response = await call()
    assert response.status_code == status, response.text
    return sent


async def test_a_post_flag_request_checks_the_post_once(
    client: httpx.AsyncClient, world: World, flaggable: Flaggable, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"/posts/{flaggable.answer.id}/flag"
    csrf = await login(client, world.partner)
    form = await _one_request(caplog, lambda: client.get(url), 200)
    sent = await _one_request(
        caplog, lambda: client.post(url, data={"reason": "spam", "csrf_token": csrf}), 303
    )
    for request in (form, sent):
        assert repeated(request) == []
        assert sum(1 for sql, _ in request if 'FROM "post" WHERE "id"=' in sql) == 1
        assert sum(1 for sql, _ in request if 'FROM "thread"' in sql) == 1


async def test_a_thread_flag_request_checks_the_thread_once(
    client: httpx.AsyncClient, world: World, flaggable: Flaggable, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"/t/{flaggable.thread.id}/flag"
    csrf = await login(client, world.colleague)
    form = await _one_request(caplog, lambda: client.get(url), 200)
    sent = await _one_request(
        caplog, lambda: client.post(url, data={"reason": "off_topic", "csrf_token": csrf}), 303
    )
    for request in (form, sent):
        assert repeated(request) == []
        # The thread once, its opening post once (its state is the visibility check).
        assert sum(1 for sql, _ in request if 'FROM "thread"' in sql) == 1
        assert sum(1 for sql, _ in request if 'FROM "post" WHERE "thread_id"=' in sql) == 1
