"""Watching and muting threads, categories and tags; watching automatically what one starts or answers.

Watching a thread brings a notification for every new post in it; watching a category or a tag, one
for every new question there. Muting a thread silences it (replies, answers, mentions); muting a
category or tag keeps its new questions away even when a watched tag would bring them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from community import policy, validation
from community.actor import Actor
from community.errors import NotFound
from community.models import Category, Watch, WatchLevel, WatchTarget
from community.visibility import load_visible_thread, visible_threads

# The form and the API also accept "none": stop watching or muting.
LEVELS = (*WatchLevel.ALL, "none")
WATCHES_MAX = 1_000


@dataclass(frozen=True, slots=True)
class Target:
    """What a watch is about, checked to be visible to the person: its key and a label for people."""

    type: str
    key: str
    label: str
    url: str


async def resolve_target(actor: Actor, target_type: object, target: object) -> Target:
    """A thread (its id), a category (its slug) or a tag (its name) the actor may see; 404 for
    anything else, as for a missing one."""
    fields: dict[str, str] = {}
    kind = validation.choice(target_type, WatchTarget.ALL, fields, "target_type")
    named = isinstance(target, str) or (kind == WatchTarget.THREAD and type(target) is int)
    if not named or not validation.can_name_something(str(target)):
        fields["target"] = "Name a thread by its id, a category by its slug or a tag by its name."
    validation.raise_if(fields)
    name = str(target).strip().lower()
    if kind == WatchTarget.THREAD:
        thread_id = validation.positive_int(name)
        if thread_id is None:
            raise NotFound("No such thread.")
        thread = await load_visible_thread(actor, thread_id)
        return Target(kind, str(thread.id), thread.title, f"/t/{thread.id}")
    if kind == WatchTarget.CATEGORY:
        cat = await Category.filter(slug=name).first() if validation.SLUG_RE.match(name) else None
        if cat is None or not policy.can_see_category(actor, cat):
            raise NotFound("No such category.")
        return Target(kind, str(cat.id), cat.name, f"/c/{cat.slug}")
    # A tag nobody has used yet can be watched too: the first question with it will tell.
    tags = validation.tags(name, fields, "target")
    if len(tags) != 1:
        fields.setdefault("target", "Name one tag.")
    validation.raise_if(fields)
    return Target(kind, tags[0], tags[0], f"/tags/{tags[0]}")


async def set_watch(actor: Actor, target_type: object, target: object, level: object) -> Target:
    """Watch, mute, or ("none") forget a thread, category or tag."""
    found = await resolve_target(actor, target_type, target)
    fields: dict[str, str] = {}
    level_value = validation.choice(level, LEVELS, fields, "level")
    validation.raise_if(fields)
    async with in_transaction():
        await Watch.filter(user_id=actor.id, target_type=found.type, target_key=found.key).delete()
        if level_value != "none":
            await Watch.create(
                user_id=actor.id, target_type=found.type, target_key=found.key, level=level_value
            )
    return found


async def get_watch(actor: Actor, target: Target) -> dict[str, Any]:
    """The actor's watch on a target just resolved by ``set_watch``, as ``list_watches`` shows it."""
    rows = await Watch.filter(user_id=actor.id, target_type=target.type, target_key=target.key).values(
        "id", "target_type", "level", "created_at"
    )
    if not rows:
        raise NotFound("No such watch.")
    shown = target.key if target.type != WatchTarget.CATEGORY else target.url.removeprefix("/c/")
    return {**rows[0], "target": shown, "label": target.label, "url": target.url}


async def remove_watch(actor: Actor, watch_id: int) -> None:
    if not await Watch.filter(id=watch_id, user_id=actor.id).delete():
        raise NotFound("No such watch.")


async def list_watches(actor: Actor) -> list[dict[str, Any]]:
    """The actor's watches (newest first, at most ``WATCHES_MAX``) with a label and a link each;
    what they may no longer see is left out. A fixed number of queries however many there are."""
    rows = (
        await Watch.filter(user_id=actor.id)
        .order_by("-id")
        .limit(WATCHES_MAX)
        .values("id", "target_type", "target_key", "level", "created_at")
    )
    visible = await policy.visible_category_ids(actor)
    thread_ids = [int(r["target_key"]) for r in rows if r["target_type"] == WatchTarget.THREAD]
    threads = {
        str(t["id"]): t
        for t in await visible_threads(actor, visible).filter(id__in=thread_ids).values("id", "title")
    }
    cats = {str(c["id"]): c for c in await Category.filter(id__in=visible).values("id", "slug", "name")}
    out = []
    for row in rows:
        key = row["target_key"]
        if row["target_type"] == WatchTarget.THREAD and key in threads:
            extra = {"target": key, "label": threads[key]["title"], "url": f"/t/{key}"}
        elif row["target_type"] == WatchTarget.CATEGORY and key in cats:
            cat = cats[key]
            extra = {"target": cat["slug"], "label": cat["name"], "url": f"/c/{cat['slug']}"}
        elif row["target_type"] == WatchTarget.TAG:
            extra = {"target": key, "label": key, "url": f"/tags/{key}"}
        else:
            continue
        out.append({**row, **extra})
    return out
