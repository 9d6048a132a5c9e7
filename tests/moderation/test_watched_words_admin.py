"""Managing watched words: admin page, JSON API and the tester; changes apply at once."""

from __future__ import annotations

import pytest

from community.errors import Forbidden, Invalid
from community.forum import threads
from community.models import AuditEntry, Post, PostState, WatchedWord
from community.ports import ModerationGate
from moderation import watched_words
from tests.api.conftest import bearer, check_against_document
from tests.conftest import World, login


async def test_added_words_apply_at_once_and_removal_is_audited(gate: ModerationGate, world: World) -> None:
    admin = world.actor(world.admin)
    pat = world.actor(world.partner)
    await gate.check_post("warm the cache", category_id=world.general.id)
    word = await watched_words.add_watched_word(gate, admin, pattern="competitor x", action="hold")
    thread = await threads.create_thread(
        pat, category="general", kind="question", title="Competitor X pricing?", body="Anyone?", gate=gate
    )
    assert (await Post.get(thread_id=thread.id)).state == PostState.PENDING
    await watched_words.remove_watched_word(gate, admin, word.id)
    assert await WatchedWord.all().count() == 0
    entry = await AuditEntry.get(action="watched_word.delete")
    assert entry.before["pattern"] == "competitor x"
    with pytest.raises(Invalid) as exc:
        await watched_words.add_watched_word(gate, admin, pattern="([", action="block", is_regex=True)
    assert "regular expression" in exc.value.fields["pattern"]
    with pytest.raises(Invalid) as exc:
        await watched_words.add_watched_word(gate, admin, pattern="x", action="nuke", categories="no-such")
    assert set(exc.value.fields) == {"action", "categories"}
    with pytest.raises(Forbidden):
        await watched_words.add_watched_word(gate, world.actor(world.moderator), pattern="x", action="flag")


async def test_admin_page_and_tester(client, world: World) -> None:
    csrf = await login(client, world.admin)
    added = await client.post(
        "/admin/watched-words",
        data={"pattern": "darn", "action": "censor", "categories": "general", "csrf_token": csrf},
    )
    assert added.status_code == 303
    page = await client.get("/admin/watched-words")
    assert "<code>darn</code>" in page.text and "general" in page.text
    tried = await client.post(
        "/admin/watched-words/test",
        data={"text": "This DAARN switch", "category": "general", "csrf_token": csrf},
    )
    assert "would be <strong>censor</strong>" in tried.text and "■■■■■ switch" in tried.text
    calm = await client.post(
        "/admin/watched-words/test", data={"text": "Fine words", "category": "general", "csrf_token": csrf}
    )
    assert "Nothing would happen" in calm.text
    word = await WatchedWord.get(pattern="darn")
    removed = await client.post(f"/admin/watched-words/{word.id}/delete", data={"csrf_token": csrf})
    assert removed.status_code == 303 and await WatchedWord.all().count() == 0


async def test_watched_words_api(client, world: World) -> None:
    client.event_hooks["response"] = [check_against_document]
    admin = await bearer(world.admin)
    created = await client.post(
        "/api/v1/moderation/watched-words",
        json={"pattern": "crackz", "action": "block", "categories": ["general"]},
        headers=admin,
    )
    assert created.status_code == 201 and created.json()["categories"] == ["general"]
    listed = await client.get("/api/v1/moderation/watched-words", headers=admin)
    assert listed.json()["total"] == 1
    tried = await client.post(
        "/api/v1/moderation/rules/test",
        json={"text": "get \uff43\uff52\uff41\uff43\uff4b\uff5a", "category": "general"},
        headers=admin,
    )
    assert tried.json()["action"] == "block" and "crackz" in tried.json()["reason"]
    gone = await client.delete(f"/api/v1/moderation/watched-words/{created.json()['id']}", headers=admin)
    assert gone.status_code == 204
    refused = await client.get("/api/v1/moderation/watched-words", headers=await bearer(world.moderator))
    assert refused.status_code == 403


async def test_confidentiality_switch_per_category(client, world: World) -> None:
    csrf = await login(client, world.admin)
    page = await client.get("/admin/watched-words")
    assert "default (on)" in page.text and "default (off)" in page.text
    gate = client._transport.app.state.moderation  # type: ignore[attr-defined]
    pat = world.actor(world.partner)

    async def state(body: str) -> str:
        thread = await threads.create_thread(
            pat, category="general", kind="question", title="Pricing question here", body=body, gate=gate
        )
        return (await Post.get(thread_id=thread.id)).state

    assert await state("We got 20% off the list.") == PostState.PENDING
    off = await client.post(
        "/admin/watched-words/categories",
        data={"category": "general", "confidentiality": "off", "csrf_token": csrf},
    )
    assert off.status_code == 303
    assert await state("We got 20% off the list.") == PostState.VISIBLE
    assert (await AuditEntry.get(action="category.confidentiality")).after == {"confidentiality": False}
    bad = await client.post(
        "/admin/watched-words/categories",
        data={"category": "general", "confidentiality": "maybe", "csrf_token": csrf},
    )
    assert bad.status_code == 422
    await client.post(
        "/admin/watched-words/categories",
        data={"category": "general", "confidentiality": "default", "csrf_token": csrf},
    )
    assert await state("We got 20% off the list.") == PostState.PENDING


async def test_confidentiality_switches_through_the_api(client, world: World) -> None:
    auth = await bearer(world.admin)
    listed = await client.get("/api/v1/moderation/rules/categories", headers=auth)
    await check_against_document(listed)
    assert {r["category"]: r["confidentiality"] for r in listed.json()["items"]}["general"] == "default"
    switched = await client.post(
        "/api/v1/moderation/rules/categories",
        json={"category": "general", "confidentiality": "off"},
        headers=auth,
    )
    await check_against_document(switched)
    assert {r["category"]: r["confidentiality"] for r in switched.json()["items"]}["general"] == "off"
    assert await AuditEntry.filter(action="category.confidentiality").count() == 1
    bad = await client.post(
        "/api/v1/moderation/rules/categories",
        json={"category": "nope", "confidentiality": "maybe"},
        headers=auth,
    )
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"category", "confidentiality"}
