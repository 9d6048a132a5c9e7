"""Flags and the review queue as JSON: flag a post; list, read, claim and decide review items."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from community.api.params import query_text, settings_of
from community.api.serialise import iso
from community.edge.auth import require_actor
from community.edge.reading import path_id, read_json
from community.settings import Settings
from moderation import audit, decisions, flags, watched_words
from moderation import overview as moderation_overview
from moderation import queue as review_queue

Json = dict[str, Any]


def _author(handle: str | None, name: str | None) -> Json | None:
    return {"handle": handle, "display_name": name} if handle else None


def queue_item(settings: Settings, row: dict[str, Any]) -> Json:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "reason": row["reason"],
        "post_id": row["post_id"],
        "thread_id": row["thread_id"],
        "thread_title": row["thread_title"],
        "author": _author(row["author_handle"], row["author_name"]),
        "claimed_by": row["claimed_by_name"],
        "claimed_at": iso(row["claimed_at"]),
        "created_at": iso(row["created_at"]),
        "waiting_seconds": row["waiting_seconds"],
        "url": f"{settings.base_url}/moderation/items/{row['id']}",
    }


def item_detail(settings: Settings, view: review_queue.ItemView) -> Json:
    item, post, thread, author = view.item, view.post, view.thread, view.author
    return {
        "id": item.id,
        "kind": item.kind,
        "state": item.state,
        "reason": item.reason,
        "thread": {"id": thread.id, "title": thread.title} if thread else None,
        "post": (
            {"id": post.id, "state": post.state, "body_source": post.body_source, "body_html": post.body_html}
            if post
            else None
        ),
        "author": _author(author.handle, author.display_name) if author else None,
        "author_history": {
            "post_count": view.author_history["post_count"],
            "flags_against": view.author_history["flags_against"],
            "decisions": [
                {
                    "id": d["id"],
                    "kind": d["kind"],
                    "decision": d["decision"],
                    "reason": d["decision_reason"],
                    "decided_at": iso(d["decided_at"]),
                }
                for d in view.author_history["decisions"]
            ],
        },
        "flags": [
            {
                "reason": f["reason"],
                "note": f["note"],
                "weight": f["weight"],
                "resolution": f["resolution"],
                "created_at": iso(f["created_at"]),
                "flagger": _author(f["flagger_handle"], f["flagger_name"]),
            }
            for f in view.flags
        ],
        "claimed_by": view.claimed_by_name,
        "claimed_at": iso(item.claimed_at),
        "decision": item.decision,
        "decision_reason": item.decision_reason,
        "decided_by": view.decided_by_name,
        "decided_at": iso(item.decided_at),
        "created_at": iso(item.created_at),
        "url": f"{settings.base_url}/moderation/items/{item.id}",
    }


async def flag_post(request: Request) -> Response:
    return await _flag(request, flags.flag_post)


async def flag_thread(request: Request) -> Response:
    return await _flag(request, flags.flag_thread)


async def _flag(request: Request, flag_it: Callable[..., Awaitable[flags.FlagOutcome]]) -> Response:
    """A post or a whole thread (by the id in the path): the same input, the same answer."""
    actor = await require_actor(request)
    target_id = path_id(request)
    data = await read_json(request)
    outcome = await flag_it(
        request.app.state.moderation, actor, target_id, reason=data.get("reason"), note=data.get("note", "")
    )
    flag = outcome.flag
    return JSONResponse(
        {"reason": flag.reason, "note": flag.note, "weight": flag.weight, "post_hidden": outcome.hidden},
        201,
    )


async def list_queue(request: Request) -> Response:
    actor = await require_actor(request)
    queue = await review_queue.list_queue(
        actor,
        kind=query_text(request, "kind"),
        category=query_text(request, "category"),
        reason=query_text(request, "reason"),
    )
    settings = settings_of(request)
    return JSONResponse({"items": [queue_item(settings, row) for row in queue.items], "total": queue.total})


async def get_item(request: Request) -> Response:
    actor = await require_actor(request)
    view = await review_queue.get_item(actor, path_id(request))
    return JSONResponse(item_detail(settings_of(request), view))


async def claim(request: Request) -> Response:
    actor = await require_actor(request)
    item_id = path_id(request)
    await review_queue.claim_item(actor, item_id, release=request.method == "DELETE")
    view = await review_queue.get_item(actor, item_id)
    return JSONResponse(item_detail(settings_of(request), view))


async def decide(request: Request) -> Response:
    actor = await require_actor(request)
    item_id = path_id(request)
    data = await read_json(request)
    await decisions.decide_item(
        actor,
        item_id,
        decision=data.get("decision"),
        reason=data.get("reason", ""),
        body=data.get("body"),
        title=data.get("title"),
    )
    view = await review_queue.get_item(actor, item_id)
    return JSONResponse(item_detail(settings_of(request), view))


async def overview(request: Request) -> Response:
    actor = await require_actor(request)
    ov = await moderation_overview.overview(actor)
    oldest = ov.oldest
    return JSONResponse(
        {
            "since": iso(ov.since),
            "waiting": ov.waiting,
            "waiting_total": ov.waiting_total,
            "oldest": (
                {
                    "id": oldest["id"], "kind": oldest["kind"], "reason": oldest["reason"],
                    "thread_title": oldest["thread_title"], "created_at": iso(oldest["created_at"]),
                    "waiting_seconds": oldest["waiting_seconds"],
                }
                if oldest
                else None
            ),
            "moderators": [
                {"handle": m["handle"], "display_name": m["display_name"], "decisions": m["decisions"],
                 "actions": m["actions"]}
                for m in ov.moderators
            ],
            "decided_this_week": ov.decided_this_week,
            "median_seconds_to_decision": ov.median_seconds_to_decision,
            "flags_since": iso(ov.flags_since),
            "flagged_users": ov.flagged_users,
            "flagged_threads": ov.flagged_threads,
        }
    )  # fmt: skip


def audit_entry(row: dict[str, Any]) -> Json:
    return {
        "id": row["id"],
        "created_at": iso(row["created_at"]),
        "actor": _author(row["actor_handle"], row["actor_name"]),
        "action": row["action"],
        "subject_type": row["subject_type"],
        "subject_id": row["subject_id"],
        "reason": row["reason"],
        "before": row["before"],
        "after": row["after"],
    }


async def audit_log(request: Request) -> Response:
    actor = await require_actor(request)
    log = await audit.list_audit(
        actor,
        moderator=query_text(request, "moderator"),
        user=query_text(request, "user"),
        action=query_text(request, "action"),
        since=query_text(request, "since"),
        until=query_text(request, "until"),
    )
    return JSONResponse({"items": [audit_entry(row) for row in log.entries], "total": log.total})


async def restore(request: Request) -> Response:
    actor = await require_actor(request)
    entry_id = path_id(request)
    data = await read_json(request)
    post = await audit.restore_from_audit(actor, entry_id, reason=data.get("reason", ""))
    return JSONResponse({"post_id": post.id, "state": post.state})


def watched_word(row: dict[str, Any]) -> Json:
    return {
        "id": row["id"],
        "pattern": row["pattern"],
        "is_regex": row["is_regex"],
        "action": row["action"],
        "categories": row["categories"],
        "created_at": iso(row["created_at"]),
    }


async def list_watched_words(request: Request) -> Response:
    actor = await require_actor(request)
    rows = await watched_words.list_watched_words(actor)
    return JSONResponse({"items": [watched_word(row) for row in rows], "total": len(rows)})


async def add_watched_word(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_json(request)
    word = await watched_words.add_watched_word(
        request.app.state.moderation,
        actor,
        pattern=data.get("pattern"),
        action=data.get("action"),
        is_regex=data.get("is_regex", False),
        categories=data.get("categories"),
    )
    rows = [r for r in await watched_words.list_watched_words(actor) if r["id"] == word.id]
    return JSONResponse(watched_word(rows[0]), 201)


async def remove_watched_word(request: Request) -> Response:
    actor = await require_actor(request)
    await watched_words.remove_watched_word(request.app.state.moderation, actor, path_id(request))
    return Response(status_code=204)


async def try_watched_words(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_json(request)
    result = await watched_words.try_watched_words(
        request.app.state.moderation, actor, text=data.get("text"), category=data.get("category")
    )
    return JSONResponse(
        {"action": result.action, "reason": result.reason, "censored_text": result.censored_text}
    )


async def _switches(request: Request, actor: Any) -> Response:
    rows = await watched_words.category_rule_switches(actor)
    items = [
        {"category": r["slug"], "name": r["name"], "confidentiality": r["confidentiality"],
         "default_on": r["default_on"]}
        for r in rows
    ]  # fmt: skip
    return JSONResponse({"items": items, "total": len(items)})


async def list_rule_switches(request: Request) -> Response:
    return await _switches(request, await require_actor(request))


async def set_rule_switch(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_json(request)
    await watched_words.set_category_confidentiality(
        request.app.state.moderation, actor, category=data.get("category"), value=data.get("confidentiality")
    )
    return await _switches(request, actor)


routes = [
    Route("/posts/{id:int}/flags", flag_post, methods=["POST"]),
    Route("/threads/{id:int}/flags", flag_thread, methods=["POST"]),
    Route("/moderation/queue", list_queue, methods=["GET"]),
    Route("/moderation/overview", overview, methods=["GET"]),
    Route("/moderation/items/{id:int}", get_item, methods=["GET"]),
    Route("/moderation/items/{id:int}/claim", claim, methods=["POST", "DELETE"]),
    Route("/moderation/items/{id:int}/decision", decide, methods=["POST"]),
    Route("/moderation/audit", audit_log, methods=["GET"]),
    Route("/moderation/audit/{id:int}/restore", restore, methods=["POST"]),
    Route("/moderation/watched-words", list_watched_words, methods=["GET"]),
    Route("/moderation/watched-words", add_watched_word, methods=["POST"]),
    Route("/moderation/watched-words/{id:int}", remove_watched_word, methods=["DELETE"]),
    Route("/moderation/rules/test", try_watched_words, methods=["POST"]),
    Route("/moderation/rules/categories", list_rule_switches, methods=["GET"]),
    Route("/moderation/rules/categories", set_rule_switch, methods=["POST"]),
]
