"""The thread page costs a bounded number of queries, whatever the thread's length."""

from __future__ import annotations

import pytest
from tortoise import connections

from community.forum import posts, thread_page, threads


class QueryCounter:
    """Counts every statement sent through the default connection."""

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self) -> QueryCounter:
        conn = connections.get("default")
        self._conn = conn
        self._originals = {}
        for name in ("execute_query", "execute_query_dict", "execute_insert", "execute_many"):
            original = getattr(conn, name)
            self._originals[name] = original

            async def wrapped(*args, _original=original, **kwargs):  # type: ignore[no-untyped-def]
                self.count += 1
                return await _original(*args, **kwargs)

            setattr(conn, name, wrapped)
        return self

    def __exit__(self, *exc: object) -> None:
        for name, original in self._originals.items():
            setattr(self._conn, name, original)


async def _thread_with_answers(world, n: int) -> int:  # type: ignore[no-untyped-def]
    asker = world.actor(world.partner)
    thread = await threads.create_thread(
        asker,
        category="general",
        kind="question",
        title="How do I register a deal for a multi-site customer?",
        body="We have a customer with **five** sites. Do we register one deal or five?",
        tags=["deal-registration"],
    )
    repliers = [world.actor(u) for u in (world.expert, world.colleague, world.silver_partner)]
    first = None
    for i in range(n):
        post = await posts.reply(repliers[i % 3], thread.id, body=f"Answer number {i}: one deal per site.")
        first = first or post
        if i % 4 == 0:
            await posts.vote(asker, post.id)
    assert first is not None
    await posts.accept_answer(asker, first.id)
    return thread.id


@pytest.mark.parametrize("answers", [5, 100])
async def test_thread_page_query_count_is_bounded(world, answers: int) -> None:
    thread_id = await _thread_with_answers(world, answers)
    viewer = world.actor(world.silver_partner)
    with QueryCounter() as counter:
        view = await thread_page.get_thread_view(viewer, thread_id, page=1, per_page=50)
    assert len(view.posts) == min(answers, 50)
    assert view.posts[0].is_accepted
    assert counter.count <= 5, f"{counter.count} queries for {answers} answers"


async def test_query_count_same_for_short_and_long_threads(world) -> None:
    short_id = await _thread_with_answers(world, 5)
    long_id = await _thread_with_answers(world, 100)
    viewer = world.actor(world.expert)
    counts = []
    for thread_id in (short_id, long_id):
        with QueryCounter() as counter:
            await thread_page.get_thread_view(viewer, thread_id, page=2 if thread_id == long_id else 1)
        counts.append(counter.count)
    assert counts[0] == counts[1]
