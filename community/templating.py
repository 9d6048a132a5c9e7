"""Jinja2 environments over ``templates/``, with the filters every rendering shares.

The HTML views (``web.render``) and live delivery (``realtime.messages``, which renders posts with
the thread page's own partial) each build their own environment from here, so neither reaches
into the other.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import jinja2

from community import policy
from community.avatars import avatar

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"


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


def timeuntil(value: datetime | None) -> str:
    """When something due will happen: "in 8 minutes", "in 2 hours", or "now" once it is due."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = int((value - datetime.now(UTC)).total_seconds())
    if seconds < 60:
        return "now"
    for unit, size in (("day", 86_400), ("hour", 3600)):
        if seconds >= size:
            n = seconds // size
            return f"in {n} {unit}{'s' if n > 1 else ''}"
    n = seconds // 60
    return f"in {n} minute{'s' if n > 1 else ''}"


def hours_words(hours: int) -> str:
    """A validity period as people say it: "7 days", "1 day", "36 hours" (the same words in the
    mail and on the page that made it: the trial found "168 hours" beside "7 days")."""
    if hours >= 24 and hours % 24 == 0:
        days = hours // 24
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{hours} hour{'s' if hours != 1 else ''}"


def isodate(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def isotime(value: datetime | None) -> str:
    """Machine-readable time for ``<time datetime=...>``."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def environment() -> jinja2.Environment:
    """A fresh environment: autoescaping on, templates compiled once (``auto_reload`` off)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["timeago"] = timeago
    env.filters["isodate"] = isodate
    env.filters["hours_words"] = hours_words
    env.filters["timeuntil"] = timeuntil
    env.filters["isotime"] = isotime
    env.filters["sanction_end"] = policy.sanction_end
    env.globals["avatar"] = avatar
    return env
