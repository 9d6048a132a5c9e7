"""Retrying a create request is safe: with an Idempotency-Key the retry gets the first answer, and
a 201 never depends on a read after the commit."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from tortoise import connections
from tortoise.exceptions import DBConnectionError

from community.api import threads as thread_endpoints
from community.forum import posts
from community.forum import threads as thread_cases
from community.models import Announcement, IdempotentRequest, Post, Thread
from tests.api.conftest import bearer

QUESTION = {"category": "general", "title": "Which firmware for the S48?", "body": "We run 4.2 today."}


async def test_a_retry_with_the_same_key_gets_the_first_answer_and_creates_nothing(client, world):
    headers = {**await bearer(world.partner), "Idempotency-Key": "7f9c2a4e-retry-1"}
    first = await client.post("/api/v1/threads", json=QUESTION, headers=headers)
    again = await client.post("/api/v1/threads", json=QUESTION, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert await Thread.all().count() == 1 and await Post.all().count() == 1


async def test_the_same_key_for_another_request_is_refused(client, world):
    headers = {**await bearer(world.partner), "Idempotency-Key": "k-1"}
    assert (await client.post("/api/v1/threads", json=QUESTION, headers=headers)).status_code == 201
    other = {**QUESTION, "title": "Which firmware for the S52?"}
    response = await client.post("/api/v1/threads", json=other, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert await Thread.all().count() == 1


async def test_keys_belong_to_their_caller(client, world):
    key = {"Idempotency-Key": "shared-key"}
    mine = await client.post("/api/v1/threads", json=QUESTION, headers={**await bearer(world.partner), **key})
    theirs = await client.post(
        "/api/v1/threads", json=QUESTION, headers={**await bearer(world.expert), **key}
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"] and "Idempotent-Replayed" not in theirs.headers


@pytest.mark.parametrize("key", ["", "x" * 256, "clé-1".encode(), "tab\there"])
async def test_a_malformed_key_is_a_422_saying_what_a_key_is(client, world, key):
    headers = {**await bearer(world.partner), "Idempotency-Key": key}
    response = await client.post("/api/v1/threads", json=QUESTION, headers=headers)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["error"]["message"]
    assert await Thread.all().count() == 0


async def test_a_failure_before_the_commit_keeps_neither_and_the_retry_creates_it(app, world, monkeypatch):
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    headers = {**await bearer(world.partner), "Idempotency-Key": "before-commit"}
    original = thread_cases.forum_notices.on_new_thread

    async def fails(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise DBConnectionError("connection lost mid-transaction")

    monkeypatch.setattr(thread_cases.forum_notices, "on_new_thread", fails)
    response = await client.post("/api/v1/threads", json=QUESTION, headers=headers)
    assert response.status_code == 503 and "Retry-After" in response.headers
    assert await Thread.all().count() == 0 and await IdempotentRequest.all().count() == 0
    monkeypatch.setattr(thread_cases.forum_notices, "on_new_thread", original)
    retry = await client.post("/api/v1/threads", json=QUESTION, headers=headers)
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert await Thread.all().count() == 1


async def test_a_database_blip_after_the_commit_still_answers_201(client, world, monkeypatch):
    """The answer is built inside the transaction: once the post is saved, nothing can fail."""
    thread = await thread_cases.create_thread(world.actor(world.expert), kind="question", **QUESTION)
    original = posts.reply

    async def reply_then_lose_the_database(*args, **kwargs):  # type: ignore[no-untyped-def]
        created = await original(*args, **kwargs)
        connection = connections.get("default")

        async def gone(*a, **k):  # type: ignore[no-untyped-def]
            raise DBConnectionError("server closed the connection unexpectedly")

        monkeypatch.setattr(connection, "execute_query", gone)
        monkeypatch.setattr(connection, "execute_query_dict", gone)
        return created

    monkeypatch.setattr(thread_endpoints.posts, "reply", reply_then_lose_the_database)
    response = await client.post(
        f"/api/v1/threads/{thread.id}/posts", json={"body": "Take 4.3, it fixes the LACP bug."},
        headers=await bearer(world.partner),
    )  # fmt: skip
    monkeypatch.undo()
    assert response.status_code == 201, response.text
    assert response.json()["body_html"].startswith("<p>Take 4.3")
    assert await Post.filter(id=response.json()["id"]).exists()


async def test_concurrent_requests_with_one_key_create_one_thread(client, world):
    headers = {**await bearer(world.partner), "Idempotency-Key": "double-click"}
    answers = await asyncio.gather(
        *(client.post("/api/v1/threads", json=QUESTION, headers=headers) for _ in range(5))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert await Thread.all().count() == 1


async def test_announcements_take_a_key_too(client, world):
    headers = {**await bearer(world.admin), "Idempotency-Key": "monthly-news"}
    body = {"title": "Price list for Q3", "body": "Now in the pricing category.", "audience": "all"}
    first = await client.post("/api/v1/announcements", json=body, headers=headers)
    again = await client.post("/api/v1/announcements", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert await Announcement.all().count() == 1
