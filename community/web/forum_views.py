"""Thread lists, thread pages, asking and answering."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from community import policy
from community.accounts import directory
from community.actor import Actor
from community.edge.auth import require_actor, require_actor_and_thread
from community.edge.csrf import csrf_token
from community.edge.errors import retry_after
from community.edge.reading import client_ip, path_id
from community.errors import Forbidden, Invalid, NotFound, RateLimited
from community.experts import profiles as expert_profiles
from community.experts import routing
from community.forum import lists, merging, posts, thread_actions, thread_page, threads
from community.models import ThreadKind, WatchTarget
from community.notifications import watchers
from community.notifications.centre import unread_count
from community.search import queries
from community.support import ratings
from community.timeutil import utcnow
from community.web.bell import splice
from community.web.forms import is_on, read_fields, thread_url
from community.web.page_cache import PageCache
from community.web.render import flash, render
from moderation import held
from moderation import queue as review_queue

log = logging.getLogger(__name__)

# ``?page=last`` lands on the last page (the service clamps any page to the real range).
LAST_PAGE = 100_000


def _page(request: Request) -> int:
    raw = request.query_params.get("page")
    return LAST_PAGE if raw == "last" else lists.parse_page(raw)


RATINGS_SHOWN_MAX = 50  # questions whose ratings a browser remembers being shown (the cookie stays small)


def _show_ratings(request: Request, thread_id: int) -> bool:
    """An expert who answered chose to see the others' ratings without rating first ("Skip rating
    and show them": ``?ratings=show``); the session remembers it for that question."""
    shown = request.session.get("ratings_shown")
    shown = [i for i in shown if isinstance(i, int)] if isinstance(shown, list) else []
    if request.query_params.get("ratings") == "show":
        if thread_id not in shown:
            request.session["ratings_shown"] = [*shown[-(RATINGS_SHOWN_MAX - 1) :], thread_id]
        return True
    return thread_id in shown


def _list_args(request: Request) -> dict[str, Any]:
    q = request.query_params
    return {
        "show": q.get("show") or "latest",
        "page": lists.parse_page(q.get("page")),
        "per_page": request.app.state.settings.page_size,
    }


async def home(request: Request) -> Response:
    actor = await require_actor(request)
    args = _list_args(request)
    listing = await lists.list_threads(actor, **args)
    return await render(request, "forum/home.html", {"listing": listing, "show": args["show"]})


async def categories(request: Request) -> Response:
    actor = await require_actor(request)
    return await render(
        request, "forum/categories.html", {"categories": await directory.list_categories(actor)}
    )


async def category(request: Request) -> Response:
    actor = await require_actor(request)
    cat = await directory.get_category(actor, request.path_params["slug"])
    q = request.query_params
    filters = {"tag": q.get("tag", "").strip(), "status": q.get("status", "").strip()}
    args = _list_args(request)
    listing = await lists.list_threads(
        actor, category=cat.slug, tag=filters["tag"] or None, status=filters["status"] or None, **args
    )
    watch = await watchers.watch_level(actor.id, WatchTarget.CATEGORY, str(cat.id))
    return await render(
        request,
        "forum/category.html",
        {"category": cat, "listing": listing, "show": args["show"], "filters": filters, "watch": watch},
    )


async def tag(request: Request) -> Response:
    actor = await require_actor(request)
    name = request.path_params["tag"].strip().lower()
    args = _list_args(request)
    listing = await lists.list_threads(actor, tag=name, **args)
    watch = await watchers.watch_level(actor.id, WatchTarget.TAG, name)
    return await render(
        request, "forum/tag.html", {"tag": name, "listing": listing, "show": args["show"], "watch": watch}
    )


async def _ask_form(
    request: Request,
    actor: Actor,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    cats = await directory.list_categories(actor)
    asked = await expert_profiles.find_expert(values["expert"]) if values.get("expert") else None
    away = asked is not None and not asked.is_available(utcnow())
    cover = None
    if asked is not None and away:
        cover = expert_profiles.find_cover(await expert_profiles.load_staff(), asked, utcnow()).by
    not_listed = (
        await expert_profiles.not_an_expert(values["expert"]) if values.get("expert") and not asked else None
    )
    if asked is not None and not values.get("category"):
        # "Ask this expert": the first of their categories the asker may post in.
        slugs = {item.category.id: item.category.slug for item in cats}
        values["category"] = next((slugs[c] for c in asked.category_ids if c in slugs), "")
    return await render(
        request,
        "forum/ask.html",
        {
            "categories": cats,
            "form": values,
            "errors": errors or {},
            "kinds": ThreadKind.ALL,
            "asked": asked,
            "no_such_expert": bool(values.get("expert")) and asked is None and not_listed is None,
            "not_an_expert": not_listed,
            "asked_away": away,
            "asked_cover": cover,
            "private_allowed": policy.can_ask_privately(actor),
        },
        status_code=status,
        headers=headers,
    )


async def ask(request: Request) -> Response:
    actor = await require_actor(request)
    if request.method == "GET":
        if (refusal := policy.posting_refusal(actor)) is not None:
            raise Forbidden(refusal)
        values = {
            "category": request.query_params.get("category", ""),
            "kind": ThreadKind.QUESTION,
            "expert": request.query_params.get("expert", ""),
        }
        return await _ask_form(request, actor, values)
    _, values = await read_fields(request, "category", "kind", "title", "body", "tags", "private", "expert")
    try:
        thread = await threads.create_thread(
            actor,
            category=values["category"],
            kind=values["kind"],
            title=values["title"],
            body=values["body"],
            tags=values["tags"],
            private=is_on(values["private"]),
            gate=request.app.state.moderation,
            ip=client_ip(request),
            expert=values["expert"],
        )
    except Invalid as exc:
        return await _ask_form(request, actor, values, exc.fields, status=422)
    except RateLimited as exc:
        return await _ask_form(
            request, actor, values, {"post": exc.message}, status=429, headers=retry_after(exc)
        )
    if (reason := await held.thread_held_reason(thread.id)) is not None:
        flash(request, reason)
    return RedirectResponse(thread_url(thread.id), 303)


async def render_thread_page(
    request: Request,
    actor: Actor,
    thread_id: int,
    page: int,
    reply_form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """``extra``: more for the template (a moderator form sent back with its errors)."""
    view = await thread_page.get_thread_view(
        actor, thread_id, page, per_page=request.app.state.settings.posts_per_page
    )
    state = await thread_actions.thread_state(actor, view.thread)
    rating = await ratings.rating_panel(actor, view.thread, show_others=_show_ratings(request, thread_id))
    # Cached with the page: the list may lag new threads by the page cache's TTL, which is fine.
    try:
        related = await queries.similar(
            request.app.state.search, actor, view.thread.title, exclude_thread_id=thread_id
        )
    except Exception:  # the thread must still show when the search index cannot answer
        log.exception("related threads unavailable for thread %s", thread_id)
        related = []
    known = request.state._state
    watch = (
        known["watch"]
        if "watch" in known
        else await watchers.watch_level(actor.id, WatchTarget.THREAD, str(thread_id))
    )
    return await render(
        request,
        "forum/thread.html",
        {
            "view": view,
            "thread": view.thread,
            "related": related,
            "reply_form": reply_form or {},
            "errors": errors or {},
            "state": state,
            "mod_form": {},
            "mod_errors": {},
            "routing": await routing.routing_view(actor, view.thread),
            "rating": rating,
            "rating_form": {},
            "rating_errors": {},
            **(extra or {}),
            "watch": watch,
        },
        status_code=status,
        headers=headers,
    )


async def thread(request: Request) -> Response:
    """The thread page, served from the page cache when nothing it shows has changed.

    The key holds the thread's content version (read fresh on every request, together with the
    visibility check), the page, the viewer's snapshot (permissions, name), the session's CSRF
    token and the viewer's watch on the thread, so an edit, a vote, a hide, a permission change
    or a click on Watch always misses. The bell's unread count is not in the key: it is put into
    the cached page on every request (``bell.splice``), read by the same query as the rest."""
    thread_id = path_id(request, "thread_id")
    actor, stamp = await require_actor_and_thread(request, thread_id)
    page = _page(request)
    try:
        version = await thread_page.thread_version(actor, thread_id, stamp)
    except NotFound:
        # A thread merged into another: its address leads there for good.
        if (target := await merging.merged_target(actor, thread_id)) is not None:
            return RedirectResponse(thread_url(target), 301)
        raise
    request.app.state.view_counter.record(thread_id, actor.id)
    if stamp is not None:
        watch, unread = stamp.watch, stamp.unread
    else:
        watch = await watchers.watch_level(actor.id, WatchTarget.THREAD, str(thread_id))
        unread = await unread_count(actor.id)
    request.state.watch = watch
    if request.session.get("flash"):
        request.state.unread = unread
        return await render_thread_page(request, actor, thread_id, page)
    cache: PageCache = request.app.state.page_cache
    shown = _show_ratings(request, thread_id)
    key = (thread_id, version, page, actor, csrf_token(request.session), watch, shown)

    async def render_page() -> bytes:
        request.state.unread = None  # the bell's marker, filled in below for each request
        return bytes((await render_thread_page(request, actor, thread_id, page)).body)

    waiting = await review_queue.waiting_count(actor) if actor.is_moderator else None
    return HTMLResponse(splice(await cache.get_or_render(key, render_page), unread, waiting))


async def reply(request: Request) -> Response:
    actor = await require_actor(request)
    thread_id = path_id(request, "thread_id")
    _, values = await read_fields(request, "body", "page")
    page = lists.parse_page(values["page"])
    try:
        post = await posts.reply(
            actor, thread_id, body=values["body"], gate=request.app.state.moderation, ip=client_ip(request)
        )
    except Invalid as exc:
        return await render_thread_page(request, actor, thread_id, page, values, exc.fields, status=422)
    except RateLimited as exc:
        return await render_thread_page(
            request, actor, thread_id, page, values, {"post": exc.message}, 429, headers=retry_after(exc)
        )
    if (reason := await held.held_reason(post.id, post.state)) is not None:
        flash(request, reason)
    return RedirectResponse(thread_url(thread_id, "last", post.id), 303)


routes = [
    Route("/", home),
    Route("/categories", categories),
    Route("/c/{slug}", category),
    Route("/tags/{tag}", tag),
    Route("/ask", ask, methods=["GET", "POST"]),
    Route("/t/{thread_id:int}", thread),
    Route("/t/{thread_id:int}/reply", reply, methods=["POST"]),
]
