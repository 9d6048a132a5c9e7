"""A hand-computed fixture for the channel-health dashboard: two weeks (Monday 5 to Sunday 18
January 2026), five questions, their answers, ratings, flags and an article. The expected figures
are worked out by hand in ``test_dashboard_figures.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from community.forum import posts, threads
from community.kb import articles, feedback
from community.models import Article, ArticleRating, ArticleViewDay, Flag, ResponseClock, Thread
from community.support import ratings
from moderation import flags
from tests.conftest import World

START, END = date(2026, 1, 5), date(2026, 1, 18)
PARAMS = {"from": START.isoformat(), "to": END.isoformat()}


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)


@dataclass
class Fixture:
    q1: Thread
    q2: Thread
    q3: Thread
    q4: Thread
    q5: Thread
    discussion: Thread


async def build(world: World, gate) -> Fixture:  # type: ignore[no-untyped-def]
    pat, cole, sam, rae, erin = (
        world.actor(u)
        for u in (
            world.partner,
            world.colleague,
            world.silver_partner,
            world.registered_partner,
            world.expert,
        )
    )

    async def ask(
        who, when: datetime, title: str, category: str = "general", kind: str = "question"
    ) -> Thread:  # type: ignore[no-untyped-def]
        return await threads.create_thread(
            who, category=category, kind=kind, title=title, body="Details of the question.", created_at=when
        )

    async def answer(who, thread: Thread, hours: float) -> int:  # type: ignore[no-untyped-def]
        when = thread.created_at + timedelta(hours=hours)
        return (await posts.reply(who, thread.id, body="An answer with the details.", created_at=when)).id

    q1 = await ask(pat, at(5, 10), "Gold question one about renewals")
    await answer(cole, q1, 2)  # a peer after 2 h
    q1_expert = await answer(erin, q1, 5)  # an expert after 5 h: accepted
    await posts.accept_answer(pat, q1_expert)
    q2 = await ask(sam, at(6, 9), "Silver question two about licences")
    q2_expert = await answer(erin, q2, 10)
    await posts.accept_answer(sam, q2_expert)
    q3 = await ask(sam, at(7, 12), "Silver question three about pricing")
    await answer(sam, q3, 1)  # the asker's own follow-up: not an answer
    q3_peer = await answer(pat, q3, 4)
    await posts.accept_answer(sam, q3_peer)
    q4 = await ask(rae, at(12, 8), "Registered question four, unanswered")
    q5 = await ask(pat, at(13, 8), "Gold question five about the programme", category="gold-programme")
    await answer(erin, q5, 20)
    # Response targets: every question's clock started when it was asked (first answer within 24 h,
    # the default); Q5 also had a solution due a day after asking. Q4 (no answer) and Q5 (no
    # solution) are overdue now; Q1-Q3 met theirs.
    await ResponseClock.filter(thread_id=q5.id).update(solution_due=at(14, 8))
    discussion = await ask(cole, at(8, 9), "A discussion that is not a question", kind="discussion")
    await ask(pat, at(20, 9), "A question after the period")
    deleted = await ask(sam, at(9, 9), "A question deleted later")
    await Thread.filter(id=deleted.id).update(is_deleted=True)

    await ratings.rate_support(pat, q1.id, score=3)
    await ratings.rate_support(erin, q1.id, score=5)
    await ratings.rate_support(sam, q2.id, score=2, comment="Ten hours.")
    await ratings.rate_support(erin, q2.id, score=4)
    await ratings.rate_support(sam, q3.id, score=5)

    decided = await flags.flag_post(gate, rae, q1_expert, reason="off_topic")
    await Flag.filter(post_id=q1_expert).update(
        created_at=at(6, 12), resolved_at=at(6, 15), resolution="kept"
    )
    await flags.flag_post(gate, rae, q3_peer, reason="spam")
    await Flag.filter(post_id=q3_peer).update(created_at=at(13, 12))
    assert decided is not None

    article = await articles.promote_answer(erin, q2_expert)
    await Article.filter(id=article.id).update(published_at=at(10, 9))
    await ArticleViewDay.create(article_id=article.id, day=date(2026, 1, 10), views=5)
    await ArticleViewDay.create(article_id=article.id, day=date(2026, 1, 20), views=7)
    await feedback.rate(pat, article.id, True)
    await feedback.rate(sam, article.id, False)
    await ArticleRating.filter(article_id=article.id).update(updated_at=at(11, 9))
    return Fixture(q1, q2, q3, q4, q5, discussion)
