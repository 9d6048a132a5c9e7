"""The notification pages: the bell (fresh on cached thread pages), the centre, following an entry
to the exact post, mark all read, preferences, watch and mute buttons, announcements."""

from __future__ import annotations

import re

import httpx

from community.forum import posts, threads
from community.models import Notification, NotificationKind, Watch
from tests.conftest import World, login
from tests.web.helpers import login_as, post_form

BELL = re.compile(r'<a id="bell"[^>]*data-unread="(\d+)"[^>]*>.*?</a>', re.S)


def bell(page: httpx.Response) -> int:
    match = BELL.search(page.text)
    assert match, "no bell on the page"
    return int(match.group(1))


async def question(world: World, **kw):  # type: ignore[no-untyped-def]
    return await threads.create_thread(
        world.actor(world.partner), category=kw.pop("category", "general"), kind="question",
        title=kw.pop("title", "Which switch suits a small office?"), body="Twenty desks.", **kw,
    )  # fmt: skip


async def test_the_bell_on_a_cached_thread_page_is_never_stale(client: httpx.AsyncClient, world: World, app):
    other = await question(world, title="Another question to answer")
    page_thread = await question(world, title="A page that stays cached")
    await login(client, world.partner)
    first = await client.get(f"/t/{page_thread.id}")
    assert bell(first) == 0 and "<!--bell-->" not in first.text
    cache = app.state.page_cache
    hits = cache.hits
    assert bell(await client.get(f"/t/{page_thread.id}")) == 0 and cache.hits == hits + 1
    # A notification about another thread: this page's content is unchanged (still a cache hit)...
    await posts.reply(world.actor(world.expert), other.id, body="Try the 24-port model.")
    again = await client.get(f"/t/{page_thread.id}")
    assert cache.hits == hits + 2
    # ...but its bell shows the new count at once, and the page around it is the cached one.
    assert bell(again) == 1 and 'aria-label="Notifications, 1 unread"' in again.text
    assert BELL.sub("", again.text) == BELL.sub("", first.text)
    await post_form(client, "/notifications/read-all", {}, page="/notifications")
    assert bell(await client.get(f"/t/{page_thread.id}")) == 0


async def test_every_page_has_the_bell_with_the_count(client: httpx.AsyncClient, world: World):
    thread = await question(world)
    await posts.reply(world.actor(world.expert), thread.id, body="An answer.")
    await login(client, world.partner)
    for path in ("/", "/categories", "/notifications", "/settings/notifications", "/c/general"):
        assert bell(await client.get(path)) == 1, path


async def test_following_an_entry_lands_on_the_exact_post_and_marks_it_read(
    client: httpx.AsyncClient, world: World
):
    """Answers are ordered by votes and the test pages hold 20: the 25th answer is on page 2."""
    thread = await question(world)
    answers = [
        await posts.reply(world.actor(world.expert), thread.id, body=f"Answer {i}.") for i in range(25)
    ]
    [note] = await Notification.filter(user_id=world.partner.id)
    assert note.count == 25 and note.post_id == answers[-1].id
    await login(client, world.partner)
    centre = await client.get("/notifications")
    assert '<li class="notification kind-answer unread"' in centre.text and "25 new" in centre.text
    opened = await post_form(client, f"/notifications/{note.id}/open", {}, page="/notifications")
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/t/{thread.id}?page=2#p{answers[-1].id}"
    landed = await client.get(opened.headers["location"].split("#")[0])
    assert f'id="p{answers[-1].id}"' in landed.text
    assert (await Notification.get(id=note.id)).read_at is not None
    # Votes move an answer to page 1: the same entry now leads there.
    for voter in (world.colleague, world.moderator):
        await posts.vote(world.actor(voter), answers[-1].id)
    again = await post_form(client, f"/notifications/{note.id}/open", {}, page="/notifications")
    assert again.headers["location"] == f"/t/{thread.id}#p{answers[-1].id}"
    # The permalink does the same for anyone who may see the post.
    assert (await client.get(f"/posts/{answers[-1].id}")).headers["location"] == again.headers["location"]


async def test_someone_elses_notification_is_not_found(client: httpx.AsyncClient, world: World):
    thread = await question(world)
    await posts.reply(world.actor(world.expert), thread.id, body="An answer.")
    [note] = await Notification.filter(user_id=world.partner.id)
    await login(client, world.colleague)
    response = await post_form(client, f"/notifications/{note.id}/open", {}, page="/notifications")
    assert response.status_code == 404
    assert (await Notification.get(id=note.id)).read_at is None


async def test_the_centre_pages_with_a_cursor_and_marks_all_read(client: httpx.AsyncClient, world: World):
    for i in range(23):
        thread = await question(world, title=f"Question number {i:02d} today")
        await posts.reply(world.actor(world.expert), thread.id, body="An answer.")
    await login(client, world.partner)
    first = await client.get("/notifications")
    assert first.text.count('class="notification ') == 20 and "number 22" in first.text
    older = re.search(r'href="(/notifications\?after=[^"]+)" rel="next"', first.text)
    assert older, "no link to older notifications"
    second = await client.get(older.group(1).replace("&amp;", "&"))
    assert second.text.count('class="notification ') == 3 and "number 00" in second.text
    assert 'rel="next"' not in second.text
    done = await post_form(client, "/notifications/read-all", {}, page="/notifications")
    assert done.headers["location"] == "/notifications"
    page = await client.get("/notifications")
    assert "Marked 23 notifications as read." in page.text and bell(page) == 0
    assert 'class="notification kind-answer unread"' not in page.text
    assert "Nothing unread." in (await client.get("/notifications?show=unread")).text
    bad = await client.get("/notifications?after=not-a-cursor")
    assert bad.status_code == 422


async def test_entries_about_threads_no_longer_visible_are_left_out(client: httpx.AsyncClient, world: World):
    from community.accounts import directory

    thread = await question(world, category="gold-programme", title="Gold rebate schedule")
    await posts.reply(world.actor(world.expert), thread.id, body="Six percent.")
    await login(client, world.partner)
    assert "Gold rebate schedule" in (await client.get("/notifications")).text
    await directory.update_category(
        world.settings, world.actor(world.admin), world.gold_only, name="Gold programme",
        description="", visibility="staff", position="0",
    )  # fmt: skip
    assert "Gold rebate schedule" not in (await client.get("/notifications")).text
    note = await Notification.get(user_id=world.partner.id)
    response = await post_form(client, f"/notifications/{note.id}/open", {}, page="/notifications")
    assert response.status_code == 404  # not by its id either


async def test_preferences_page_switches_kinds_and_auto_watching(client: httpx.AsyncClient, world: World):
    await login(client, world.partner)
    page = await client.get("/settings/notifications")
    assert 'href="/settings/notifications" aria-current="page"' in page.text
    assert "review queue" not in page.text  # moderators' kinds are not offered to partners
    on = [k for k in NotificationKind.ALL if k not in (NotificationKind.ANSWER, NotificationKind.SANCTION)]
    response = await client.post(
        "/settings/notifications",
        data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1),  # type: ignore[union-attr]
              "on": on, "watch_answered": "1"},
    )  # fmt: skip
    assert response.status_code == 303
    page = await client.get("/settings/notifications")
    assert "preferences are saved" in page.text
    assert 'value="answer">' in page.text and 'value="answer" checked' not in page.text
    assert 'name="watch_started" value="1">' in page.text
    thread = await question(world)
    assert not await Watch.filter(user_id=world.partner.id).exists()
    await posts.reply(world.actor(world.expert), thread.id, body="An answer.")
    assert not await Notification.filter(user_id=world.partner.id).exists()


async def test_watch_and_mute_buttons_on_thread_category_and_tag_pages(
    client: httpx.AsyncClient, world: World
):
    thread = await threads.create_thread(
        world.actor(world.expert), category="general", kind="question", title="A question to watch",
        body="Body text.", tags="rebates",
    )  # fmt: skip
    await login(client, world.partner)
    for path, target_type, target, back in (
        (f"/t/{thread.id}", "thread", str(thread.id), f"/t/{thread.id}"),
        ("/c/general", "category", "general", "/c/general"),
        ("/tags/rebates", "tag", "rebates", "/tags/rebates"),
    ):
        page = await client.get(path)
        assert 'action="/watch"' in page.text and 'value="watching">Watch</button>' in page.text
        data = {"target_type": target_type, "target": target, "level": "watching", "next": back}
        response = await post_form(client, "/watch", data, page=path)
        assert response.status_code == 303 and response.headers["location"] == back
        page = await client.get(path)
        assert '<span class="watch-state">Watching</span>' in page.text, path
        assert "You are watching" in page.text
    await post_form(client, "/watch", {"target_type": "thread", "target": str(thread.id), "level": "muted"})
    assert '<span class="watch-state">Muted</span>' in (await client.get(f"/t/{thread.id}")).text
    listed = await client.get("/settings/notifications")
    assert "A question to watch" in listed.text and "General questions" in listed.text
    # Invisible or unknown targets look the same: 404.
    for target_type, target in (("category", "gold-programme"), ("category", "nope"), ("thread", "987654")):
        await login_as(client, world.silver_partner)
        response = await post_form(
            client, "/watch", {"target_type": target_type, "target": target, "level": "watching"}
        )
        assert response.status_code == 404, (target_type, target)


async def test_announcements_reach_their_audience_only(client: httpx.AsyncClient, world: World):
    await login(client, world.admin)
    form = await client.get("/admin/announcements")
    assert form.status_code == 200 and "Partners of the gold tier" in form.text
    response = await post_form(
        client, "/admin/announcements",
        {"title": "Gold partner summit in May", "body": "Join us **in Lisbon**.<script>x</script>",
         "audience": "gold"}, page="/admin/announcements",
    )  # fmt: skip
    assert response.status_code == 303
    sent = await client.get("/admin/announcements")
    assert "Announcement sent to 2 people." in sent.text
    note = await Notification.get(user_id=world.colleague.id, kind=NotificationKind.ANNOUNCEMENT)
    assert not await Notification.filter(user_id=world.silver_partner.id).exists()
    await login_as(client, world.colleague)
    page = await client.get(note.url)
    assert "<strong>in Lisbon</strong>" in page.text and "<script>x" not in page.text
    await login_as(client, world.silver_partner)
    assert (await client.get(note.url)).status_code == 404
    await login_as(client, world.partner)
    refused = await post_form(client, "/admin/announcements", {"title": "Not an admin here", "body": "x"})
    assert refused.status_code == 403
