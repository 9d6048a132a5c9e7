"""Q&A rules at the service level: visibility, answers, votes, acceptance, edits, deletes."""

from __future__ import annotations

import pytest

from community.errors import Forbidden, Invalid, NotFound
from community.forum import lists, posts, thread_actions, thread_page, threads
from community.models import Post, PostRevision, Tag, Thread, User


async def ask(world, user=None, category="general", **kw):  # type: ignore[no-untyped-def]
    data = {
        "kind": "question",
        "title": "Which firmware supports VLAN trunking on the X200?",
        "body": "We need *trunking* for a customer. Which firmware version do we need?",
        "tags": "Router X200, firmware",
    }
    data.update(kw)
    return await threads.create_thread(world.actor(user or world.partner), category=category, **data)


async def test_tags_are_normalised(world) -> None:
    thread = await ask(world)
    assert thread.tag_names == ["router", "x200", "firmware"]
    assert await Tag.filter(name="firmware").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "x" * 100_000),
        ("body", " "),
        ("body", "y" * 100_000),
        ("tags", ["<script>alert(1)</script>"]),
        ("tags", ["a", "b", "c", "d", "e", "f"]),
        ("kind", "poll"),
        ("category", "does-not-exist"),
        ("category", "gold-programme"),  # not visible to a silver partner
    ],
)
async def test_bad_input_names_the_field(world, field: str, value: object) -> None:
    with pytest.raises(Invalid) as exc:
        await ask(world, user=world.silver_partner, **({field: value} if field != "category" else {}),
                  **({"category": value} if field == "category" else {}))  # fmt: skip
    assert field in exc.value.fields
    assert not await Thread.all().exists()


async def test_script_in_body_is_not_executable(world) -> None:
    thread = await ask(world, body="Hello <script>alert(1)</script> <img src=x onerror=alert(2)>")
    post = await Post.get(thread_id=thread.id, is_opening=True)
    assert "<script" not in post.body_html and "<img" not in post.body_html
    assert "&lt;script&gt;" in post.body_html  # shown as text, harmless
    assert "<script>alert(1)</script>" in post.body_source


async def test_restricted_thread_is_invisible_to_other_tiers(world) -> None:
    thread = await ask(world, category="gold-programme")
    for outsider in (world.silver_partner, world.registered_partner):
        with pytest.raises(NotFound):
            await thread_page.get_thread_view(world.actor(outsider), thread.id)
        listing = await lists.list_threads(world.actor(outsider))
        assert thread.id not in [t["id"] for t in listing.items] and listing.total == 0
        with pytest.raises(NotFound):
            await posts.reply(world.actor(outsider), thread.id, body="Let me in")
    assert (await thread_page.get_thread_view(world.actor(world.colleague), thread.id)).thread.id == thread.id
    assert (await thread_page.get_thread_view(world.actor(world.expert), thread.id)).thread.id == thread.id


async def test_staff_category_is_invisible_to_partners(world) -> None:
    thread = await ask(world, user=world.expert, category="staff-room")
    with pytest.raises(NotFound):
        await thread_page.get_thread_view(world.actor(world.partner), thread.id)
    with pytest.raises(NotFound):
        await lists.list_threads(world.actor(world.partner), category="staff-room")


async def test_answers_sorted_accepted_first_then_votes(world) -> None:
    thread = await ask(world)
    a1 = await posts.reply(world.actor(world.colleague), thread.id, body="Firmware 4.2 and later.")
    a2 = await posts.reply(world.actor(world.expert), thread.id, body="4.2+, and enable `vlan trunk`.")
    a3 = await posts.reply(world.actor(world.silver_partner), thread.id, body="We use 4.3 without issues.")
    await posts.vote(world.actor(world.partner), a3.id)
    await posts.vote(world.actor(world.expert), a3.id)
    await posts.vote(world.actor(world.partner), a1.id)
    await posts.accept_answer(world.actor(world.partner), a2.id)
    view = await thread_page.get_thread_view(world.actor(world.partner), thread.id)
    assert [p.id for p in view.posts] == [a2.id, a3.id, a1.id]
    assert view.posts[0].is_accepted and view.posts[1].score == 2


async def test_one_vote_per_person_and_not_on_own_post(world) -> None:
    thread = await ask(world)
    answer = await posts.reply(world.actor(world.expert), thread.id, body="Use firmware 4.2.")
    assert await posts.vote(world.actor(world.partner), answer.id) == 1
    assert await posts.vote(world.actor(world.partner), answer.id) == 1
    assert await posts.vote(world.actor(world.partner), answer.id, helpful=False) == 0
    with pytest.raises(Forbidden):
        await posts.vote(world.actor(world.expert), answer.id)


async def test_accept_rules_and_counts(world) -> None:
    thread = await ask(world)
    first = await posts.reply(world.actor(world.colleague), thread.id, body="Try 4.1.")
    second = await posts.reply(world.actor(world.expert), thread.id, body="4.2 is needed.")
    with pytest.raises(Forbidden):
        await posts.accept_answer(world.actor(world.silver_partner), first.id)
    await posts.accept_answer(world.actor(world.partner), first.id)
    # Staff may change it, but not to their own answer (it would count in their own figures).
    with pytest.raises(Forbidden, match="accepted by the person who asked"):
        await posts.accept_answer(world.actor(world.expert), second.id)
    assert (await Thread.get(id=thread.id)).accepted_post_id == first.id
    await posts.accept_answer(world.actor(world.moderator), second.id)
    assert (await Thread.get(id=thread.id)).accepted_post_id == second.id
    assert (await User.get(id=world.colleague.id)).accepted_count == 0
    assert (await User.get(id=world.expert.id)).accepted_count == 1
    opening = await Post.get(thread_id=thread.id, is_opening=True)
    with pytest.raises(Invalid):
        await posts.accept_answer(world.actor(world.partner), opening.id)


async def test_discussions_have_no_accepted_answer(world) -> None:
    thread = await ask(world, kind="discussion", title="Share your X200 onboarding checklists")
    reply = await posts.reply(world.actor(world.expert), thread.id, body="Here is ours.")
    with pytest.raises(Invalid):
        await posts.accept_answer(world.actor(world.partner), reply.id)


async def test_edit_keeps_every_revision(world) -> None:
    thread = await ask(world)
    opening = await Post.get(thread_id=thread.id, is_opening=True)
    await posts.edit_post(
        world.actor(world.partner), opening.id, body="Updated body text", title="A better, clearer title",
        tags=["vlan"], note="clarified",
    )  # fmt: skip
    with pytest.raises(Forbidden):
        await posts.edit_post(world.actor(world.colleague), opening.id, body="Not mine")
    await posts.edit_post(world.actor(world.expert), opening.id, body="Staff fixed a typo")
    _, _, revisions = await posts.list_revisions(world.actor(world.silver_partner), opening.id)
    assert [r["number"] for r in revisions] == [1, 2, 3]
    assert revisions[0]["body_source"].startswith("We need")
    assert revisions[1]["note"] == "clarified" and revisions[1]["title"] == "A better, clearer title"
    refreshed = await Thread.get(id=thread.id)
    assert refreshed.title == "A better, clearer title" and refreshed.tag_names == ["vlan"]
    assert await PostRevision.filter(post_id=opening.id).count() == 3


async def test_soft_delete_keeps_text_and_unaccepts(world) -> None:
    thread = await ask(world)
    answer = await posts.reply(world.actor(world.colleague), thread.id, body="Delete me later")
    await posts.accept_answer(world.actor(world.partner), answer.id)
    with pytest.raises(Forbidden):
        await posts.delete_post(world.actor(world.partner), answer.id)
    await posts.delete_post(world.actor(world.colleague), answer.id)
    stored = await Post.get(id=answer.id)
    assert stored.state == "deleted" and stored.body_source == "Delete me later"
    assert (await Thread.get(id=thread.id)).accepted_post_id is None
    view = await thread_page.get_thread_view(world.actor(world.partner), thread.id)
    assert view.posts[0].body_html == ""


async def test_closed_thread_refuses_answers_except_from_moderators(world) -> None:
    thread = await ask(world)
    await thread_actions.set_status(world.actor(world.moderator), thread.id, status="closed")
    with pytest.raises(Forbidden):
        await posts.reply(world.actor(world.colleague), thread.id, body="Too late")
    assert await posts.reply(world.actor(world.moderator), thread.id, body="Closing note")


async def test_mentions_link_to_profiles(world) -> None:
    thread = await ask(world, body="Can @erin-expert confirm? Mail me at pat@gold.example")
    opening = await Post.get(thread_id=thread.id, is_opening=True)
    assert '<a href="/u/erin-expert" class="mention"' in opening.body_html
    assert "pat@gold.example" in opening.body_html and "/u/gold" not in opening.body_html


async def test_lists_filter_unanswered_and_solved(world) -> None:
    unanswered = await ask(world, title="Nobody answered this question yet")
    solved = await ask(world, title="This one has an accepted answer")
    answer = await posts.reply(world.actor(world.expert), solved.id, body="Here you go.")
    await posts.accept_answer(world.actor(world.partner), answer.id)
    actor = world.actor(world.colleague)
    assert [t["id"] for t in (await lists.list_threads(actor, show="unanswered")).items] == [unanswered.id]
    assert [t["id"] for t in (await lists.list_threads(actor, show="solved")).items] == [solved.id]
    by_tag = await lists.list_threads(actor, tag="firmware")
    assert by_tag.total == 2


async def test_profile_counts_leave_out_what_the_viewer_may_not_see(world) -> None:
    from community.accounts import people

    await ask(world, category="gold-programme", title="Gold-only rebate question for experts")
    public = await ask(world, title="A question everyone can see here")
    answer = await posts.reply(world.actor(world.colleague), public.id, body="Public answer")
    await posts.accept_answer(world.actor(world.partner), answer.id)
    silver_view = await people.get_profile(world.actor(world.silver_partner), world.partner.handle)
    gold_view = await people.get_profile(world.actor(world.colleague), world.partner.handle)
    assert (silver_view.post_count, gold_view.post_count) == (1, 2)
    colleague = await people.get_profile(world.actor(world.silver_partner), world.colleague.handle)
    assert colleague.accepted_count == 1


async def test_racing_double_submits_count_once(world) -> None:
    """Double clicks and two people acting at once: counters move once, nobody gets a 500."""
    import asyncio

    from community.errors import Conflict

    thread = await ask(world)
    answers = [
        await posts.reply(world.actor(u), thread.id, body=f"Answer by {u.display_name}")
        for u in (world.colleague, world.expert, world.silver_partner)
    ]
    voter = world.actor(world.partner)
    await asyncio.gather(*(posts.vote(voter, answers[0].id) for _ in range(4)))
    assert (await Post.get(id=answers[0].id)).score == 1

    results = await asyncio.gather(
        *(posts.accept_answer(world.actor(world.partner), a.id) for a in answers), return_exceptions=True
    )
    assert all(not isinstance(r, Exception) or isinstance(r, Conflict) for r in results)
    counts = [(await User.get(id=a.author_id)).accepted_count for a in answers]
    accepted = (await Thread.get(id=thread.id)).accepted_post_id
    assert sum(counts) == 1 and counts[[a.id for a in answers].index(accepted)] == 1

    before = (await User.get(id=world.colleague.id)).post_count
    await asyncio.gather(*(posts.delete_post(world.actor(world.colleague), answers[0].id) for _ in range(3)))
    assert (await User.get(id=world.colleague.id)).post_count == before - 1
    assert (await Thread.get(id=thread.id)).reply_count == 2


async def test_an_edit_based_on_an_old_revision_is_refused_not_lost(world) -> None:
    from community.errors import Conflict

    thread = await ask(world)
    answer = await posts.reply(world.actor(world.expert), thread.id, body="First version")
    await posts.edit_post(world.actor(world.expert), answer.id, body="Second version")
    # A concurrent edit that read revision 1 loses the race: it is told, the second version stays.
    original = posts.load_visible_post

    async def stale_load(actor, post_id):  # type: ignore[no-untyped-def]
        post, t = await original(actor, post_id)
        post.revision_count = 1
        return post, t

    posts.load_visible_post = stale_load  # type: ignore[assignment]
    try:
        with pytest.raises(Conflict):
            await posts.edit_post(world.actor(world.moderator), answer.id, body="Based on the first")
    finally:
        posts.load_visible_post = original  # type: ignore[assignment]
    assert (await Post.get(id=answer.id)).body_source == "Second version"


async def test_experts_cannot_read_hidden_posts_through_edit(world) -> None:
    thread = await ask(world)
    answer = await posts.reply(world.actor(world.colleague), thread.id, body="Confidential price list")
    await Post.filter(id=answer.id).update(state="hidden")
    with pytest.raises(Forbidden):
        await posts.post_for_edit(world.actor(world.expert), answer.id)
    view = await thread_page.get_thread_view(world.actor(world.expert), thread.id, with_sources=True)
    assert all(p.body_source is None for p in view.posts if p.id == answer.id)


async def test_the_same_category_submitted_twice_at_once_is_a_field_error(world) -> None:
    import asyncio

    from community.accounts import directory

    results = await asyncio.gather(
        *(directory.create_category(world.settings, None, name="Twin", slug="twin") for _ in range(3)),
        return_exceptions=True,
    )
    created = [r for r in results if not isinstance(r, Exception)]
    assert len(created) == 1
    assert all(isinstance(r, Invalid) and "slug" in r.fields for r in results if isinstance(r, Exception))


async def test_a_held_question_takes_its_thread_out_of_sight_for_others(world) -> None:
    thread = await ask(world, title="Our net price for ACME is 1200 EUR, discount?")
    opening = await Post.get(thread_id=thread.id, is_opening=True)
    await Post.filter(id=opening.id).update(state="pending")
    for outsider in (world.colleague, world.expert):
        listing = await lists.list_threads(world.actor(outsider))
        assert thread.id not in [t["id"] for t in listing.items] and listing.total == 0
        with pytest.raises(NotFound):
            await thread_page.get_thread_view(world.actor(outsider), thread.id)
        with pytest.raises(NotFound):
            await posts.reply(world.actor(outsider), thread.id, body="Let me see")
    from community.accounts import directory

    counts = {
        s.category.slug: s.thread_count for s in await directory.list_categories(world.actor(world.colleague))
    }
    assert counts["general"] == 0
    assert (await lists.list_threads(world.actor(world.partner))).total == 1  # the author
    assert (await lists.list_threads(world.actor(world.moderator))).total == 1
    assert (await thread_page.get_thread_view(world.actor(world.moderator), thread.id)).thread.id == thread.id
