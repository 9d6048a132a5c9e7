"""Recording, inside a use case's transaction, what the search index must pick up.

A row per changed thread or post: if the process dies right after the commit, the indexer still
finds the row and brings the index up to date (DESIGN.md: nothing that must not be lost is
delivered from memory)."""

from __future__ import annotations

from community.models import IndexOutbox

THREAD = "thread"
POST = "post"
ARTICLE = "article"
# Written when post changes enter the change log, not by use cases: a thread's own document (its
# answers rolled up) to rebuild after answers changed, at most every ``ROLLUP_SECONDS``
# (search.changelog.sequence).
ROLLUP = "rollup"
ROLLUP_SECONDS = 5.0


async def index_later(*changes: tuple[str, int]) -> None:
    """Call inside the use case's transaction, e.g. ``index_later((THREAD, t.id), (POST, p.id))``."""
    rows = [IndexOutbox(kind=kind, object_id=object_id) for kind, object_id in dict.fromkeys(changes)]
    if len(rows) == 1:
        await rows[0].save()
    elif rows:
        await IndexOutbox.bulk_create(rows)
