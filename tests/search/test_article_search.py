"""Knowledge-base articles in search: indexed when published, gone when archived, favoured in
ranking, shown as articles, only to readers of their category; reindex and search-check know them."""

from __future__ import annotations

from community.kb import articles, products
from community.search.maintenance import compare_index, rebuild_from_database
from tests.conftest import login
from tests.search.conftest import Corpus


async def test_published_articles_are_found_and_favoured(app, client, world, corpus: Corpus, indexer):
    expert = world.actor(world.expert)
    article = await articles.promote_answer(
        expert, corpus.deal_answer.id, title="Registering deals for multi-site customers",
        summary="One registration per site, linked to the account.",
    )  # fmt: skip
    await indexer.drain()
    await login(client, world.silver_partner)
    page = await client.get("/search", params={"q": "multi-site deal registration"})
    first = page.text.index('class="search-hit"')
    assert '<span class="badge kind-article">Article</span>' in page.text[first : first + 400]
    assert f'href="/kb/{article.id}"' in page.text[first : first + 600]
    only = await client.get("/api/v1/search", params={"q": "registration is:article"})
    hits = only.json()["results"]
    assert [(h["type"], h["article_id"]) for h in hits] == [("article", article.id)]

    await articles.set_state(expert, article.id, "archived")
    await indexer.drain()
    gone = await client.get("/api/v1/search", params={"q": "registration is:article"})
    assert gone.json()["results"] == []


async def test_a_restricted_article_never_shows_to_another_tier(app, client, world, corpus: Corpus, indexer):
    await articles.promote_answer(
        world.actor(world.expert), corpus.gold_answer.id, title="Gold hardware rebates"
    )
    await indexer.drain()
    await login(client, world.silver_partner)
    for q in ("rebates is:article", "Gold hardware rebates", "six percent"):
        answer = (await client.get("/api/v1/search", params={"q": q})).json()
        assert all(h["type"] != "article" for h in answer["results"]), q
        assert "Gold hardware" not in str(answer)
    await client.post("/logout", data={"csrf_token": ""})
    client.cookies.clear()
    await login(client, world.colleague)
    found = (await client.get("/api/v1/search", params={"q": "rebates is:article"})).json()
    assert [h["title"] for h in found["results"]] == ["Gold hardware rebates"]


async def test_rebuild_and_check_include_articles(app, world, corpus: Corpus, indexer):
    article = await articles.promote_answer(world.actor(world.expert), corpus.deal_answer.id)
    await rebuild_from_database(app.state.search)
    report = await compare_index(app.state.search)
    assert report.in_step, report.lines()
    assert app.state.search.stamps().get(f"article:{article.id}") is not None
    await articles.set_state(world.actor(world.expert), article.id, "draft")
    await indexer.drain()
    assert f"article:{article.id}" not in app.state.search.stamps()
    assert (await compare_index(app.state.search)).in_step


async def test_an_article_is_found_by_the_product_it_applies_to(app, client, world, corpus: Corpus, indexer):
    expert = world.actor(world.expert)
    product = await products.create_product(expert, name="Router X200")
    version = await products.add_version(expert, product.id, name="firmware 4.x")
    article = await articles.promote_answer(expert, corpus.deal_answer.id, products=[version.id])
    await indexer.drain()
    await login(client, world.silver_partner)
    found = (await client.get("/api/v1/search", params={"q": "X200 is:article"})).json()
    assert [h["article_id"] for h in found["results"]] == [article.id]
