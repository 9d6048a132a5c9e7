"""A post's text as it is saved: Markdown rendered and sanitised, @mentions resolved to profiles."""

from __future__ import annotations

from typing import Any

from community.markdown import find_mentions, render_markdown
from community.models import (
    User,
)


async def mention_resolver(source: str) -> tuple[Any, list[int]]:
    """One query for every @handle in ``source``: a resolver for the renderer and the user ids."""
    handles = find_mentions(source)
    if not handles:
        return None, []
    rows = await User.filter(handle__in=list(handles)).values("id", "handle")
    known = {r["handle"].lower(): r for r in rows}

    def resolve(handle: str) -> str | None:
        row = known.get(handle.lower())
        return f"/u/{row['handle']}" if row else None

    return resolve, [r["id"] for r in rows]


async def render_post_body(source: str) -> tuple[str, list[int]]:
    resolve, mentioned = await mention_resolver(source)
    return render_markdown(source, resolve), mentioned
