"""Who watches what: preferences, automatic watching, the watchers of a thread, category or tag.

Low-level reads and writes for the use cases that create content (no dependency on them); the
watch and mute use cases themselves are in ``watching``.
"""

from __future__ import annotations

from dataclasses import dataclass

from community.actor import Actor
from community.models import NotificationSettings, Watch, WatchLevel, WatchTarget


@dataclass(frozen=True, slots=True)
class Preferences:
    muted_kinds: tuple[str, ...] = ()
    watch_started: bool = True
    watch_answered: bool = True


async def preferences_of(user_id: int) -> Preferences:
    row = await NotificationSettings.filter(user_id=user_id).first()
    if row is None:
        return Preferences()
    return Preferences(tuple(row.muted_kinds or ()), row.watch_started, row.watch_answered)


async def auto_watch(actor: Actor, thread_id: int, *, started: bool) -> None:
    """Inside the use case's transaction: watch a thread one started (or answered), if the person's
    preferences say so and they have not muted or watched it already."""
    prefs = await preferences_of(actor.id)
    if not (prefs.watch_started if started else prefs.watch_answered):
        return
    key = str(thread_id)
    if not await Watch.filter(user_id=actor.id, target_type=WatchTarget.THREAD, target_key=key).exists():
        await Watch.create(user_id=actor.id, target_type=WatchTarget.THREAD, target_key=key)


async def thread_watchers(thread_id: int) -> list[int]:
    return list(
        await Watch.filter(
            target_type=WatchTarget.THREAD, target_key=str(thread_id), level=WatchLevel.WATCHING
        ).values_list("user_id", flat=True)
    )


async def question_watchers(category_id: int, tag_names: list[str]) -> list[int]:
    """People watching the category or one of the tags, less anyone who muted one of them."""
    targets = [(WatchTarget.CATEGORY, str(category_id))] + [(WatchTarget.TAG, t) for t in tag_names]
    watching: set[int] = set()
    muted: set[int] = set()
    for target_type, key in targets:
        rows = await Watch.filter(target_type=target_type, target_key=key).values_list("user_id", "level")
        for user_id, level in rows:
            (muted if level == WatchLevel.MUTED else watching).add(user_id)
    return sorted(watching - muted)


async def watch_level(user_id: int, target_type: str, key: str) -> str | None:
    levels = await Watch.filter(user_id=user_id, target_type=target_type, target_key=key).values_list(
        "level", flat=True
    )
    return levels[0] if levels else None
