"""Notifications, preferences, watches and announcements over JSON."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from community import policy
from community.api import idempotency
from community.api.operations import area
from community.api.params import query_flag, query_text, query_typed, settings_of
from community.api.requests import read_body
from community.api.responses import ShapeResponse
from community.api.shapes import api_url
from community.api.shapes.notifications import (
    Announcement,
    MarkedRead,
    NewAnnouncement,
    NewWatch,
    Notification,
    NotificationList,
    NotificationPreferences,
    PreferencesUpdate,
    UnreadCount,
    Watch,
    WatchList,
    announcement,
    notification,
    preferences,
    watch,
)
from community.edge.auth import require_actor
from community.edge.reading import path_id
from community.errors import Invalid
from community.notifications import announcements, centre, watching


async def list_notifications(request: Request) -> Response:
    actor = await require_actor(request)
    settings = settings_of(request)
    listing = await centre.list_notifications(
        actor,
        cursor=query_text(request, "cursor"),
        limit=query_typed(request, "limit"),
        unread_only=query_flag(request, "unread"),
    )
    next_url = None
    if listing.next_cursor:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        query = urlencode([*params, ("cursor", listing.next_cursor)])
        next_url = f"{api_url(settings, '/notifications')}?{query}"
    return ShapeResponse(
        NotificationList(
            items=[notification(settings, row) for row in listing.items],
            unread=await centre.exact_unread_count(actor.id),
            next=next_url,
        )
    )


async def unread_count(request: Request) -> Response:
    actor = await require_actor(request)
    return ShapeResponse(UnreadCount(unread=await centre.exact_unread_count(actor.id)))


async def mark_read(request: Request) -> Response:
    actor = await require_actor(request)
    return ShapeResponse(notification(settings_of(request), await centre.mark_read(actor, path_id(request))))


async def mark_all_read(request: Request) -> Response:
    actor = await require_actor(request)
    return ShapeResponse(MarkedRead(marked=await centre.mark_all_read(actor)))


async def get_preferences(request: Request) -> Response:
    actor = await require_actor(request)
    return ShapeResponse(preferences(centre.kinds_for(actor), await centre.get_preferences(actor)))


async def put_preferences(request: Request) -> Response:
    """Fields left out keep their value."""
    actor = await require_actor(request)
    data = await read_body(request, PreferencesUpdate)
    current = await centre.get_preferences(actor)
    prefs = await centre.set_preferences(
        actor,
        **data.args(
            muted_kinds=list(current.muted_kinds),
            watch_started=current.watch_started,
            watch_answered=current.watch_answered,
        ),
    )
    return ShapeResponse(preferences(centre.kinds_for(actor), prefs))


async def list_watches(request: Request) -> Response:
    actor = await require_actor(request)
    settings = settings_of(request)
    rows = await watching.list_watches(actor)
    return ShapeResponse(WatchList(items=[watch(settings, r) for r in rows], total=len(rows), next=None))


async def set_watch(request: Request) -> Response:
    actor = await require_actor(request)
    data = (await read_body(request, NewWatch)).args()
    if data["level"] == "none":  # the form's "forget it" is DELETE /watches/{id} here
        raise Invalid({"level": "Watching or muted; to stop either, DELETE the watch."})
    found = await watching.set_watch(actor, **data)
    return ShapeResponse(watch(settings_of(request), await watching.get_watch(actor, found)))


async def delete_watch(request: Request) -> Response:
    actor = await require_actor(request)
    await watching.remove_watch(actor, path_id(request))
    return Response(status_code=204)


async def send_announcement(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_body(request, NewAnnouncement)
    settings = settings_of(request)

    async def respond(item_id: int) -> Response:
        row = await announcements.get_announcement(actor, item_id)
        location = {"Location": api_url(settings, f"/announcements/{item_id}")}
        return ShapeResponse(announcement(settings, row), 201, headers=location)

    return await idempotency.create(
        request,
        actor,
        lambda within: announcements.send_announcement(
            actor, settings.partner_tiers, **data.args(), within=within
        ),
        respond,
    )


async def get_announcement(request: Request) -> Response:
    actor = await require_actor(request)
    row = await announcements.get_announcement(actor, path_id(request))
    return ShapeResponse(announcement(settings_of(request), row))


_route = area("notifications")
routes = [
    _route("GET", "/notifications", list_notifications, "listNotifications",
           "Your notifications, newest activity first",
           ok=(200, NotificationList, "One page; follow next for more."), errors=(422,),
           description="Cursor-paginated: `next` carries a cursor after the last item. An entry that groups "
           "several events moves to the top when it grows. Entries about threads you can no longer see are "
           "left out.", params=("Cursor", "Limit", "UnreadOnly")),
    _route("GET", "/notifications/unread-count", unread_count, "countUnreadNotifications",
           "How many notifications are unread", ok=(200, UnreadCount, "The count.")),
    _route("POST", "/notifications/read-all", mark_all_read, "markAllNotificationsRead",
           "Mark every notification read", ok=(200, MarkedRead, "How many were unread.")),
    _route("POST", "/notifications/{id:int}/read", mark_read, "markNotificationRead",
           "Mark one notification read",
           ok=(200, Notification, "The notification."), errors=(404,),
           description="Someone else's notification answers 404.", params=("Id",)),
    _route("GET", "/notifications/preferences", get_preferences, "getNotificationPreferences",
           "Your notification preferences", ok=(200, NotificationPreferences, "The preferences.")),
    _route("PUT", "/notifications/preferences", put_preferences, "setNotificationPreferences",
           "Change your notification preferences", ok=(200, NotificationPreferences, "The preferences now."),
           body=PreferencesUpdate),
    _route("GET", "/watches", list_watches, "listWatches",
           "The threads, categories and tags you watch or muted",
           ok=(200, WatchList, "Newest first (one page).")),
    _route("POST", "/watches", set_watch, "setWatch", "Watch or mute a thread, category or tag",
           ok=(200, Watch, "The watch (replacing any earlier one on the same target)."), errors=(404,),
           description="A thread or category you may not see answers 404. A tag nobody used yet can be "
           "watched.", body=NewWatch),
    _route("DELETE", "/watches/{id:int}", delete_watch, "deleteWatch", "Stop watching or muting",
           ok=(204, None, "Removed."), errors=(404,), params=("Id",)),
    _route("POST", "/announcements", send_announcement, "sendAnnouncement",
           "Send an announcement (administrators)",
           ok=(201, Announcement, "Sent: every recipient has a notification linking to it."),
           body=NewAnnouncement, location="The announcement's API address.", params=("IdempotencyKey",),
           guard=policy.can_send_announcements),
    _route("GET", "/announcements/{id:int}", get_announcement, "getAnnouncement", "One announcement",
           ok=(200, Announcement, "The announcement."), errors=(404,),
               description="Sent to another tier: 404.",
           params=("Id",)),
]  # fmt: skip
