"""Jinja2 environment and the one ``render`` call every HTML view uses."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from community import policy
from community.actor import Actor
from community.edge.auth import current_actor
from community.edge.csrf import csrf_token
from community.errors import Invalid
from community.notifications.centre import unread_count
from community.search.queries import marked, unmarked
from community.templating import environment
from community.web.bell import bell_html, queue_count_html
from moderation.queue import waiting_count

templates = Jinja2Templates(env=environment())


def query_url(request: Request, **changes: object) -> str:
    """The current path and query with some parameters changed (``None`` or "" drops one);
    used by tabs, filters and pagination so they keep each other's settings."""
    params = dict(request.query_params)
    for name, value in changes.items():
        if value is None or value == "":
            params.pop(name, None)
        else:
            params[name] = str(value)
    query = urlencode(params)
    return f"{request.url.path}?{query}" if query else request.url.path


def csv_download(text: str, filename: str) -> Response:
    """A CSV file to download, UTF-8 with a byte-order mark: without it Excel on Windows reads the
    file as Windows-1252 and shows "Tomás" as "TomÃ¡s" (the managers' usual tool). The cells'
    formula neutralising is the writer's (``health.export``, ``moderation.audit``)."""
    return Response(
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def flash(request: Request, message: str) -> None:
    """A one-time notice shown on the next rendered page (after a redirect)."""
    messages = list(request.session.get("flash", []))
    messages.append(message)
    request.session["flash"] = messages


# Long texts and id lists stay in the CSV export and the API; the page shows what changed.
_AUDIT_HIDDEN = frozenset({"body_source", "post_ids", "title", "target_title"})


def _audit_value(value: object) -> str:
    if value is None or value == "" or value == []:
        return "\u2014"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def audit_changes(before: dict | None, after: dict | None) -> list[tuple[str, str, str | None]]:
    """(field, before, after) for what an audited action changed, in words: fields whose value
    stayed the same are left out; ``after`` is None for entries that record only one side."""
    before, after = before or {}, after or {}
    rows: list[tuple[str, str, str | None]] = []
    for key in dict.fromkeys([*before, *after]):
        if key in _AUDIT_HIDDEN or (key in before and key in after and before[key] == after[key]):
            continue
        label = key.replace("_", " ")
        if key in after:
            rows.append((label, _audit_value(before.get(key)), _audit_value(after[key])))
        else:
            rows.append((label, _audit_value(before[key]), None))
    return rows


templates.env.globals["audit_changes"] = audit_changes
templates.env.globals["query_url"] = query_url
# Search titles and snippets: HTML with only <mark> kept, or their plain text.
templates.env.filters["marked"] = marked
templates.env.filters["unmarked"] = unmarked
templates.env.globals["bell"] = bell_html


async def viewer_unread(request: Request, actor: Actor | None) -> int | None:
    """The bell's count: what the request already knows (the thread page reads it with the viewer;
    None there means "leave the marker", see ``bell``), else one query."""
    if actor is None:
        return 0
    known = request.state._state
    if "unread" in known:
        return known["unread"]
    return await unread_count(actor.id)


async def _queue_count(actor: Actor | None, *, cached: bool) -> Markup:
    """The moderator's waiting count beside "Review queue"; a page rendered for the cache (its bell
    a marker too) gets the marker, filled in per request by ``bell.splice``."""
    if actor is None or not actor.is_moderator:
        return Markup("")
    if cached:
        return queue_count_html(None, marker=True)
    return queue_count_html(await waiting_count(actor))


async def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page with the actor and CSRF token every layout needs."""
    has_session = "session" in request.scope
    actor = await current_actor(request) if has_session else None
    unread = await viewer_unread(request, actor)
    ctx: dict[str, Any] = {
        "actor": actor,
        "unread": unread,
        "queue_count": await _queue_count(actor, cached=unread is None),
        "sees_dashboard": actor is not None and policy.can_see_dashboard(actor),
        "csrf_token": csrf_token(request.session) if has_session else "",
        "settings": request.app.state.settings,
        "flashes": request.session.pop("flash", []) if has_session else [],
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)


async def error_page(
    request: Request, status: int, message: str, fields: dict[str, str], headers: dict[str, str] | None
) -> HTMLResponse:
    """The HTML half of the edge's error renderer (``edge.errors.ErrorRenderer``).

    A form that refuses what was typed renders itself again with each error beside its field; an
    Invalid that reaches this page came from a page's address (``/?show=bogus``) or a request no
    form of ours sends, so there are no highlighted fields to point at: the page says what was
    wrong in plain words instead."""
    retry_after = (headers or {}).get("Retry-After", "")
    if status == Invalid.status_code and message == Invalid.DEFAULT_MESSAGE:
        message = (
            "This page cannot be shown as its address asks:"
            if request.method in ("GET", "HEAD")
            else "What was sent cannot be used:"
        )
    # Each problem as a sentence: with the part of the address it is about ("show=bogus"), or the
    # name of the field sent (a request no form of ours sends, e.g. a script's).
    problems = [
        (name, text, f"{name}={request.query_params[name][:40]}" if name in request.query_params else "")
        for name, text in fields.items()
    ]
    context = {"status": status, "message": message, "problems": problems, "retry_after": retry_after}
    return await render(request, "error.html", context, status_code=status, headers=headers)
