"""Thread actions on the thread page: the moderators' forms, banners, refusals and redirects."""

from __future__ import annotations

from community.forum import merging, posts, thread_actions, threads
from community.models import Post, Thread
from tests.conftest import World, login


async def ask(world: World, user=None, title: str = "Which switch suits a small office?"):  # type: ignore[no-untyped-def]
    return await threads.create_thread(
        world.actor(user or world.partner),
        category="general",
        kind="question",
        title=title,
        body="Two floors.",
    )


async def test_moderators_get_the_forms_and_others_do_not(client, world: World):
    thread = await ask(world)
    await login(client, world.colleague)
    page = (await client.get(f"/t/{thread.id}")).text
    assert "Moderate this thread" not in page and f'action="/t/{thread.id}/lock"' not in page
    assert f'href="/t/{thread.id}/flag"' in page
    client.cookies.clear()
    await login(client, world.partner)  # the author may close, nothing more
    page = (await client.get(f"/t/{thread.id}")).text
    assert "Close this thread" in page and f'action="/t/{thread.id}/lock"' not in page
    assert f'href="/t/{thread.id}/flag"' not in page
    client.cookies.clear()
    await login(client, world.moderator)
    page = (await client.get(f"/t/{thread.id}")).text
    for action in ("status", "lock", "pin", "move", "merge", "duplicate"):
        assert f'action="/t/{thread.id}/{action}"' in page
    assert "<script>" not in page and "onclick" not in page


async def test_lock_and_duplicate_show_banners(client, world: World):
    original = await ask(world, title="Which switch for a small office?")
    thread = await ask(world, world.colleague)
    csrf = await login(client, world.moderator)
    locked = await client.post(
        f"/t/{thread.id}/lock", data={"locked": "1", "reason": "Heated", "csrf_token": csrf}
    )
    assert locked.status_code == 303 and locked.headers["location"] == f"/t/{thread.id}"
    marked = await client.post(
        f"/t/{thread.id}/duplicate", data={"of": f"/t/{original.id}", "reason": "", "csrf_token": csrf}
    )
    assert marked.status_code == 303
    client.cookies.clear()
    await login(client, world.colleague)
    page = (await client.get(f"/t/{thread.id}")).text
    assert "This thread is locked by a moderator" in page
    assert f'answered before: see <a href="/t/{original.id}">Which switch for a small office?</a>' in page
    assert f'action="/t/{thread.id}/reply"' not in page


async def test_refused_forms_come_back_with_their_errors(client, world: World):
    thread = await ask(world)
    csrf = await login(client, world.moderator)
    no_reason = await client.post(f"/t/{thread.id}/lock", data={"locked": "1", "csrf_token": csrf})
    assert no_reason.status_code == 422 and 'id="reason-error"' in no_reason.text
    itself = await client.post(
        f"/t/{thread.id}/merge",
        data={"into": str(thread.id), "reason": "Same <b>one</b>", "confirm": "1", "csrf_token": csrf},
    )
    assert itself.status_code == 422 and "this is the same one" in itself.text
    assert (
        "Same &lt;b&gt;one&lt;/b&gt;" in itself.text
        and '<details class="thread-moderation" open>' in itself.text
    )
    for into in ("987654", "not a number", "99999999999999999999"):
        missing = await client.post(
            f"/t/{thread.id}/merge", data={"into": into, "reason": "x", "confirm": "1", "csrf_token": csrf}
        )
        assert missing.status_code == 422 and 'id="into-error"' in missing.text, into
    other = await ask(world, title="Another question entirely")
    unconfirmed = await client.post(
        f"/t/{thread.id}/merge", data={"into": str(other.id), "reason": "Dupe", "csrf_token": csrf}
    )
    assert unconfirmed.status_code == 422 and 'id="confirm-error"' in unconfirmed.text
    moved = await client.post(
        f"/t/{thread.id}/move", data={"category": "no-such-category", "reason": "", "csrf_token": csrf}
    )
    assert moved.status_code == 422 and 'id="category-error"' in moved.text
    saved = await Thread.get(id=thread.id)
    assert not saved.locked and saved.merged_into_id is None and saved.category_id == world.general.id


async def test_a_merged_threads_address_redirects(client, world: World):
    target = await ask(world, title="Which switch for a small office?")
    source = await ask(world, world.colleague)
    csrf = await login(client, world.moderator)
    merged = await client.post(
        f"/t/{source.id}/merge",
        data={"into": str(target.id), "reason": "Same question", "confirm": "1", "csrf_token": csrf},
    )
    assert merged.status_code == 303 and merged.headers["location"] == f"/t/{target.id}"
    assert "Merged: 1 post moved into this thread." in (await client.get(f"/t/{target.id}")).text
    client.cookies.clear()
    await login(client, world.partner)
    for path in (f"/t/{source.id}", f"/t/{source.id}?page=2"):
        response = await client.get(path)
        assert response.status_code == 301 and response.headers["location"] == f"/t/{target.id}"
    page = await client.get(f"/t/{target.id}")
    opening = await Post.get(thread_id=target.id, is_opening=False)
    assert page.status_code == 200 and f'id="p{opening.id}"' in page.text
    auth = {"Authorization": f"Bearer {await _token(world)}"}
    api = await client.get(f"/api/v1/threads/{source.id}", headers=auth)
    assert api.status_code == 308 and api.json()["merged_into"] == target.id
    assert api.headers["location"].endswith(f"/api/v1/threads/{target.id}")


async def test_a_merge_into_a_thread_the_viewer_cannot_see_is_a_plain_404(client, world: World):
    target = await threads.create_thread(
        world.actor(world.expert), category="staff-room", kind="discussion", title="Staff notes on switches",
        body="Internal.",
    )  # fmt: skip
    source = await ask(world, world.colleague)
    await merging.merge_thread(world.actor(world.moderator), source.id, into=target.id, reason="x")
    await login(client, world.partner)
    response = await client.get(f"/t/{source.id}")
    assert response.status_code == 404 and "Staff notes" not in response.text
    missing = await client.get("/t/987654")
    assert response.text == missing.text


async def _token(world: World) -> str:
    from community.accounts import tokens

    return await tokens.create_api_token(world.partner)


async def test_flag_a_thread_and_edit_a_post_from_the_review_item(client, world: World):
    from community.models import PostRevision, ReviewItem

    thread = await ask(world)
    csrf = await login(client, world.colleague)
    form = await client.get(f"/t/{thread.id}/flag")
    assert form.status_code == 200 and "Flag this thread for moderators" in form.text
    no_note = await client.post(f"/t/{thread.id}/flag", data={"reason": "other", "csrf_token": csrf})
    assert no_note.status_code == 422 and 'id="note-error"' in no_note.text
    sent = await client.post(f"/t/{thread.id}/flag", data={"reason": "off_topic", "csrf_token": csrf})
    assert sent.status_code == 303 and sent.headers["location"] == f"/t/{thread.id}"
    client.cookies.clear()
    csrf = await login(client, world.moderator)
    item = await ReviewItem.get(thread_id=thread.id)
    page = await client.get(f"/moderation/items/{item.id}")
    assert "Flagged thread: Off-topic" in page.text and "Two floors." in page.text
    refused = await client.post(
        f"/moderation/items/{item.id}/decide",
        data={"decision": "edit", "reason": "", "body": "Two floors, <b>40</b> desks.", "csrf_token": csrf},
    )
    assert refused.status_code == 422 and 'id="reason-error"' in refused.text
    assert "Two floors, &lt;b&gt;40&lt;/b&gt; desks." in refused.text
    edited = await client.post(
        f"/moderation/items/{item.id}/decide",
        data={"decision": "edit", "reason": "Clearer", "body": "Two floors, 40 desks.", "csrf_token": csrf},
    )
    assert edited.status_code == 303
    opening = await Post.get(thread_id=thread.id, is_opening=True)
    assert opening.body_source == "Two floors, 40 desks."
    assert (await PostRevision.get(post_id=opening.id, number=2)).note == "Clearer"
    assert "Two floors, 40 desks." in (await client.get(f"/t/{thread.id}")).text


async def test_the_edit_decision_on_a_flagged_thread_fixes_its_title(client, world: World):
    from community.models import ReviewItem

    thread = await ask(world, title="URGENT!!! switch???")
    csrf = await login(client, world.colleague)
    await client.post(f"/t/{thread.id}/flag", data={"reason": "off_topic", "csrf_token": csrf})
    client.cookies.clear()
    csrf = await login(client, world.moderator)
    item = await ReviewItem.get(thread_id=thread.id)
    page = await client.get(f"/moderation/items/{item.id}")
    assert 'name="title"' in page.text and 'value="URGENT!!! switch???"' in page.text
    form = {"reason": "Clearer", "body": "Two floors.", "csrf_token": csrf}
    short = await client.post(
        f"/moderation/items/{item.id}/decide", data={**form, "decision": "edit", "title": "Hi"}
    )
    assert short.status_code == 422 and 'id="title-error"' in short.text
    edited = await client.post(
        f"/moderation/items/{item.id}/decide",
        data={**form, "decision": "edit", "title": "Which switch suits a two-floor office?"},
    )
    assert edited.status_code == 303
    assert "Which switch suits a two-floor office?" in (await client.get(f"/t/{thread.id}")).text


async def test_the_audit_page_shows_thread_actions(client, world: World):
    thread = await ask(world)
    await thread_actions.set_locked(world.actor(world.moderator), thread.id, locked=True, reason="Heated")
    await login(client, world.moderator)
    page = await client.get(f"/moderation/audit?user={world.partner.handle}&action=thread.")
    assert page.status_code == 200
    assert f'<a href="/t/{thread.id}">“{thread.title}”</a>' in page.text
    assert "locked: no → yes" in page.text
    listing = await client.get("/c/general")
    assert '<span class="badge locked">Locked</span>' in listing.text


async def test_merging_a_gold_thread_into_general_asks_to_confirm_the_wider_audience(client, world: World):
    target = await ask(world, title="Deal registration, in general")
    source = await threads.create_thread(
        world.actor(world.partner), category="gold-programme", kind="question",
        title="Gold deal registration", body="What discount do gold partners get?",
    )  # fmt: skip
    await posts.reply(world.actor(world.expert), source.id, body="Gold discount is 38 percent.")
    csrf = await login(client, world.moderator)
    form = {"into": str(target.id), "reason": "Same topic", "confirm": "1", "csrf_token": csrf}
    refused = await client.post(f"/t/{source.id}/merge", data=form)
    assert refused.status_code == 422 and 'id="confirm_wider-error"' in refused.text
    assert "Gold programme" in refused.text and 'name="confirm_wider"' in refused.text
    client.cookies.clear()
    await login(client, world.silver_partner)
    assert "38 percent" not in (await client.get(f"/t/{target.id}")).text
    client.cookies.clear()
    csrf = await login(client, world.moderator)
    merged = await client.post(
        f"/t/{source.id}/merge", data={**form, "csrf_token": csrf, "confirm_wider": "1"}
    )
    assert merged.status_code == 303 and merged.headers["location"] == f"/t/{target.id}"


async def test_a_merged_address_does_not_reveal_a_source_the_viewer_could_not_see(client, world: World):
    target = await ask(world, title="Deal registration, in general")
    gold = await threads.create_thread(
        world.actor(world.partner), category="gold-programme", kind="question",
        title="Gold deal registration", body="What discount do gold partners get?",
    )  # fmt: skip
    held = await ask(world, world.colleague, title="A question a moderator hid")
    opening = await Post.get(thread_id=held.id, is_opening=True)
    await Post.filter(id=opening.id).update(state="hidden")
    mo = world.actor(world.moderator)
    await merging.merge_thread(mo, gold.id, into=target.id, reason="x", confirm_wider=True)
    await merging.merge_thread(mo, held.id, into=target.id, reason="x")
    await login(client, world.silver_partner)
    missing = await client.get("/t/987654")
    for source in (gold, held):
        response = await client.get(f"/t/{source.id}")
        assert (response.status_code, response.text) == (404, missing.text), source.title
    from community.accounts import tokens

    auth = {"Authorization": f"Bearer {await tokens.create_api_token(world.silver_partner)}"}
    api_missing = await client.get("/api/v1/threads/987654", headers=auth)
    for source in (gold, held):
        response = await client.get(f"/api/v1/threads/{source.id}", headers=auth)
        assert (response.status_code, response.text) == (404, api_missing.text), source.title
    # Who could see the source still follows its address.
    client.cookies.clear()
    await login(client, world.colleague)
    for source in (gold, held):  # gold-tier; the hidden question's author
        response = await client.get(f"/t/{source.id}")
        assert response.status_code == 301 and response.headers["location"] == f"/t/{target.id}"


async def test_a_duplicate_banner_forgets_an_original_moved_out_of_sight(client, world: World):
    original = await ask(world, title="Gold rebates, the original question")
    dupe = await ask(world, world.silver_partner, title="Rebates again")
    mo = world.actor(world.moderator)
    await merging.mark_duplicate(mo, dupe.id, of=original.id)
    await login(client, world.silver_partner)
    assert "Gold rebates, the original question" in (await client.get(f"/t/{dupe.id}")).text  # cached
    await thread_actions.move_thread(mo, original.id, category="gold-programme", reason="Gold topic")
    page = (await client.get(f"/t/{dupe.id}")).text
    assert "Gold rebates" not in page and "marked as a duplicate of another thread" in page
    await thread_actions.move_thread(mo, original.id, category="general")
    opening = await Post.get(thread_id=original.id, is_opening=True)
    await posts.edit_post(
        world.actor(world.partner),
        opening.id,
        body="Two floors.",
        title="Rebates for gold partners, explained",
    )
    assert "Rebates for gold partners, explained" in (await client.get(f"/t/{dupe.id}")).text
