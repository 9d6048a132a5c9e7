"""Who hears about what: each kind reaches the right people, and never someone who may not see
the thread; grouping, muted kinds, watching and muting, automatic watching."""

from __future__ import annotations

import logging

import pytest

from community.forum import posts, threads
from community.models import Notification, NotificationKind, Watch
from community.notifications import centre, watching
from moderation import audit, decisions, flags
from moderation.queue import list_queue
from tests.conftest import World


async def inbox(user_id: int) -> list[Notification]:
    return await Notification.filter(user_id=user_id).order_by("-updated_at", "-id")


async def kinds_of(user_id: int) -> list[str]:
    return [n.kind for n in await inbox(user_id)]


async def ask(world: World, user=None, category: str = "general", kind: str = "question", **kw):  # type: ignore[no-untyped-def]
    return await threads.create_thread(
        world.actor(user or world.partner), category=category, kind=kind,
        title=kw.pop("title", "Which switch suits a small office?"), body=kw.pop("body", "Twenty desks."),
        **kw,
    )  # fmt: skip


async def test_an_answer_tells_the_asker_and_a_reply_the_discussion_starter(world: World):
    question = await ask(world)
    answer = await posts.reply(world.actor(world.expert), question.id, body="The 24-port model.")
    [note] = await inbox(world.partner.id)
    assert note.kind == NotificationKind.ANSWER and note.post_id == answer.id
    assert "Erin Expert answered your question" in note.text and note.url == f"/posts/{answer.id}"
    # Erin was routed the question (docs/experts.md); nobody hears about their own post.
    assert await kinds_of(world.expert.id) == [NotificationKind.ROUTED]

    talk = await ask(world, kind="discussion", title="Your favourite rack layouts")
    await posts.reply(world.actor(world.expert), talk.id, body="Patch panels on top.")
    assert (await inbox(world.partner.id))[0].kind == NotificationKind.REPLY


async def test_mentions_reach_only_people_who_may_see_the_thread(world: World):
    sam, rae = world.silver_partner.handle, world.registered_partner.handle
    gold = await ask(
        world, category="gold-programme", body=f"@{sam} and @{world.colleague.handle}, thoughts?"
    )
    assert await kinds_of(world.colleague.id) == [NotificationKind.MENTION]
    assert await kinds_of(world.silver_partner.id) == []  # a silver partner never hears of a gold thread
    await posts.reply(world.actor(world.expert), gold.id, body=f"Asking @{sam} and @{rae} too.")
    assert await kinds_of(world.silver_partner.id) == []
    assert await kinds_of(world.registered_partner.id) == []
    public = await ask(world, title="Where are the firmware notes?", body=f"@{sam} do you know?")
    [note] = await inbox(world.silver_partner.id)
    assert note.kind == NotificationKind.MENTION and note.thread_id == public.id


async def test_a_mentioned_author_hears_once_by_the_most_specific_reason(world: World):
    question = await ask(world)
    await posts.reply(
        world.actor(world.expert), question.id, body=f"@{world.partner.handle} try the 24-port."
    )
    assert await kinds_of(world.partner.id) == [NotificationKind.MENTION]


async def test_replies_in_one_thread_group_into_one_entry_until_read(world: World):
    question = await ask(world)
    for who in (world.expert, world.colleague, world.moderator):
        last = await posts.reply(world.actor(who), question.id, body="Another answer here.")
    [note] = await inbox(world.partner.id)
    assert note.count == 3 and note.post_id == last.id and "Mo Moderator" in note.text
    await centre.mark_read(world.actor(world.partner), note.id)
    await posts.reply(world.actor(world.admin), question.id, body="And one more.")
    notes = await inbox(world.partner.id)
    assert [(n.count, n.read_at is None) for n in notes] == [(1, True), (3, False)]


async def test_grouped_entry_moves_to_the_top(world: World):
    first = await ask(world, title="First question of the day")
    second = await ask(world, title="Second question of the day")
    await posts.reply(world.actor(world.expert), first.id, body="Answer one.")
    await posts.reply(world.actor(world.expert), second.id, body="Answer two.")
    await posts.reply(world.actor(world.colleague), first.id, body="Answer three.")
    notes = await inbox(world.partner.id)
    assert [(n.thread_id, n.count) for n in notes] == [(first.id, 2), (second.id, 1)]


async def test_switched_off_kinds_are_not_delivered(world: World):
    pat = world.actor(world.partner)
    await centre.set_preferences(
        pat, muted_kinds=[NotificationKind.ANSWER], watch_started=True, watch_answered=True
    )
    question = await ask(world)
    await posts.reply(world.actor(world.expert), question.id, body=f"An answer, @{world.partner.handle}.")
    await posts.reply(world.actor(world.expert), question.id, body="Another answer.")
    assert await kinds_of(world.partner.id) == [NotificationKind.MENTION]


async def test_watchers_hear_of_new_posts_but_not_their_own_and_muting_silences(world: World):
    question = await ask(world)
    await watching.set_watch(world.actor(world.colleague), "thread", question.id, "watching")
    await posts.reply(world.actor(world.colleague), question.id, body="My own answer.")
    assert await kinds_of(world.colleague.id) == []
    await posts.reply(world.actor(world.expert), question.id, body="An expert answer.")
    assert await kinds_of(world.colleague.id) == [NotificationKind.WATCHED_THREAD]
    await watching.set_watch(world.actor(world.partner), "thread", question.id, "muted")
    await posts.reply(world.actor(world.expert), question.id, body=f"@{world.partner.handle} see above.")
    assert await kinds_of(world.partner.id) == [NotificationKind.ANSWER]  # the one before muting


async def test_threads_one_starts_or_answers_are_watched_as_preferences_say(world: World):
    question = await ask(world)
    assert await Watch.filter(user_id=world.partner.id, target_key=str(question.id)).exists()
    await posts.reply(world.actor(world.expert), question.id, body="First answer.")
    assert await Watch.filter(user_id=world.expert.id, target_key=str(question.id)).exists()
    cole = world.actor(world.colleague)
    await centre.set_preferences(cole, muted_kinds=[], watch_started=False, watch_answered=False)
    await posts.reply(cole, question.id, body="Second answer.")
    own = await ask(world, world.colleague, title="Colleague's own question")
    assert not await Watch.filter(user_id=world.colleague.id).exists()
    await posts.reply(world.actor(world.moderator), question.id, body="Third answer.")
    assert NotificationKind.WATCHED_THREAD in await kinds_of(world.expert.id)
    assert await kinds_of(world.colleague.id) == []
    await posts.reply(world.actor(world.expert), own.id, body="Answering the colleague.")
    assert await kinds_of(world.colleague.id) == [NotificationKind.ANSWER]  # still hears as the asker


async def test_new_questions_reach_category_and_tag_watchers_who_may_see_them(world: World):
    cole, sam, rae = (
        world.actor(world.colleague),
        world.actor(world.silver_partner),
        world.actor(world.registered_partner),
    )
    await watching.set_watch(cole, "category", "gold-programme", "watching")
    await watching.set_watch(sam, "tag", "rebates", "watching")
    await watching.set_watch(rae, "tag", "rebates", "watching")
    await watching.set_watch(rae, "category", "general", "muted")
    await ask(world, category="gold-programme", title="Gold rebate schedule", tags="rebates")
    assert await kinds_of(world.colleague.id) == [NotificationKind.WATCHED_QUESTION]
    assert await kinds_of(world.silver_partner.id) == []  # the tag, but a gold-only category
    public = await ask(world, title="Public rebate question", tags="rebates")
    [note] = await inbox(world.silver_partner.id)
    assert note.kind == NotificationKind.WATCHED_QUESTION and note.thread_id == public.id
    assert await kinds_of(world.registered_partner.id) == []  # muted the category


async def test_a_held_post_tells_nobody_but_the_moderators(world: World, app):
    from community.models import WatchedWord

    await WatchedWord.create(pattern="secret discount", action="hold")
    app.state.moderation.invalidate()
    question = await ask(world)
    await posts.reply(
        world.actor(world.expert), question.id, body="Ask for the secret discount.", gate=app.state.moderation
    )
    assert await kinds_of(world.partner.id) == []
    assert await kinds_of(world.moderator.id) == [NotificationKind.REVIEW_ITEM]
    # Approved: the author is told, and the asker hears of the answer as if it had just been written.
    queue = await list_queue(world.actor(world.moderator))
    await decisions.decide_item(world.actor(world.moderator), queue.items[0]["id"], decision="keep")
    assert "approved your post" in (await inbox(world.expert.id))[0].text
    assert await kinds_of(world.partner.id) == [NotificationKind.ANSWER]


async def test_accepting_tells_the_answer_author(world: World):
    question = await ask(world)
    answer = await posts.reply(world.actor(world.expert), question.id, body="The 24-port model.")
    await posts.accept_answer(world.actor(world.partner), answer.id)
    note = (await inbox(world.expert.id))[0]  # then the question routed to her
    assert note.kind == NotificationKind.ACCEPTED and note.post_id == answer.id


async def test_flaggers_authors_and_moderators_hear_about_moderation(world: World, app):
    gate = app.state.moderation
    question = await ask(world)
    spam = await posts.reply(world.actor(world.colleague), question.id, body="Buy from my cousin!")
    await flags.flag_post(gate, world.actor(world.partner), spam.id, reason="spam")
    await flags.flag_post(gate, world.actor(world.expert), spam.id, reason="spam")
    # The expert's flag tipped it over the threshold: hidden pending review, the author is told.
    hidden = (await inbox(world.colleague.id))[0]
    assert hidden.kind == NotificationKind.POST_HIDDEN and "pending review" in hidden.text
    queue = [n for n in await inbox(world.moderator.id) if n.kind == NotificationKind.REVIEW_ITEM]
    assert len(queue) == 1 and queue[0].count == 1
    item = await list_queue(world.actor(world.moderator))
    await decisions.decide_item(
        world.actor(world.moderator), item.items[0]["id"], decision="hide", reason="Advert"
    )
    for flagger in (world.partner, world.expert):
        outcome = [n for n in await inbox(flagger.id) if n.kind == NotificationKind.FLAG_OUTCOME]
        assert len(outcome) == 1 and "agreed with your flag and hid the post" in outcome[0].text
    latest = (await inbox(world.colleague.id))[0]
    assert latest.kind == NotificationKind.POST_HIDDEN and latest.text.endswith(": Advert")
    entry = (await audit.list_audit(world.actor(world.moderator), action="post.hide")).entries[0]
    await audit.restore_from_audit(world.actor(world.moderator), entry["id"])
    assert (await inbox(world.colleague.id))[0].kind == NotificationKind.POST_RESTORED


async def test_new_review_items_group_for_moderators(world: World, app):
    gate = app.state.moderation
    question = await ask(world)
    for body in ("First odd post.", "Second odd post."):
        post = await posts.reply(world.actor(world.colleague), question.id, body=body)
        await flags.flag_post(gate, world.actor(world.partner), post.id, reason="off_topic")
    queue = [n for n in await inbox(world.admin.id) if n.kind == NotificationKind.REVIEW_ITEM]
    assert len(queue) == 1 and queue[0].count == 2 and queue[0].url == "/moderation/queue"


async def test_fan_out_costs_the_same_queries_for_many_watchers(world: World, caplog):
    """Posting into a watched thread: the number of queries does not grow with the watchers."""
    from community.accounts import people

    question = await ask(world)

    async def queries_for_a_reply(body: str) -> int:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            await posts.reply(world.actor(world.expert), question.id, body=body)
        return len([r for r in caplog.records if r.name == "tortoise.db_client"])

    async def add_watchers(start: int, stop: int) -> None:
        for i in range(start, stop):
            user = await people.create_user(
                world.settings, email=f"w{i}@gold.example", display_name=f"Watcher {i}", role="partner",
                organisation=world.gold, password="correct horse battery",
            )  # fmt: skip
            await Watch.create(user_id=user.id, target_type="thread", target_key=str(question.id))

    await add_watchers(0, 3)
    await posts.reply(world.actor(world.expert), question.id, body="Warm-up answer.")
    few = await queries_for_a_reply("With three watchers.")
    await add_watchers(3, 60)
    many = await queries_for_a_reply("With sixty watchers.")
    assert many <= few + 2, (few, many)
    watched = await Notification.filter(kind=NotificationKind.WATCHED_THREAD).values_list("user_id", "count")
    assert len(watched) == 60 and sorted(c for _, c in watched) == [1] * 57 + [3] * 3


@pytest.mark.parametrize("kind", NotificationKind.ALL)
async def test_every_kind_has_a_label(kind: str):
    assert centre.KIND_LABELS[kind]
