"""The built-in demo: the product's own fictional manufacturer, partners and conversations."""

from __future__ import annotations

import pytest

from community.accounts import directory, passwords
from community.actor import Actor
from community.demo import DEMO_PASSWORD, load_demo
from community.errors import Conflict, NotFound
from community.forum import lists, thread_page
from community.kb import reading
from community.models import Article, Category, Organisation, OrgKind, Post, Thread, User, Vote
from community.settings import Settings


async def _actor(email: str) -> Actor:
    return Actor.from_user(await User.get(email=email).select_related("organisation"))


async def test_demo_content_and_who_sees_what(db: Settings) -> None:
    summary = await load_demo(db)

    assert (summary.organisations, summary.categories, summary.threads) == (3, 6, 20)
    assert await Thread.all().count() == 20
    assert await Post.filter(is_opening=False).count() == summary.answers >= 25
    assert await Thread.filter(accepted_post_id__isnull=False).count() == summary.accepted >= 8
    assert await Vote.all().count() == summary.votes > 0
    assert await Thread.filter(kind="question", reply_count=0).count() >= 2  # the "unanswered" list
    company = await Organisation.get(kind=OrgKind.COMPANY)
    assert company.name == db.company_name
    tiers = set(await Organisation.filter(kind=OrgKind.PARTNER).values_list("tier", flat=True))
    assert tiers == {"gold", "silver", "registered"}
    roles = set(await User.all().values_list("role", flat=True))
    assert roles == {"partner", "expert", "moderator", "admin"}
    assert await User.filter(is_org_admin=True).count() == 1
    assert {c.visibility for c in await Category.all()} == {"all", "tiers", "staff"}
    assert await Post.filter(body_html__contains='class="mention"').count() >= 2
    assert await Post.filter(body_html__contains="<pre><code").count() >= 4

    # A few published best-practice articles, one of them for silver and gold partners only.
    assert summary.articles == await Article.filter(state="published").count() >= 4
    assert await Article.filter(helpful_count__gt=0).count() >= 3
    pricing_article = await Article.get(category__slug="pricing")
    with pytest.raises(NotFound):
        await reading.get_article(await _actor("sofia.rossi@pinecrest.example"), pricing_article.id)
    assert (
        await reading.get_article(await _actor("chloe.martin@harbourline.example"), pricing_article.id)
    ).article

    # Every printed login works with the printed password.
    for login in summary.logins:
        await passwords.authenticate(db, login.email, DEMO_PASSWORD, "127.0.0.1")
    assert {login.label for login in summary.logins} >= {"admin", "moderator", "expert", "gold partner"}

    # A gold-only thread is invisible to the registered partner, and visible to a gold partner.
    gold_thread = await Thread.filter(category__slug="gold-programme").first()
    assert gold_thread is not None
    registered = await _actor("sofia.rossi@pinecrest.example")
    gold = await _actor("lukas.weber@bluewave.example")
    with pytest.raises(NotFound):
        await thread_page.get_thread_view(registered, gold_thread.id)
    with pytest.raises(NotFound):
        await directory.get_category(registered, "gold-programme")
    listed = await lists.list_threads(registered, per_page=50)
    assert gold_thread.id not in {t["id"] for t in listed.items}
    assert all(t["category_slug"] in {"announcements", "product-setup", "training"} for t in listed.items)
    assert (await thread_page.get_thread_view(gold, gold_thread.id)).thread.id == gold_thread.id
    with pytest.raises(NotFound):
        await directory.get_category(gold, "staff-room")

    with pytest.raises(Conflict):
        await load_demo(db)
