"""Two hosts without a shared disk (issue 13): two real servers with their own data directories
(so their own search indexes) on one PostgreSQL and one Redis. A post made through either is
searchable on both and delivered live to clients of both; each host's /healthz shows both
positions. Run when COMMUNITY_TEST_DATABASE_URL and COMMUNITY_TEST_REDIS_URL are set (CI's
PostgreSQL pass)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import PG_URL, REDIS_URL
from tests.realtime.conftest import Server, answer, api, ask, channel_prefix, live, start_server, token_for
from tests.waiting import WAIT_SECONDS, eventually

pytestmark = pytest.mark.skipif(
    not (PG_URL and REDIS_URL), reason="needs COMMUNITY_TEST_DATABASE_URL and COMMUNITY_TEST_REDIS_URL"
)


async def _search(server: Server, headers: dict[str, str], q: str) -> set[tuple[str, int]]:
    response = await api(server, "GET", "/search", headers, params={"q": q})
    assert response.status_code == 200, response.text
    return {
        (r["type"], r["post_id"] if r["type"] == "post" else r["thread_id"])
        for r in response.json()["results"]
    }


async def _searchable_on_both(
    servers: list[Server], headers: dict[str, str], q: str, doc: tuple[str, int]
) -> None:
    for server in servers:

        async def found(server: Server = server) -> bool:
            return doc in await _search(server, headers, q)

        await eventually(found, interval=0.1, what=f"{q!r} never became searchable on {server.base}")


async def _health(server: Server) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=5) as client:
        return (await client.get(f"{server.base}/healthz")).json()


async def test_a_post_through_either_host_is_searchable_and_live_on_both(world, tmp_path) -> None:
    assert REDIS_URL
    env = {"COMMUNITY_REDIS_URL": REDIS_URL, "COMMUNITY_REDIS_PREFIX": channel_prefix()}
    a = start_server(world, tmp_path / "host-a", env)
    try:
        b = start_server(world, tmp_path / "host-b", env)
        try:
            servers = [a, b]
            partner, expert = await token_for(world.partner), await token_for(world.expert)
            thread = await ask(
                a, partner, title="Quokka tunnel drops every hour", body="Branch office router."
            )
            await _searchable_on_both(servers, partner, "quokka", ("thread", thread["id"]))
            async with (
                live(a, partner, streams=[f"thread:{thread['id']}"]) as on_a,
                live(b, partner, streams=[f"thread:{thread['id']}"]) as on_b,
            ):
                for via, word in ((a, "wombat"), (b, "numbat")):
                    post = await answer(via, expert, thread["id"], f"Reflash the {word} firmware first.")
                    for client in (on_a, on_b):
                        event = await client.next(type="event", kind="post", within=WAIT_SECONDS)
                        assert event["data"]["post_id"] == post["id"]
                    await _searchable_on_both(servers, partner, word, ("post", post["id"]))
            health = [await _health(s) for s in servers]
            assert len(health[0]["search"]["hosts"]) == 2
            for h in health:
                assert h["status"] == "ok"
                assert {x["position"] for x in h["search"]["hosts"]} == {h["search"]["position"]}
        finally:
            b.stop()
    finally:
        a.stop()
