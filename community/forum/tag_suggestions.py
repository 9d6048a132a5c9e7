"""Tags to offer while someone types in a tags field: those already on threads the person may
read (a tag used only in a category they cannot see, or on another organisation's private
question, is not offered), the most used first."""

from __future__ import annotations

from dataclasses import dataclass

from community import policy
from community.actor import Actor
from community.db import fetch_rows
from community.validation import TAG_MAX_LEN

LIMIT = 8


@dataclass(frozen=True, slots=True)
class TagSuggestion:
    name: str
    threads: int


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def suggest_tags(actor: Actor, raw_prefix: str | None) -> list[TagSuggestion]:
    prefix = (raw_prefix or "").strip().lower().lstrip("#")
    if not prefix or len(prefix) > TAG_MAX_LEN or not prefix.isprintable():
        return []
    visible = await policy.visible_category_ids(actor)
    if not visible:
        return []
    marks = ", ".join("?" * len(visible))
    # Private questions of other organisations (policy.can_see_private) lend them no tags.
    private, private_params = "", []
    own, every = policy.private_audience(actor)
    if not every:
        private = f"AND (t.private_org_id IS NULL OR t.private_org_id IN ({', '.join('?' * len(own))}))"
        private_params = sorted(own)
    rows = await fetch_rows(
        "SELECT tg.name, COUNT(*) AS threads FROM tag tg "
        "JOIN thread_tag tt ON tt.tag_id = tg.id JOIN thread t ON t.id = tt.thread_id "
        f"WHERE tg.name LIKE ? ESCAPE '\\' AND t.is_deleted = ? AND t.category_id IN ({marks}) "
        f"{private} GROUP BY tg.name ORDER BY threads DESC, tg.name LIMIT ?",
        _like(prefix) + "%", False, *visible, *private_params, LIMIT,
    )  # fmt: skip
    return [TagSuggestion(r["name"], int(r["threads"])) for r in rows]
