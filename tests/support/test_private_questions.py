"""Private questions: the asker's organisation and staff see the thread; a partner of another
organisation never does, in any path (lists, counts, pages, search, similar and related, API,
live events, notifications, mail, profiles, merges, articles, flags, watches)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from community.accounts import people
from community.accounts.directory import list_categories
from community.errors import Invalid, NotFound
from community.forum import lists, merging, posts, thread_page, threads
from community.kb import articles
from community.models import Notification, NotificationKind, Post, Thread
from community.notifications import centre, mailing, watching
from community.realtime import messages
from community.realtime.entries import thread_facts
from community.search import queries
from community.search.indexer import Indexer
from community.timeutil import utcnow
from moderation import flags
from tests.api.conftest import bearer
from tests.conftest import World, login


@dataclass
class Private:
    thread: Thread  # asked privately by the gold partner (Pat) in "general"
    answer: Post  # by the expert, mentioning the silver partner and Pat's colleague
    public: Thread  # an ordinary question in "general"


async def make_private(world: World) -> Private:
    pat, erin = world.actor(world.partner), world.actor(world.expert)
    private = await threads.create_thread(
        pat, category="general", kind="question", title="Zeppelin discount for our hospital customer",
        body="Our hospital customer asks for the zeppelin discount.", tags=["pricing"], private=True,
    )  # fmt: skip
    answer = await posts.reply(
        erin,
        private.id,
        body=f"Zeppelin discount is 12 percent. @{world.silver_partner.handle} @{world.colleague.handle}",
    )
    public = await threads.create_thread(
        world.actor(world.silver_partner), category="general", kind="question",
        title="Discount for a school customer", body="Is there an education discount?",
    )  # fmt: skip
    return Private(private, answer, public)


@pytest.fixture
async def private(world: World, indexer: Indexer) -> Private:
    made = await make_private(world)
    await indexer.drain()
    return made


async def test_only_partners_ask_privately(world: World) -> None:
    with pytest.raises(Invalid) as exc:
        await threads.create_thread(
            world.actor(world.expert), category="general", kind="question",
            title="An expert asking privately", body="Staff see staff questions anyway.", private=True,
        )  # fmt: skip
    assert "private" in exc.value.fields
    with pytest.raises(Invalid) as exc:
        await threads.create_thread(
            world.actor(world.partner), category="general", kind="question",
            title="A question with a strange flag", body="Private must be true or false.", private="perhaps",
        )  # fmt: skip
    assert "private" in exc.value.fields


async def test_lists_counts_and_pages(world: World, private: Private) -> None:
    sam, cole, erin, pat = (
        world.actor(u) for u in (world.silver_partner, world.colleague, world.expert, world.partner)
    )
    for who, sees in (
        (sam, False),
        (cole, True),
        (erin, True),
        (pat, True),
        (world.actor(world.moderator), True),
    ):
        listed = [t["id"] for t in (await lists.list_threads(who)).items]
        assert (private.thread.id in listed) is sees
        assert private.public.id in listed
        unanswered = [
            t["id"] for t in (await lists.list_threads(who, show="latest", category="general")).items
        ]
        assert (private.thread.id in unanswered) is sees
        counts = {s.category.slug: s.thread_count for s in await list_categories(who)}
        assert counts["general"] == (2 if sees else 1)
        if sees:
            view = await thread_page.get_thread_view(who, private.thread.id)
            assert view.thread.is_private
            await thread_page.thread_version(who, private.thread.id)
            await lists.get_thread_summary(who, private.thread.id)
        else:
            with pytest.raises(NotFound):
                await thread_page.get_thread_view(who, private.thread.id)
            with pytest.raises(NotFound):
                await thread_page.thread_version(who, private.thread.id)
            with pytest.raises(NotFound):
                await lists.get_thread_summary(who, private.thread.id)
            with pytest.raises(NotFound):
                await posts.get_post_view(who, private.answer.id)
    # by author (a profile's list of threads)
    mine = await lists.list_threads(sam, author_id=world.partner.id)
    assert private.thread.id not in [t["id"] for t in mine.items]


async def test_search_similar_and_related(app, world: World, private: Private) -> None:  # type: ignore[no-untyped-def]
    index = app.state.search
    for user, sees in ((world.silver_partner, False), (world.colleague, True), (world.expert, True)):
        who = world.actor(user)
        found = await queries.search(index, who, "zeppelin")
        assert (found.total > 0) is sees, user.handle
        assert all(h.thread_id == private.thread.id for h in found.results)
        by_tag = await queries.search(index, who, "discount tag:pricing")
        assert (private.thread.id in {h.thread_id for h in by_tag.results}) is sees
        facets = await queries.search(index, who, "discount")
        general = next(c.count for c in facets.categories if c.key == "general")
        assert general == (2 if sees else 1)
        similar = await queries.similar(index, who, "zeppelin discount for a customer")
        assert (private.thread.id in {h.thread_id for h in similar}) is sees
        related = await queries.similar(
            index, who, "Discount for a school", exclude_thread_id=private.public.id
        )
        assert (private.thread.id in {h.thread_id for h in related}) is sees


async def test_live_events_reach_only_those_who_may_see(world: World, private: Private) -> None:
    facts = (await thread_facts([private.thread.id]))[private.thread.id]
    assert facts["private_org_id"] == world.gold.id
    assert not messages.may_see_thread(world.actor(world.silver_partner), facts)
    assert messages.may_see_thread(world.actor(world.colleague), facts)
    assert messages.may_see_thread(world.actor(world.expert), facts)
    message = messages.LiveMessage(1, f"thread:{private.thread.id}", "thread", {"thread": facts})
    renderer = messages.Renderer(message)
    assert renderer._compute(world.actor(world.silver_partner)) == messages.DENY
    assert renderer._compute(world.actor(world.colleague)) not in (None, messages.DENY)


async def test_notifications_and_mail(world: World, private: Private) -> None:
    sam, cole = world.actor(world.silver_partner), world.actor(world.colleague)
    # The answer mentioned both: only the colleague heard of it.
    assert not await Notification.filter(
        user_id=world.silver_partner.id, thread_id=private.thread.id
    ).exists()
    assert await Notification.filter(user_id=world.colleague.id, thread_id=private.thread.id).exists()
    # A notice written anyway (before a rule changed, say) is not shown, mailed or opened.
    note = await Notification.create(
        user_id=world.silver_partner.id, kind=NotificationKind.REPLY, thread_id=private.thread.id,
        post_id=private.answer.id, text="New answer", url=f"/t/{private.thread.id}",
    )  # fmt: skip
    page = await centre.list_notifications(sam)
    assert note.id not in [e["id"] for e in page.items]
    assert not await mailing._may_see_notification(sam, note)
    with pytest.raises(NotFound):
        await centre.open_notification(sam, note.id, 20)
    # Digests: watching the category, the colleague hears of it, the silver partner does not.
    for who in (sam, cole):
        await watching.set_watch(who, "category", "general", "watching")
    since, until = utcnow() - timedelta(hours=1), utcnow() + timedelta(minutes=1)
    assert private.thread.id not in [
        t["id"] for t in (await mailing.digest_contents(sam, since, until))["threads"]
    ]
    assert private.thread.id in [
        t["id"] for t in (await mailing.digest_contents(cole, since, until))["threads"]
    ]
    with pytest.raises(NotFound):
        await watching.set_watch(sam, "thread", str(private.thread.id), "watching")


async def test_profiles_count_only_what_the_viewer_may_see(world: World, private: Private) -> None:
    handle = world.expert.handle
    seen_by_sam = await people.get_profile(world.actor(world.silver_partner), handle)
    seen_by_cole = await people.get_profile(world.actor(world.colleague), handle)
    assert (seen_by_sam.post_count, seen_by_cole.post_count) == (0, 1)
    await posts.accept_answer(world.actor(world.partner), private.answer.id)
    assert (await people.get_profile(world.actor(world.silver_partner), handle)).accepted_count == 0
    assert (await people.get_profile(world.actor(world.colleague), handle)).accepted_count == 1


async def test_flags_merges_and_articles_keep_it_private(app, world: World, private: Private) -> None:  # type: ignore[no-untyped-def]
    sam, mo, erin = world.actor(world.silver_partner), world.actor(world.moderator), world.actor(world.expert)
    with pytest.raises(NotFound):
        await flags.flag_post(app.state.moderation, sam, private.answer.id, reason="spam")
    with pytest.raises(NotFound):
        await flags.flag_thread(app.state.moderation, sam, private.thread.id, reason="spam")
    # Merging a private question into a public thread widens its audience: confirmed on purpose only.
    with pytest.raises(Invalid) as exc:
        await merging.merge_thread(mo, private.thread.id, into=private.public.id, reason="Same topic")
    assert "private question" in exc.value.fields["confirm_wider"]
    # An answer becomes a public article only through the wider-audience confirmation.
    with pytest.raises(Invalid) as exc:
        await articles.promote_answer(erin, private.answer.id, category="general")
    assert "private question" in exc.value.fields["category"]
    article = await articles.promote_answer(erin, private.answer.id, category="general", confirm_wider=True)
    from community.kb import reading

    shown = await reading.get_article(sam, article.id)
    assert (
        shown.source_thread is None and shown.answer_author is None
    )  # the article is public, the question it came from is not
    assert (await reading.get_article(world.actor(world.colleague), article.id)).source_thread is not None


async def test_pages_and_api(client: httpx.AsyncClient, world: World, private: Private) -> None:
    await login(client, world.silver_partner)
    assert (await client.get(f"/t/{private.thread.id}")).status_code == 404
    assert "Zeppelin" not in (await client.get("/c/general")).text
    assert "Zeppelin" not in (await client.get("/search", params={"q": "zeppelin"})).text
    assert "Zeppelin" not in (await client.get(f"/u/{world.partner.handle}")).text
    sam = await bearer(world.silver_partner)
    assert (await client.get(f"/api/v1/threads/{private.thread.id}", headers=sam)).status_code == 404
    assert (await client.get(f"/api/v1/posts/{private.answer.id}", headers=sam)).status_code == 404
    listed = (await client.get("/api/v1/threads", headers=sam)).json()
    assert private.thread.id not in [t["id"] for t in listed["items"]]
    found = (await client.get("/api/v1/search", params={"q": "zeppelin"}, headers=sam)).json()
    assert found["total"] == 0
    cole = await bearer(world.colleague)
    got = (await client.get(f"/api/v1/threads/{private.thread.id}", headers=cole)).json()
    assert got["is_private"] is True
    client.cookies.clear()
    await login(client, world.colleague)
    page = await client.get(f"/t/{private.thread.id}")
    assert page.status_code == 200 and "Private question" in page.text
    pat = await bearer(world.partner)
    made = await client.post(
        "/api/v1/threads", headers=pat,
        json={"category": "general", "title": "Another private question", "body": "Just us.",
              "private": True},
    )  # fmt: skip
    assert made.status_code == 201 and made.json()["is_private"] is True
    bad = await client.post(
        "/api/v1/threads", headers=pat,
        json={"category": "general", "title": "A strange flag here", "body": "Just us.", "private": "yes"},
    )  # fmt: skip
    assert bad.status_code == 422
