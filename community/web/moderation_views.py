"""Flagging a post, and the moderators' review queue: list, item page, claim, decide."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from community.accounts import directory
from community.actor import Actor
from community.edge.auth import require_actor
from community.edge.reading import path_id
from community.errors import Invalid
from community.models import Decision, FlagReason, ReviewKind, WatchedAction
from community.web.forms import read_fields, thread_url
from community.web.render import csv_download, flash, render
from moderation import audit, decisions, flags
from moderation import overview as moderation_overview
from moderation import queue as review_queue
from moderation import watched_words as word_rules

REASONS = [(value, FlagReason.LABELS[value]) for value in FlagReason.ALL]


async def _flag_form(
    request: Request, actor: Actor, target: flags.FlagTarget
) -> tuple[Response | None, flags.FlagOutcome | None]:
    """The flag form (GET), or the flag sent (POST): a refused one comes back with its errors. The
    target was checked once, by the caller: the flag is taken on it without loading it again."""
    ctx = {"post": target.post, "thread": target.thread, "flag_thread": target.is_thread}
    ctx |= {"reasons": REASONS, "errors": {}}
    if request.method == "GET":
        return await render(request, "moderation/flag.html", ctx | {"form": {"reason": "", "note": ""}}), None
    _, values = await read_fields(request, "reason", "note")
    gate = request.app.state.moderation
    try:
        return None, await flags.flag(gate, actor, target, reason=values["reason"], note=values["note"])
    except Invalid as exc:
        ctx |= {"form": values, "errors": exc.fields}
        return await render(request, "moderation/flag.html", ctx, status_code=422), None


async def flag(request: Request) -> Response:
    actor = await require_actor(request)
    target = await flags.post_for_flag(actor, path_id(request, "post_id"))
    page, outcome = await _flag_form(request, actor, target)
    if outcome is None:
        assert page is not None
        return page
    hidden = " The post is hidden until they do." if outcome.hidden else ""
    flash(request, "Thank you: moderators will look at it." + hidden)
    return RedirectResponse(thread_url(target.thread.id, post_id=target.post.id), 303)


async def flag_thread(request: Request) -> Response:
    actor = await require_actor(request)
    target = await flags.thread_for_flag(actor, path_id(request, "thread_id"))
    page, outcome = await _flag_form(request, actor, target)
    if outcome is None:
        assert page is not None
        return page
    if outcome.hidden:
        flash(request, "Thank you: the thread is hidden until moderators look at it.")
        return RedirectResponse("/", 303)
    flash(request, "Thank you: moderators will look at it.")
    return RedirectResponse(thread_url(target.thread.id), 303)


async def queue(request: Request) -> Response:
    actor = await require_actor(request)
    params = request.query_params
    listing = await review_queue.list_queue(
        actor, kind=params.get("kind"), category=params.get("category"), reason=params.get("reason")
    )
    for row in listing.items:
        row["waiting"] = review_queue.waiting_label(row["waiting_seconds"])
    return await render(
        request,
        "moderation/queue.html",
        {
            "queue": listing,
            "kinds": ReviewKind.ALL,
            "reasons": REASONS,
            "categories": [summary.category for summary in await directory.list_categories(actor)],
        },
    )


async def overview(request: Request) -> Response:
    actor = await require_actor(request)
    ov = await moderation_overview.overview(actor)
    return await render(
        request, "moderation/overview.html", {"ov": ov, "duration_label": review_queue.duration_label}
    )


async def item(request: Request) -> Response:
    actor = await require_actor(request)
    view = await review_queue.get_item(actor, path_id(request, "item_id"))
    return await _item_page(request, view)


async def _item_page(
    request: Request,
    view: review_queue.ItemView,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    context = {
        "view": view,
        "decisions": decisions.offered(view.post.state if view.post is not None else None),
        "decided_words": decisions.decided_words,
        "errors": errors or {},
        "form": form or {},
    }
    return await render(request, "moderation/item.html", context, status_code=422 if errors else 200)


async def claim(request: Request) -> Response:
    actor = await require_actor(request)
    item_id = path_id(request, "item_id")
    _, values = await read_fields(request, "release")
    await review_queue.claim_item(actor, item_id, release=values["release"] == "1")
    return RedirectResponse(f"/moderation/items/{item_id}", 303)


async def decide(request: Request) -> Response:
    actor = await require_actor(request)
    item_id = path_id(request, "item_id")
    _, values = await read_fields(request, "decision", "reason", "body", "title")
    try:
        await decisions.decide_item(
            actor,
            item_id,
            decision=values["decision"],
            reason=values["reason"],
            body=values["body"],
            # The title field (flagged threads) is prefilled: it only counts with an edit.
            title=values["title"] if values["decision"] == Decision.EDIT else None,
        )
    except Invalid as exc:
        return await _item_page(request, await review_queue.get_item(actor, item_id), exc.fields, values)
    flash(request, "Decision recorded.")
    return RedirectResponse("/moderation/queue", 303)


def _audit_filters(request: Request) -> dict[str, str | None]:
    params = request.query_params
    return {name: params.get(name) or None for name in ("moderator", "user", "action", "since", "until")}


async def audit_log(request: Request) -> Response:
    actor = await require_actor(request)
    log = await audit.list_audit(actor, **_audit_filters(request))  # type: ignore[arg-type]
    await audit.describe_entries(log.entries)
    actions = sorted(audit.ACTION_WORDS.items(), key=lambda pair: pair[1])
    return await render(request, "moderation/audit.html", {"log": log, "actions": actions})


async def audit_csv(request: Request) -> Response:
    actor = await require_actor(request)
    log = await audit.list_audit(
        actor,
        **_audit_filters(request),  # type: ignore[arg-type]
        limit=audit.AUDIT_EXPORT_MAX,
    )
    return csv_download(audit.audit_csv(log), "audit-log.csv")


async def restore(request: Request) -> Response:
    actor = await require_actor(request)
    entry_id = path_id(request, "entry_id")
    _, values = await read_fields(request, "reason")
    post = await audit.restore_from_audit(actor, entry_id, reason=values["reason"])
    flash(request, "The post is visible again.")
    return RedirectResponse(thread_url(post.thread_id, post_id=post.id), 303)


async def _words_page(
    request: Request, actor: Any, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
    tried: Any = None, status_code: int = 200,
) -> Response:  # fmt: skip
    words = await word_rules.list_watched_words(actor)
    ctx = {
        "words": words, "actions": WatchedAction.ALL, "form": form or {}, "errors": errors or {},
        "tried": tried, "switches": await word_rules.category_rule_switches(actor),
        "choices": word_rules.CONFIDENTIALITY_CHOICES,
    }  # fmt: skip
    return await render(request, "moderation/watched_words.html", ctx, status_code=status_code)


async def watched_words(request: Request) -> Response:
    actor = await require_actor(request)
    if request.method == "GET":
        return await _words_page(request, actor)
    _, values = await read_fields(request, "pattern", "action", "is_regex", "categories")
    try:
        await word_rules.add_watched_word(
            request.app.state.moderation,
            actor,
            pattern=values["pattern"],
            action=values["action"],
            is_regex=values["is_regex"] == "1",
            categories=values["categories"],
        )
    except Invalid as exc:
        return await _words_page(request, actor, form=values, errors=exc.fields, status_code=422)
    flash(request, "The word is watched from now on.")
    return RedirectResponse("/admin/watched-words", 303)


async def remove_watched_word(request: Request) -> Response:
    actor = await require_actor(request)
    word_id = path_id(request, "word_id")
    await read_fields(request)
    await word_rules.remove_watched_word(request.app.state.moderation, actor, word_id)
    flash(request, "The word is no longer watched.")
    return RedirectResponse("/admin/watched-words", 303)


async def try_watched_words(request: Request) -> Response:
    actor = await require_actor(request)
    _, values = await read_fields(request, "text", "category")
    try:
        tried = await word_rules.try_watched_words(
            request.app.state.moderation, actor, text=values["text"], category=values["category"]
        )
    except Invalid as exc:
        return await _words_page(request, actor, form=values, errors=exc.fields, status_code=422)
    return await _words_page(request, actor, form=values, tried=tried)


async def category_switch(request: Request) -> Response:
    actor = await require_actor(request)
    _, values = await read_fields(request, "category", "confidentiality")
    try:
        await word_rules.set_category_confidentiality(
            request.app.state.moderation, actor, category=values["category"], value=values["confidentiality"]
        )
    except Invalid as exc:
        return await _words_page(request, actor, form=values, errors=exc.fields, status_code=422)
    flash(request, "Saved: the confidentiality rules apply as shown.")
    return RedirectResponse("/admin/watched-words", 303)


routes = [
    Route("/posts/{post_id:int}/flag", flag, methods=["GET", "POST"]),
    Route("/t/{thread_id:int}/flag", flag_thread, methods=["GET", "POST"]),
    Route("/moderation/queue", queue, methods=["GET"]),
    Route("/moderation/overview", overview, methods=["GET"]),
    Route("/moderation/items/{item_id:int}", item, methods=["GET"]),
    Route("/moderation/items/{item_id:int}/claim", claim, methods=["POST"]),
    Route("/moderation/items/{item_id:int}/decide", decide, methods=["POST"]),
    Route("/moderation/audit", audit_log, methods=["GET"]),
    Route("/moderation/audit.csv", audit_csv, methods=["GET"]),
    Route("/moderation/audit/{entry_id:int}/restore", restore, methods=["POST"]),
    Route("/admin/watched-words", watched_words, methods=["GET", "POST"]),
    Route("/admin/watched-words/{word_id:int}/delete", remove_watched_word, methods=["POST"]),
    Route("/admin/watched-words/test", try_watched_words, methods=["POST"]),
    Route("/admin/watched-words/categories", category_switch, methods=["POST"]),
]
