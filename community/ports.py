"""What the core needs from its concrete parts, as small Protocols; app.py wires the real ones in."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from search_index.documents import SearchDocument


class SearchIndex(Protocol):
    """A full-text index of plain documents (``search_index.WhooshSearch`` is the one we ship).

    Synchronous: the core calls it from a worker thread."""

    def apply(self, upserts: Sequence[SearchDocument], deletes: Sequence[str]) -> None: ...

    def search(
        self,
        q: str,
        *,
        allowed_category_ids: Collection[int],
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
    ) -> Any: ...

    def similar(self, title: str, *, allowed_category_ids: Collection[int], limit: int = 5) -> list[Any]: ...

    def rebuild(
        self, documents: Iterable[SearchDocument], progress: Callable[[int], None] | None = None
    ) -> None: ...

    def stamps(self) -> dict[str, datetime]: ...

    def doc_count(self) -> int: ...

    def close(self) -> None: ...
