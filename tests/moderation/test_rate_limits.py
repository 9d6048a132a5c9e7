"""Posting rate limits per person (a minute, a day) and per IP address: 429 with Retry-After and a
friendly message, the form shown again with what was typed; never a silent drop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from community.accounts import tokens
from community.models import Post, RateEvent
from moderation.rules.limits import user_key
from tests.conftest import World, login
from tests.moderation.conftest import Flaggable, client_for


async def _age_events(key: str, seconds: int) -> None:
    await RateEvent.filter(key=key).update(created_at=datetime.now(UTC) - timedelta(seconds=seconds))


async def test_html_reply_over_the_minute_limit_is_429_with_the_text_kept(
    app_with, world: World, flaggable: Flaggable
) -> None:
    app = app_with(posts_per_minute=2)
    async with client_for(app) as client:
        csrf = await login(client, world.partner)
        for n in range(2):
            sent = await client.post(
                f"/t/{flaggable.thread.id}/reply", data={"body": f"Answer {n}", "csrf_token": csrf}
            )
            assert sent.status_code == 303
        refused = await client.post(
            f"/t/{flaggable.thread.id}/reply",
            data={"body": "My carefully typed third answer", "csrf_token": csrf},
        )
        assert refused.status_code == 429
        assert 45 <= int(refused.headers["retry-after"]) <= 60  # a minute after the first answer
        assert "You can add 2 new posts a minute at most" in refused.text
        assert "My carefully typed third answer" in refused.text
        assert "Please correct the highlighted" not in refused.text
        asked = await client.post(
            "/ask",
            data={"category": "general", "kind": "question", "title": "A question typed while limited",
                  "body": "Kept body", "csrf_token": csrf},
        )  # fmt: skip
        assert asked.status_code == 429 and "A question typed while limited" in asked.text
        assert await Post.filter(author_id=world.partner.id).count() == 3  # the opening post + two


async def test_json_answer_names_the_wait_in_retry_after(app_with, world: World, flaggable) -> None:
    app = app_with(posts_per_minute=3, posts_per_day=50)
    auth = {"Authorization": f"Bearer {await tokens.create_api_token(world.partner)}"}
    async with client_for(app) as client:
        for _ in range(3):
            ok = await client.post(
                f"/api/v1/threads/{flaggable.thread.id}/posts", json={"body": "x1"}, headers=auth
            )
            assert ok.status_code == 201
        await _age_events(user_key(world.partner.id), 20)  # all three 20 s ago: 40 s until one leaves
        refused = await client.post(
            f"/api/v1/threads/{flaggable.thread.id}/posts", json={"body": "x2"}, headers=auth
        )
        assert refused.status_code == 429
        assert 30 <= int(refused.headers["retry-after"]) <= 41
        error = refused.json()["error"]
        wait = refused.headers["retry-after"]
        assert error["code"] == "rate_limited" and f"please wait {wait} seconds" in error["message"]
        assert "Nothing was posted" in error["message"]
        await _age_events(user_key(world.partner.id), 61)
        again = await client.post(
            f"/api/v1/threads/{flaggable.thread.id}/posts", json={"body": "x2"}, headers=auth
        )
        assert again.status_code == 201


async def test_day_limit_and_ip_limit(app_with, world: World, flaggable) -> None:
    app = app_with(posts_per_day=2, posts_per_ip_minute=2)
    async with client_for(app) as client:
        users = (world.partner, world.colleague, world.silver_partner)
        auth = [{"Authorization": f"Bearer {await tokens.create_api_token(u)}"} for u in users]
        url = f"/api/v1/threads/{flaggable.thread.id}/posts"
        for _ in range(2):
            assert (await client.post(url, json={"body": "mine"}, headers=auth[0])).status_code == 201
        await RateEvent.all().update(created_at=datetime.now(UTC) - timedelta(hours=1))
        day = await client.post(url, json={"body": "mine"}, headers=auth[0])
        assert day.status_code == 429 and "2 new posts a day" in day.json()["error"]["message"]
        assert 82_700 <= int(day.headers["retry-after"]) <= 82_800  # 23 hours
        # Others from the same address: 2 a minute between them (the partner's posts are an hour old).
        assert (await client.post(url, json={"body": "theirs"}, headers=auth[1])).status_code == 201
        assert (await client.post(url, json={"body": "theirs"}, headers=auth[2])).status_code == 201
        shared = await client.post(url, json={"body": "theirs"}, headers=auth[2])
        assert shared.status_code == 429 and "from your network" in shared.json()["error"]["message"]


async def test_refused_or_invalid_posts_count_nothing_and_old_rows_are_pruned(
    app_with, world: World, flaggable
) -> None:
    app = app_with(posts_per_minute=1)
    gate = app.state.moderation
    from community.errors import Invalid
    from community.forum import posts

    actor = world.actor(world.partner)
    with pytest.raises(Invalid):
        await posts.reply(actor, flaggable.thread.id, body="", gate=gate, ip="10.0.0.9")
    assert await RateEvent.all().count() == 0
    await RateEvent.create(key=user_key(world.partner.id), created_at=datetime.now(UTC) - timedelta(days=2))
    await RateEvent.filter().update(created_at=datetime.now(UTC) - timedelta(days=2))
    await posts.reply(actor, flaggable.thread.id, body="Counted once", gate=gate, ip="10.0.0.9")
    keys = sorted(await RateEvent.all().values_list("key", flat=True))
    assert keys == ["post:ip:10.0.0.9", user_key(world.partner.id)]


async def test_a_burst_of_simultaneous_posts_keeps_to_the_limit(app_with, world: World, flaggable) -> None:
    """Posts sent at once are not all let through by checks that ran before any of them counted."""
    app = app_with(posts_per_minute=2)
    auth = {"Authorization": f"Bearer {await tokens.create_api_token(world.partner)}"}
    path = f"/api/v1/threads/{flaggable.thread.id}/posts"
    async with client_for(app) as client:
        answers = await asyncio.gather(
            *(client.post(path, json={"body": f"Burst {n}"}, headers=auth) for n in range(6))
        )
    assert sorted(a.status_code for a in answers) == [201, 201, 429, 429, 429, 429]
    assert await Post.filter(author_id=world.partner.id, is_opening=False).count() == 2
    assert await RateEvent.filter(key=user_key(world.partner.id)).count() == 2
