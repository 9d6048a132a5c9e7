"""Knowledge-base pages: promote from a thread, the article, edit with preview, history, compare,
restore, archive, rating, review flags, products; the thread page's badge and link."""

from __future__ import annotations

import re

from community.forum import posts, threads
from community.kb import articles, products
from community.models import Article, Thread
from tests.conftest import login
from tests.web.helpers import login_as, post_form


async def _answer(world, category: str = "general"):  # type: ignore[no-untyped-def]
    thread = await threads.create_thread(
        world.actor(world.partner), category=category, kind="question",
        title="How do I register a multi-site deal?", body="Five sites: one deal or five?", tags="deals",
    )  # fmt: skip
    answer = await posts.reply(world.actor(world.colleague), thread.id, body="One deal per site, linked.")
    return thread, answer


async def test_an_expert_promotes_an_answer_from_the_thread_page(client, world):
    thread, answer = await _answer(world)
    await login(client, world.expert)
    page = (await client.get(f"/t/{thread.id}")).text
    assert f'href="/posts/{answer.id}/promote"' in page
    form = await client.get(f"/posts/{answer.id}/promote")
    assert form.status_code == 200
    assert "How do I register a multi-site deal?" in form.text and "One deal per site, linked." in form.text
    data = {"title": "Registering multi-site deals", "summary": "One deal per site.",
            "body": "Register **one deal per site** and link them.", "tags": "deals", "category": "general",
            "note": "", "state": "published"}  # fmt: skip
    preview = await post_form(
        client,
        f"/posts/{answer.id}/promote",
        {**data, "action": "preview"},
        page=f"/posts/{answer.id}/promote",
    )
    assert preview.status_code == 200
    assert "<strong>one deal per site</strong>" in preview.text and not await Article.exists()
    saved = await post_form(
        client, f"/posts/{answer.id}/promote", {**data, "action": "save"}, page=f"/posts/{answer.id}/promote"
    )
    assert saved.status_code == 303
    article_id = int(re.match(r"^/kb/(\d+)$", saved.headers["location"]).group(1))  # type: ignore[union-attr]
    article_page = (await client.get(f"/kb/{article_id}")).text
    assert "Registering multi-site deals" in article_page and "Cole League" in article_page
    assert f'href="/t/{thread.id}#p{answer.id}"' in article_page
    thread_page = (await client.get(f"/t/{thread.id}")).text
    assert f'<a class="badge kind-article" href="/kb/{article_id}">Best practice</a>' in thread_page
    assert "Best practice from this thread" in thread_page
    # Twice: the existing article opens.
    again = await client.get(f"/posts/{answer.id}/promote")
    assert again.status_code == 303 and again.headers["location"] == f"/kb/{article_id}"


async def test_promotion_misses_the_thread_page_cache(client, world):
    thread, answer = await _answer(world)
    await login(client, world.silver_partner)
    assert "Best practice" not in (await client.get(f"/t/{thread.id}")).text
    version = (await Thread.get(id=thread.id)).version
    article = await articles.promote_answer(world.actor(world.expert), answer.id)
    assert (await Thread.get(id=thread.id)).version > version
    assert f'href="/kb/{article.id}">Best practice</a>' in (await client.get(f"/t/{thread.id}")).text
    await articles.set_state(world.actor(world.expert), article.id, "archived")
    assert f'href="/kb/{article.id}"' not in (await client.get(f"/t/{thread.id}")).text


async def test_partners_cannot_promote_and_bad_input_is_shown_back(client, world):
    _, answer = await _answer(world)
    await login(client, world.partner)
    assert (await client.get(f"/posts/{answer.id}/promote")).status_code == 403
    await login_as(client, world.expert)
    bad = {"title": "", "summary": "", "body": "<script>alert(1)</script>" + "x" * 50_000, "tags": "deals",
           "category": "general", "state": "published", "action": "save"}  # fmt: skip
    response = await post_form(client, f"/posts/{answer.id}/promote", bad, page=f"/posts/{answer.id}/promote")
    assert response.status_code == 422
    assert 'id="title-error"' in response.text and 'id="body-error"' in response.text
    assert "<script>alert(1)" not in response.text and "&lt;script&gt;alert(1)" in response.text


async def test_edit_history_compare_restore_and_archive(client, world):
    _, answer = await _answer(world)
    article = await articles.promote_answer(world.actor(world.expert), answer.id)
    await login(client, world.moderator)
    edit_page = await client.get(f"/kb/{article.id}/edit")
    assert edit_page.status_code == 200 and 'name="version" value="1"' in edit_page.text
    data = {"title": "How to register multi-site deals", "summary": "",
            "body": article.body_source + "\nNew line.", "tags": "deals", "category": "general",
            "note": "added a line", "version": "1", "action": "save"}  # fmt: skip
    assert (
        await post_form(client, f"/kb/{article.id}/edit", data, page=f"/kb/{article.id}/edit")
    ).status_code == 303
    stale = await post_form(client, f"/kb/{article.id}/edit", data, page=f"/kb/{article.id}/edit")
    assert stale.status_code == 409
    history = (await client.get(f"/kb/{article.id}/versions")).text
    assert "added a line" in history and f"/kb/{article.id}/versions/1/restore" in history
    compare = await client.get(f"/kb/{article.id}/compare?from=1&to=2")
    assert compare.status_code == 200 and "<ins>New line.</ins>" in compare.text
    assert (await client.get(f"/kb/{article.id}/compare?from=1&to=x")).status_code == 422
    assert (await client.get(f"/kb/{article.id}/compare?from=1&to=9")).status_code == 404
    restored = await post_form(
        client, f"/kb/{article.id}/versions/1/restore", {}, page=f"/kb/{article.id}/versions"
    )
    assert restored.status_code == 303
    assert (await Article.get(id=article.id)).version_count == 3
    archived = await post_form(
        client, f"/kb/{article.id}/state", {"state": "archived"}, page=f"/kb/{article.id}"
    )
    assert archived.status_code == 303
    assert "Archived" in (await client.get(f"/kb/{article.id}")).text
    await login_as(client, world.partner)
    assert (await client.get(f"/kb/{article.id}")).status_code == 404
    assert article.title not in (await client.get("/kb")).text


async def test_rating_and_review_flag_from_the_article_page(client, world):
    _, answer = await _answer(world)
    article = await articles.promote_answer(world.actor(world.expert), answer.id)
    await login(client, world.silver_partner)
    page = f"/kb/{article.id}"
    assert (await post_form(client, f"{page}/rating", {"helpful": "1"}, page=page)).status_code == 303
    assert (await post_form(client, f"{page}/rating", {"helpful": "1"}, page=page)).status_code == 303
    assert (await post_form(client, f"{page}/rating", {"helpful": "maybe"}, page=page)).status_code == 422
    row = await Article.get(id=article.id)
    assert (row.helpful_count, row.unhelpful_count) == (1, 0)
    assert "% helpful" not in (await client.get(page)).text  # the figures are for staff
    empty = await post_form(client, f"{page}/review", {"reason": ""}, page=page)
    assert empty.status_code == 422 and 'id="reason-error"' in empty.text
    flagged = await post_form(client, f"{page}/review", {"reason": "Firmware 5 moved this menu"}, page=page)
    assert flagged.status_code == 303
    assert "waiting for review" in (await client.get(page)).text
    await login_as(client, world.expert)
    staff_view = (await client.get(page)).text
    assert "100% helpful" in staff_view and "views" in staff_view


async def test_home_lists_and_filters(client, world):
    _, answer = await _answer(world)
    _, gold_answer = await _answer(world, category="gold-programme")
    expert = world.actor(world.expert)
    public = await articles.promote_answer(expert, answer.id, title="Public deal registration guide")
    await articles.promote_answer(expert, gold_answer.id, title="Gold deal registration guide")
    await login(client, world.silver_partner)
    home = (await client.get("/kb")).text
    assert "Public deal registration guide" in home and "Gold deal registration guide" not in home
    assert "Gold programme" not in home
    for query in ("?tag=deals", "?sort=helpful", "?category=general"):
        listed = await client.get(f"/kb{query}")
        assert listed.status_code == 200 and f"/kb/{public.id}" in listed.text
        assert "Gold deal registration guide" not in listed.text
    assert (await client.get("/kb?category=gold-programme")).status_code == 404
    assert (await client.get("/kb?sort=sideways")).status_code == 422
    assert (await client.get("/kb?state=archived")).status_code == 422


async def test_products_page_for_staff(client, world):
    await login(client, world.expert)
    assert (
        await post_form(client, "/kb/products", {"name": "Router X200"}, page="/kb/products")
    ).status_code == 303
    page = (await client.get("/kb/products")).text
    product_id = re.search(r"/kb/products/(\d+)/versions", page).group(1)  # type: ignore[union-attr]
    added = await post_form(
        client, f"/kb/products/{product_id}/versions", {"version_name": "firmware 4.x"}, page="/kb/products"
    )
    assert added.status_code == 303
    empty = await post_form(client, "/kb/products", {"name": ""}, page="/kb/products")
    assert empty.status_code == 422 and 'id="name-error"' in empty.text
    page = (await client.get("/kb/products")).text
    version_id = re.search(r"/kb/product-versions/(\d+)/superseded", page).group(1)  # type: ignore[union-attr]
    done = await post_form(
        client, f"/kb/product-versions/{version_id}/superseded", {"superseded": "1"}, page="/kb/products"
    )
    assert done.status_code == 303
    assert "Superseded" in (await client.get("/kb/products")).text


async def test_history_pages_hide_versions_from_a_category_the_reader_cannot_see(client, world):
    _, answer = await _answer(world, category="gold-programme")
    expert = world.actor(world.expert)
    article = await articles.promote_answer(
        expert, answer.id, title="Gold rebate registration", body="SECRET gold rebate: 12%.", note="gold note"
    )
    await articles.edit_article(
        expert, article.id, title="Registering multi-site deals", summary="", body="One deal per site.",
        tags="deals", category="general", products=None, note="for everyone", confirm_wider=True,
    )  # fmt: skip
    await articles.edit_article(
        expert, article.id, title="Registering multi-site deals", summary="",
        body="One deal per site.\nLinked.", tags="deals", category="general", products=None, note="linked",
        base_version=2,
    )  # fmt: skip
    await login(client, world.silver_partner)
    history = await client.get(f"/kb/{article.id}/versions")
    assert history.status_code == 200 and "for everyone" in history.text
    for secret in ("Gold rebate registration", "gold note", 'id="v1"', "compare?from=1"):
        assert secret not in history.text
    assert f"/kb/{article.id}/compare?from=2&amp;to=3" in history.text
    hidden = await client.get(f"/kb/{article.id}/compare?from=1&to=3")
    assert hidden.status_code == 404 and "SECRET" not in hidden.text
    assert (await client.get(f"/kb/{article.id}/compare?from=2&to=3")).status_code == 200


async def test_the_article_page_names_the_answers_author_only_to_readers_of_its_thread(client, world):
    _, answer = await _answer(world, category="gold-programme")
    article = await articles.promote_answer(
        world.actor(world.expert), answer.id, category="general", confirm_wider=True
    )
    await login(client, world.silver_partner)
    page = await client.get(f"/kb/{article.id}")
    assert page.status_code == 200 and "Cole League" not in page.text
    await login_as(client, world.partner)
    assert "Cole League" in (await client.get(f"/kb/{article.id}")).text


async def test_a_stale_edit_keeps_the_editors_text_and_links_to_the_changes(client, world):
    _, answer = await _answer(world)
    article = await articles.promote_answer(world.actor(world.expert), answer.id)
    await articles.edit_article(
        world.actor(world.admin), article.id, title="Registering multi-site deals", summary="",
        body="Someone else's wording.", tags="deals", category="general", products=None, base_version=1,
    )  # fmt: skip
    await login(client, world.moderator)
    mine = {"title": "My careful new title", "summary": "My summary", "body": "My long careful rewrite.",
            "tags": "deals", "category": "general", "note": "my note", "version": "1",
            "action": "save"}  # fmt: skip
    stale = await post_form(client, f"/kb/{article.id}/edit", mine, page=f"/kb/{article.id}")
    assert stale.status_code == 409
    for typed in ("My careful new title", "My summary", "My long careful rewrite.", "my note"):
        assert typed in stale.text
    assert "Someone else saved version 2" in stale.text
    assert f'href="/kb/{article.id}/compare?from=1&amp;to=2"' in stale.text
    assert 'name="version" value="2"' in stale.text  # saving again is a deliberate choice
    again = await post_form(
        client, f"/kb/{article.id}/edit", {**mine, "version": "2"}, page=f"/kb/{article.id}"
    )
    assert again.status_code == 303
    assert (await Article.get(id=article.id)).body_source == "My long careful rewrite."


async def test_members_read_the_products_list_as_the_api_gives_it(client, world):
    """Products are what partners sell and filter articles by: members read the list (page and
    API alike); only staff see the forms that change it."""
    expert = world.actor(world.expert)
    product = await products.create_product(expert, name="Router X200")
    await products.add_version(expert, product.id, name="firmware 4.x")
    await login(client, world.registered_partner)
    page = await client.get("/kb/products")
    assert page.status_code == 200 and "Router X200" in page.text and "firmware 4.x" in page.text
    assert 'action="/kb/product' not in page.text and "Mark superseded" not in page.text
