"""create_app(settings) -> Starlette: middleware, routes, lifespan, and the wiring of concrete parts."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from community.accounts import passwords
from community.db import close_db, init_db
from community.edge import oidc
from community.edge.access_log import keep_secrets_out_of_access_log
from community.edge.csrf import CSRFMiddleware
from community.edge.errors import ErrorRenderer
from community.edge.security_headers import SecurityHeadersMiddleware
from community.events import AccessChanged, Event, subscribe, unsubscribe
from community.experts import escalation
from community.forum.view_counts import ViewCounter
from community.jobs import Handler, JobRunner
from community.mail.compose import Composed, Withheld
from community.mail.sender import Composer, MailSender
from community.mail.transport import transport_for
from community.models import MailKind, OutgoingMail
from community.notifications import mailing
from community.realtime import Live, LiveCursorMiddleware
from community.realtime.hub import live_endpoint
from community.search import maintenance
from community.search.indexer import Indexer, IndexerLock
from community.search.lease import Lease, lease_name
from community.settings import Settings
from community.templating import STATIC
from community.web.notification_links import MarkReadOnArrival
from community.web.page_cache import PageCache
from community.web.render import error_page
from moderation.rules.flag_weights import FlagRules
from moderation.rules.gate import ModerationRules
from moderation.rules.limits import PostingLimits
from moderation.rules.newcomers import NewcomerRules
from search_index.engine import WhooshSearch

log = logging.getLogger(__name__)
SESSION_COOKIE = "community_session"
SESSION_DAYS = 14
VIEW_FLUSH_SECONDS = 5.0
# Per shutdown step: uvicorn waits for the lifespan, and an operator's SIGTERM should not hang.
SHUTDOWN_STEP_SECONDS = 10.0
SEARCH_WARM_TERMS = 80


def create_app(settings: Settings | None = None, *, manage_db: bool = True) -> Starlette:
    """``manage_db=False`` when the caller (tests, CLI) has already initialised Tortoise."""
    settings = settings or Settings.from_env()
    keep_secrets_out_of_access_log()
    from community.api.routes import index as api_index
    from community.api.routes import routes as api_routes
    from community.web.routes import routes as web_routes
    from community.web.system import healthz

    async def forget_cached_pages(event: Event) -> None:
        # A page's key covers its own thread and viewer, not what its "Related" list shows from
        # other categories: when access rules change, start afresh (other workers hear of it
        # through the live message bus).
        if isinstance(event, AccessChanged):
            app.state.page_cache.clear()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_db:
            await init_db(settings.database_url)
        # Everything loaded at start-up (ORM metadata, templates, the index) lives for the whole
        # process: moved out of the collector's reach, full collections stay short instead of
        # pausing every request in flight.
        gc.collect()
        gc.freeze()
        subscribe(forget_cached_pages)
        await app.state.live.start()
        await mailing.schedule_digests()
        tasks = [
            # So that the first searches after a start are not the slow ones (a few seconds, off the loop).
            asyncio.create_task(asyncio.to_thread(app.state.search.warm, SEARCH_WARM_TERMS)),
            asyncio.create_task(_flush_views_forever(app.state.view_counter)),
            asyncio.create_task(app.state.indexer.run_forever()),
            asyncio.create_task(app.state.jobs.run_forever()),
            asyncio.create_task(app.state.mail.run_forever()),
        ]
        try:
            yield
        finally:
            # Each step on its own: a dead background task or an unreachable Redis must not skip
            # the rest (the last view counts above all).
            unsubscribe(forget_cached_pages)
            await _quietly("stop live updates", app.state.live.stop())
            for task in tasks:
                task.cancel()
            _, stuck = await asyncio.wait(tasks, timeout=SHUTDOWN_STEP_SECONDS)
            for task in tasks:
                if task in stuck:
                    log.error("shutting down: a background task did not stop: %r", task)
                elif not task.cancelled() and task.exception() is not None:
                    log.error("a background task had stopped with an error", exc_info=task.exception())
            await _quietly("close the search index", asyncio.to_thread(app.state.search.close))
            await _quietly("write the last view counts", app.state.view_counter.flush())
            if manage_db:
                await _quietly("close the database", close_db())

    # Live updates; AccessChanged from any worker also empties this worker's page cache.
    # One error format for the whole app: route handlers and the CSRF middleware both use it.
    errors = ErrorRenderer(html_page=error_page)
    live = Live(settings, on_access_changed=lambda: app.state.page_cache.clear())
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
            Route("/api/v1", api_index),  # not a redirect to /api/v1/: the same index at once
            Mount("/api/v1", routes=api_routes),
            WebSocketRoute("/ws", live_endpoint),
            *web_routes,
        ],
        middleware=[
            Middleware(LiveCursorMiddleware, live=live),
            Middleware(SecurityHeadersMiddleware, https=settings.https),
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_DAYS * 86_400,
                same_site="lax",
                https_only=settings.https,
            ),
            # RFC 8058: mail programs send the one-click unsubscribe POST with no session; the signed
            # token in the path is its whole credential (community/web/mail_views.py).
            Middleware(CSRFMiddleware, errors=errors, exempt_prefixes=("/mail/unsubscribe/",)),
            Middleware(MarkReadOnArrival, secret=settings.secret_key),
        ],
        exception_handlers=errors.handlers,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.live = live
    app.state.view_counter = ViewCounter()
    app.state.page_cache = PageCache()
    app.state.oidc_clients = oidc.Clients()
    app.state.search = WhooshSearch(search_dir(settings))
    app.state.jobs = JobRunner(job_handlers(settings))
    app.state.mail = MailSender(settings, transport_for(settings), mail_composers(settings))
    app.state.indexer = Indexer(
        app.state.search,
        Lease(lease_name(search_dir(settings))),
        reconcile=maintenance.reconcile_at_start,
        marker=IndexerLock(search_dir(settings) / "indexer.lock"),
        forget_after=timedelta(hours=settings.index_host_forget_hours),
    )
    app.state.moderation = ModerationRules(
        FlagRules(settings.flag_threshold, settings.flag_weight_partner, settings.flag_weight_expert),
        NewcomerRules(
            settings.new_account_held_posts, settings.new_account_days, settings.new_account_max_links
        ),
        PostingLimits(settings.posts_per_minute, settings.posts_per_day, settings.posts_per_ip_minute),
    )
    return app


def job_handlers(settings: Settings) -> dict[str, Handler]:
    """Every kind of scheduled job this process can do (see community/jobs.py), by kind."""
    return {**mailing.job_handlers(settings), **escalation.job_handlers()}


def mail_composers(settings: Settings) -> dict[str, Composer]:
    """Mails written when they are sent (see community/mail/sender.py), by kind."""

    async def password_reset(mail: OutgoingMail) -> Composed | Withheld:
        return await passwords.compose_password_reset(settings, mail)

    return {**mailing.composers(settings), MailKind.PASSWORD_RESET: password_reset}


def search_dir(settings: Settings) -> Path:
    return settings.data_dir / "search"


async def _quietly(what: str, step: Awaitable[object]) -> None:
    """One shutdown step: its failure is logged, and it may not hold up SIGTERM for ever."""
    try:
        await asyncio.wait_for(step, SHUTDOWN_STEP_SECONDS)
    except TimeoutError:
        log.error("shutting down: gave up waiting to %s after %.0f s", what, SHUTDOWN_STEP_SECONDS)
    except Exception:
        log.exception("shutting down: could not %s", what)


async def _flush_views_forever(counter: ViewCounter) -> None:
    while True:
        await asyncio.sleep(VIEW_FLUSH_SECONDS)
        try:
            await counter.flush()
        except Exception:
            log.exception("could not write view counts")
