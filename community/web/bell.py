"""The bell in the header: the unread count, kept fresh on cached pages.

A cached thread page is rendered with a marker where the bell goes and the bell is put in on every
request, from the unread count the page's one hot-path query read along with the viewer. So the
cache key needs no count (a new notification does not throw the page away) and the count is never
stale. ``static/js`` may update the bell live: it is ``<a id="bell" data-unread="N">``, and its
visible count is ``.bell-count``.
"""

from __future__ import annotations

from markupsafe import Markup

from community.actor import UNREAD_CAP

MARKER = "<!--bell-->"
_MARKER_BYTES = MARKER.encode()
# The moderator's "Review queue" count, kept fresh on cached pages the same way.
QUEUE_MARKER = "<!--queue-->"
_QUEUE_MARKER_BYTES = QUEUE_MARKER.encode()


def bell_html(unread: int | None) -> Markup:
    """The bell; ``None``: the marker a cached page keeps in its place."""
    if unread is None:
        return Markup(MARKER)
    shown = f"{UNREAD_CAP}+" if unread > UNREAD_CAP else str(unread)
    label = f"Notifications, {shown} unread" if unread else "Notifications"
    hidden = "" if unread else " hidden"
    return Markup(
        f'<a id="bell" class="bell{" unread" if unread else ""}" href="/notifications" '
        f'data-unread="{unread}" aria-label="{label}"><span aria-hidden="true">Notifications</span> '
        f'<span class="bell-count"{hidden}>{shown}</span></a>'
    )


def queue_count_html(waiting: int | None, *, marker: bool = False) -> Markup:
    """The count beside "Review queue" (nothing when none wait); ``marker``: a cached page's
    placeholder for it."""
    if marker:
        return Markup(QUEUE_MARKER)
    if not waiting:
        return Markup("")
    hidden = '<span class="visually-hidden"> waiting</span>'
    return Markup(f' <span class="badge count queue-count">{waiting}{hidden}</span>')


def splice(body: bytes, unread: int, waiting: int | None = None) -> bytes:
    """A cached page with this viewer's bell (the marker is in the header, before any content) and,
    for a moderator, the queue's count."""
    body = body.replace(_MARKER_BYTES, bell_html(unread).encode(), 1)
    if _QUEUE_MARKER_BYTES in body:
        body = body.replace(_QUEUE_MARKER_BYTES, queue_count_html(waiting).encode(), 1)
    return body
