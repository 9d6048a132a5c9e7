"""Notifications, preferences, watches and announcements over JSON."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from community.api.params import query_text, settings_of
from community.api.serialise import Json, api_url, iso
from community.edge.auth import require_actor
from community.edge.reading import path_id, read_json
from community.errors import Invalid
from community.notifications import announcements, centre, watching
from community.notifications.watchers import Preferences
from community.settings import Settings


def notification(settings: Settings, row: dict[str, Any]) -> Json:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "text": row["text"],
        "url": f"{settings.base_url}{row['url']}",
        "thread_id": row["thread_id"],
        "post_id": row["post_id"],
        "article_id": row["article_id"],
        "count": row["count"],
        "read": row["read_at"] is not None,
        "read_at": iso(row["read_at"]),
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }


def preferences(actor_kinds: list[str], prefs: Preferences) -> Json:
    return {
        "muted_kinds": list(prefs.muted_kinds),
        "watch_started": prefs.watch_started,
        "watch_answered": prefs.watch_answered,
        "kinds": actor_kinds,
    }


def watch(settings: Settings, row: dict[str, Any]) -> Json:
    return {
        "id": row["id"],
        "target_type": row["target_type"],
        "target": row["target"],
        "label": row["label"],
        "level": row["level"],
        "url": f"{settings.base_url}{row['url']}",
        "created_at": iso(row["created_at"]),
    }


async def list_notifications(request: Request) -> Response:
    actor = await require_actor(request)
    settings = settings_of(request)
    unread = query_text(request, "unread")
    listing = await centre.list_notifications(
        actor,
        cursor=query_text(request, "cursor"),
        limit=query_text(request, "limit"),
        unread_only=unread in ("1", "true", "yes"),
    )
    next_url = None
    if listing.next_cursor:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        query = urlencode([*params, ("cursor", listing.next_cursor)])
        next_url = f"{api_url(settings, '/notifications')}?{query}"
    return JSONResponse(
        {
            "items": [notification(settings, row) for row in listing.items],
            "unread": await centre.exact_unread_count(actor.id),
            "next": next_url,
        }
    )


async def unread_count(request: Request) -> Response:
    actor = await require_actor(request)
    return JSONResponse({"unread": await centre.exact_unread_count(actor.id)})


async def mark_read(request: Request) -> Response:
    actor = await require_actor(request)
    row = await centre.mark_read(actor, path_id(request))
    return JSONResponse(notification(settings_of(request), row))


async def mark_all_read(request: Request) -> Response:
    actor = await require_actor(request)
    return JSONResponse({"marked": await centre.mark_all_read(actor)})


async def get_preferences(request: Request) -> Response:
    actor = await require_actor(request)
    prefs = await centre.get_preferences(actor)
    return JSONResponse(preferences(centre.kinds_for(actor), prefs))


async def put_preferences(request: Request) -> Response:
    """Fields left out keep their value."""
    actor = await require_actor(request)
    data = await read_json(request)
    current = await centre.get_preferences(actor)
    prefs = await centre.set_preferences(
        actor,
        muted_kinds=data.get("muted_kinds", list(current.muted_kinds)),
        watch_started=data.get("watch_started", current.watch_started),
        watch_answered=data.get("watch_answered", current.watch_answered),
    )
    return JSONResponse(preferences(centre.kinds_for(actor), prefs))


async def list_watches(request: Request) -> Response:
    actor = await require_actor(request)
    settings = settings_of(request)
    rows = await watching.list_watches(actor)
    return JSONResponse({"items": [watch(settings, r) for r in rows], "total": len(rows), "next": None})


async def set_watch(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_json(request)
    level = data.get("level")
    if level == "none":  # the form's "forget it" is DELETE /watches/{id} here
        raise Invalid({"level": "Watching or muted; to stop either, DELETE the watch."})
    found = await watching.set_watch(actor, data.get("target_type"), data.get("target"), level)
    row = await watching.get_watch(actor, found)
    return JSONResponse(watch(settings_of(request), row))


async def delete_watch(request: Request) -> Response:
    actor = await require_actor(request)
    await watching.remove_watch(actor, path_id(request))
    return Response(status_code=204)


def announcement(settings: Settings, row: dict[str, Any]) -> Json:
    return {
        "id": row["id"],
        "title": row["title"],
        "body_html": row["body_html"],
        "audience": row["audience"],
        "author": {"handle": row["author_handle"], "display_name": row["author_name"]},
        "recipient_count": row["recipient_count"],
        "created_at": iso(row["created_at"]),
        "url": f"{settings.base_url}/announcements/{row['id']}",
    }


async def send_announcement(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_json(request)
    settings = settings_of(request)
    item = await announcements.send_announcement(
        actor,
        settings.partner_tiers,
        title=data.get("title"),
        body=data.get("body"),
        audience=data.get("audience"),
    )
    row = await announcements.get_announcement(actor, item.id)
    return JSONResponse(
        announcement(settings, row),
        201,
        headers={"Location": api_url(settings, f"/announcements/{item.id}")},
    )


async def get_announcement(request: Request) -> Response:
    actor = await require_actor(request)
    row = await announcements.get_announcement(actor, path_id(request))
    return JSONResponse(announcement(settings_of(request), row))


routes = [
    Route("/notifications", list_notifications, methods=["GET"]),
    Route("/notifications/unread-count", unread_count, methods=["GET"]),
    Route("/notifications/read-all", mark_all_read, methods=["POST"]),
    Route("/notifications/{id:int}/read", mark_read, methods=["POST"]),
    Route("/notifications/preferences", get_preferences, methods=["GET"]),
    Route("/notifications/preferences", put_preferences, methods=["PUT"]),
    Route("/watches", list_watches, methods=["GET"]),
    Route("/watches", set_watch, methods=["POST"]),
    Route("/watches/{id:int}", delete_watch, methods=["DELETE"]),
    Route("/announcements", send_announcement, methods=["POST"]),
    Route("/announcements/{id:int}", get_announcement, methods=["GET"]),
]
