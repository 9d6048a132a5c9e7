"""People to offer while someone types @ in the editor: a handful, the likeliest first.

Who may be offered is ``policy.may_suggest_anyone``'s rule, applied in the query so a partner's
suggestions never list another organisation's members. In a thread, its participants come first,
and nobody who may not see the thread is offered (they would not hear of the mention).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from community import policy
from community.actor import Actor, load_actors
from community.db import fetch_rows
from community.models import Category, PostState, Role, UserStatus
from community.visibility import load_visible_thread

LIMIT = 8
PREFIX_MAX = 40
# What may follow the @ (markdown.MENTION_RE's letters) and what a display name holds.
_PREFIX_OK = re.compile(r"^[\w .'-]*$")


@dataclass(frozen=True, slots=True)
class PersonSuggestion:
    handle: str
    display_name: str
    role: str
    in_thread: bool


def clean_prefix(raw: str | None) -> str:
    """The prefix as typed, without the @; "" when it could match no handle or name."""
    text = (raw or "").strip().lstrip("@")[:PREFIX_MAX]
    return text if _PREFIX_OK.match(text) else ""


def _like(text: str) -> str:
    return text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def suggest_people(
    actor: Actor, raw_prefix: str | None, *, thread_id: int | None = None
) -> list[PersonSuggestion]:
    prefix = clean_prefix(raw_prefix)
    thread = await load_visible_thread(actor, thread_id) if thread_id is not None else None
    if not prefix and thread is None:
        return []
    like = _like(prefix) + "%"
    params: list[object] = [thread.id if thread else 0, UserStatus.ACTIVE, like, like, "% " + like]
    sql = (
        "SELECT u.id, u.handle, u.display_name, u.role, u.post_count, "
        "EXISTS (SELECT 1 FROM post tp WHERE tp.thread_id = ? AND tp.author_id = u.id) AS in_thread "
        'FROM "user" u WHERE u.status = ? '
        "AND (LOWER(u.handle) LIKE ? ESCAPE '\\' OR LOWER(u.display_name) LIKE ? ESCAPE '\\' "
        "OR LOWER(u.display_name) LIKE ? ESCAPE '\\')"
    )
    if not policy.may_suggest_anyone(actor):
        visible = await policy.visible_category_ids(actor) or [0]
        marks = ", ".join("?" * len(visible))
        sql += (
            " AND (u.organisation_id = ? OR u.role IN (?, ?, ?) OR EXISTS ("
            "SELECT 1 FROM post p JOIN thread t ON t.id = p.thread_id "
            f"WHERE p.author_id = u.id AND p.state = ? AND t.is_deleted = ? AND t.category_id IN ({marks}) "
            "AND (t.private_org_id IS NULL OR t.private_org_id = ?) "
            "AND NOT EXISTS (SELECT 1 FROM post o WHERE o.thread_id = t.id AND o.is_opening = ? "
            "AND o.state IN (?, ?))))"
        )
        params += [actor.organisation_id, *Role.STAFF, PostState.VISIBLE, False, *visible,
                   actor.organisation_id, True, *sorted(policy.THREAD_HIDING_STATES)]  # fmt: skip
    sql += " ORDER BY in_thread DESC, u.post_count DESC, u.handle LIMIT ?"
    params.append(LIMIT * 3)  # some may be left out below: who cannot see the thread, oneself
    rows = await fetch_rows(sql, *params)
    rows = [r for r in rows if r["id"] != actor.id]
    if thread is not None and rows:
        people = await load_actors([r["id"] for r in rows])
        rows = [
            r for r in rows
            if (who := people.get(r["id"])) is not None
            and policy.can_see_place(who, thread.category, thread.private_org_id)
        ]  # fmt: skip
    starts = prefix.lower()
    rows.sort(key=lambda r: (not r["in_thread"], not r["handle"].lower().startswith(starts)))
    return [
        PersonSuggestion(r["handle"], r["display_name"], r["role"], bool(r["in_thread"]))
        for r in rows[:LIMIT]
    ]


async def who_cannot_see(
    actor: Actor,
    mentioned: list[int],
    *,
    thread_id: int | None = None,
    category_slug: str | None = None,
    private: bool = False,
) -> list[str]:
    """Names of the people ``mentioned`` in a text being written who could not see where it goes:
    a thread the actor may see (else 404), or a new question in a category (asked privately: for
    the actor's organisation and staff only). They are not told of the mention; the editor says
    so while there is time to change it. Empty when there is nowhere to judge by yet."""
    if thread_id is not None:
        thread = await load_visible_thread(actor, thread_id)
        category, private_org = thread.category, thread.private_org_id
    elif category_slug:
        found = await Category.get_or_none(slug=category_slug)
        if found is None or not policy.can_see_category(actor, found):
            return []
        category, private_org = found, (actor.organisation_id if private else None)
    else:
        return []
    people = await load_actors([i for i in mentioned if i != actor.id])
    return sorted(
        who.display_name for who in people.values() if not policy.can_see_place(who, category, private_org)
    )
