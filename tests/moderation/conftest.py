"""Helpers for moderation tests: a question with an answer to flag, and the app's moderation gate."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from community.models import Post, Thread
from community.ports import ModerationGate
from community.services import posts, threads
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
