"""Support ratings: the asker rates the support they got once an answer is accepted or the question
closed; an expert who answered rates how well they think they helped; each edits their own."""

from __future__ import annotations

import httpx
import pytest

from community.errors import Forbidden, Invalid, NotFound
from community.forum import posts, thread_actions, threads
from community.models import RatingSide, SupportRating, Thread
from community.support import ratings
from tests.api.conftest import bearer
from tests.conftest import World, login
from tests.web.helpers import post_form


async def _question(world: World) -> tuple[Thread, int]:
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question",
        title="How do I renew a support contract?", body="The renewal form is gone.",
    )  # fmt: skip
    answer = await posts.reply(
        world.actor(world.expert), thread.id, body="Use the partner portal's renewals tab."
    )
    return thread, answer.id


async def test_the_asker_rates_after_accepting_or_closing(world: World) -> None:
    pat, erin = world.actor(world.partner), world.actor(world.expert)
    thread, answer = await _question(world)
    with pytest.raises(Forbidden):
        await ratings.rate_support(pat, thread.id, score=4)
    await posts.accept_answer(pat, answer)
    saved = await ratings.rate_support(pat, thread.id, score=2, comment="Took three days.")
    assert (saved["side"], saved["score"], saved["comment"]) == (RatingSide.ASKER, 2, "Took three days.")
    changed = await ratings.rate_support(pat, thread.id, score=3)
    assert changed["score"] == 3 and await SupportRating.filter(thread_id=thread.id).count() == 1
    expert = await ratings.rate_support(erin, thread.id, score=5, comment="Clear answer.")
    assert expert["side"] == RatingSide.EXPERT
    # closing is enough too
    other, _ = await _question(world)
    await thread_actions.set_status(pat, other.id, status="closed")
    assert (await ratings.rate_support(pat, other.id, score=4))["score"] == 4


async def test_who_may_rate_and_read(world: World) -> None:
    pat, erin, sam, mo = (
        world.actor(u) for u in (world.partner, world.expert, world.silver_partner, world.moderator)
    )
    thread, answer = await _question(world)
    await posts.accept_answer(pat, answer)
    with pytest.raises(Forbidden):  # a partner who is not the asker
        await ratings.rate_support(sam, thread.id, score=5)
    with pytest.raises(Forbidden):  # staff who did not answer
        await ratings.rate_support(mo, thread.id, score=5)
    await ratings.rate_support(pat, thread.id, score=2, comment="Slow.")
    await ratings.rate_support(erin, thread.id, score=5)
    assert [r["side"] for r in await ratings.ratings_of(mo, thread.id)] == ["asker", "expert"]
    assert [r["rater_id"] for r in await ratings.ratings_of(pat, thread.id)] == [world.partner.id]
    assert await ratings.ratings_of(sam, thread.id) == []
    private = await threads.create_thread(
        pat, category="general", kind="question", title="A private renewal question", body="Us only.",
        private=True,
    )  # fmt: skip
    with pytest.raises(NotFound):
        await ratings.ratings_of(sam, private.id)
    discussion = await threads.create_thread(
        pat, category="general", kind="discussion", title="Renewal stories to share", body="Tell us."
    )
    with pytest.raises(Forbidden):
        await ratings.rate_support(pat, discussion.id, score=3)


@pytest.mark.parametrize("score", [0, 6, "five", "", None, "4.5", "²", True, -1])
async def test_bad_scores_are_refused(world: World, score: object) -> None:
    pat = world.actor(world.partner)
    thread, answer = await _question(world)
    await posts.accept_answer(pat, answer)
    with pytest.raises(Invalid) as exc:
        await ratings.rate_support(pat, thread.id, score=score)
    assert "score" in exc.value.fields
    with pytest.raises(Invalid) as exc:
        await ratings.rate_support(pat, thread.id, score=3, comment="x" * 1001)
    assert "comment" in exc.value.fields


async def test_the_thread_page_form_and_the_api(client: httpx.AsyncClient, world: World) -> None:
    thread, answer = await _question(world)
    await login(client, world.partner)
    page = (await client.get(f"/t/{thread.id}")).text
    assert "Once you accept an answer or close the question" in page
    await posts.accept_answer(world.actor(world.partner), answer)
    page = (await client.get(f"/t/{thread.id}")).text
    assert f'action="/t/{thread.id}/rating"' in page
    sent = await post_form(
        client, f"/t/{thread.id}/rating", {"score": "2", "comment": "Slow but right."}, page=f"/t/{thread.id}"
    )
    assert sent.status_code == 303
    assert "Change your rating" in (await client.get(f"/t/{thread.id}")).text
    bad = await post_form(client, f"/t/{thread.id}/rating", {"score": "9"}, page=f"/t/{thread.id}")
    assert bad.status_code == 422 and "Choose a rating from 1" in bad.text
    erin = await bearer(world.expert)
    done = await client.put(f"/api/v1/threads/{thread.id}/rating", json={"score": 5}, headers=erin)
    assert done.status_code == 200 and done.json()["side"] == "expert"
    listed = (await client.get(f"/api/v1/threads/{thread.id}/ratings", headers=erin)).json()
    assert sorted(r["score"] for r in listed["items"]) == [2, 5]
    wrong = await client.put(f"/api/v1/threads/{thread.id}/rating", json={"score": "lots"}, headers=erin)
    assert wrong.status_code == 422
    sam = await bearer(world.silver_partner)
    refused = await client.put(f"/api/v1/threads/{thread.id}/rating", json={"score": 1}, headers=sam)
    assert refused.status_code == 403


async def test_the_answering_expert_rates_before_reading_the_askers_rating(
    client: httpx.AsyncClient, world: World
) -> None:
    """The trial: on /t/8 the expert read "Sofia 2/5, Took far too long." above their own "How
    well do you think you helped?" form, which anchors the self-rating the gap measures."""
    thread, answer = await _question(world)
    await posts.accept_answer(world.actor(world.partner), answer)
    await ratings.rate_support(world.actor(world.partner), thread.id, score=2, comment="Took far too long.")
    await login(client, world.expert)
    page = (await client.get(f"/t/{thread.id}")).text
    assert "How well do you think you helped?" in page
    assert "Took far too long." not in page and "2 of 5" not in page
    assert "Others' ratings on this question (the asker's too) show once you have rated yours" in page
    skipped = (await client.get(f"/t/{thread.id}?ratings=show")).text
    assert "Took far too long." in skipped and "2 of 5" in skipped
    assert "Took far too long." in (await client.get(f"/t/{thread.id}")).text  # the choice is remembered
    # Rated: every rating shows, theirs too.
    sent = await post_form(client, f"/t/{thread.id}/rating", {"score": "4"}, page=f"/t/{thread.id}")
    assert sent.status_code == 303
    page = (await client.get(f"/t/{thread.id}")).text
    assert "Took far too long." in page and "4 of 5" in page and "show once you have rated" not in page
    # A moderator who did not answer reads them all, as before.
    client.cookies.clear()
    await login(client, world.moderator)
    assert "Took far too long." in (await client.get(f"/t/{thread.id}")).text


async def test_the_api_holds_the_askers_rating_back_from_the_answering_expert_too(
    client: httpx.AsyncClient, world: World
) -> None:
    """As the thread page does: through the API the asker's score reached the expert before theirs."""
    thread, answer = await _question(world)
    await posts.accept_answer(world.actor(world.partner), answer)
    await ratings.rate_support(world.actor(world.partner), thread.id, score=2, comment="Took far too long.")
    expert, url = await bearer(world.expert), f"/api/v1/threads/{thread.id}/ratings"
    held = await client.get(url, headers=expert)
    assert held.status_code == 200 and held.json()["items"] == []
    shown = await client.get(url, params={"show_others": "true"}, headers=expert)
    assert [r["score"] for r in shown.json()["items"]] == [2]
    assert (await client.get(url, params={"show_others": "maybe"}, headers=expert)).status_code == 422
    rated = await client.put(url.removesuffix("s"), json={"score": 4}, headers=expert)
    assert rated.status_code == 200, rated.text
    assert sorted(r["score"] for r in (await client.get(url, headers=expert)).json()["items"]) == [2, 4]
    moderator = await bearer(world.moderator)  # did not answer: reads them all, as before
    assert len((await client.get(url, headers=moderator)).json()["items"]) == 2


async def test_the_dashboards_rated_list_holds_scores_back_from_the_answering_expert(
    client: httpx.AsyncClient, world: World
) -> None:
    """The dashboard's list of rated questions showed staff every score, the answering expert's
    own unrated questions included: the same anchoring as on the page, one click away."""
    thread, answer = await _question(world)
    await posts.accept_answer(world.actor(world.partner), answer)
    await ratings.rate_support(world.actor(world.partner), thread.id, score=2, comment="Took far too long.")
    await login(client, world.expert)
    page = (await client.get("/health/threads", params={"figure": "rated"})).text
    assert f"/t/{thread.id}" in page and "2 of 5" not in page
    assert "its ratings show once you have rated yours" in page
    listed = await client.get(
        "/api/v1/health-dashboard/threads", params={"figure": "rated"}, headers=await bearer(world.expert)
    )
    assert listed.status_code == 200 and listed.json()["scores"] == []
    await ratings.rate_support(world.actor(world.expert), thread.id, score=4)
    page = (await client.get("/health/threads", params={"figure": "rated"})).text
    assert "Asker&#39;s rating: 2 of 5" in page or "Asker's rating: 2 of 5" in page
    client.cookies.clear()
    await login(client, world.moderator)  # did not answer: the scores, as before
    other = await _question(world)
    await posts.accept_answer(world.actor(world.partner), other[1])
    await ratings.rate_support(world.actor(world.partner), other[0].id, score=5)
    page = (await client.get("/health/threads", params={"figure": "rated"})).text
    assert "5 of 5" in page and "rated yours" not in page
