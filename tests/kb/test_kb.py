"""The knowledge base's use cases: promotion, versions, lifecycle, ratings, visibility, products."""

from __future__ import annotations

import asyncio

import pytest

from community.errors import Conflict, Forbidden, Invalid, NotFound
from community.forum import merging, posts, thread_page, threads
from community.kb import articles, feedback, products, reading
from community.models import (
    Article,
    ArticleRating,
    ArticleVersion,
    IndexOutbox,
    Notification,
    NotificationKind,
    Thread,
)


async def _answered(world, category: str = "general", title: str = "How do I register a multi-site deal?"):  # type: ignore[no-untyped-def]
    asker = world.actor(world.partner)
    thread = await threads.create_thread(
        asker, category=category, kind="question", title=title,
        body="A customer with **five** sites: one deal or five?", tags=["deal-registration"],
    )  # fmt: skip
    answer = await posts.reply(world.actor(world.colleague), thread.id, body="One deal per site, linked.")
    return thread, answer


async def test_promotion_makes_a_published_article_with_defaults_and_credits(world):
    thread, answer = await _answered(world)
    expert = world.actor(world.expert)
    before = (await Thread.get(id=thread.id)).version
    article = await articles.promote_answer(expert, answer.id, summary="One deal per site.")
    assert article.title == thread.title
    assert "five" in article.body_source and "One deal per site, linked." in article.body_source
    assert "<strong>five</strong>" in article.body_html
    assert article.tag_names == ["deal-registration"]
    assert article.category_id == world.general.id
    assert article.state == "published" and article.published_at is not None
    assert (article.answer_author_id, article.curator_id) == (world.colleague.id, world.expert.id)
    assert (await Thread.get(id=thread.id)).version > before  # the thread page's cache misses
    assert await IndexOutbox.filter(kind="article", object_id=article.id).exists()
    note = await Notification.get(user_id=world.colleague.id, kind=NotificationKind.BEST_PRACTICE)
    assert note.url == f"/kb/{article.id}" and note.article_id == article.id
    assert await ArticleVersion.filter(article_id=article.id).count() == 1
    links = await reading.thread_articles(world.actor(world.silver_partner), thread.id)
    assert [(link["id"], link["source_post_id"]) for link in links] == [(article.id, answer.id)]


async def test_promoting_the_same_answer_twice_names_the_existing_article(world):
    _, answer = await _answered(world)
    first = await articles.promote_answer(world.actor(world.expert), answer.id)
    with pytest.raises(articles.AlreadyPromoted) as caught:
        await articles.promote_answer(world.actor(world.moderator), answer.id)
    assert caught.value.article_id == first.id and caught.value.status_code == 409
    assert f"/kb/{first.id}" in caught.value.message
    # At the same moment: the unique index lets exactly one through.
    _, other = await _answered(world, title="How do I register a deal for a tender?")
    results = await asyncio.gather(
        articles.promote_answer(world.actor(world.expert), other.id),
        articles.promote_answer(world.actor(world.admin), other.id),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Article) for r in results) == 1
    assert all(isinstance(r, (Article, Conflict)) for r in results)


async def test_only_staff_promote_and_not_the_question_itself(world):
    thread, answer = await _answered(world)
    with pytest.raises(Forbidden):
        await articles.promote_answer(world.actor(world.partner), answer.id)
    opening = (await thread_page.get_thread_view(world.actor(world.expert), thread.id)).question
    with pytest.raises(Invalid):
        await articles.promote_answer(world.actor(world.expert), opening.id)


async def test_bad_input_is_named_per_field(world):
    _, answer = await _answered(world)
    with pytest.raises(Invalid) as caught:
        await articles.promote_answer(
            world.actor(world.expert), answer.id, title="", body="x" * 50_000, summary="s" * 600,
            tags=["<script>"], products=["abc"], category="no-such-category",
        )  # fmt: skip
    assert set(caught.value.fields) >= {"title", "body", "summary", "tags", "products", "category"}
    article = await articles.promote_answer(
        world.actor(world.expert), answer.id, title="<script>alert(1)</script> safe title",
        body="Hello <script>alert(1)</script><img src=x onerror=alert(1)>",
    )  # fmt: skip
    assert "<script" not in article.body_html and "<img" not in article.body_html


async def test_restricted_thread_goes_only_to_a_narrower_audience_unless_confirmed(world):
    _, answer = await _answered(world, category="gold-programme", title="Gold rebates for the third quarter")
    expert = world.actor(world.expert)
    with pytest.raises(Invalid) as caught:
        await articles.promote_answer(expert, answer.id, category="general")
    assert "confidential" in caught.value.fields["category"]
    staff_article = await articles.promote_answer(expert, answer.id, category="staff-room")
    assert staff_article.category_id == world.staff_only.id
    _, again = await _answered(world, category="gold-programme", title="Gold rebates for the fourth quarter")
    wide = await articles.promote_answer(expert, again.id, category="general", confirm_wider=True)
    assert wide.category_id == world.general.id


async def test_a_partner_of_another_tier_never_sees_a_restricted_article(world):
    _, answer = await _answered(world, category="gold-programme", title="Gold rebates for the third quarter")
    article = await articles.promote_answer(world.actor(world.expert), answer.id)
    silver = world.actor(world.silver_partner)
    with pytest.raises(NotFound):
        await reading.get_article(silver, article.id)
    assert (await reading.list_articles(silver)).total == 0
    assert (await reading.home(silver)).newest == []
    assert await reading.thread_articles(silver, article.source_thread_id) == []
    with pytest.raises(NotFound):
        await feedback.rate(silver, article.id, True)
    with pytest.raises(NotFound):
        await reading.list_versions(silver, article.id)
    gold = world.actor(world.colleague)
    assert (await reading.get_article(gold, article.id)).article.id == article.id
    assert (await reading.list_articles(gold)).total == 1


async def test_edit_keeps_versions_compare_and_restore(world):
    thread, answer = await _answered(world)
    expert = world.actor(world.expert)
    article = await articles.promote_answer(expert, answer.id)
    v1_body = article.body_source
    edited = await articles.edit_article(
        world.actor(world.moderator), article.id, title="Registering deals for multi-site customers",
        summary="Short.", body=v1_body + "\nA new closing line.", tags=["deals"], category="general",
        products=[], note="clearer title",
    )  # fmt: skip
    assert edited.version_count == 2 and edited.title.startswith("Registering")
    _, versions = await reading.list_versions(world.actor(world.partner), article.id)
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["note"] == "clearer title" and versions[0]["editor_handle"] == world.moderator.handle
    comparison = await reading.compare_versions(world.actor(world.partner), article.id, "1", "2")
    assert any(r.kind == "added" and r.right == "A new closing line." for r in comparison.body)
    assert any(r.kind == "changed" and "Registering" in r.right for r in comparison.meta)
    # A stale edit (started from version 1) is refused, not lost.
    with pytest.raises(Conflict):
        await articles.edit_article(
            expert, article.id, title="Another title for this one", summary="", body="Body.", tags=[],
            category="general", products=[], base_version=1,
        )  # fmt: skip
    restored = await articles.restore_version(expert, article.id, 1)
    assert restored.version_count == 3 and restored.title == thread.title and restored.body_source == v1_body
    assert (await ArticleVersion.get(article_id=article.id, number=3)).note == "Restored version 1"
    with pytest.raises(Forbidden):
        await articles.restore_version(world.actor(world.partner), article.id, 2)
    with pytest.raises(NotFound):
        await articles.restore_version(expert, article.id, 99)


async def test_archive_hides_from_lists_but_staff_still_reach_it(world):
    _, answer = await _answered(world)
    expert = world.actor(world.expert)
    article = await articles.promote_answer(expert, answer.id)
    await articles.set_state(expert, article.id, "archived")
    partner = world.actor(world.partner)
    with pytest.raises(NotFound):
        await reading.get_article(partner, article.id)
    assert (await reading.list_articles(partner)).total == 0
    assert await reading.thread_articles(partner, article.source_thread_id) == []
    assert (await reading.get_article(expert, article.id)).article.state == "archived"
    assert (await reading.list_articles(expert, state="archived")).total == 1
    with pytest.raises(Invalid):
        await reading.list_articles(partner, state="archived")
    with pytest.raises(Invalid):
        await articles.set_state(expert, article.id, "gone")


async def test_a_draft_notifies_the_author_only_when_published(world):
    _, answer = await _answered(world)
    expert = world.actor(world.expert)
    article = await articles.promote_answer(expert, answer.id, state="draft")
    assert not await Notification.filter(kind=NotificationKind.BEST_PRACTICE).exists()
    with pytest.raises(NotFound):
        await reading.get_article(world.actor(world.colleague), article.id)
    await articles.set_state(expert, article.id, "published")
    assert (
        await Notification.filter(user_id=world.colleague.id, kind=NotificationKind.BEST_PRACTICE).count()
        == 1
    )


async def test_rating_is_one_per_reader_and_changeable(world):
    _, answer = await _answered(world)
    article = await articles.promote_answer(world.actor(world.expert), answer.id)
    pat, sam = world.actor(world.partner), world.actor(world.silver_partner)
    assert await feedback.rate(pat, article.id, True) == (1, 0)
    assert await feedback.rate(pat, article.id, True) == (1, 0)
    assert await feedback.rate(pat, article.id, False) == (0, 1)
    assert await feedback.rate(sam, article.id, True) == (1, 1)
    assert await feedback.rate(pat, article.id, None) == (1, 0)
    # A burst of double submits keeps the counts exact.
    await asyncio.gather(
        *(feedback.rate(pat, article.id, helpful) for helpful in (True, False, True, True, False))
    )
    row = await Article.get(id=article.id)
    ratings = await ArticleRating.filter(article_id=article.id).values_list("helpful", flat=True)
    assert (row.helpful_count, row.unhelpful_count) == (sum(ratings), len(ratings) - sum(ratings))
    view = await reading.get_article(sam, article.id)
    assert view.my_rating is True and view.helpful_percent is not None


async def test_superseded_product_version_sends_articles_to_review(world):
    _, answer = await _answered(world)
    expert = world.actor(world.expert)
    product = await products.create_product(expert, name="Router X200")
    fw4 = await products.add_version(expert, product.id, name="firmware 4.x")
    with pytest.raises(Conflict):
        await products.add_version(expert, product.id, name="firmware 4.x")
    article = await articles.promote_answer(world.actor(world.moderator), answer.id, products=[fw4.id])
    listed = await reading.list_articles(world.actor(world.partner), product=str(fw4.id))
    assert [a["id"] for a in listed.items] == [article.id]
    with pytest.raises(Forbidden):
        await products.set_superseded(world.actor(world.partner), fw4.id, True)
    _, flagged = await products.set_superseded(expert, fw4.id, True)
    assert flagged == 1
    row = await Article.get(id=article.id)
    assert row.needs_review and "Router X200 firmware 4.x" in row.needs_review_reason
    note = await Notification.get(user_id=world.moderator.id, kind=NotificationKind.ARTICLE_REVIEW)
    assert note.article_id == article.id
    view = await reading.get_article(world.actor(world.partner), article.id)
    assert view.products[0]["superseded_at"] is not None


async def test_anyone_who_reads_it_can_flag_review_and_curators_clear_it(world):
    _, answer = await _answered(world)
    article = await articles.promote_answer(world.actor(world.expert), answer.id)
    await feedback.flag_needs_review(
        world.actor(world.silver_partner), article.id, "Firmware 5 changed the menu"
    )
    assert (await Article.get(id=article.id)).needs_review
    assert await Notification.filter(user_id=world.expert.id, kind=NotificationKind.ARTICLE_REVIEW).exists()
    with pytest.raises(Invalid):
        await feedback.flag_needs_review(world.actor(world.silver_partner), article.id, "")
    with pytest.raises(Forbidden):
        await feedback.clear_needs_review(world.actor(world.silver_partner), article.id)
    await feedback.clear_needs_review(world.actor(world.expert), article.id)
    assert not (await Article.get(id=article.id)).needs_review


async def test_related_articles_share_tags(world):
    expert = world.actor(world.expert)
    _, a1 = await _answered(world, title="How do I register a multi-site deal?")
    _, a2 = await _answered(world, title="How do I register a deal for a tender?")
    _, a3 = await _answered(world, category="gold-programme", title="Gold deal registration rules")
    first = await articles.promote_answer(expert, a1.id)
    second = await articles.promote_answer(expert, a2.id)
    await articles.promote_answer(expert, a3.id)
    view = await reading.get_article(world.actor(world.silver_partner), first.id)
    assert [r["id"] for r in view.related] == [second.id]  # the gold one stays out of sight


async def test_an_article_follows_its_answer_into_a_merged_thread(world):
    source, answer = await _answered(world)
    target, _ = await _answered(world, title="How do I register a deal for a tender?")
    article = await articles.promote_answer(world.actor(world.expert), answer.id)
    await merging.merge_thread(world.actor(world.moderator), source.id, into=str(target.id), reason="Same")
    view = await thread_page.get_thread_view(world.actor(world.silver_partner), target.id)
    assert [p.article_id for p in view.posts if p.id == answer.id] == [article.id]
    assert [a["id"] for a in view.extra["articles"]] == [article.id]


async def test_simultaneous_first_ratings_by_one_reader_count_once(world):
    """Each request finds no rating and inserts; the unique (article, reader) index refuses all
    but one, inside a savepoint (on PostgreSQL the request's transaction stays usable)."""
    _, answer = await _answered(world)
    article = await articles.promote_answer(world.actor(world.expert), answer.id)
    pat = world.actor(world.partner)
    for _ in range(3):
        await feedback.rate(pat, article.id, None)
        assert set(await asyncio.gather(*(feedback.rate(pat, article.id, True) for _ in range(6)))) == {
            (1, 0)
        }
    assert await ArticleRating.filter(article_id=article.id).count() == 1
