"""Operational endpoints and the site's own files: /healthz, /favicon.ico, the API documentation."""

from __future__ import annotations

import functools

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from tortoise import connections

from community import jobs
from community.mail.queue import backlog
from community.markdown import render_document
from community.search import changelog, epoch
from community.templating import ROOT, STATIC
from community.timeutil import utcnow
from community.web.render import render


async def healthz(request: Request) -> JSONResponse:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as exc:
        return JSONResponse({"status": "error", "database": f"unavailable: {type(exc).__name__}"}, 503)
    mail = await backlog()
    oldest = mail["oldest"]
    mail["oldest"] = oldest.isoformat() if oldest is not None and not isinstance(oldest, str) else oldest
    state = request.app.state
    live = {**state.live.hub.stats(), **await state.live.recorder.backlog()}
    host = state.indexer.host
    search = {**await changelog.backlog(host), "indexer": await state.indexer.describe()}
    # An index known to be incomplete (being rebuilt, or following the database before a restore),
    # or search far behind (no indexer, or one failing), is an outage of search: the load balancer
    # hears it.
    search["incomplete"] = await epoch.incomplete(epoch.root_of(state.indexer.index), host)
    behind = search["oldest_age_seconds"] > state.settings.index_stale_seconds
    status = "search_index_incomplete" if search["incomplete"] else "search_index_behind" if behind else "ok"
    body = {"status": status, "database": "ok", "live": live}
    # Reminders, escalations and digests: due work no runner has done yet (reported, not a 503: the
    # site still serves; a large or old backlog means no worker is running them).
    scheduled = {**await jobs.backlog(utcnow()), **state.jobs.describe()}
    body |= {"search": search, "mail": mail, "jobs": scheduled}
    return JSONResponse(body, 200 if status == "ok" else 503)


async def favicon(request: Request) -> FileResponse:
    """Browsers ask for /favicon.ico on every site whatever the page links: answer it (a day's cache)."""
    return FileResponse(
        STATIC / "favicon.ico", media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )


API_DOCS = ROOT / "docs" / "api.md"


@functools.cache
def _api_docs() -> tuple[str, list[tuple[str, str]]]:
    return render_document(API_DOCS.read_text(encoding="utf-8"))


async def api_docs(request: Request) -> Response:
    """docs/api.md as a page of the site (the token page links here): readable where the OpenAPI
    document is raw JSON, and always the version of the running code."""
    body, sections = _api_docs()
    return await render(request, "help/api.html", {"body": Markup(body), "sections": sections})


routes = [Route("/favicon.ico", favicon), Route("/help/api", api_docs)]
