"""Screening new text: the rules on new posts (watched words, new accounts, rate limits) applied
when a post is written, and what they decided recorded in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from community.actor import Actor
from community.errors import Invalid, RateLimited
from community.markdown import link_targets, render_markdown
from community.models import (
    Post,
    PostState,
    ReviewItem,
    ReviewKind,
    Thread,
    WatchedAction,
)
from community.notifications.delivery import Created
from community.ports import ModerationGate, RuleVerdict
from moderation.audit import audit
from moderation.queue import open_item


async def resubmit_after_edit(
    post: Post, thread: Thread, editor_id: int, notes: Created | None = None
) -> None:
    """The author edited a hidden post: it goes back to the review queue (call inside the edit's
    transaction). It stays hidden until a moderator decides."""
    if post.state != PostState.HIDDEN or editor_id != post.author_id:
        return
    item = await open_item(
        post,
        thread.id,
        thread.category_id,
        ReviewKind.FLAGGED_POST,
        "Edited by the author after being hidden",
        actor_id=editor_id,
        notes=notes,
    )
    await ReviewItem.filter(id=item.id).update(reason="Edited by the author after being hidden")
    await audit(editor_id, "post.resubmit", "post", post.id, reason="Edited after being hidden")


def refuse_if_blocked(verdict: RuleVerdict | None, field: str = "body") -> None:
    """A blocked post is refused with a message naming the problem."""
    if verdict is not None and verdict.action == WatchedAction.BLOCK:
        raise Invalid(
            {field: f"This text cannot be posted here ({verdict.reason}). Please rephrase it."},
            "Your post was not published.",
        )


def initial_state(verdict: RuleVerdict | None) -> str:
    return (
        PostState.PENDING
        if verdict is not None and verdict.action == WatchedAction.HOLD
        else PostState.VISIBLE
    )


async def record_verdict(
    verdict: RuleVerdict | None,
    post: Post,
    thread_id: int,
    category_id: int,
    notes: Created | None = None,
) -> None:
    """Inside the creating transaction: a held post waits in the queue, a flagged one is queued
    while it stays up, a censored one is noted; each rule action is in the audit log."""
    if verdict is None or verdict.action is None:
        return
    if verdict.action in (WatchedAction.HOLD, WatchedAction.FLAG):
        kind = ReviewKind.HELD_POST if verdict.action == WatchedAction.HOLD else ReviewKind.FLAGGED_POST
        await open_item(
            post, thread_id, category_id, kind, verdict.reason, actor_id=post.author_id, notes=notes
        )
    await audit(
        None, f"post.rule_{verdict.action}", "post", post.id, reason=verdict.reason,
        after={"state": post.state},
    )  # fmt: skip


_STRENGTH = {WatchedAction.BLOCK: 4, WatchedAction.HOLD: 3, WatchedAction.FLAG: 2, WatchedAction.CENSOR: 1}


@dataclass(frozen=True, slots=True)
class Screening:
    """New text after the rules: possibly masked, the state the post starts in, and the strongest
    verdict (recorded by ``record_verdict`` inside the creating transaction)."""

    texts: dict[str, str]
    state: str
    verdict: RuleVerdict | None
    # Set when the author's post counts towards the rate limits; the reason a new account's
    # post waits for approval ("" when it does not).
    gate: ModerationGate | None = None
    author_id: int | None = None
    ip: str | None = None
    hold_reason: str = ""


async def screen(
    gate: ModerationGate | None,
    category_id: int,
    texts: dict[str, str],
    *,
    author: Actor | None = None,
    ip: str | None = None,
) -> Screening:
    """Ask the rules about each text field of a new post: refuse a blocked one (naming the field),
    mask censored words, and say whether the post is held. With ``author``: the posting rate
    limits (429 with how long to wait) and the new-account rules (held for approval; too many
    links refused, naming the limit) apply too."""
    if gate is None:
        return Screening(dict(texts), PostState.VISIBLE, None)
    hold_reason = ""
    if author is not None:
        wait = await gate.posting_wait(user_id=author.id, ip=ip)
        if wait is not None:
            raise RateLimited(wait.reason, wait.retry_after)
        hold_reason = await _newcomer_rules(gate, author, texts)
    strongest: RuleVerdict | None = None
    out: dict[str, str] = {}
    for name, text in texts.items():
        verdict = await gate.check_post(text, category_id=category_id)
        refuse_if_blocked(verdict, name)
        masked = verdict.censored_text if verdict.action == WatchedAction.CENSOR else None
        out[name] = masked if masked is not None else text
        if verdict.action and (
            strongest is None or _STRENGTH[verdict.action] > _STRENGTH.get(strongest.action or "", 0)
        ):
            strongest = verdict
    state = PostState.PENDING if hold_reason else initial_state(strongest)
    return Screening(out, state, strongest, gate, author.id if author else None, ip, hold_reason)


async def _newcomer_rules(gate: ModerationGate, author: Actor, texts: dict[str, str]) -> str:
    """Refuse a new account's text with too many links; the reason its post is held, or ""."""
    links = _rendered_links(texts.get("body", ""))
    verdict = await gate.check_author(user_id=author.id, role=author.role, texts=texts.values(), links=links)
    if verdict.too_many_links:
        field = "body" if "body" in texts else next(iter(texts))
        raise Invalid({field: verdict.reason}, "Your post was not saved.")
    return verdict.hold_reason


def _rendered_links(body: str) -> Iterator[str]:
    """The links of the body as the post will show them. Lazy: only a new account's post, whose
    links the rules count, pays for rendering it here (once more than it will be rendered to save)."""
    yield from link_targets(render_markdown(body))


async def screen_edit(gate: ModerationGate | None, editor: Actor, texts: dict[str, str]) -> None:
    """An edit carries no more links than a new post by the same person could: a new account
    cannot post a plain text first and add the links afterwards."""
    if gate is not None:
        await _newcomer_rules(gate, editor, texts)


async def record_screening(
    screening: Screening, post: Post, thread_id: int, category_id: int, notes: Created | None = None
) -> None:
    """Inside the creating transaction: what the rules did (``record_verdict``), the new account's
    hold (a review item and an audit entry), and the post counted towards the rate limits (or
    refused, when posts sent meanwhile filled them). New review items tell the moderators (added to
    ``notes``, for the caller to announce)."""
    await record_verdict(screening.verdict, post, thread_id, category_id, notes)
    if screening.hold_reason:
        await open_item(
            post, thread_id, category_id, ReviewKind.NEW_ACCOUNT, screening.hold_reason,
            actor_id=post.author_id, notes=notes,
        )  # fmt: skip
        await audit(
            None, "post.rule_new_account", "post", post.id, reason=screening.hold_reason,
            after={"state": post.state},
        )  # fmt: skip
    if screening.gate is not None and screening.author_id is not None:
        refused = await screening.gate.count_post(user_id=screening.author_id, ip=screening.ip)
        if refused is not None:  # raised inside the transaction: the post is rolled back
            raise RateLimited(refused.reason, refused.retry_after)
