"""The editor's completion: people to @mention and tags in use, within what the caller may know of.

A partner is never offered another organisation's members unless they have posted where the
partner can read; in a thread, only people who may see it are offered, its participants first."""

from __future__ import annotations

import httpx

from community.accounts import people as accounts
from community.forum import posts, threads
from tests.api.conftest import bearer
from tests.conftest import PASSWORD, World


async def _handles(client: httpx.AsyncClient, headers: dict[str, str], query: str) -> list[str]:
    response = await client.get(f"/api/v1/people/suggestions?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["handle"] for item in response.json()["items"]]


async def test_a_partner_is_offered_colleagues_staff_and_visible_authors_only(
    client: httpx.AsyncClient, world: World
) -> None:
    # Sam (silver) has posted nothing: a gold partner may not discover them by typing.
    assert await _handles(client, await bearer(world.partner), "q=sa") == []
    assert await _handles(client, await bearer(world.partner), "q=co") == [world.colleague.handle]
    assert await _handles(client, await bearer(world.partner), "q=er") == [world.expert.handle]
    # Staff see everyone.
    assert await _handles(client, await bearer(world.moderator), "q=sa") == [world.silver_partner.handle]
    # Once Sam posts where the gold partner reads, Sam may be offered.
    await threads.create_thread(
        world.actor(world.silver_partner), category="general", kind="question",
        title="Which firmware for the X200?", body="Asking for a customer.",
    )  # fmt: skip
    assert await _handles(client, await bearer(world.partner), "q=sam") == [world.silver_partner.handle]
    # ...but not a registered partner's post in the gold-only category seen by nobody else of theirs.
    assert await _handles(client, await bearer(world.registered_partner), "q=co") == []


async def test_in_a_thread_participants_come_first_and_only_who_may_see_it(
    client: httpx.AsyncClient, world: World
) -> None:
    gold = await threads.create_thread(
        world.actor(world.colleague), category="gold-programme", kind="question",
        title="Gold rebate for Q3 deals?", body="Rates?",
    )  # fmt: skip
    await posts.reply(world.actor(world.admin), gold.id, body="Six percent.")
    headers = await bearer(world.moderator)
    # Empty prefix: the thread's participants.
    found = await _handles(client, headers, f"q=&thread={gold.id}")
    assert found[:2] == sorted(found[:2], key=lambda h: h != world.colleague.handle) or set(found[:2]) == {
        world.colleague.handle, world.admin.handle}  # fmt: skip
    assert set(found[:2]) == {world.colleague.handle, world.admin.handle}
    # Silver and registered partners may not see the gold thread: not offered there.
    everyone = await _handles(client, headers, f"q=s&thread={gold.id}")
    assert world.silver_partner.handle not in everyone
    assert world.silver_partner.handle in await _handles(client, headers, "q=s")
    # A thread the caller may not see is 404, like a missing one.
    silver = await bearer(world.silver_partner)
    response = await client.get(f"/api/v1/people/suggestions?q=a&thread={gold.id}", headers=silver)
    assert response.status_code == 404
    missing = await client.get("/api/v1/people/suggestions?q=a&thread=987654", headers=silver)
    assert missing.status_code == 404 and missing.json() == response.json()
    bad = await client.get("/api/v1/people/suggestions?q=a&thread=abc", headers=silver)
    assert bad.status_code == 422


async def test_odd_prefixes_answer_an_empty_list(client: httpx.AsyncClient, world: World) -> None:
    headers = await bearer(world.partner)
    for query in ("q=", "q=%25", "q=_", "q=a%27%3B--", "q=" + "a" * 300, "q=%E2%80%AE"):
        response = await client.get(f"/api/v1/people/suggestions?{query}", headers=headers)
        assert response.status_code in (200, 422), (query, response.text)
        if response.status_code == 200 and query in ("q=", "q=%25", "q=_"):
            assert response.json()["items"] == [], query
    assert (await client.get("/api/v1/people/suggestions?q=a")).status_code == 401


async def test_suspended_and_inactive_people_are_not_offered(client: httpx.AsyncClient, world: World) -> None:
    new = await accounts.create_user(
        world.settings, email="zed@gold.example", display_name="Zed Gold", role="partner",
        organisation=world.gold, password=PASSWORD,
    )  # fmt: skip
    headers = await bearer(world.partner)
    assert await _handles(client, headers, "q=zed") == [new.handle]
    new.status = "deactivated"
    await new.save()
    assert await _handles(client, headers, "q=zed") == []


async def test_tags_in_use_where_the_caller_reads(client: httpx.AsyncClient, world: World) -> None:
    for n in range(2):
        await threads.create_thread(
            world.actor(world.partner), category="general", kind="question",
            title=f"Rebate question number {n}", body="Details.", tags=["rebates", "router-x200"],
        )  # fmt: skip
    await threads.create_thread(
        world.actor(world.partner), category="gold-programme", kind="question",
        title="Secret gold rebate question", body="Details.", tags=["rebate-gold-secret"],
    )  # fmt: skip
    gold = await bearer(world.partner)
    response = await client.get("/api/v1/tags/suggestions?q=reb", headers=gold)
    assert response.status_code == 200
    assert response.json()["items"] == [
        {"name": "rebates", "threads": 2}, {"name": "rebate-gold-secret", "threads": 1}]  # fmt: skip
    silver = await bearer(world.silver_partner)
    names = [
        t["name"]
        for t in (await client.get("/api/v1/tags/suggestions?q=reb", headers=silver)).json()["items"]
    ]
    assert names == ["rebates"]
    assert (await client.get("/api/v1/tags/suggestions?q=%25", headers=silver)).json()["items"] == []


async def test_private_questions_lend_no_names_or_tags_to_other_organisations(
    client: httpx.AsyncClient, world: World
) -> None:
    await threads.create_thread(
        world.actor(world.silver_partner), category="general", kind="question", private=True,
        title="Our own rebate question, privately", body="Details.", tags=["silver-secret"],
    )  # fmt: skip
    gold = await bearer(world.partner)
    assert await _handles(client, gold, "q=sam") == []
    response = await client.get("/api/v1/tags/suggestions?q=silver", headers=gold)
    assert response.json()["items"] == []
    staff = await bearer(world.expert)
    assert await _handles(client, staff, "q=sam") == [world.silver_partner.handle]
    response = await client.get("/api/v1/tags/suggestions?q=silver", headers=staff)
    assert [t["name"] for t in response.json()["items"]] == ["silver-secret"]
