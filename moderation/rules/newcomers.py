"""Rules for new accounts: their first posts wait for approval, and they may post only a few links.

"New" means a partner with fewer than ``held_posts`` published (visible) posts, or, for the link
limit only, an account younger than ``young_days``. Experts, moderators and admins are never new.
Every link the rendered post shows counts (the caller hands in their addresses: the renderer makes
links from more spellings than any reading of the source finds, e.g. ``//host``, reference links and
bare domains of any top-level domain); links within the site (paths, anchors, mentions) do not.
Addresses written so as not to become links count too, after undoing the usual disguises
(full-width letters, zero-width characters, HTML entities, ``example[.]com``, ``example (dot) com``,
``hxxp://``), a bare domain when it ends in a common top-level domain. The same address written
twice counts once.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from community.models import Post, PostState, Role, User
from moderation.rules.content import fold

# The start of the reason a new member's post is held (``moderation.held`` explains it to authors).
NEW_MEMBER_REASON = "New member: "

_TLDS = (
    "com|net|org|info|biz|io|co|me|us|uk|de|fr|eu|ru|cn|nl|it|es|ch|at|be|se|no|dk|fi|pl|cz|jp|in|br|"
    "au|ca|xyz|top|site|online|shop|store|app|dev|ly|gl|tk|ml|ga|cf|gq|club|link|click|live|pro|ws|to|"
    "cc|tv|su|pw|icu|vip|win|bid|loan|page|website|space|tech|cloud|email"
)
# A dot, or one written out: [.] (.) [dot] (dot) " dot ".
_DOT = r"(?:\s?[\[(]\s?(?:\.|dot)\s?[\])]\s?|\s+dot\s+|\.)"
_LINK = re.compile(
    rf"\b[a-z][a-z0-9+.-]{{1,15}}://[^\s<>\"')\]]+"  # scheme://... (http, https, ftp, hxxp)
    rf"|\bwww{_DOT}[^\s<>\"')\]]+"
    rf"|\b(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?{_DOT})+(?:{_TLDS})\b(?:/[^\s<>\"')\]]*)?",
    re.IGNORECASE,
)
_WRITTEN_DOT = re.compile(_DOT)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:")
_TRAILING = ".,;:!?*_~"


def _address(target: str) -> str:
    """One spelling of an address (scheme, www. and a trailing slash or stop dropped), so that a
    link and its address written out count once."""
    target = unquote(target).rstrip(_TRAILING)
    target = _SCHEME.sub("", target).lstrip("/\\")
    return _WRITTEN_DOT.sub(".", target).removeprefix("www.").rstrip("/").rstrip(_TRAILING)


def _link_address(href: str) -> str | None:
    """The address a link of the rendered post leads to; None for one within the site."""
    href = fold(href.strip())
    if href.startswith("mailto:"):  # counted as its domain, the part the text count finds
        return href.split("?")[0].rpartition("@")[2] or None
    if not (_SCHEME.match(href) or href.startswith("//")):
        return None  # a path, an anchor or a query on this site (mentions are /u/handle)
    return _address(href) or None


def count_links(texts: Iterable[str], links: Iterable[str] = ()) -> int:
    """Distinct addresses among ``links`` (the hrefs of the rendered post) and those written in the
    texts (a Markdown link whose text is its address counts once)."""
    seen = {address for href in links if (address := _link_address(href))}
    for text in texts:
        folded = fold(html.unescape(text))
        for match in _LINK.finditer(folded):
            if target := _address(match.group(0)):
                seen.add(target)
    return len(seen)


@dataclass(frozen=True, slots=True)
class NewcomerVerdict:
    """``hold_reason``: the post waits for approval (empty: it does not); ``too_many_links``: the
    post is refused, with ``reason`` naming the limit."""

    hold_reason: str = ""
    too_many_links: bool = False
    reason: str = ""


@dataclass(frozen=True, slots=True)
class NewcomerRules:
    """Off unless configured (app.py builds them from the settings, whose defaults are 2, 3, 2)."""

    held_posts: int = 0
    young_days: int = 0
    max_links: int = 2

    async def check(
        self, *, user_id: int, role: str, texts: Iterable[str], links: Iterable[str] = ()
    ) -> NewcomerVerdict:
        if role != Role.PARTNER or (self.held_posts == 0 and self.young_days == 0):
            return NewcomerVerdict()
        rows = await User.filter(id=user_id).values("post_count", "created_at")
        if not rows:
            return NewcomerVerdict()
        held = self.held_posts > 0 and await self._published(user_id, rows[0]["post_count"]) < self.held_posts
        joined = rows[0]["created_at"]
        if joined is not None and joined.tzinfo is None:
            joined = joined.replace(tzinfo=UTC)
        young = self.young_days > 0 and joined > datetime.now(UTC) - timedelta(days=self.young_days)
        hold_reason = (
            f"{NEW_MEMBER_REASON}posts wait for approval until {self.held_posts} are published"
            if held
            else ""
        )
        if (held or young) and count_links(texts, links) > self.max_links:
            limit = self.max_links
            allowed = "no links" if limit == 0 else f"at most {limit} link{'s' if limit != 1 else ''}"
            return NewcomerVerdict(
                hold_reason,
                True,
                f"New members can include {allowed} in a post. Please remove some links (addresses "
                "written with [.] or (dot) count too), or post them once your account is established.",
            )
        return NewcomerVerdict(hold_reason)

    async def _published(self, user_id: int, post_count: int) -> int:
        """Published posts, up to the number that matters. ``post_count`` (every post not deleted)
        answers most cases without counting: fewer posts than needed cannot be enough."""
        if post_count < self.held_posts:
            return post_count
        return len(
            await Post.filter(author_id=user_id, state=PostState.VISIBLE)
            .limit(self.held_posts)
            .values_list("id", flat=True)
        )
