"""Warn, silence and suspend: what the member can still do on every path, lifting early, expiry by
time, the audit log and the member's notification."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from community.errors import Conflict, Forbidden
from community.events import AccessChanged, subscribe, unsubscribe
from community.forum import posts, threads
from community.models import AuditEntry, Notification, NotificationKind, Post, Sanction, User
from community.policy import INDEFINITE
from moderation import sanctions
from tests.conftest import CSRF_RE, World, login
from tests.moderation.conftest import Flaggable

ASK = {
    "category": "general",
    "kind": "question",
    "title": "How do I renew a partner licence?",
    "body": "Details.",
}


async def test_silenced_member_reads_and_votes_but_every_posting_page_says_why(
    client, world: World, flaggable: Flaggable
) -> None:
    mod = world.actor(world.moderator)
    await sanctions.impose_sanction(mod, user=world.colleague.handle, kind="silence", reason="Spam", days=7)
    csrf = await login(client, world.colleague)
    assert (await client.get("/")).status_code == 200
    assert (await client.get(f"/t/{flaggable.thread.id}")).status_code == 200
    page = (await client.get(f"/t/{flaggable.thread.id}")).text
    assert "silenced your account until" in page and f'action="/t/{flaggable.thread.id}/reply"' not in page
    opening = await Post.get(thread_id=flaggable.thread.id, is_opening=True)

    refused = [
        await client.get("/ask"),
        await client.post("/ask", data={**ASK, "csrf_token": csrf}),
        await client.post(f"/t/{flaggable.thread.id}/reply", data={"body": "Me again", "csrf_token": csrf}),
        await client.get(f"/posts/{flaggable.answer.id}/edit"),
        await client.post(
            f"/posts/{flaggable.answer.id}/edit", data={"body": "Changed text", "csrf_token": csrf}
        ),
        await client.get(f"/posts/{opening.id}/flag"),
        await client.post(f"/posts/{opening.id}/flag", data={"reason": "spam", "csrf_token": csrf}),
        await client.post(
            "/account/profile", data={"display_name": "Cole", "bio": "buy now", "csrf_token": csrf}
        ),
    ]
    for response in refused:
        assert response.status_code == 403, (response.request.url, response.status_code)
        assert "silenced your account until" in response.text
    vote = await client.post(f"/posts/{opening.id}/vote", data={"helpful": "1", "csrf_token": csrf})
    assert vote.status_code == 303
    assert await Post.filter(author_id=world.colleague.id).count() == 1  # nothing new was posted


async def test_suspended_member_is_refused_on_pages_api_and_sign_in_with_the_end_named(
    client, world: World, flaggable: Flaggable
) -> None:
    await login(client, world.partner)
    token = await sanctions_token(world)
    seen: list[object] = []

    async def listen(event: object) -> None:
        seen.append(event)

    subscribe(listen)
    try:
        await sanctions.impose_sanction(
            world.actor(world.moderator), user=world.partner.handle, kind="suspend", reason="Abuse", days=1
        )
    finally:
        unsubscribe(listen)
    assert AccessChanged(user_id=world.partner.id) in seen

    for path in ("/", f"/t/{flaggable.thread.id}", f"/u/{world.partner.handle}", "/account/profile"):
        page = await client.get(path)
        assert page.status_code == 403 and "This account is suspended until" in page.text, path
        assert "Sign out" not in page.text  # the page treats them as signed out
    api = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 403 and "suspended until" in api.json()["error"]["message"]

    client.cookies.clear()  # signing in again is refused with the same reason
    token_field = CSRF_RE.search((await client.get("/login")).text).group(1)  # type: ignore[union-attr]
    response = await client.post(
        "/login",
        data={"email": world.partner.email, "password": "correct horse battery", "csrf_token": token_field},
    )
    assert response.status_code == 403 and "suspended until" in response.text
    assert "The moderators&#39; reason: Abuse" in response.text


async def sanctions_token(world: World) -> str:
    from community.accounts import tokens

    return await tokens.create_api_token(world.partner)


async def test_lifting_early_restores_posting_and_is_audited_with_before_and_after(world: World) -> None:
    mod, member = world.actor(world.moderator), world.colleague
    sanction = await sanctions.impose_sanction(
        mod, user=member.handle, kind="silence", reason="Heated", days=None
    )
    assert (await User.get(id=member.id)).silenced_until == INDEFINITE
    silenced = world.actor(await User.get(id=member.id))
    with pytest.raises(Forbidden, match="until a moderator lifts it"):
        await threads.create_thread(silenced, **ASK)

    await sanctions.lift_sanction(mod, sanction.id, reason="Talked it through")
    freed = world.actor(await User.get(id=member.id))
    assert freed.silenced_until is None and not freed.is_silenced
    await threads.create_thread(freed, **ASK)
    with pytest.raises(Conflict):
        await sanctions.lift_sanction(mod, sanction.id)

    entries = await AuditEntry.filter(subject_type="user", subject_id=member.id).order_by("id")
    assert [e.action for e in entries] == ["user.silence", "user.silence_lifted"]
    assert entries[0].before == {"silenced_until": None, "suspended_until": None}
    assert entries[0].after["silenced_until"].startswith("9999-12-31")
    assert entries[0].actor_id == world.moderator.id and entries[0].reason == "Heated"
    assert entries[1].after["silenced_until"] is None and entries[1].reason == "Talked it through"
    texts = await Notification.filter(user_id=member.id, kind=NotificationKind.SANCTION).values_list(
        "text", flat=True
    )
    assert any("silenced until a moderator lifts it" in t for t in texts)
    assert any("lifted your silence" in t for t in texts)


async def test_a_sanction_ends_by_itself_on_time(world: World) -> None:
    await sanctions.impose_sanction(
        world.actor(world.moderator), user=world.colleague.handle, kind="silence", reason="x", days=1
    )
    await User.filter(id=world.colleague.id).update(silenced_until=datetime.now(UTC) - timedelta(seconds=1))
    member = world.actor(await User.get(id=world.colleague.id))
    assert not member.is_silenced
    await threads.create_thread(member, **ASK)
    assert len(await sanctions.list_sanctions(world.actor(world.moderator))) == 1
    await Sanction.filter(user_id=world.colleague.id).update(ends_at=datetime.now(UTC) - timedelta(seconds=1))
    assert await sanctions.list_sanctions(world.actor(world.moderator)) == []


async def test_warning_is_a_message_the_member_sees_on_their_profile(client, world: World) -> None:
    await sanctions.impose_sanction(
        world.actor(world.moderator), user=world.colleague.handle, kind="warn", reason="Please stay on topic"
    )
    note = await Notification.get(user_id=world.colleague.id, kind=NotificationKind.SANCTION)
    assert "warning: Please stay on topic" in note.text and note.url == f"/u/{world.colleague.handle}"
    member = world.actor(await User.get(id=world.colleague.id))
    assert not member.is_silenced and not member.is_suspended
    await login(client, world.colleague)
    assert "Please stay on topic" in (await client.get(f"/u/{world.colleague.handle}")).text
    client.cookies.clear()
    await login(client, world.partner)  # nobody else sees it
    assert "Please stay on topic" not in (await client.get(f"/u/{world.colleague.handle}")).text


async def test_who_may_sanction_whom(world: World) -> None:
    mod = world.actor(world.moderator)
    for user in (world.moderator, world.admin):  # themselves; an admin (moderators cannot)
        with pytest.raises(Forbidden):
            await sanctions.impose_sanction(mod, user=user.handle, kind="warn", reason="x")
    with pytest.raises(Forbidden):
        await sanctions.impose_sanction(
            world.actor(world.expert), user=world.partner.handle, kind="warn", reason="x"
        )
    await sanctions.impose_sanction(
        world.actor(world.admin), user=world.moderator.handle, kind="warn", reason="x"
    )


async def test_sanction_from_a_review_item_page_links_the_item(client, world: World, gate, flaggable) -> None:
    from community.models import ReviewItem
    from moderation import flags

    await flags.flag_post(gate, world.actor(world.partner), flaggable.answer.id, reason="spam")
    item = await ReviewItem.get(post_id=flaggable.answer.id)
    await login(client, world.moderator)
    page = await client.get(f"/moderation/items/{item.id}")
    assert "Warn, silence or suspend the author" in page.text
    # Two forms with a "reason" each: every element id on the page is still unique (labels work).
    ids = re.findall(r'\bid="([^"]+)"', page.text)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
    response = await client.post(
        f"/moderation/users/{world.colleague.handle}/sanctions",
        data={"kind": "suspend", "days": "30", "reason": "Spam links", "review_item_id": str(item.id),
              "next": f"/moderation/items/{item.id}", "csrf_token": csrf},
    )  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == f"/moderation/items/{item.id}"
    entry = await AuditEntry.get(action="user.suspend")
    assert entry.after["review_item_id"] == item.id
    standing = (await client.get(f"/moderation/users/{world.colleague.handle}")).text
    assert "Spam links" in standing and "Lift now" in standing
    listed = (await client.get("/moderation/sanctions")).text
    assert world.colleague.display_name in listed

    bad = await client.post(
        f"/moderation/users/{world.colleague.handle}/sanctions",
        data={"kind": "silence", "days": "forever", "reason": "", "csrf_token": csrf},
    )
    assert bad.status_code == 422 and "whole days" in bad.text and "reason" in bad.text.lower()


async def test_posting_by_reply_is_refused_for_silenced_before_any_input(world: World, flaggable) -> None:
    await User.filter(id=world.partner.id).update(silenced_until=datetime.now(UTC) + timedelta(hours=1))
    silenced = world.actor(await User.get(id=world.partner.id))
    with pytest.raises(Forbidden, match="silenced"):
        await posts.reply(silenced, flaggable.thread.id, body=None)


async def test_every_sanction_decision_is_one_audit_entry_by_its_moderator(world: World) -> None:
    mod = world.actor(world.moderator)
    made = [
        await sanctions.impose_sanction(
            mod, user=world.partner.handle, kind=kind, reason=f"Because {kind}", days=3
        )
        for kind in ("warn", "silence", "suspend")
    ]
    for sanction in made[1:]:
        await sanctions.lift_sanction(mod, sanction.id, reason="Enough")
    entries = await AuditEntry.filter(subject_type="user", subject_id=world.partner.id).order_by("id")
    assert [(e.action, e.actor_id) for e in entries] == [
        ("user.warn", world.moderator.id),
        ("user.silence", world.moderator.id),
        ("user.suspend", world.moderator.id),
        ("user.silence_lifted", world.moderator.id),
        ("user.suspend_lifted", world.moderator.id),
    ]
    assert [e.after["sanction_id"] for e in entries] == [s.id for s in made] + [made[1].id, made[2].id]
    assert entries[2].before["silenced_until"] is not None and entries[2].after["suspended_until"] is not None


async def test_two_moderators_silencing_at_once_leave_one_silence_in_force(world: World) -> None:
    """The second replaces the first, as one after the other would: lifting the one in force frees
    the member (no older silence left behind to keep them silenced). PostgreSQL runs the two
    transactions side by side; SQLite runs one at a time."""
    member = world.colleague
    made = await asyncio.gather(
        sanctions.impose_sanction(world.actor(world.moderator), user=member.handle, kind="silence",
                                  reason="Heated", days=None),
        sanctions.impose_sanction(world.actor(world.admin), user=member.handle, kind="silence",
                                  reason="Spam", days=7),
    )  # fmt: skip
    in_force = await sanctions.list_sanctions(world.actor(world.admin), user=member.handle)
    assert len(in_force) == 1 and in_force[0]["id"] in {s.id for s in made}
    await sanctions.lift_sanction(world.actor(world.admin), in_force[0]["id"])
    assert (await User.get(id=member.id)).silenced_until is None
