"""Notification pages: the centre, following one, preferences, watch and mute buttons, and
announcements (reading one; administrators send them)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from community.actor import Actor
from community.edge.auth import require_actor
from community.edge.reading import path_id
from community.errors import Invalid
from community.notifications import announcements, watching
from community.notifications.centre import (
    KIND_LABELS,
    get_preferences,
    kinds_for,
    list_notifications,
    mark_all_read,
    open_notification,
    set_preferences,
)
from community.web.forms import read_fields, safe_next
from community.web.notification_links import entry_link
from community.web.render import flash, render


async def centre(request: Request) -> Response:
    actor = await require_actor(request)
    q = request.query_params
    unread_only = q.get("show") == "unread"
    listing = await list_notifications(actor, cursor=q.get("after") or None, unread_only=unread_only)
    secret = request.app.state.settings.secret_key
    links = {n["id"]: entry_link(secret, actor.id, n) for n in listing.items}
    return await render(
        request,
        "notifications/centre.html",
        {"listing": listing, "unread_only": unread_only, "labels": KIND_LABELS, "links": links},
    )


async def open_one(request: Request) -> Response:
    """Marks an entry read and lands on the post it is about (the centre's entries are links
    now, which mark read on arrival: community/web/notification_links.py)."""
    actor = await require_actor(request)
    await read_fields(request)
    target = await open_notification(actor, path_id(request), request.app.state.settings.posts_per_page)
    return RedirectResponse(safe_next(target), 303)


async def read_all(request: Request) -> Response:
    actor = await require_actor(request)
    _, values = await read_fields(request, "next")
    marked = await mark_all_read(actor)
    flash(request, f"Marked {marked} notification{'s' if marked != 1 else ''} as read.")
    return RedirectResponse(safe_next(values["next"], "/notifications"), 303)


def _preference_form(actor: Actor, prefs: Any) -> dict[str, Any]:
    return {
        "on": [k for k in kinds_for(actor) if k not in prefs.muted_kinds],
        "watch_started": prefs.watch_started,
        "watch_answered": prefs.watch_answered,
    }


async def preferences(request: Request) -> Response:
    actor = await require_actor(request)
    kinds = kinds_for(actor)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form, _ = await read_fields(request)
        on = {k for k in form.getlist("on") if isinstance(k, str)}
        current = await get_preferences(actor)
        # Kinds the form does not show (staff-only ones for partners) keep their setting.
        hidden_muted = [k for k in current.muted_kinds if k not in kinds]
        try:
            await set_preferences(
                actor,
                muted_kinds=[k for k in kinds if k not in on] + hidden_muted,
                watch_started=form.get("watch_started") == "1",
                watch_answered=form.get("watch_answered") == "1",
            )
        except Invalid as exc:
            errors, status = exc.fields, 422
        else:
            flash(request, "Your notification preferences are saved.")
            return RedirectResponse("/settings/notifications", 303)
    prefs = await get_preferences(actor)
    return await render(
        request,
        "notifications/preferences.html",
        {
            "kinds": kinds,
            "labels": KIND_LABELS,
            "form": _preference_form(actor, prefs),
            "errors": errors,
            "watches": await watching.list_watches(actor),
        },
        status_code=status,
    )


_LEVEL_NOTICE = {
    "watching": "You are watching {label}: new posts there will show in your notifications.",
    "muted": "You muted {label}: nothing from it will show in your notifications.",
    "none": "You no longer watch or mute {label}.",
}


async def watch(request: Request) -> Response:
    """Watch, mute or forget a thread, category or tag, then back to where the button was."""
    actor = await require_actor(request)
    _, values = await read_fields(request, "target_type", "target", "level", "next")
    found = await watching.set_watch(actor, values["target_type"], values["target"], values["level"])
    flash(request, _LEVEL_NOTICE[values["level"]].format(label=f"“{found.label}”"))
    return RedirectResponse(safe_next(values["next"], found.url), 303)


async def announcement(request: Request) -> Response:
    actor = await require_actor(request)
    item = await announcements.get_announcement(actor, path_id(request))
    return await render(request, "notifications/announcement.html", {"item": item})


async def _announcement_admin(
    request: Request,
    actor: Actor,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return await render(
        request,
        "admin/announcements.html",
        {
            "sent": await announcements.list_announcements(actor),
            "audiences": announcements.audiences(request.app.state.settings.partner_tiers),
            "form": form,
            "errors": errors or {},
        },
        status_code=status,
    )


async def admin_announcements(request: Request) -> Response:
    actor = await require_actor(request)
    if request.method == "GET":
        return await _announcement_admin(request, actor, {"audience": "all"})
    _, values = await read_fields(request, "title", "body", "audience")
    try:
        item = await announcements.send_announcement(
            actor,
            request.app.state.settings.partner_tiers,
            title=values["title"],
            body=values["body"],
            audience=values["audience"],
        )
    except Invalid as exc:
        return await _announcement_admin(request, actor, values, exc.fields, status=422)
    flash(request, f"Announcement sent to {item.recipient_count} people.")
    return RedirectResponse("/admin/announcements", 303)


routes = [
    Route("/notifications", centre, methods=["GET"]),
    Route("/notifications/{id:int}/open", open_one, methods=["POST"]),
    Route("/notifications/read-all", read_all, methods=["POST"]),
    Route("/settings/notifications", preferences, methods=["GET", "POST"]),
    Route("/watch", watch, methods=["POST"]),
    Route("/announcements/{id:int}", announcement, methods=["GET"]),
    Route("/admin/announcements", admin_announcements, methods=["GET", "POST"]),
]
