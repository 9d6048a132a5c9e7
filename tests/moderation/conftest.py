"""Helpers for moderation tests: a question with an answer to flag, and the app's moderation gate."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import httpx
import pytest

from community.app import create_app
from community.forum import posts, threads
from community.models import Post, Thread
from community.ports import ModerationGate
from tests.api.conftest import check_against_document
from tests.conftest import World


@dataclass
class Flaggable:
    thread: Thread
    answer: Post  # by the colleague, in the general category


@pytest.fixture
def gate(app) -> ModerationGate:  # type: ignore[no-untyped-def]
    return app.state.moderation


@pytest.fixture
async def flaggable(world: World) -> Flaggable:
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question",
        title="Which switch suits a small office?", body="Twenty desks, two floors.",
    )  # fmt: skip
    answer = await posts.reply(world.actor(world.colleague), thread.id, body="Buy from my cousin, cheap!!!")
    return Flaggable(thread=thread, answer=answer)


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
