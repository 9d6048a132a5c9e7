"""The audit log: every action recorded, searchable, exportable as CSV; restore from an entry."""

from __future__ import annotations

import csv
import io

import pytest

from community.errors import Conflict, Forbidden, Invalid
from community.models import AuditEntry, Post, PostState, ReviewItem, Thread
from community.ports import ModerationGate
from moderation import audit, decisions, flags
from tests.api.conftest import bearer, check_against_document
from tests.conftest import World, login
from tests.moderation.conftest import Flaggable


async def deleted_by_decision(gate: ModerationGate, world: World, flaggable: Flaggable) -> AuditEntry:
    await flags.flag_post(gate, world.actor(world.moderator), flaggable.answer.id, reason="spam")
    item = await ReviewItem.get(post_id=flaggable.answer.id)
    await decisions.decide_item(
        world.actor(world.admin), item.id, decision="delete", reason="=HYPERLINK spam"
    )
    return await AuditEntry.get(action="post.delete")


async def test_the_log_is_searchable_by_who_whom_action_and_date(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    await deleted_by_decision(gate, world, flaggable)
    mo = world.actor(world.moderator)
    everything = await audit.list_audit(mo)
    assert [e["action"] for e in everything.entries] == ["post.delete", "post.auto_hide"]
    assert [e["action"] for e in (await audit.list_audit(mo, moderator="rules")).entries] == [
        "post.auto_hide"
    ]
    by_admin = await audit.list_audit(mo, moderator=world.admin.handle)
    assert [e["actor_name"] for e in by_admin.entries] == ["Ada Admin"]
    assert (await audit.list_audit(mo, user=world.colleague.handle)).total == 2
    assert (await audit.list_audit(mo, user=world.partner.handle)).total == 0
    assert (await audit.list_audit(mo, action="post.del")).total == 1
    assert (await audit.list_audit(mo, since="2000-01-01", until="2000-01-02")).total == 0
    with pytest.raises(Invalid) as exc:
        await audit.list_audit(mo, since="yesterday", moderator="nobody-here")
    assert set(exc.value.fields) == {"since", "moderator"}
    with pytest.raises(Forbidden):
        await audit.list_audit(world.actor(world.expert))


async def test_restore_from_the_audit_entry(gate: ModerationGate, world: World, flaggable: Flaggable) -> None:
    entry = await deleted_by_decision(gate, world, flaggable)
    replies = (await Thread.get(id=flaggable.thread.id)).reply_count
    post = await audit.restore_from_audit(world.actor(world.moderator), entry.id)
    assert post.state == PostState.VISIBLE
    assert (await Post.get(id=flaggable.answer.id)).state == PostState.VISIBLE
    assert (await Thread.get(id=flaggable.thread.id)).reply_count == replies + 1
    restored = await AuditEntry.get(action="post.restore")
    assert restored.before == {"state": "deleted"} and restored.actor_id == world.moderator.id
    with pytest.raises(Conflict, match="already visible"):
        await audit.restore_from_audit(world.actor(world.moderator), entry.id)


async def test_audit_page_csv_and_api(
    client, gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    entry = await deleted_by_decision(gate, world, flaggable)
    csrf = await login(client, world.moderator)
    page = await client.get("/moderation/audit?action=post.")
    assert page.status_code == 200 and "post.delete" in page.text and "Export as CSV" in page.text
    assert "state: hidden → deleted" in page.text  # what changed, in words (no dict dumps)
    assert "{" not in page.text.split('<table class="audit">', 1)[1].split("</table>", 1)[0]
    exported = await client.get("/moderation/audit.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")  # a BOM: Excel then reads UTF-8
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["id", "when", "who", "action"]
    delete_row = next(r for r in rows if r[3] == "post.delete")
    assert delete_row[2] == world.admin.handle and delete_row[5] == "'=HYPERLINK spam"  # no formula
    assert "Buy from my cousin" in delete_row[6]
    response = await client.post(f"/moderation/audit/{entry.id}/restore", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert (await Post.get(id=flaggable.answer.id)).state == PostState.VISIBLE

    client.event_hooks["response"] = [check_against_document]
    listed = await client.get("/api/v1/moderation/audit?moderator=rules", headers=await bearer(world.admin))
    assert listed.status_code == 200 and listed.json()["items"][0]["actor"] is None
    again = await client.post(
        f"/api/v1/moderation/audit/{entry.id}/restore", json={}, headers=await bearer(world.admin)
    )
    assert again.status_code == 409
    refused = await client.get("/api/v1/moderation/audit", headers=await bearer(world.partner))
    assert refused.status_code == 403


async def test_searching_by_user_finds_actions_on_their_threads_posts_and_account(
    gate: ModerationGate, world: World, flaggable: Flaggable
) -> None:
    """The partner asked the question: locking and moving their thread is about them; the hidden
    answer is about the colleague who wrote it. The CSV export keeps to the same filters."""
    from community.forum import thread_actions

    mo = world.actor(world.moderator)
    await thread_actions.set_locked(mo, flaggable.thread.id, locked=True, reason="Heated")
    await thread_actions.move_thread(mo, flaggable.thread.id, category="gold-programme")
    await deleted_by_decision(gate, world, flaggable)
    await AuditEntry.create(
        actor_id=world.moderator.id, action="user.warn", subject_type="user", subject_id=world.partner.id
    )
    about_partner = await audit.list_audit(mo, user=world.partner.handle)
    assert [e["action"] for e in about_partner.entries] == ["user.warn", "thread.move", "thread.lock"]
    about_colleague = await audit.list_audit(mo, user=world.colleague.handle, action="post.")
    assert [e["action"] for e in about_colleague.entries] == ["post.delete", "post.auto_hide"]
    locks = await audit.list_audit(mo, user=world.partner.handle, action="thread.lock")
    rows = list(csv.reader(io.StringIO(audit.audit_csv(locks))))
    assert [r[3] for r in rows[1:]] == ["thread.lock"] and rows[1][4] == f"thread:{flaggable.thread.id}"
