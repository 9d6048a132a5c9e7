"""The built-in demo: the product's own fictional manufacturer, partners and conversations."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from community.accounts import directory, passwords
from community.actor import Actor
from community.demo import (
    CONTENT_FILE,
    DEMO_PASSWORD,
    DemoContentError,
    load_demo,
    logins,
    read_content,
    working_logins,
)
from community.errors import Conflict, NotFound
from community.forum import lists, thread_page
from community.health.dashboard import build_dashboard
from community.kb import reading
from community.models import Article, Category, Organisation, OrgKind, Post, SupportRating, Thread, User, Vote
from community.settings import Settings


async def _actor(email: str) -> Actor:
    return Actor.from_user(await User.get(email=email).select_related("organisation"))


async def test_demo_content_and_who_sees_what(db: Settings) -> None:
    summary = await load_demo(db)

    assert (summary.organisations, summary.categories, summary.threads) == (3, 6, 23)
    assert await Thread.all().count() == 23
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


WELCOME_THREAD = 'thread 1 ("Welcome to the Northwind partner community: start here")'
BGP_THREAD = 'thread 2 ("Router X200: BGP session to the ISP drops every 90 seconds")'
BGP_AUTHOR = 'author = "lukas"\ntitle = "Router X200'
BGP_ARTICLE = '[{ product = "Router X200", version = "firmware 4.x" }]\nhelped = ["hannah", "chloe", "sofia"]'
SOFIA_ORG = 'role = "partner"\norganisation = "pinecrest"'
BGP_ANSWER = 'after_hours = 6\nvotes = ["lukas", "chloe", "hannah"]'
CHLOE_ON_BGP = '[[threads.replies]]\nauthor = "chloe"\nafter_hours = 20\n'


def _edited(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """A copy of the shipped data file with each text replaced once (each must occur exactly once)."""
    text = CONTENT_FILE.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    copy = tmp_path / "content.toml"
    copy.write_text(text, encoding="utf-8")
    return copy


async def test_the_loader_reads_the_data_file(db: Settings, tmp_path: Path) -> None:
    source = _edited(
        tmp_path,
        ('title = "Are the online training modules available in German?"',
         'title = "Are the online training modules available in Dutch?"'),
        ('login = "registered partner"', 'login = "smallest partner"'),
        ('name = "Owen Price"', 'name = "Owen Pryce"'),
    )  # fmt: skip
    source.write_text(
        source.read_text(encoding="utf-8")
        + """
[[threads]]
category = "training"
author = "owen"
title = "A thread that only the edited copy has"
tags = ["edited"]
days_ago = 3
body = "Asked by @@sofia, three days ago."

[[threads.replies]]
author = "sofia"
after_hours = 2
votes = ["owen"]
body = "Answered two hours later."
""",
        encoding="utf-8",
    )

    labels = {login.label for login in logins(db, source)}
    assert "smallest partner" in labels and "registered partner" not in labels
    summary = await load_demo(db, source)

    assert summary.threads == await Thread.all().count() == 24
    assert await Thread.filter(title__contains="in Dutch?").exists()
    assert not await Thread.filter(title__contains="in German?").exists()
    assert await User.filter(display_name="Owen Pryce").exists()
    added = await Thread.get(title="A thread that only the edited copy has").select_related("category")
    assert added.category.slug == "training" and added.reply_count == 1
    opening = await Post.get(thread_id=added.id, is_opening=True)
    sofia = await User.get(email="sofia.rossi@pinecrest.example")
    assert f"@{sofia.handle}" in opening.body_source and 'class="mention"' in opening.body_html
    assert 2.99 < (datetime.now(UTC) - opening.created_at).total_seconds() / 86400 < 3.01  # dated from now
    assert "smallest partner" in {login.label for login in (await working_logins(db, source))[0]}


MISTAKES = [
    # (the edit, the entry the error names, what it says is wrong)
    ((BGP_AUTHOR, BGP_AUTHOR.replace("lukas", "lukass")),
     BGP_THREAD, "'author' names 'lukass', who is not in [people] (did you mean 'lukas'?)"),
    (('category = "product-setup"\nauthor = "lukas"', 'category = "prodcut-setup"\nauthor = "lukas"'),
     BGP_THREAD, "'category' names 'prodcut-setup', which is not in [[categories]]"),
    (("days_ago = 34\n", ""), BGP_THREAD, "missing field 'days_ago'"),
    (("days_ago = 34\n", 'days_ago = "34"\n'), BGP_THREAD, "'days_ago' should be a number, not '34'"),
    (("days_ago = 34\n", "days_ago = inf\n"), BGP_THREAD, "'days_ago' should be from 0 to 36525, not inf"),
    (("days_ago = 34\n", "days_ago = 34\nvotez = []\n"), BGP_THREAD,
     "unknown field 'votez' (did you mean 'votes'?)"),
    ((BGP_ANSWER, BGP_ANSWER.replace("after_hours", "after_hour")),
     f"{BGP_THREAD}, reply 1", "missing field 'after_hours' ('after_hour' misspelt?)"),
    (("@@sofia Yes", "@@sophia Yes"),
     f"{WELCOME_THREAD}, reply 3", "the body mentions '@@sophia', who is not in [people] (did you mean"),
    ((BGP_ARTICLE, BGP_ARTICLE.replace("4.x", "5.x")),
     f"{BGP_THREAD}, article, applies_to 1", "no product 'Router X200' with the version 'firmware 5.x'"),
    ((SOFIA_ORG, SOFIA_ORG.replace('"pinecrest"', '"pinecrest.example"')),
     "[people.sofia]", "'organisation' names 'pinecrest.example', which is not in [organisations]"),
    (('kind = "discussion"\ntitle = "Welcome', 'kind = "talk"\ntitle = "Welcome'),
     WELCOME_THREAD, "unknown kind 'talk'"),
    ((CHLOE_ON_BGP, CHLOE_ON_BGP + "accepted = true\n"), BGP_THREAD, "2 replies are accepted"),
    (('name = "Alex Morgan"', 'name = "Alex Morgan'), "content.toml", "not valid TOML"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "where", "problem"), MISTAKES)
def test_a_mistake_in_the_data_file_names_its_entry(
    tmp_path: Path, edit: tuple[str, str], where: str, problem: str
) -> None:
    source = _edited(tmp_path, edit)
    with pytest.raises(DemoContentError) as caught:
        read_content(source)
    assert str(source) in caught.value.message
    assert where in caught.value.message and problem in caught.value.message, caught.value.message


async def test_a_mistake_is_reported_before_anything_is_written(db: Settings, tmp_path: Path) -> None:
    source = _edited(tmp_path, (BGP_AUTHOR, BGP_AUTHOR.replace("lukas", "lukass")))
    with pytest.raises(DemoContentError, match="lukass"):
        await load_demo(db, source)
    assert not await User.exists() and not await Organisation.exists()


async def test_a_rule_the_use_cases_refuse_names_the_entry_and_writes_nothing(
    db: Settings, tmp_path: Path
) -> None:
    # Lukas votes on his own reply: the forum refuses it, and the whole demo is rolled back.
    source = _edited(
        tmp_path,
        ('after_hours = 50\nbody = "It was the control-plane policy',
         'after_hours = 50\nvotes = ["lukas"]\nbody = "It was the control-plane policy'),
    )  # fmt: skip
    with pytest.raises(DemoContentError) as caught:
        await load_demo(db, source)
    assert f"{BGP_THREAD}, reply 3: You cannot vote on your own post." in caught.value.message
    assert not await User.exists() and not await Thread.exists()


def test_the_shipped_data_file_is_valid() -> None:
    content = read_content()
    assert len(content.threads) == 23 and sum(t.article is not None for t in content.threads) == 5


async def test_demo_shows_private_questions_ratings_and_a_gap(db: Settings) -> None:
    summary = await load_demo(db)
    assert (summary.private, summary.ratings) == (1, 16)
    private = await Thread.get(private_org_id__isnull=False)
    colleague = await _actor("owen.price@harbourline.example")
    other = await _actor("lukas.weber@bluewave.example")
    assert (await thread_page.get_thread_view(colleague, private.id)).thread.is_private
    with pytest.raises(NotFound):
        await thread_page.get_thread_view(other, private.id)
    assert (
        await SupportRating.filter(side="asker").count() == await SupportRating.filter(side="expert").count()
    )
    admin = await _actor("admin@northwind.example")
    board = await build_dashboard(admin, {}, db.partner_tiers, datetime.now(UTC).date())
    figures = {row["figure"]: row["value"] for row in board.table("summary").rows}
    assert figures["Support rating by experts (satisfied)"] > figures["Support rating by askers (satisfied)"]
    assert figures["Gap (experts minus askers)"] >= 30
    assert any(row["gap"] for row in board.table("organisations").rows)
    # Article reads per day agree with each article's own count (before: the dashboard said 0 views).
    from community.models import Article, ArticleViewDay

    for article in await Article.all():
        read = sum(await ArticleViewDay.filter(article_id=article.id).values_list("views", flat=True))
        assert read == article.view_count > 0, article.title
    assert figures["Article views"] > 0


async def test_the_demo_shows_experts_one_away_and_routed_and_overdue_questions(db: Settings) -> None:
    from community.app import job_handlers
    from community.experts import profiles, waiting
    from community.jobs import JobRunner
    from community.models import Notification, QuestionRouting

    await load_demo(db)
    admin = await _actor("admin@northwind.example")
    directory = await profiles.list_directory(admin)
    by_name = {e.expert.display_name: e for e in directory.entries}
    assert {"Priya Raman", "Tomás Herrera", "Grace Okafor"} <= set(by_name)
    tomas = by_name["Tomás Herrera"]
    assert not tomas.available and tomas.stand_in is not None and tomas.stand_in.display_name == "Priya Raman"
    assert by_name["Priya Raman"].figures.answers > 0 and by_name["Priya Raman"].categories

    s48 = await Thread.get(title__startswith="Switch S48 stack re-elects")
    routed = await QuestionRouting.filter(thread_id=s48.id).values_list("expert__display_name", "reason")
    assert ("Priya Raman", "stand_in") in routed  # standing in for Tomás, who is away
    hospital = await Thread.get(title__startswith="Can we register the hospital deal")
    first = await QuestionRouting.filter(thread_id=hospital.id).order_by("id").first()
    assert first is not None and first.reason == "asked"

    # The first start of the app reminds and escalates what is already past its targets.
    await JobRunner(job_handlers(db)).run_due()
    rows = await waiting.waiting(admin, datetime.now(UTC))
    overdue = {r.title for r in rows if r.overdue}
    assert "Firewall F10 drops the IPsec tunnel to the cloud every eight hours" in overdue
    assert "Switch S48 stack re-elects the master after every firmware upgrade" not in overdue
    assert await Notification.filter(kind="response_escalated").exists()
    assert await Notification.filter(kind="routed").exists()


async def test_the_demo_mails_into_files_its_admin_reads_at_the_outbox(db: Settings, app, client) -> None:  # type: ignore[no-untyped-def]
    """`make run` configures no SMTP server: the demo's mails (here an invitation and a password
    reset) become .eml files, listed and readable at /admin/outbox."""
    from community.mail.transport import FileTransport, list_files, outbox_dir
    from tests.conftest import csrf_of, login

    summary = await load_demo(db)
    assert isinstance(app.state.mail.transport, FileTransport)
    admin = next(x for x in summary.logins if x.label == "admin")
    partner = next(x for x in summary.logins if x.label == "gold partner")
    csrf = await csrf_of(client, "/password-reset")
    assert (
        await client.post("/password-reset", data={"email": partner.email, "csrf_token": csrf})
    ).status_code == 200
    csrf = await login(client, await User.get(email=admin.email), DEMO_PASSWORD)
    org = await Organisation.filter(kind=OrgKind.PARTNER).first()
    assert org is not None
    invited = await client.post(
        "/admin/invitations",
        data={
            "email": "new.colleague@example.com",
            "organisation": org.slug,
            "role": "partner",
            "csrf_token": csrf,
        },
    )
    assert invited.status_code == 200

    assert await app.state.mail.run_once() == 2
    files = {f.to: f for f in list_files(outbox_dir(db))}
    assert set(files) == {partner.email, "new.colleague@example.com"}
    outbox = await client.get("/admin/outbox")
    assert outbox.status_code == 200
    for found in files.values():
        assert found.name in outbox.text and found.subject in outbox.text
    reset = await client.get(f"/admin/outbox/files/{files[partner.email].name}")
    assert reset.status_code == 200 and f"{db.base_url}/password-reset/" in reset.text
