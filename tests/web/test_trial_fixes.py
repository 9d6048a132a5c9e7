"""What the trial as a partner, an expert, a moderator and an administrator found (issue 14): each
fix with the test that failed before it."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx

from community.edge.access_log import ACCESS_LOGGER, SecretPathFilter, mask_secrets
from community.forum import posts, thread_actions, threads
from community.models import Notification, NotificationKind, ReviewItem, Thread
from community.templating import STATIC
from moderation import decisions, flags
from tests.conftest import World, login
from tests.web.helpers import login_as


async def _thread(world: World, title: str = "Which switch suits a small office?") -> Thread:
    return await threads.create_thread(
        world.actor(world.partner), category="general", kind="question", title=title,
        body="Twenty desks, two floors.",
    )  # fmt: skip


async def test_a_thread_page_that_is_not_found_opens_no_live_subscription(
    client: httpx.AsyncClient, world: World
) -> None:
    thread = await _thread(world)
    await login(client, world.partner)
    found = await client.get(f"/t/{thread.id}")
    assert f'data-live-thread="{thread.id}"' in found.text
    missing = await client.get("/t/999999")
    assert missing.status_code == 404
    assert "data-live-thread" not in missing.text
    # The script takes the thread from the page, never from the address (the 404 page has one too).
    script = (STATIC / "js" / "live.js").read_text()
    assert "[data-live-thread]" in script and "/^\\/t\\/" not in script


async def test_pinned_threads_come_first_in_latest(client: httpx.AsyncClient, world: World) -> None:
    welcome = await _thread(world, "Welcome to the partner community")
    await thread_actions.set_pinned(world.actor(world.moderator), welcome.id, pinned=True, reason="Welcome")
    later = await _thread(world, "A newer question about switches")
    await Thread.filter(id=welcome.id).update(last_activity_at=later.last_activity_at - timedelta(days=30))
    await login(client, world.colleague)
    page = (await client.get("/")).text
    assert page.index(f"/t/{welcome.id}") < page.index(f"/t/{later.id}")
    listed = (await client.get("/api/v1/threads", headers=await _bearer(world))).json()["items"]
    assert [t["id"] for t in listed] == [welcome.id, later.id]


async def _bearer(world: World) -> dict[str, str]:
    from tests.api.conftest import bearer

    return await bearer(world.colleague)


async def test_favicon_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"


async def test_invitation_and_reset_tokens_stay_out_of_the_access_log(app, caplog) -> None:  # type: ignore[no-untyped-def]
    logger = logging.getLogger(ACCESS_LOGGER)  # as uvicorn writes its access lines
    assert any(isinstance(f, SecretPathFilter) for f in logger.filters)  # installed by create_app
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        for path in ("/invitations/s3cr3t-InviteToken", "/password-reset/s3cr3t-ResetToken?x=1"):
            logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200)
    text = caplog.text
    assert "s3cr3t" not in text
    assert "/invitations/[token]" in text and "/password-reset/[token]?x=1" in text
    assert mask_secrets("/t/12") == "/t/12"


async def test_wording_a_kept_thread_flag_names_the_thread(app, world: World) -> None:  # type: ignore[no-untyped-def]
    thread = await _thread(world)
    await flags.flag_thread(app.state.moderation, world.actor(world.colleague), thread.id, reason="off_topic")
    item = await ReviewItem.get(thread_id=thread.id)
    await decisions.decide_item(world.actor(world.moderator), item.id, decision="keep")
    told = await Notification.get(user_id=world.colleague.id, kind=NotificationKind.FLAG_OUTCOME)
    assert "the thread you flagged" in told.text and "post" not in told.text


async def test_wording_a_review_item_offers_only_what_fits_the_post(
    app, client: httpx.AsyncClient, world: World
) -> None:  # type: ignore[no-untyped-def]
    thread = await _thread(world)
    answer = await posts.reply(world.actor(world.colleague), thread.id, body="Buy from my cousin!")
    await flags.flag_post(app.state.moderation, world.actor(world.partner), answer.id, reason="spam")
    item = await ReviewItem.get(post_id=answer.id)
    await login(client, world.moderator)
    page = (await client.get(f"/moderation/items/{item.id}")).text
    assert 'value="restore"' not in page  # the post is up: nothing to restore
    assert 'value="keep"' in page and "Keep it: the flags were wrong" in page
    assert decisions.offered("deleted") == [("keep", "Leave it deleted"), ("restore", "Restore it")]
    assert decisions.offered("pending")[0] == ("keep", "Approve: publish it")


async def test_wording_the_knowledge_base_form_says_draft_when_draft_is_chosen(
    client: httpx.AsyncClient, world: World
) -> None:
    thread = await _thread(world)
    answer = await posts.reply(world.actor(world.colleague), thread.id, body="Use the 24-port model.")
    await login_as(client, world.expert)
    form = (await client.get(f"/posts/{answer.id}/promote")).text
    assert ">Publish article</button>" in form and 'data-label-draft="Save draft"' in form
    sent = await client.post(
        f"/posts/{answer.id}/promote",
        data={"action": "preview", "title": "Switches", "body": "Use it.", "state": "draft",
              "category": "general", "csrf_token": _csrf(form)},
    )  # fmt: skip
    assert ">Save draft</button>" in sent.text and ">Publish article</button>" not in sent.text


def _csrf(page: str) -> str:
    from tests.conftest import CSRF_RE

    match = CSRF_RE.search(page)
    assert match
    return match.group(1)


async def test_the_audit_log_reads_as_words_with_links_and_the_member_acted_upon(
    app, client: httpx.AsyncClient, world: World
) -> None:  # type: ignore[no-untyped-def]
    thread = await _thread(world)
    answer = await posts.reply(world.actor(world.colleague), thread.id, body="Buy from my cousin!")
    await flags.flag_post(app.state.moderation, world.actor(world.partner), answer.id, reason="spam")
    item = await ReviewItem.get(post_id=answer.id)
    await decisions.decide_item(world.actor(world.moderator), item.id, decision="hide", reason="Advert")
    await thread_actions.set_pinned(world.actor(world.moderator), thread.id, pinned=True, reason="Useful")
    await login(client, world.moderator)
    page = (await client.get("/moderation/audit")).text
    assert "<th>Member acted upon</th>" in page
    assert ">hid the post</td>" in page and ">post.hide<" not in page and 'title="post.hide"' in page
    assert f'<a href="/posts/{answer.id}">post {answer.id} in “{thread.title}”</a>' in page
    assert f'<a href="/t/{thread.id}">“{thread.title}”</a>' in page
    assert ">Cole League</a>" in page and ">Pat Partner</a>" in page  # the answer's and the thread's authors
    assert '<option value="post.hide">Hid the post</option>' in page
    filtered = (await client.get("/moderation/audit?action=post.hide")).text
    assert '<option value="post.hide" selected>' in filtered and ">pinned the thread</td>" not in filtered
    assert "<p>1 entry ·" in filtered and "1 entries" not in filtered  # it said "1 entries"


async def test_the_knowledge_base_home_lists_each_article_once(
    client: httpx.AsyncClient, world: World
) -> None:
    from community.kb import articles

    thread = await _thread(world)
    for n in range(3):
        answer = await posts.reply(world.actor(world.colleague), thread.id, body=f"Answer number {n}.")
        await articles.promote_answer(world.actor(world.expert), answer.id, title=f"Best practice {n}")
    await login(client, world.partner)
    page = (await client.get("/kb")).text
    for n in range(3):
        assert page.count(f">Best practice {n}<") == 1, n
    assert "helpful-heading" not in page  # nothing left that Newest does not show


async def test_the_moderators_navigation_shows_how_many_items_wait(
    app, client: httpx.AsyncClient, world: World
) -> None:  # type: ignore[no-untyped-def]
    thread = await _thread(world)
    answer = await posts.reply(world.actor(world.colleague), thread.id, body="Buy from my cousin!")
    await login(client, world.moderator)
    assert "queue-count" not in (await client.get("/")).text
    await flags.flag_post(app.state.moderation, world.actor(world.partner), answer.id, reason="spam")
    for path in ("/", f"/t/{thread.id}", f"/t/{thread.id}"):  # the thread page twice: from its cache
        page = (await client.get(path)).text
        assert (
            'Review queue <span class="badge count queue-count">1<span class="visually-hidden"> waiting'
            in page
        )
        assert "<!--queue-->" not in page
    item = await ReviewItem.get(post_id=answer.id)
    await decisions.decide_item(world.actor(world.moderator), item.id, decision="keep")
    assert "queue-count" not in (await client.get(f"/t/{thread.id}")).text
    await login_as(client, world.partner)
    assert "queue-count" not in (await client.get(f"/t/{thread.id}")).text


async def test_the_queue_filters_by_category_from_a_list(client: httpx.AsyncClient, world: World) -> None:
    await login(client, world.moderator)
    page = (await client.get("/moderation/queue?category=staff-room")).text
    assert '<select name="category">' in page and 'placeholder="slug"' not in page
    assert '<option value="staff-room" selected>Staff room</option>' in page
    assert '<option value="general">General questions</option>' in page


async def test_the_api_documentation_is_a_page_of_the_site(client: httpx.AsyncClient, world: World) -> None:
    await login(client, world.partner)
    tokens = (await client.get("/account/tokens")).text
    assert '<a href="/help/api">JSON API</a>' in tokens
    docs = await client.get("/help/api")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert '<h2 id="authentication">Authentication</h2>' in docs.text
    assert '<a href="#authentication">Authentication</a>' in docs.text
    assert "<code>GET /api/v1/moderation/queue</code>" in docs.text
    assert "<table>" in docs.text
