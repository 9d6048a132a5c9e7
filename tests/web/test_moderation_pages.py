"""Flagging from the thread page and the moderators' queue pages."""

from __future__ import annotations

from community.models import Post, PostState, ReviewItem
from tests.conftest import login
from tests.moderation.conftest import Flaggable, flaggable  # noqa: F401 (fixture)


async def test_flag_form_and_the_queue_pages(client, world, flaggable: Flaggable):  # noqa: F811
    answer = flaggable.answer.id
    csrf = await login(client, world.partner)
    page = await client.get(f"/t/{flaggable.thread.id}")
    assert f'href="/posts/{answer}/flag"' in page.text
    form = await client.get(f"/posts/{answer}/flag")
    assert form.status_code == 200 and "Confidential information" in form.text
    missing_note = await client.post(f"/posts/{answer}/flag", data={"reason": "other", "csrf_token": csrf})
    assert missing_note.status_code == 422 and "say what is wrong" in missing_note.text
    sent = await client.post(f"/posts/{answer}/flag", data={"reason": "spam", "csrf_token": csrf})
    assert sent.status_code == 303
    assert "moderators will look at it" in (await client.get(sent.headers["location"])).text
    assert (await client.get("/moderation/queue")).status_code == 403

    client.cookies.clear()
    csrf = await login(client, world.moderator)
    assert 'href="/moderation/queue"' in (await client.get("/")).text
    queue = await client.get("/moderation/queue?reason=spam")
    assert queue.status_code == 200 and "Which switch suits a small office?" in queue.text
    item = await ReviewItem.get(post_id=answer)
    page = await client.get(f"/moderation/items/{item.id}")
    assert "Buy from my cousin" in page.text and "Pat Partner" in page.text
    claimed = await client.post(f"/moderation/items/{item.id}/claim", data={"csrf_token": csrf})
    assert claimed.status_code == 303
    assert (
        "handled by <strong>Mo Moderator</strong>" in (await client.get(f"/moderation/items/{item.id}")).text
    )
    no_reason = await client.post(
        f"/moderation/items/{item.id}/decide", data={"decision": "hide", "csrf_token": csrf}
    )
    assert no_reason.status_code == 422 and "the author is told" in no_reason.text
    done = await client.post(
        f"/moderation/items/{item.id}/decide",
        data={"decision": "hide", "reason": "Advert", "csrf_token": csrf},
    )
    assert done.status_code == 303
    assert (await Post.get(id=answer)).state == PostState.HIDDEN
    again = await client.post(
        f"/moderation/items/{item.id}/decide", data={"decision": "keep", "csrf_token": csrf}
    )
    assert again.status_code == 409 and "already decided" in again.text
    assert "Nothing is waiting" in (await client.get("/moderation/queue")).text


async def test_own_posts_have_no_flag_link(client, world, flaggable: Flaggable):  # noqa: F811
    await login(client, world.colleague)
    page = await client.get(f"/t/{flaggable.thread.id}")
    assert f'href="/posts/{flaggable.answer.id}/flag"' not in page.text
    assert (await client.get(f"/posts/{flaggable.answer.id}/flag")).status_code == 403


async def test_the_author_of_a_hidden_post_is_told_they_may_edit_it(client, world, app, flaggable: Flaggable):  # noqa: F811
    from moderation import flags

    await flags.flag_post(
        app.state.moderation, world.actor(world.moderator), flaggable.answer.id, reason="spam"
    )
    await login(client, world.colleague)
    page = await client.get(f"/t/{flaggable.thread.id}")
    assert "If you edit it, moderators review it again." in page.text and "Buy from my cousin" in page.text
    client.cookies.clear()
    await login(client, world.silver_partner)
    page = await client.get(f"/t/{flaggable.thread.id}")
    assert "This post was hidden by moderation." in page.text and "Buy from my cousin" not in page.text
