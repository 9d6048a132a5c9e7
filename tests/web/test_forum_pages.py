"""Asking, answering, voting, accepting, editing and deleting through the HTML pages."""

from __future__ import annotations

import re

from community.forum import posts
from tests.web.helpers import ask, post_form
from tests.web.helpers import login_as as login


def post_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="post[^"]*" id="p(\d+)"', html)]


async def test_ask_a_question_and_find_it(client, world):
    await login(client, world.partner)
    tid = await ask(
        client,
        title="Which discount applies to renewals?",
        body="We renew **three** licences.",
        tags="Pricing, renewals",
    )
    page = await client.get(f"/t/{tid}")
    assert page.status_code == 200
    assert "Which discount applies to renewals?" in page.text
    assert "<strong>three</strong>" in page.text
    assert 'href="/tags/pricing"' in page.text and 'href="/tags/renewals"' in page.text
    assert 'href="/c/general"' in page.text and f'href="/u/{world.partner.handle}"' in page.text
    for listing in ("/", "/c/general", "/tags/pricing", "/?show=unanswered"):
        assert "Which discount applies to renewals?" in (await client.get(listing)).text, listing
    assert "Which discount applies to renewals?" not in (await client.get("/?show=solved")).text
    assert "1 thread" in (await client.get("/categories")).text


async def test_ask_errors_keep_the_input(client, world):
    await login(client, world.partner)
    response = await post_form(
        client,
        "/ask",
        {"category": "general", "kind": "discussion", "title": "Short", "body": "<script>x</script> my text",
         "tags": "ok, not valid!"},
        page="/ask",
    )  # fmt: skip
    assert response.status_code == 422
    html = response.text
    assert 'id="title-error"' in html and "at least 8 characters" in html
    assert 'id="tags-error"' in html
    assert 'value="Short"' in html
    assert "&lt;script&gt;x&lt;/script&gt; my text</textarea>" in html
    assert 'value="ok, not valid!"' in html
    assert '<option value="general" selected>' in html
    assert 'value="discussion" checked' in html
    assert "<script>x</script>" not in html


async def test_ask_into_a_hidden_category_is_a_field_error(client, world):
    await login(client, world.silver_partner)
    response = await post_form(
        client,
        "/ask",
        {"category": "gold-programme", "title": "A long enough title", "body": "Hi"},
        page="/ask",
    )
    assert response.status_code == 422 and 'id="category-error"' in response.text
    assert "Gold programme" not in response.text


async def test_answer_vote_accept(client, world):
    await login(client, world.partner)
    tid = await ask(client)
    await login(client, world.expert)
    response = await post_form(
        client, f"/t/{tid}/reply", {"body": "Use the partner portal."}, page=f"/t/{tid}"
    )
    assert response.status_code == 303 and response.headers["location"].startswith(f"/t/{tid}")
    page = await client.get(response.headers["location"])
    assert "Use the partner portal." in page.text
    assert "1 answer" in page.text and ">Expert</span>" in page.text
    answer_id = post_ids(page.text)[1]

    # The asker finds it helpful and accepts it.
    await login(client, world.partner)
    page = await client.get(f"/t/{tid}")
    assert f'action="/posts/{answer_id}/vote"' in page.text
    response = await post_form(
        client,
        f"/posts/{answer_id}/vote",
        {"helpful": "1", "next": f"/t/{tid}#p{answer_id}"},
        page=f"/t/{tid}",
    )
    assert response.status_code == 303 and response.headers["location"] == f"/t/{tid}#p{answer_id}"
    page = await client.get(f"/t/{tid}")
    assert "Helpful · 1" in page.text and 'aria-pressed="true"' in page.text
    response = await post_form(client, f"/posts/{answer_id}/accept", {"accept": "1"}, page=f"/t/{tid}")
    assert response.status_code == 303
    page = await client.get(f"/t/{tid}")
    assert "Accepted answer" in page.text and "Unaccept" in page.text
    assert "How do I register a deal?" in (await client.get("/?show=solved")).text

    # Taking the vote and the acceptance back.
    await post_form(client, f"/posts/{answer_id}/vote", {"helpful": "0"}, page=f"/t/{tid}")
    await post_form(client, f"/posts/{answer_id}/accept", {"accept": "0"}, page=f"/t/{tid}")
    page = await client.get(f"/t/{tid}")
    assert "Helpful · 0" in page.text and "Accepted answer" not in page.text


async def test_no_vote_button_on_own_post_and_vote_refused(client, world):
    await login(client, world.partner)
    tid = await ask(client)
    page = await client.get(f"/t/{tid}")
    own = post_ids(page.text)[0]
    assert f'action="/posts/{own}/vote"' not in page.text
    response = await post_form(client, f"/posts/{own}/vote", {"helpful": "1"})
    assert response.status_code == 403


async def test_accept_buttons_only_for_asker_and_staff(client, world):
    await login(client, world.partner)
    tid = await ask(client)
    await post_form(client, f"/t/{tid}/reply", {"body": "Self-answer"}, page=f"/t/{tid}")
    await login(client, world.colleague)
    await post_form(client, f"/t/{tid}/reply", {"body": "Colleague answer"}, page=f"/t/{tid}")
    page = await client.get(f"/t/{tid}")
    assert "Accept this answer" not in page.text
    answer_id = post_ids(page.text)[-1]
    assert (await post_form(client, f"/posts/{answer_id}/accept", {"accept": "1"})).status_code == 403
    await login(client, world.expert)
    assert "Accept this answer" in (await client.get(f"/t/{tid}")).text


async def test_reply_errors_keep_the_text(client, world):
    await login(client, world.partner)
    tid = await ask(client)
    response = await post_form(client, f"/t/{tid}/reply", {"body": " "}, page=f"/t/{tid}")
    assert response.status_code == 422
    assert 'id="body-error"' in response.text and "How do I register a deal?" in response.text


async def test_edit_keeps_revisions(client, world):
    await login(client, world.partner)
    tid = await ask(client, title="Original title here", body="First version of the text", tags="one")
    opening = post_ids((await client.get(f"/t/{tid}")).text)[0]
    form = await client.get(f"/posts/{opening}/edit")
    assert form.status_code == 200
    assert 'value="Original title here"' in form.text and "First version of the text</textarea>" in form.text
    assert 'value="one"' in form.text

    bad = await post_form(
        client,
        f"/posts/{opening}/edit",
        {"title": "Tiny", "body": "Changed", "tags": "one"},
        page=form.url.path,
    )
    assert bad.status_code == 422 and 'id="title-error"' in bad.text and "Changed</textarea>" in bad.text

    response = await post_form(
        client,
        f"/posts/{opening}/edit",
        {
            "title": "Better title here",
            "body": "Second version of the text",
            "tags": "one, two",
            "note": "clearer",
        },
        page=form.url.path,
    )
    assert response.status_code == 303
    page = await client.get(f"/t/{tid}")
    assert "Better title here" in page.text and "Second version of the text" in page.text
    assert f'href="/posts/{opening}/revisions"' in page.text and 'href="/tags/two"' in page.text

    history = await client.get(f"/posts/{opening}/revisions")
    assert history.status_code == 200
    text = history.text
    assert "First version of the text" in text and "Second version of the text" in text
    assert text.index("Second version") < text.index("First version")  # newest first
    assert "clearer" in text and "Pat Partner" in text and "Revision 2" in text


async def test_only_author_or_staff_may_edit(client, world):
    await login(client, world.partner)
    tid = await ask(client)
    opening = post_ids((await client.get(f"/t/{tid}")).text)[0]
    await login(client, world.colleague)
    page = await client.get(f"/t/{tid}")
    assert f'href="/posts/{opening}/edit"' not in page.text
    assert (await client.get(f"/posts/{opening}/edit")).status_code == 403
    response = await post_form(client, f"/posts/{opening}/edit", {"body": "Hijacked text"})
    assert response.status_code == 403
    await login(client, world.expert)
    assert (await client.get(f"/posts/{opening}/edit")).status_code == 200


async def test_delete_answer_shows_placeholder(client, world):
    await login(client, world.partner)
    tid = await ask(client)
    await login(client, world.colleague)
    await post_form(client, f"/t/{tid}/reply", {"body": "A regrettable answer"}, page=f"/t/{tid}")
    page = await client.get(f"/t/{tid}")
    answer_id = post_ids(page.text)[1]
    confirm = await client.get(f"/posts/{answer_id}/delete")
    assert confirm.status_code == 200 and "A regrettable answer" in confirm.text
    response = await post_form(client, f"/posts/{answer_id}/delete", {}, page=f"/posts/{answer_id}/delete")
    assert response.status_code == 303
    page = await client.get(f"/t/{tid}")
    assert "This answer was deleted." in page.text and "A regrettable answer" not in page.text
    assert (await client.get(f"/posts/{answer_id}/revisions")).status_code == 404


async def test_delete_question_removes_thread(client, world):
    await login(client, world.partner)
    tid = await ask(client, title="Soon to be deleted")
    opening = post_ids((await client.get(f"/t/{tid}")).text)[0]
    response = await post_form(client, f"/posts/{opening}/delete", {})
    assert response.status_code == 303
    assert (await client.get(f"/t/{tid}")).status_code == 404
    assert "Soon to be deleted" not in (await client.get("/")).text


async def test_discussion_replies_in_time_order(client, world):
    await login(client, world.partner)
    tid = await ask(client, kind="discussion", title="Share your training tips")
    for text in ("first reply", "second reply"):
        await post_form(client, f"/t/{tid}/reply", {"body": text}, page=f"/t/{tid}")
    page = await client.get(f"/t/{tid}")
    assert "2 replies" in page.text and "Accept this answer" not in page.text
    assert page.text.index("first reply") < page.text.index("second reply")


async def test_thread_pages(client, world):
    await login(client, world.partner)
    tid = await ask(client)
    actor = world.actor(world.colleague)
    for n in range(21):
        await posts.reply(actor, tid, body=f"reply number {n:02d}")
    first = await client.get(f"/t/{tid}")
    assert "21 answers" in first.text and "reply number 00" in first.text
    assert "reply number 20" not in first.text and f'href="/t/{tid}?page=2"' in first.text
    second = await client.get(f"/t/{tid}?page=2")
    assert "reply number 20" in second.text and "reply number 00" not in second.text
    last = await client.get(f"/t/{tid}?page=last")
    assert "reply number 20" in last.text


async def test_thread_view_is_counted(client, app, world):
    await login(client, world.partner)
    tid = await ask(client)
    await client.get(f"/t/{tid}")
    await app.state.view_counter.flush()
    # Lists show it at once; the cached thread page within the page cache's TTL.
    assert "1 view" in (await client.get("/")).text
    app.state.page_cache.clear()
    assert "1 view" in (await client.get(f"/t/{tid}")).text


async def test_category_filters_and_unknown_values(client, world):
    await login(client, world.partner)
    await ask(client, title="Tagged with pricing", tags="pricing")
    await ask(client, title="Tagged with training", tags="training")
    page = await client.get("/c/general?tag=pricing")
    assert "Tagged with pricing" in page.text and "Tagged with training" not in page.text
    assert (await client.get("/c/general?status=closed")).text.count('class="thread-row') == 0
    assert (await client.get("/c/general?status=weird")).status_code == 422
    assert (await client.get("/?show=weird")).status_code == 422
    assert (await client.get("/c/no-such-category")).status_code == 404
    assert (await client.get("/t/999999")).status_code == 404
    assert (await client.get("/t/abc")).status_code == 404


async def test_pages_need_sign_in(client, world):
    for path in ("/", "/categories", "/ask", "/t/1", "/u/x", "/orgs/x", "/admin"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), path


async def test_a_page_past_the_end_says_so_rather_than_nothing_here(client, world):
    await login(client, world.partner)
    await ask(client, title="How do I register a deal for a tender?")
    past = await client.get("/?page=999")
    assert past.status_code == 200
    assert "past the last page" in past.text and "Be the first to ask" not in past.text
    first = await client.get("/")
    assert "How do I register a deal for a tender?" in first.text
