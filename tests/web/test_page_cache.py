"""The page cache: misses on a new key, shares one render among concurrent misses, stays bounded."""

from __future__ import annotations

import asyncio

import pytest

from community.web.page_cache import PageCache


async def test_concurrent_misses_share_one_render() -> None:
    cache = PageCache()
    renders = 0

    async def render() -> bytes:
        nonlocal renders
        renders += 1
        await asyncio.sleep(0.01)
        return b"page"

    bodies = await asyncio.gather(*(cache.get_or_render(("t", 1), render) for _ in range(20)))
    assert bodies == [b"page"] * 20 and renders == 1
    assert await cache.get_or_render(("t", 2), render) == b"page" and renders == 2


async def test_a_failed_render_is_not_cached_and_reaches_every_waiter() -> None:
    cache = PageCache()

    async def broken() -> bytes:
        await asyncio.sleep(0.01)
        raise LookupError("gone")

    results = await asyncio.gather(
        *(cache.get_or_render("k", broken) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, LookupError) for r in results)
    assert cache.get("k") is None


def test_bounded_and_expiring() -> None:
    cache = PageCache(max_entries=2, ttl_seconds=60)
    for i in range(3):
        cache.put(i, b"x")
    assert cache.get(0) is None and cache.get(2) == b"x" and len(cache) == 2
    expired = PageCache(ttl_seconds=-1)
    expired.put("k", b"x")
    assert expired.get("k") is None


@pytest.mark.parametrize("change", ["vote", "edit"])
async def test_thread_page_is_fresh_after_a_change(client, world, change: str) -> None:
    from community.forum import posts, threads
    from community.models import Post
    from tests.conftest import login

    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question",
        title="Is the cached page fresh?", body="Original question text",
    )  # fmt: skip
    answer = await posts.reply(world.actor(world.expert), thread.id, body="Original answer text")
    await login(client, world.colleague)
    assert "Original answer text" in (await client.get(f"/t/{thread.id}")).text
    if change == "vote":
        await posts.vote(world.actor(world.partner), answer.id)
        page = (await client.get(f"/t/{thread.id}")).text
        assert (await Post.get(id=answer.id)).score == 1 and "Helpful · 1" in page
    else:
        await posts.edit_post(world.actor(world.expert), answer.id, body="Edited answer text")
        page = (await client.get(f"/t/{thread.id}")).text
        assert "Edited answer text" in page and "Original answer text" not in page


async def test_thread_page_respects_a_permission_change_at_once(client, world) -> None:
    from community.accounts import directory
    from community.forum import threads
    from tests.conftest import login

    thread = await threads.create_thread(
        world.actor(world.expert), category="general", kind="discussion",
        title="Soon to be staff only", body="Internal notes",
    )  # fmt: skip
    await login(client, world.partner)
    assert (await client.get(f"/t/{thread.id}")).status_code == 200
    await directory.update_category(
        world.settings, None, world.general, name="General", description="", visibility="staff", position=0
    )
    assert (await client.get(f"/t/{thread.id}")).status_code == 404


async def test_thread_page_is_fresh_after_a_moderator_hides_an_answer(app, client, world) -> None:
    from community.forum import posts, threads
    from moderation import flags
    from tests.conftest import login

    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question",
        title="Will the cached page hide it?", body="A question",
    )  # fmt: skip
    answer = await posts.reply(world.actor(world.colleague), thread.id, body="Buy it for 900 EUR net")
    await login(client, world.silver_partner)
    assert "900 EUR" in (await client.get(f"/t/{thread.id}")).text
    await flags.flag_post(
        app.state.moderation, world.actor(world.moderator), answer.id, reason="confidential"
    )
    page = (await client.get(f"/t/{thread.id}")).text
    assert "900 EUR" not in page and "hidden" in page
