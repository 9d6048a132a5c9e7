"""GET /api/v1/search and GET /api/v1/search/similar (every answer is also checked against the
OpenAPI document by the client fixture)."""

from __future__ import annotations

import pytest

from community.forum import threads
from tests.api.conftest import bearer
from tests.search.conftest import Corpus
from tests.search.test_search_pages import MALFORMED, OPERATORS


async def test_results_have_the_promised_shape(client, world, corpus: Corpus) -> None:
    response = await client.get(
        "/api/v1/search", params={"q": "registration portal"}, headers=await bearer(world.partner)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1 and body["suggestion"] is None and (body["page"], body["pages"]) == (1, 1)
    (hit,) = body["results"]
    base = world.settings.base_url
    assert hit == {
        "type": "post",
        "thread_id": corpus.deal.id,
        "post_id": corpus.deal_answer.id,
        "article_id": None,
        "title": "How do I register a deal for a multi-site customer?",
        "snippet": hit["snippet"],
        "url": f"{base}/t/{corpus.deal.id}#p{corpus.deal_answer.id}",
        "score": hit["score"],
    }
    assert "<mark>registration</mark>" in hit["snippet"] and "<mark>portal</mark>" in hit["snippet"]
    assert hit["score"] > 0
    assert body["facets"] == {
        "categories": [{"key": "general", "count": 1}],
        "tags": [{"key": "deal-registration", "count": 1}],
    }


async def test_thread_urls_match_the_thread_endpoints(client, world, corpus: Corpus) -> None:
    auth = await bearer(world.partner)
    hit = (await client.get("/api/v1/search", params={"q": "bricked"}, headers=auth)).json()["results"][0]
    thread = (await client.get(f"/api/v1/threads/{corpus.firmware.id}", headers=auth)).json()
    assert hit["type"] == "thread" and hit["url"] == thread["url"]


async def test_each_operator(client, world, corpus: Corpus) -> None:
    auth = await bearer(world.partner)
    wrong = []
    for query, expected in OPERATORS:
        q = query.format(colleague=world.colleague.handle, silver_org=world.silver.slug)
        body = (await client.get("/api/v1/search", params={"q": q}, headers=auth)).json()
        want = {getattr(corpus, name).id for name in expected}
        got = {hit["thread_id"] for hit in body["results"]}
        if (got, body["total"]) != (want, len(want)):
            wrong.append(f"{q!r}: got {got} ({body['total']}), expected {want}")
    assert not wrong, "\n".join(wrong)


async def test_sort_and_page(client, world, corpus: Corpus) -> None:
    auth = await bearer(world.partner)
    by_votes = await client.get(
        "/api/v1/search", params={"q": "category:general", "sort": "votes"}, headers=auth
    )
    assert by_votes.json()["results"][0]["thread_id"] == corpus.firmware.id
    assert by_votes.json()["results"][0]["score"] == 0
    beyond = (await client.get("/api/v1/search", params={"q": "rebate", "page": "7"}, headers=auth)).json()
    assert beyond["results"] == [] and beyond["total"] == 2 and beyond["page"] == 7
    bad_sort = await client.get("/api/v1/search", params={"q": "rebate", "sort": "best"}, headers=auth)
    assert bad_sort.status_code == 422 and "sort" in bad_sort.json()["error"]["fields"]


async def test_a_script_in_a_post_comes_back_escaped(client, world, corpus: Corpus) -> None:
    body = (
        await client.get("/api/v1/search", params={"q": "pwned"}, headers=await bearer(world.colleague))
    ).json()
    snippet = body["results"][0]["snippet"]
    assert "&lt;script&gt;" in snippet and "<script" not in snippet and "<mark>pwned</mark>" in snippet


async def test_suggestion(client, world, corpus: Corpus) -> None:
    body = (
        await client.get("/api/v1/search", params={"q": "rebtae"}, headers=await bearer(world.partner))
    ).json()
    assert body["suggestion"] == "rebate"


async def test_permissions_are_part_of_the_query(client, world, corpus: Corpus) -> None:
    q = "rebate schedule quarter escalation hardware percent disputes"
    silver = await bearer(world.silver_partner)
    body = (await client.get("/api/v1/search", params={"q": q}, headers=silver)).json()
    assert [hit["thread_id"] for hit in body["results"]] == [corpus.rebate.id] and body["total"] == 1
    assert body["facets"] == {
        "categories": [{"key": "general", "count": 1}],
        "tags": [{"key": "rebates", "count": 1}],
    }
    text = str(body)
    for trace in ("Gold rebate", "Six percent", "gold-programme", "Internal escalation", "staff-room"):
        assert trace not in text
    for typo in ("quartr", "escalatoin"):
        answer = (await client.get("/api/v1/search", params={"q": typo}, headers=silver)).json()
        assert answer["suggestion"] is None and answer["total"] == 0, typo
    gold = (await client.get("/api/v1/search", params={"q": q}, headers=await bearer(world.partner))).json()
    assert {hit["thread_id"] for hit in gold["results"]} == {corpus.rebate.id, corpus.gold.id}
    staff = (await client.get("/api/v1/search", params={"q": q}, headers=await bearer(world.expert))).json()
    assert staff["total"] == 3
    moderator = await bearer(world.moderator)
    for q in ("zanzibar", "quokka"):
        assert (await client.get("/api/v1/search", params={"q": q}, headers=moderator)).json()["total"] == 0


async def test_queries_that_cannot_be_understood_are_422(client, world, corpus: Corpus) -> None:
    auth = await bearer(world.partner)
    for q in ("", "   ", "before:yesterday", "is:awesome", "tag:", "the of and"):
        response = await client.get("/api/v1/search", params={"q": q}, headers=auth)
        assert response.status_code == 422, q
        error = response.json()["error"]
        assert error["code"] == "invalid" and error["message"] == error["fields"]["q"], q
    assert (
        "2024-05-31"
        in (await client.get("/api/v1/search?q=after:2024-02-30", headers=auth)).json()["error"]["message"]
    )


async def test_malformed_queries_never_fail(client, world, corpus: Corpus) -> None:
    auth = await bearer(world.partner)
    for q in MALFORMED:
        response = await client.get("/api/v1/search", params={"q": q}, headers=auth)
        assert response.status_code in (200, 422), (q, response.text[:200])
    for raw in ("q=%ED%A0%80%FF", "q=rebate&page=-1", "q=rebate&page=abc", "q=rebate&page=1e99", "q=a&q=b"):
        response = await client.get(f"/api/v1/search?{raw}", headers=auth)
        assert response.status_code in (200, 422), raw


async def test_signing_in_is_required(client, world) -> None:
    for path in ("/api/v1/search?q=rebate", "/api/v1/search/similar?title=rebate"):
        response = await client.get(path)
        assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


# --- similar threads ---------------------------------------------------------------------------


async def test_similar_threads_for_a_title_being_typed(client, world, corpus: Corpus) -> None:
    auth = await bearer(world.partner)
    response = await client.get(
        "/api/v1/search/similar", params={"title": "registering deals for customers"}, headers=auth
    )
    assert response.status_code == 200
    body = response.json()
    assert body["items"][0] == {
        "type": "thread",
        "thread_id": corpus.deal.id,
        "article_id": None,
        "title": "How do I register a deal for a multi-site customer?",
        "url": f"{world.settings.base_url}/t/{corpus.deal.id}",
        "solved": True,
    }
    assert body["total"] == len(body["items"]) and body["next"] is None


async def test_similar_ranks_by_relevance_one_per_thread_and_respects_permissions(
    client, world, corpus: Corpus
) -> None:
    gold = (
        await client.get("/api/v1/search/similar?title=rebate", headers=await bearer(world.partner))
    ).json()
    # Ranked as search ranks them (being solved does not put a thread first, issue 12).
    assert sorted(i["thread_id"] for i in gold["items"]) == sorted([corpus.gold.id, corpus.rebate.id])
    silver = await bearer(world.silver_partner)
    for title in ("rebate", "Gold rebate schedule for the third quarter", "Internal escalation notes"):
        body = (await client.get("/api/v1/search/similar", params={"title": title}, headers=silver)).json()
        assert {i["thread_id"] for i in body["items"]} <= {corpus.rebate.id}, title


async def test_at_most_five_similar_threads(client, world, indexer) -> None:  # type: ignore[no-untyped-def]
    actor = world.actor(world.partner)
    for i in range(7):
        await threads.create_thread(
            actor, category="general", kind="question", title=f"Antenna alignment on mast number {i}",
            body="Signal drops.",
        )  # fmt: skip
    await indexer.drain()
    body = (
        await client.get(
            "/api/v1/search/similar?title=antenna alignment mast", headers=await bearer(world.partner)
        )
    ).json()
    assert len(body["items"]) == 5 and body["total"] == 5


@pytest.mark.parametrize("title", ["", "ab", "  ", "?!", "\x00\x01", "x" * 20_000, "tag: is: -", '"'])
async def test_odd_titles_answer_a_list(client, world, title: str) -> None:
    response = await client.get(
        "/api/v1/search/similar", params={"title": title}, headers=await bearer(world.partner)
    )
    assert response.status_code == 200 and response.json()["items"] == []
