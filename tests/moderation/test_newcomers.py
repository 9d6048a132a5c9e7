"""New accounts: their first posts wait for a moderator's approval, and they may post only a few
links (counted through the usual disguises)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from community.models import AuditEntry, Post, PostState, ReviewItem, ReviewKind, Thread, User
from moderation.queue import get_item
from moderation.rules.newcomers import count_links
from tests.api.conftest import bearer
from tests.conftest import World, login
from tests.moderation.conftest import client_for

FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in "www.spam.com")  # ｗｗｗ．... as typed  # noqa: RUF003
ASK = {"category": "general", "kind": "question", "title": "Which licence suits a branch office?"}


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("No links here, e.g. version 1.2 in file.txt, node.js and Mr. Smith.", 0),
        ("See https://example.com/a and http://example.com/a again.", 1),
        ("[example.com](https://example.com) is the same address written twice.", 1),
        ("<https://a.example.org> www.b-shop.net c.com/path", 3),
        ("hxxp://evil.example.com and ftp://files.example.org", 2),
        ("cheap-pills[.]com, cheap-pills (dot) com/x and cheap-pills dot net", 3),
        (FULL_WIDTH + " and sp\u200bam.example.io", 2),
        ("spam&#46;com and spam&period;org", 2),
    ],
)
def test_links_are_counted_through_disguises(text: str, links: int) -> None:
    assert count_links([text]) == links


def test_a_rendered_link_and_its_address_written_out_count_once() -> None:
    text = "See https://a.com/~x. Mail sales@b.com or www.c.com/ today."
    hrefs = ["https://a.com/%7Ex", "mailto:sales@b.com", "http://www.c.com/", "/u/erin", "#top", "?page=2"]
    assert count_links([text], hrefs) == 3


async def test_first_posts_wait_for_approval_then_the_account_posts_freely(app_with, world: World) -> None:
    app = app_with(new_account_held_posts=2, new_account_days=0)
    async with client_for(app) as client, client_for(app) as other, client_for(app) as mod:
        csrf = await login(client, world.colleague)
        await login(other, world.silver_partner)
        mod_csrf = await login(mod, world.moderator)

        for n in range(3):
            body = f"Details of question {n}: twenty desks."
            posted = await client.post("/ask", data={**ASK, "title": f"{ASK['title']} ({n})", "body": body,
                                                     "csrf_token": csrf})  # fmt: skip
            assert posted.status_code == 303
            thread_id = int(posted.headers["location"].split("/")[2].split("#")[0])
            opening = await Post.get(thread_id=thread_id, is_opening=True)
            if n < 2:  # held: the author sees it is waiting, nobody else sees the thread
                assert opening.state == PostState.PENDING
                assert "Waiting for review" in (await client.get(f"/t/{thread_id}")).text
                assert (await other.get(f"/t/{thread_id}")).status_code == 404
                assert f"/t/{thread_id}" not in (await other.get("/")).text  # nor in the list
                item = await ReviewItem.get(post_id=opening.id)
                assert item.kind == ReviewKind.NEW_ACCOUNT and "New member" in item.reason
                queue = await mod.get("/moderation/queue?kind=new_account")
                assert f"/moderation/items/{item.id}" in queue.text
                decided = await mod.post(
                    f"/moderation/items/{item.id}/decide", data={"decision": "keep", "csrf_token": mod_csrf}
                )
                assert decided.status_code == 303
                assert (await Post.get(id=opening.id)).state == PostState.VISIBLE
                assert (await other.get(f"/t/{thread_id}")).status_code == 200
            else:  # two published: no longer new
                assert opening.state == PostState.VISIBLE
                assert not await ReviewItem.filter(post_id=opening.id).exists()
                assert f"/t/{thread_id}" in (await other.get("/")).text
                assert (await other.get(f"/t/{thread_id}")).status_code == 200
    actions = await AuditEntry.filter(subject_type="post").order_by("id").values_list("action", "actor_id")
    assert actions == [("post.rule_new_account", None), ("post.keep", world.moderator.id)] * 2


async def test_staff_are_never_held_and_replies_are_held_too(app_with, world: World, flaggable) -> None:
    app = app_with(new_account_held_posts=2, new_account_days=30)
    gate = app.state.moderation
    from community.forum import posts

    expert = await posts.reply(
        world.actor(world.expert), flaggable.thread.id, body="Staff answer.", gate=gate
    )
    assert expert.state == PostState.VISIBLE
    partner = await posts.reply(
        world.actor(world.silver_partner), flaggable.thread.id, body="Me too.", gate=gate
    )
    assert partner.state == PostState.PENDING
    thread = await Thread.get(id=flaggable.thread.id)
    view = await get_item(world.actor(world.moderator), (await ReviewItem.get(post_id=partner.id)).id)
    assert view.item.kind == ReviewKind.NEW_ACCOUNT and view.thread.id == thread.id
    # Really held: others do not see it, its author sees it waiting, moderators find it queued.
    path = f"/api/v1/threads/{thread.id}"
    async with client_for(app) as client:
        for user in (world.partner, world.colleague):
            shown = (await client.get(path, headers=await bearer(user))).json()["posts"]
            assert [p["id"] for p in shown] == [flaggable.answer.id, expert.id], user
        own = (await client.get(path, headers=await bearer(world.silver_partner))).json()["posts"]
        assert [(p["id"], p["state"]) for p in own][-1] == (partner.id, "pending")
        queue = await client.get(
            "/api/v1/moderation/queue?kind=new_account", headers=await bearer(world.moderator)
        )
        assert [i["post_id"] for i in queue.json()["items"]] == [partner.id]


async def test_too_many_links_from_a_new_account_is_refused_naming_the_limit(app_with, world: World) -> None:
    app = app_with(new_account_held_posts=0, new_account_days=3, new_account_max_links=2)
    body = "Try https://one.example.com, two.example.org and three-example[.]com for spares."
    async with client_for(app) as client:
        csrf = await login(client, world.colleague)
        page = await client.post("/ask", data={**ASK, "body": body, "csrf_token": csrf})
        assert page.status_code == 422
        assert "New members can include at most 2 links in a post" in page.text
        assert "three-example[.]com for spares" in page.text  # the input is kept
        auth = {"Authorization": f"Bearer {await _token(world.colleague)}"}
        api = await client.post("/api/v1/threads", json={**ASK, "body": body}, headers=auth)
        assert api.status_code == 422 and "at most 2 links" in api.json()["error"]["fields"]["body"]
        assert await Thread.all().count() == 0

        # An established account (older, with published posts) posts them.
        await User.filter(id=world.colleague.id).update(created_at=datetime.now(UTC) - timedelta(days=4))
        ok = await client.post("/api/v1/threads", json={**ASK, "body": body}, headers=auth)
        assert ok.status_code == 201
        assert await Thread.all().count() == 1
        assert (await Post.get(thread_id=ok.json()["id"], is_opening=True)).state == PostState.VISIBLE


async def _token(user: User) -> str:
    from community.accounts import tokens

    return await tokens.create_api_token(user)


async def test_links_cannot_be_added_by_editing_afterwards(app_with, world: World, flaggable) -> None:
    app = app_with(new_account_held_posts=0, new_account_days=3, new_account_max_links=1)
    async with client_for(app) as client:
        csrf = await login(client, world.colleague)
        body = "Now with a.example.com, b.example.com and c.example.com"
        page = await client.post(
            f"/posts/{flaggable.answer.id}/edit", data={"body": body, "note": "", "csrf_token": csrf}
        )
        assert page.status_code == 422 and "at most 1 link in a post" in page.text and body in page.text
        auth = {"Authorization": f"Bearer {await _token(world.colleague)}"}
        api = await client.patch(f"/api/v1/posts/{flaggable.answer.id}", json={"body": body}, headers=auth)
        assert api.status_code == 422 and "at most 1 link" in api.json()["error"]["fields"]["body"]
        kept = await Post.get(id=flaggable.answer.id)
        assert kept.revision_count == 1 and kept.body_source == flaggable.answer.body_source
        # Staff editing the same text is not new.
        staff = {"Authorization": f"Bearer {await _token(world.moderator)}"}
        ok = await client.patch(f"/api/v1/posts/{flaggable.answer.id}", json={"body": body}, headers=staff)
        assert ok.status_code == 200
        edited = await Post.get(id=flaggable.answer.id)
        assert edited.revision_count == 2 and edited.body_source == body


@pytest.mark.parametrize(
    "body",
    [
        "Spares: [a](//evil.ai/x) [b](//evil.sh/y) [c](//spam.gg/z)",  # protocol-relative
        # reference links
        "Spares: [a][1] [b][2] [c][3]\n\n[1]: //one.ai\n[2]: https://two.sh\n[3]: http://three.gg",
        "Spares at evil.ai, other.ai and third.ai",  # bare domains the renderer links (any TLD)
        "Spares at [a](http:evil.ai) and <http://two.ai> and <mailto:sales@three.ai>",
    ],
)
async def test_every_link_the_page_will_show_counts(app_with, world: World, body: str) -> None:
    """Whatever the rendered post shows as a link counts, however the Markdown spells it."""
    app = app_with(new_account_held_posts=0, new_account_days=3, new_account_max_links=2)
    async with client_for(app) as client:
        csrf = await login(client, world.colleague)
        page = await client.post("/ask", data={**ASK, "body": body, "csrf_token": csrf})
        assert page.status_code == 422, page.text[:300]
        assert "New members can include at most 2 links in a post" in page.text
        assert await Thread.all().count() == 0


async def test_mentions_and_links_within_the_site_do_not_count(app_with, world: World) -> None:
    app = app_with(new_account_held_posts=0, new_account_days=3, new_account_max_links=1)
    async with client_for(app) as client:
        csrf = await login(client, world.colleague)
        body = f"@{world.expert.handle} see [the guide](/kb) and [this](/t/1#p2), or https://one.example.com."
        page = await client.post("/ask", data={**ASK, "body": body, "csrf_token": csrf})
        assert page.status_code == 303, page.text[:300]
        opening = await Post.get(thread__title=ASK["title"], is_opening=True)
        assert opening.state == PostState.VISIBLE and opening.body_source == body
        shown = (await client.get(page.headers["location"])).text
        assert 'href="https://one.example.com"' in shown and f'href="/u/{world.expert.handle}"' in shown
