"""A member's picture beside their name: the one they uploaded, or their initials on a colour
chosen from their handle (the same person always gets the same colour, on every page).

The colours are classes (``av0`` ... ``av7`` in static/css/site.css), not inline styles, which the
Content-Security-Policy forbids; each keeps white initials at a contrast of at least 4.5:1. The
picture is decorative (alt=""): the name always stands beside it.
"""

from __future__ import annotations

import zlib

from markupsafe import Markup, escape

from community.images import URL_PREFIX, avatar_key

COLOURS = 8


def initials(name: str) -> str:
    """'Priya Raman' -> 'PR', 'Tomás' -> 'T', '' -> '?'."""
    words = [w for w in name.split() if w[:1].isalnum()]
    if not words:
        return "?"
    first, last = words[0][0], words[-1][0] if len(words) > 1 else ""
    return (first + last).upper()


def colour_class(handle: str) -> str:
    return f"av{zlib.crc32(handle.lower().encode()) % COLOURS}"


def avatar(handle: str, name: str, key: str | None = None, size: int = 32) -> Markup:
    """``size``: 32 (posts, lists) or 96 (profiles)."""
    if key:
        stored = avatar_key(key, 48) if size <= 48 else key
        return Markup(
            '<img class="avatar s{size}" src="{src}" alt="" width="{size}" height="{size}" loading="lazy">'
        ).format(size=size, src=URL_PREFIX + stored)
    return Markup('<span class="avatar s{size} {colour}" aria-hidden="true">{text}</span>').format(
        size=size, colour=colour_class(handle), text=escape(initials(name))
    )
