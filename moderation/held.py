"""Why a post is held for review, told to its author: which rule held it and what they can do.

The review item keeps the rule's reason as moderators read it ("Possibly confidential: prices,
discounts or margins"); the author reads the same fact as a sentence with advice. Shown when the
post is submitted (the page's message, the API's ``held_reason``), on the waiting post itself, and
in the notice when a moderator decides.
"""

from __future__ import annotations

import re

from community.models import Post, PostState, ReviewItem, ReviewKind, ReviewState
from moderation.rules.content import CONFIDENTIAL_REASON, WATCHED_WORD_REASON
from moderation.rules.newcomers import NEW_MEMBER_REASON

_HELD_KINDS = (ReviewKind.HELD_POST, ReviewKind.NEW_ACCOUNT)
_COUNT = re.compile(r"until (\d+) are published")
WAITING = "A moderator will look at it soon, and you will be notified either way."


def explain(reason: str) -> str:
    """The author's reading of a hold reason: the rule, then what to do about it."""
    if reason.startswith(CONFIDENTIAL_REASON):
        return (
            "Your post is waiting for a moderator because it mentions a price, discount or margin, "
            "and every partner can read this category. " + WAITING + " To publish without waiting, "
            "delete it and post it again without the figure, or ask in a restricted pricing "
            "category that only your partner tier can see."
        )
    if reason.startswith(WATCHED_WORD_REASON):
        return (
            "Your post is waiting for a moderator because it contains a word or phrase that "
            "moderators check before it appears here. " + WAITING + " If that wording is not needed, "
            "delete the post and post it again without it."
        )
    if reason.startswith(NEW_MEMBER_REASON):
        found = _COUNT.search(reason)
        first = f"the first {found.group(1)} posts" if found else "the first posts"
        return (
            f"Your post is waiting for a moderator because {first} of a new member are approved "
            "before they appear. " + WAITING + " There is nothing you need to change."
        )
    return "Your post is waiting for a moderator. " + WAITING


async def held_reasons(post_ids: list[int]) -> dict[int, str]:
    """The author's explanation for each of these posts that waits in the review queue (one query;
    none when ``post_ids`` is empty)."""
    if not post_ids:
        return {}
    rows = await ReviewItem.filter(
        post_id__in=post_ids, kind__in=_HELD_KINDS, state=ReviewState.PENDING
    ).values_list("post_id", "reason")
    return {post_id: explain(reason) for post_id, reason in rows if post_id is not None}


async def held_reason(post_id: int, state: str) -> str | None:
    """One post's explanation, or None when it is not held."""
    if state != PostState.PENDING:
        return None
    return (await held_reasons([post_id])).get(post_id) or explain("")


async def thread_held_reason(thread_id: int) -> str | None:
    """The explanation for a new thread whose question is held, or None."""
    rows = await Post.filter(thread_id=thread_id, is_opening=True).values_list("id", "state")
    return await held_reason(rows[0][0], rows[0][1]) if rows else None
