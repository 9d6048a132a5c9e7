"""Support ratings: when an asker has accepted an answer or closed their question they may rate
the support they got (1 to 5, with an optional comment); an expert who answered rates how well
they think they helped. Both are kept, and changed only by their author. The channel-health
dashboard sets the two side by side (the gap between how the company and partners see support).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from community import policy, validation
from community.actor import Actor
from community.errors import Forbidden
from community.models import Post, PostState, RatingSide, SupportRating, Thread, ThreadKind
from community.timeutil import utcnow
from community.visibility import load_visible_thread

COMMENT_MAX = 1000
SCORES = (1, 2, 3, 4, 5)
SCORE_WORDS = {1: "Very poor", 2: "Poor", 3: "Fair", 4: "Good", 5: "Excellent"}


@dataclass
class RatingPanel:
    """What the thread page offers one person: the form for their side (None: no form), their own
    rating, and (staff) every rating on the question."""

    side: str | None
    mine: dict[str, Any] | None = None
    ratings: list[dict[str, Any]] = field(default_factory=list)
    waiting: str | None = None  # why an asker cannot rate yet
    held_back: int = 0  # others' ratings not shown until the expert has rated (or skipped)


_FIELDS = ("id", "thread_id", "rater_id", "side", "score", "comment", "created_at", "updated_at")
_RELATED = {"rater_handle": "rater__handle", "rater_name": "rater__display_name"}


async def _answered(actor: Actor, thread_id: int) -> bool:
    return await Post.filter(
        thread_id=thread_id, author_id=actor.id, is_opening=False, state=PostState.VISIBLE
    ).exists()


async def _side(actor: Actor, thread: Thread) -> str:
    """The side the actor rates from, or Forbidden saying why they may not rate."""
    if thread.kind != ThreadKind.QUESTION:
        raise Forbidden("Only questions are rated: discussions have no answer to rate.")
    if thread.author_id == actor.id:
        if not policy.can_rate_as_asker(actor, thread):
            raise Forbidden(
                "You can rate the support once you have accepted an answer or closed the question."
            )
        return RatingSide.ASKER
    if not policy.can_rate_as_expert(actor, answered=await _answered(actor, thread.id)):
        raise Forbidden("Only the asker and the experts who answered rate the support on a question.")
    return RatingSide.EXPERT


def read_score(value: object, fields: dict[str, str]) -> int:
    score = validation.positive_int(value, max_value=5)
    if score is None:
        fields["score"] = "Choose a rating from 1 (very poor) to 5 (excellent)."
        return 0
    return score


async def rate_support(
    actor: Actor, thread_id: int, *, score: object, comment: object = ""
) -> dict[str, Any]:
    """Rate (or re-rate) the support on a question: the asker the support they got, an expert who
    answered how well they think they helped. One rating per person and question."""
    thread = await load_visible_thread(actor, thread_id)
    side = await _side(actor, thread)
    fields: dict[str, str] = {}
    value = read_score(score, fields)
    text = validation.short_text(
        "" if comment is None else comment,
        fields,
        "comment",
        "The comment",
        required=False,
        max_len=COMMENT_MAX,
    )
    validation.raise_if(fields)
    now = utcnow()
    async with in_transaction():
        updated = await SupportRating.filter(thread_id=thread.id, rater_id=actor.id).update(
            score=value, comment=text, side=side, updated_at=now
        )
        if not updated:
            try:
                async with in_transaction():
                    await SupportRating.create(
                        thread_id=thread.id, rater_id=actor.id, side=side, score=value, comment=text,
                        created_at=now, updated_at=now,
                    )  # fmt: skip
            except IntegrityError:  # the same person rated at the same moment: theirs is the later
                await SupportRating.filter(thread_id=thread.id, rater_id=actor.id).update(
                    score=value, comment=text, side=side, updated_at=now
                )
        # The thread page shows the rating: its cached copies must go.
        await Thread.filter(id=thread.id).update(version=F("version") + 1)
    rows = await SupportRating.filter(thread_id=thread.id, rater_id=actor.id).values(*_FIELDS, **_RELATED)
    return rows[0]


async def ratings_of(actor: Actor, thread_id: int, *, show_others: bool = False) -> list[dict[str, Any]]:
    """The ratings on a question the actor may read: staff every one, anyone else their own; an
    expert who answered and has not rated yet none of the others' unless ``show_others`` (as on
    the thread page, so that the asker's score does not anchor their own)."""
    thread = await load_visible_thread(actor, thread_id)
    query = SupportRating.filter(thread_id=thread.id)
    if not policy.can_read_support_ratings(actor):
        query = query.filter(rater_id=actor.id)
    rows = await query.order_by("side", "id").values(*_FIELDS, **_RELATED)
    if show_others or thread.author_id == actor.id or any(r["rater_id"] == actor.id for r in rows):
        return rows
    if rows and policy.can_rate_as_expert(actor, answered=await _answered(actor, thread.id)):
        return []
    return rows


async def rating_panel(actor: Actor, thread: Thread, *, show_others: bool = False) -> RatingPanel:
    """The thread page's rating box for ``actor`` (a thread they may see): at most two queries, none
    for someone who neither asked nor works here.

    An expert who answered and has not rated yet does not see the others' ratings (the asker's
    score and comment) beside their form, unless they chose to skip (``show_others``): reading
    "2 of 5, took far too long" first anchors the self-rating whose gap the dashboard measures."""
    if thread.kind != ThreadKind.QUESTION or not (thread.author_id == actor.id or actor.is_staff):
        return RatingPanel(side=None)
    rows = await SupportRating.filter(thread_id=thread.id).order_by("side", "id").values(*_FIELDS, **_RELATED)
    mine = next((r for r in rows if r["rater_id"] == actor.id), None)
    shown = rows if policy.can_read_support_ratings(actor) else []
    if thread.author_id == actor.id:
        if policy.can_rate_as_asker(actor, thread):
            return RatingPanel(RatingSide.ASKER, mine, shown)
        return RatingPanel(
            None,
            mine,
            shown,
            waiting="Once you accept an answer or close the question, rate the support you got.",
        )
    answered = mine is not None or await _answered(actor, thread.id)
    side = RatingSide.EXPERT if policy.can_rate_as_expert(actor, answered=answered) else None
    if side == RatingSide.EXPERT and mine is None and not show_others and shown:
        return RatingPanel(side, mine, [], held_back=len(shown))
    return RatingPanel(side, mine, shown)
