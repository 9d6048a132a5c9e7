"""Helpers for moderation tests: a question with an answer to flag, and the app's moderation gate."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass

import httpx
import pytest

from community.app import create_app
from community.forum import posts, threads
from community.models import Post, Thread
from moderation import decisions
from tests.api.conftest import check_against_document
from tests.conftest import World


@dataclass
class Flaggable:
    thread: Thread
    answer: Post  # by the colleague, in the general category


@pytest.fixture
async def flaggable(world: World) -> Flaggable:
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question",
        title="Which switch suits a small office?", body="Twenty desks, two floors.",
    )  # fmt: skip
    answer = await posts.reply(world.actor(world.colleague), thread.id, body="Buy from my cousin, cheap!!!")
    return Flaggable(thread=thread, answer=answer)


@pytest.fixture
def decisions_meet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two decisions on one item both read it as pending before either goes on: each waits, once
    it has loaded the item, until the other has too. Left to chance, the first request through
    the API is usually decided before the second has read the item, and a race test then passes
    even with the guard (the conditional update) gone."""
    both_loaded = asyncio.Barrier(2)
    load = decisions._load_item

    async def load_then_meet(item_id: int):  # type: ignore[no-untyped-def]
        item = await load(item_id)
        await asyncio.wait_for(both_loaded.wait(), timeout=10)
        return item

    monkeypatch.setattr(decisions, "_load_item", load_then_meet)


@pytest.fixture
def app_with(db):  # type: ignore[no-untyped-def]
    """An app built with some settings changed (the new-account rules and rate limits are off in
    the shared test settings): ``app_with(new_account_held_posts=2)``."""

    def build(**changes: object):  # type: ignore[no-untyped-def]
        return create_app(dataclasses.replace(db, **changes), manage_db=False)

    return build


def client_for(app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    """A client whose API answers are checked against the OpenAPI document."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        event_hooks={"response": [check_against_document]},
    )
