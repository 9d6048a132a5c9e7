"""The experts pages: the directory and its topic filter, an expert's page, changing expertise and
availability, "Ask this expert", and what the question page says to partners and to staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from community.forum import posts, threads
from community.models import ExpertProfile, QuestionRouting, ResponseClock, User
from tests.api.conftest import bearer
from tests.conftest import login
from tests.experts.conftest import Experts


async def test_the_directory_filters_by_topic_and_links_to_ask(client: httpx.AsyncClient, experts: Experts):
    await login(client, experts.world.partner)
    page = (await client.get("/experts")).text
    for e in (experts.net, experts.net2, experts.billing, experts.erin):
        assert e.display_name in page
    assert f'href="/ask?expert={experts.net.handle}"' in page
    vpn = (await client.get("/experts?topic=vpn")).text
    assert experts.net.display_name in vpn and experts.billing.display_name not in vpn
    general = (await client.get("/experts?topic=general")).text
    assert experts.net.display_name in general and experts.net2.display_name not in general
    assert (await client.get("/experts?topic=%3Cscript%3E")).status_code == 422
    page = (await client.get(f"/experts/{experts.net.handle}")).text
    assert "Median time to first answer" in page and "Ask this expert" in page


async def test_an_expert_sets_availability_and_a_stand_in(client: httpx.AsyncClient, experts: Experts):
    csrf = await login(client, experts.net)
    back = (datetime.now(UTC) + timedelta(days=4)).date().isoformat()
    form = {"csrf_token": csrf, "tags": "networking, vpn", "categories": "general", "away_until": back,
            "stand_in": experts.net2.handle}  # fmt: skip
    response = await client.post(f"/experts/{experts.net.handle}/edit", data=form)
    assert response.status_code == 303, response.text
    profile = await ExpertProfile.get(user_id=experts.net.id)
    assert profile.stand_in_id == experts.net2.id and profile.away_until is not None
    page = (await client.get("/experts")).text
    assert "Away until" in page and "stand-in" in page
    # Dates in the past, nonsense and strangers are refused with the field named, the input kept.
    for field, value in (
        ("away_until", "2020-01-01"),
        ("away_until", "next week"),
        ("stand_in", "pat-partner"),
    ):
        response = await client.post(f"/experts/{experts.net.handle}/edit", data={**form, field: value})
        assert response.status_code == 422 and f'id="{field}-error"' in response.text, (field, value)
    # Someone else's expertise: only an admin may change it.
    response = await client.post(f"/experts/{experts.net2.handle}/edit", data=form)
    assert response.status_code == 403


async def test_ask_this_expert_through_the_form(client: httpx.AsyncClient, experts: Experts):
    csrf = await login(client, experts.world.partner)
    page = (await client.get(f"/ask?expert={experts.billing.handle}")).text
    assert "goes to" in page and experts.billing.display_name in page
    response = await client.post("/ask", data={
        "csrf_token": csrf, "category": "general", "kind": "question", "title": "Invoice totals look wrong",
        "body": "Since the last update.", "tags": "", "expert": experts.billing.handle,
    })  # fmt: skip
    assert response.status_code == 303, response.text
    thread_id = int(response.headers["location"].split("/")[-1])
    first = await QuestionRouting.filter(thread_id=thread_id).order_by("id").first()
    assert first is not None and first.expert_id == experts.billing.id and first.reason == "asked"


async def test_partners_see_that_an_expert_is_on_it_staff_see_who_and_overdue(
    client: httpx.AsyncClient, experts: Experts
):
    w = experts.world
    thread = await threads.create_thread(
        w.actor(w.partner), category="general", kind="question", title="VPN drops every hour on the X200",
        body="Details please.", tags="networking",
    )  # fmt: skip
    await login(client, w.partner)
    page = (await client.get(f"/t/{thread.id}")).text
    assert "Routed to an expert" in page and experts.net.display_name not in page
    staff = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with staff:
        await login(staff, w.moderator)
        page = (await staff.get(f"/t/{thread.id}")).text
        assert "Routing" in page and experts.net.display_name in page and "Overdue" not in page
        # Past its target with no answer: overdue on the page (a new version) and in lists.
        past = datetime.now(UTC) - timedelta(minutes=1)
        await ResponseClock.filter(thread_id=thread.id).update(first_answer_due=past)
        await threads.Thread.filter(id=thread.id).update(version=thread.version + 5)
        assert "Overdue" in (await staff.get(f"/t/{thread.id}")).text
        assert "Overdue" in (await staff.get("/c/general")).text
    # Partners never see the overdue mark.
    assert "Overdue" not in (await client.get("/c/general")).text
    assert (await User.get(id=w.partner.id)).role == "partner"


async def test_ask_this_expert_names_a_missing_expert_and_preselects_their_category(
    client: httpx.AsyncClient, experts: Experts
):
    # Before: an unknown handle (or a partner's) showed the normal form without a word, and
    # nothing was preselected for an expert of one category.
    await login(client, experts.world.partner)
    page = (await client.get("/ask?expert=nobody-here")).text
    assert "There is no expert with that name: choose one from the" in page
    assert '<a href="/experts">experts directory</a>' in page and "goes to" not in page
    assert 'name="expert"' not in page  # the question can still be asked as usual
    # Someone who exists but is not in the directory (the trial: a moderator who answers
    # questions) is not "no expert with that name".
    for person in (experts.world.moderator, experts.world.colleague):
        page = (await client.get(f"/ask?expert={person.handle}")).text
        assert "no expert with that name" not in page and 'name="expert"' not in page
        assert (
            f'{person.display_name} is not in the <a href="/experts">experts directory</a>, so questions are '
            "not routed to them by name: your question goes to the experts whose expertise matches it."
            in page
        )
    page = (await client.get(f"/ask?expert={experts.net.handle}")).text
    assert '<option value="general" selected>' in page and "no expert with that name" not in page
    page = (await client.get(f"/ask?expert={experts.billing.handle}")).text  # no category of his own
    assert " selected>" not in page.split('id="f-category"', 1)[1].split("</select>", 1)[0]
    page = (await client.get(f"/ask?expert={experts.net.handle}&category=gold-programme")).text
    assert '<option value="general" selected>' not in page  # what the address chose stays


async def test_staff_read_why_an_away_expert_was_replaced_and_the_pass_form_marks_who_is_away(
    client: httpx.AsyncClient, experts: Experts
):
    """The trial: stand-ins pointing at each other, the question asked of one of them went to a
    pricing expert as "no expertise matched"; the pass form offered an away colleague unmarked."""
    w = experts.world
    away = datetime.now(UTC) + timedelta(days=6)
    day = f"{away.day} {away:%B %Y}"
    # Set directly: today's form refuses a stand-in who is away, but older data may hold it.
    await ExpertProfile.filter(user_id=experts.net.id).update(away_until=away, stand_in_id=experts.net2.id)
    await ExpertProfile.filter(user_id=experts.net2.id).update(away_until=away, stand_in_id=experts.net.id)
    thread = await threads.create_thread(
        w.actor(w.partner), category="general", kind="question", title="Site-to-site VPN between offices",
        body="Any details help.", tags="vpn", expert=experts.net.handle,
    )  # fmt: skip
    csrf = await login(client, w.moderator)
    page = (await client.get(f"/t/{thread.id}")).text
    assert "no available expert&#39;s expertise matched" not in page and "no expertise matched" not in page
    assert "(for Nina Network, who is away)" in page
    assert (
        f"Nina Network, asked for by name, is away until {day}; their stand-in Ned Network is away too: "
        "the next available expert took it." in page
    )
    form = (await client.get(f"/t/{thread.id}/pass")).text
    assert f"Nina Network — away until {day}: no stand-in available" in form
    response = await client.post(
        f"/t/{thread.id}/pass", data={"csrf_token": csrf, "to": experts.net.handle, "note": ""}
    )
    assert response.status_code == 422
    assert "nobody can take it for them. Choose someone else." in response.text
    # Ned back: passing to Nina hands it to him, and the page says so.
    await ExpertProfile.filter(user_id=experts.net2.id).update(away_until=None)
    response = await client.post(
        f"/t/{thread.id}/pass", data={"csrf_token": csrf, "to": experts.net.handle, "note": ""}
    )
    assert response.status_code == 303
    page = (await client.get(response.headers["location"])).text
    assert f"Nina Network is away until {day}: passed on to their stand-in, Ned Network." in page
    assert "(passed on by Mo Moderator, standing in for Nina Network, who is away)" in page


async def test_the_asker_hears_where_a_question_asked_by_name_went_and_when_it_is_late(
    client: httpx.AsyncClient, experts: Experts
):
    """The trial: after "Ask this expert" the thread page and the API never said it went to the
    expert chosen; 3.5 hours read "4 hours"; a day past an 8-hour target the page still promised
    "usually answered within 5 hours"; the form for an away expert did not name the stand-in."""
    w = experts.world
    pat = w.actor(w.partner)
    asked = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    for minutes in (120, 210, 300):  # median 3.5 h
        old = await threads.create_thread(
            pat, category="general", kind="question", title=f"An older question answered in {minutes} min",
            body="Any details help.", created_at=asked,
        )  # fmt: skip
        await posts.reply(
            w.actor(w.expert), old.id, body="An answer.", created_at=asked + timedelta(minutes=minutes)
        )
    thread = await threads.create_thread(
        pat, category="general", kind="question", title="Invoice totals look wrong since the update",
        body="Details please.", expert=experts.billing.handle,
    )  # fmt: skip
    await login(client, w.partner)
    page = (await client.get(f"/t/{thread.id}")).text
    assert (
        f'Routed to <a href="/experts/{experts.billing.handle}">Bill Billing</a>, as you asked, '
        "usually answered within about 3.5 hours." in page
    )
    token = await bearer(w.partner)
    routing = (await client.get(f"/api/v1/threads/{thread.id}/routing", headers=token)).json()
    assert routing["asked"] == {
        "expert": {"handle": experts.billing.handle, "display_name": "Bill Billing"},
        "outcome": "routed", "stand_in": None,
    }  # fmt: skip
    assert routing["usually_answered_within_hours"] == 3.5 and routing["late"] is False
    assert routing["experts"] == []  # whom else it went to stays with staff
    # Another member of the organisation reads the question, not whom its asker chose.
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        await login(other, w.colleague)
        page = (await other.get(f"/t/{thread.id}")).text
        assert "Routed to an expert, usually answered within about 3.5 hours." in page
        assert "as you asked" not in page
    # Past its target without an answer: no stale promise.
    await ResponseClock.filter(thread_id=thread.id).update(
        first_answer_due=datetime.now(UTC) - timedelta(hours=16)
    )
    await threads.Thread.filter(id=thread.id).update(version=thread.version + 5)
    page = (await client.get(f"/t/{thread.id}")).text
    assert "as you asked. Taking longer than usual: the experts have been reminded." in page
    assert "usually answered" not in page
    routing = (await client.get(f"/api/v1/threads/{thread.id}/routing", headers=token)).json()
    assert routing["late"] is True
    # Asking an expert who is away names who takes it, and the thread page says so after.
    back = datetime.now(UTC) + timedelta(days=5)
    await ExpertProfile.filter(user_id=experts.net.id).update(away_until=back, stand_in_id=experts.net2.id)
    page = (await client.get(f"/ask?expert={experts.net.handle}")).text
    assert (
        f"is away until {back.day} {back:%B %Y}: your question goes to their stand-in, "
        f'<a href="/experts/{experts.net2.handle}">Ned Network</a>.' in page
    )
    second = await threads.create_thread(
        pat, category="general", kind="question", title="Site-to-site VPN between two offices",
        body="Details please.", expert=experts.net.handle,
    )  # fmt: skip
    page = (await client.get(f"/t/{second.id}")).text
    assert (
        "Nina Network is away: routed to their stand-in, "
        f'<a href="/experts/{experts.net2.handle}">Ned Network</a>' in page
    )


async def test_the_topic_filter_tells_a_category_from_a_tag_of_the_same_name(
    client: httpx.AsyncClient, experts: Experts
):
    """The trial: the category "Pricing & deal registration" (slug pricing) and the tag "pricing"
    both linked to ?topic=pricing, so neither link showed only its own experts."""
    from tests.experts.conftest import make_expert

    tagged = await make_expert(experts.world, "tia@northwind.example", "Tia Tagged", "general", [])
    await login(client, experts.world.partner)
    page = (await client.get("/experts")).text
    assert 'href="/experts?topic=category:general"' in page and 'href="/experts?topic=tag:general"' in page
    assert '<option value="category:general">' in page and '<option value="tag:general">' in page
    by_category = (await client.get("/experts?topic=category:general")).text
    assert experts.net.display_name in by_category and tagged.display_name not in by_category
    assert "Experts in <strong>General questions (category)</strong>: 1" in by_category
    assert '<option value="category:general" selected>' in by_category
    by_tag = (await client.get("/experts?topic=tag:general")).text
    assert tagged.display_name in by_tag and experts.net.display_name not in by_tag
    either = (await client.get("/experts?topic=general")).text  # older links: both
    assert tagged.display_name in either and experts.net.display_name in either
    assert (await client.get("/experts?topic=colour:general")).status_code == 422
