"""Jinja2 environment and the one ``render`` call every HTML view uses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from community.auth import current_actor
from community.csrf import csrf_token

ROOT = Path(__file__).resolve().parent.parent.parent
env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(ROOT / "templates")),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
templates = Jinja2Templates(env=env)


def timeago(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = int((datetime.now(UTC) - value).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("year", 31_536_000), ("month", 2_592_000), ("day", 86_400), ("hour", 3600)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n > 1 else ''} ago"
    n = seconds // 60
    return f"{n} minute{'s' if n > 1 else ''} ago"


def isodate(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


templates.env.filters["timeago"] = timeago
templates.env.filters["isodate"] = isodate


async def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page with the actor and CSRF token every layout needs."""
    ctx: dict[str, Any] = {
        "actor": await current_actor(request) if "session" in request.scope else None,
        "csrf_token": csrf_token(request.session) if "session" in request.scope else "",
        "settings": request.app.state.settings,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)
