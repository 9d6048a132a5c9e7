"""What the core needs from its concrete parts, as small Protocols; app.py wires the real ones in."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from search_index.documents import SearchDocument


class SearchIndex(Protocol):
    """A full-text index of plain documents (``search_index.engine.WhooshSearch`` is the one we ship).

    Synchronous: the core calls it from a worker thread."""

    def apply(self, upserts: Sequence[SearchDocument], deletes: Sequence[str]) -> None: ...

    def search(
        self,
        q: str,
        *,
        allowed_category_ids: Collection[int],
        private_orgs: Collection[int] = (),
        all_private: bool = False,
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
    ) -> Any: ...

    def similar(
        self,
        title: str,
        *,
        allowed_category_ids: Collection[int],
        private_orgs: Collection[int] = (),
        all_private: bool = False,
        limit: int = 5,
        exclude_thread_id: int | None = None,
    ) -> list[Any]: ...

    def rebuild(
        self, documents: Iterable[SearchDocument], progress: Callable[[int], None] | None = None
    ) -> None: ...

    def stamps(self) -> dict[str, datetime]: ...

    def doc_count(self) -> int: ...

    def close(self) -> None: ...


class ModerationGate(Protocol):
    """The rules the core asks before acting (``moderation.rules.gate.ModerationRules`` is the one we
    ship).

    Views hand it to the use cases that need it; app.py builds it from the settings."""

    def flag_weight(self, role: str) -> int:
        """What a flag by someone with this role adds to a post's weight."""
        ...

    def flag_hides(self, open_weight: int) -> bool:
        """Whether a post whose unresolved flags weigh this much is hidden pending review."""
        ...

    async def check_post(self, text: str, *, category_id: int) -> RuleVerdict:
        """What the watched words and starter rule sets say about a new post's text."""
        ...

    def invalidate(self) -> None:
        """Watched words or per-category switches changed: read them again before the next check."""
        ...

    async def check_author(
        self, *, user_id: int, role: str, texts: Iterable[str], links: Iterable[str] = ()
    ) -> AuthorVerdict:
        """The new-account rules: is this author's post held for approval, has it too many links.
        ``links``: the addresses the rendered post links to (``texts`` may disguise more)."""
        ...

    async def posting_wait(self, *, user_id: int, ip: str | None) -> RateWait | None:
        """None when the author (and their IP address) may post once more now."""
        ...

    async def count_post(self, *, user_id: int, ip: str | None) -> RateWait | None:
        """Inside the new post's transaction: count it towards the rate limits, or (when posts sent
        meanwhile filled the limit) say how long to wait; the caller then refuses the post."""
        ...


class AuthorVerdict(Protocol):
    @property
    def hold_reason(self) -> str: ...

    @property
    def too_many_links(self) -> bool: ...

    @property
    def reason(self) -> str: ...


class RateWait(Protocol):
    @property
    def retry_after(self) -> int: ...

    @property
    def reason(self) -> str: ...


class RuleVerdict(Protocol):
    """``action``: block, hold, flag, censor or None; ``reason`` names the problem for people;
    ``censored_text`` is the text with matches masked when the action is censor."""

    @property
    def action(self) -> str | None: ...

    @property
    def reason(self) -> str: ...

    @property
    def censored_text(self) -> str | None: ...
