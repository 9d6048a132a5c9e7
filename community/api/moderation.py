"""Flags and the review queue as JSON: flag a post; list, read, claim and decide review items; the
audit log; watched words and the per-category confidentiality switches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from community import policy
from community.actor import Actor
from community.api.operations import area
from community.api.params import query_text, query_typed, settings_of
from community.api.requests import read_body
from community.api.responses import ShapeResponse
from community.api.shapes.moderation import (
    AuditLog,
    FlagResult,
    ModerationOverview,
    NewDecision,
    NewFlag,
    RestoredPost,
    RestoreReason,
    ReviewItem,
    ReviewQueue,
    audit_entry,
    item_detail,
    overview,
    queue_item,
)
from community.api.shapes.rules import (
    NewWatchedWord,
    RuleSwitchChange,
    RuleSwitchList,
    RuleTest,
    RuleTestResult,
    WatchedWord,
    WatchedWordList,
    rule_switch,
    watched_word,
)
from community.edge.auth import require_actor
from community.edge.reading import path_id
from moderation import audit, decisions, flags, watched_words
from moderation import overview as moderation_overview
from moderation import queue as review_queue


async def flag_post(request: Request) -> Response:
    return await _flag(request, flags.flag_post)


async def flag_thread(request: Request) -> Response:
    return await _flag(request, flags.flag_thread)


async def _flag(request: Request, flag_it: Callable[..., Awaitable[flags.FlagOutcome]]) -> Response:
    """A post or a whole thread (by the id in the path): the same input, the same answer."""
    actor = await require_actor(request)
    target_id = path_id(request)
    data = await read_body(request, NewFlag)
    outcome = await flag_it(request.app.state.moderation, actor, target_id, **data.args(note=""))
    flag = outcome.flag
    result = FlagResult(reason=flag.reason, note=flag.note, weight=flag.weight, post_hidden=outcome.hidden)
    return ShapeResponse(result, 201)


async def list_queue(request: Request) -> Response:
    actor = await require_actor(request)
    queue = await review_queue.list_queue(
        actor,
        kind=query_typed(request, "kind"),
        category=query_text(request, "category"),
        reason=query_typed(request, "reason"),
    )
    settings = settings_of(request)
    return ShapeResponse(
        ReviewQueue(items=[queue_item(settings, row) for row in queue.items], total=queue.total)
    )


async def get_item(request: Request) -> Response:
    actor = await require_actor(request)
    view = await review_queue.get_item(actor, path_id(request))
    return ShapeResponse(item_detail(settings_of(request), view))


async def claim(request: Request) -> Response:
    actor = await require_actor(request)
    item_id = path_id(request)
    await review_queue.claim_item(actor, item_id, release=request.method == "DELETE")
    view = await review_queue.get_item(actor, item_id)
    return ShapeResponse(item_detail(settings_of(request), view))


async def decide(request: Request) -> Response:
    actor = await require_actor(request)
    item_id = path_id(request)
    data = await read_body(request, NewDecision)
    await decisions.decide_item(actor, item_id, **data.args(reason=""))
    view = await review_queue.get_item(actor, item_id)
    return ShapeResponse(item_detail(settings_of(request), view))


async def get_overview(request: Request) -> Response:
    actor = await require_actor(request)
    return ShapeResponse(overview(await moderation_overview.overview(actor)))


async def audit_log(request: Request) -> Response:
    actor = await require_actor(request)
    log = await audit.list_audit(
        actor,
        moderator=query_text(request, "moderator"),
        user=query_text(request, "user"),
        action=query_text(request, "action"),
        since=query_typed(request, "since"),
        until=query_typed(request, "until"),
    )
    return ShapeResponse(AuditLog(items=[audit_entry(row) for row in log.entries], total=log.total))


async def restore(request: Request) -> Response:
    actor = await require_actor(request)
    entry_id = path_id(request)
    data = await read_body(request, RestoreReason)
    post = await audit.restore_from_audit(actor, entry_id, **data.args(reason=""))
    return ShapeResponse(RestoredPost(post_id=post.id, state=post.state))


async def list_watched_words(request: Request) -> Response:
    actor = await require_actor(request)
    rows = await watched_words.list_watched_words(actor)
    return ShapeResponse(WatchedWordList(items=[watched_word(row) for row in rows], total=len(rows)))


async def add_watched_word(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_body(request, NewWatchedWord)
    word = await watched_words.add_watched_word(
        request.app.state.moderation, actor, **data.args(is_regex=False)
    )
    rows = [r for r in await watched_words.list_watched_words(actor) if r["id"] == word.id]
    return ShapeResponse(watched_word(rows[0]), 201)


async def remove_watched_word(request: Request) -> Response:
    actor = await require_actor(request)
    await watched_words.remove_watched_word(request.app.state.moderation, actor, path_id(request))
    return Response(status_code=204)


async def try_watched_words(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_body(request, RuleTest)
    result = await watched_words.try_watched_words(request.app.state.moderation, actor, **data.args())
    return ShapeResponse(
        RuleTestResult(action=result.action, reason=result.reason, censored_text=result.censored_text)
    )


async def _switches(actor: Actor) -> Response:
    rows = await watched_words.category_rule_switches(actor)
    return ShapeResponse(RuleSwitchList(items=[rule_switch(r) for r in rows], total=len(rows)))


async def list_rule_switches(request: Request) -> Response:
    return await _switches(await require_actor(request))


async def set_rule_switch(request: Request) -> Response:
    actor = await require_actor(request)
    data = (await read_body(request, RuleSwitchChange)).args()
    await watched_words.set_category_confidentiality(
        request.app.state.moderation, actor, category=data["category"], value=data["confidentiality"]
    )
    return await _switches(actor)


_route = area("moderation")
_ITEM = (200, ReviewItem, "The item.")
routes = [
    _route("POST", "/posts/{id:int}/flags", flag_post, "flagPost", "Flag a post for moderators",
           ok=(201, FlagResult, "The flag (flagging again changes its reason)."), errors=(404,),
           description="403 on one's own post. Flags add weight by the flagger's role; at the threshold "
           "the post is hidden at once pending review.", params=("Id",), body=NewFlag),
    _route("POST", "/threads/{id:int}/flags", flag_thread, "flagThread",
           "Flag a thread as a whole (its title or topic) for moderators",
           ok=(201, FlagResult, "The flag; post_hidden: the whole thread is hidden pending review."),
           errors=(404,),
           description="403 on one's own thread. The flags sit on the opening post: at the threshold the "
           "whole thread is hidden pending review; one review item (kind flagged_thread) covers it.",
           params=("Id",), body=NewFlag),
    _route("GET", "/moderation/queue", list_queue, "listReviewQueue",
           "Items waiting for a decision (moderators)",
           ok=(200, ReviewQueue, "Oldest first."), errors=(422,), params=("ReviewKind", "Category",
               "FlagReason"), guard=policy.can_moderate),
    _route("GET", "/moderation/overview", get_overview, "getModerationOverview",
           "What waits, how fast it is decided, by whom, and where flags gather (moderators)",
           ok=(200, ModerationOverview, "The overview."), guard=policy.can_moderate),
    _route("GET", "/moderation/items/{id:int}", get_item, "getReviewItem",
           "One review item with its content, flags and the author's history (moderators)", ok=_ITEM,
           errors=(404,), params=("Id",), guard=policy.can_moderate),
    _route("POST", "/moderation/items/{id:int}/claim", claim, "claimReviewItem",
           "Claim an item: other moderators see who handles it", ok=_ITEM, errors=(404, 409),
           description="409 when another moderator holds it or it was already decided.", params=("Id",)),
    _route("DELETE", "/moderation/items/{id:int}/claim", claim, "releaseReviewItem", "Let go of one's claim",
           ok=_ITEM, errors=(404, 409), params=("Id",)),
    _route("POST", "/moderation/items/{id:int}/decision", decide, "decideReviewItem",
           "Decide an item (moderators)",
           ok=(200, ReviewItem, "The decided item."), errors=(404, 409),
           description="Applied once: when two moderators decide at the same moment, the second gets 409 "
           "'already decided' and nothing is applied twice.", params=("Id",), body=NewDecision,
           guard=policy.can_moderate),
    _route("GET", "/moderation/audit", audit_log, "listAuditLog", "The audit log, newest first (moderators)",
           ok=(200, AuditLog, "At most 100 entries; total counts them all."), errors=(422,),
           description="`moderator`: a handle, or `rules` for automatic actions; `user`: entries about that "
           "member (their posts, threads, review items, account); `action`: a prefix such as `post.` or "
           "`thread.`; `since`/`until`: YYYY-MM-DD (inclusive). The HTML page offers the same as CSV.",
           params=("AuditModerator", "AuditUser", "AuditAction", "AuditSince", "AuditUntil"),
           guard=policy.can_moderate),
    _route("POST", "/moderation/audit/{id:int}/restore", restore, "restoreFromAudit",
           "Make the post an audit entry is about visible again (moderators)",
           ok=(200, RestoredPost, "The restored post."), errors=(404, 409),
           description="409 when the entry is not about a post or the post is already visible.",
           params=("Id",), body=RestoreReason, guard=policy.can_moderate),
    _route("GET", "/moderation/watched-words", list_watched_words, "listWatchedWords",
           "Watched words (administrators)", ok=(200, WatchedWordList, "Every watched word, newest first."),
           guard=policy.can_manage_site),
    _route("POST", "/moderation/watched-words", add_watched_word, "addWatchedWord",
           "Watch a word, phrase or regular expression (administrators)",
           ok=(201, WatchedWord, "The new watched word; it applies to new posts at once."),
           description="Matching is case-insensitive on Unicode-normalised text (full-width letters, "
           "accents, zero-width characters, repeated or separated letters are folded).", body=NewWatchedWord,
           guard=policy.can_manage_site),
    _route("DELETE", "/moderation/watched-words/{id:int}", remove_watched_word, "removeWatchedWord",
           "Stop watching a word (administrators)", ok=(204, None,
           "Removed (the audit log keeps what it was)."),
           errors=(404,), params=("Id",)),
    _route("POST", "/moderation/rules/test", try_watched_words, "tryWatchedWords",
           "What a sample text would trigger in a category (administrators)",
           ok=(200, RuleTestResult, "Nothing is posted."), body=RuleTest, guard=policy.can_manage_site),
    _route("GET", "/moderation/rules/categories", list_rule_switches, "listRuleSwitches",
           "Where the confidentiality starter rules apply (administrators)",
           ok=(200, RuleSwitchList, "Every category with its switch."), guard=policy.can_manage_site),
    _route("POST", "/moderation/rules/categories", set_rule_switch, "setRuleSwitch",
           "Switch the confidentiality rules on or off in a category, or back to the default",
           ok=(200, RuleSwitchList, "Every category with its switch; applies at once, audited."),
           body=RuleSwitchChange, guard=policy.can_manage_site),
]  # fmt: skip
