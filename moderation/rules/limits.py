"""Posting rate limits per person (a minute, a day) and per IP address (a minute).

Counted in ``RateEvent`` rows so every worker and host shares them. A post is checked early (before
any work) and again when it is counted, inside its own transaction with the author's row locked:
of posts sent at once, those beyond the limit are refused and roll back, and a refused or failed
post counts nothing. Old rows are pruned as new ones come.
The answer says how long to wait, to the second, so clients can honour ``Retry-After``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from community.models import RateEvent, User

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
# One post in this many also prunes every expired row (keys that stopped posting).
PRUNE_ALL_ONE_IN = 200


def user_key(user_id: int) -> str:
    return f"post:user:{user_id}"


def ip_key(ip: str) -> str:
    return f"post:ip:{ip[:64]}"


@dataclass(frozen=True, slots=True)
class RateWait:
    """Refused: wait ``retry_after`` seconds; ``reason`` says which limit, for people."""

    retry_after: int
    reason: str


def _posts(n: int) -> str:
    return f"{n} new post{'s' if n != 1 else ''}"


def _wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 5400:
        return f"{math.ceil(seconds / 60)} minutes"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


@dataclass
class PostingLimits:
    """0 switches a limit off; all are off unless configured (app.py uses the settings)."""

    per_minute: int = 0
    per_day: int = 0
    per_ip_minute: int = 0
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @property
    def active(self) -> bool:
        return bool(self.per_minute or self.per_day or self.per_ip_minute)

    async def wait(self, *, user_id: int, ip: str | None) -> RateWait | None:
        """None when one more post is allowed now; otherwise how long to wait and why.

        A count per window on the (key, created_at) index; rows are read only when a limit is
        reached, to say when the oldest counted post leaves the window."""
        if not self.active:
            return None
        now = self.clock()
        mine = user_key(user_id)
        checks = [
            (self.per_day, DAY, mine, "You can add {n} a day"),
            (self.per_minute, MINUTE, mine, "You can add {n} a minute"),
        ]
        if ip:
            checks.append(
                (self.per_ip_minute, MINUTE, ip_key(ip), "Many posts come from your network: {n} a minute")
            )
        waits = []
        day_count: int | None = None
        for limit, span, key, text in checks:
            if not limit or (span == MINUTE and key == mine and day_count is not None and day_count < limit):
                continue  # fewer posts in the whole day than the minute allows: nothing to count
            recent = RateEvent.filter(key=key, created_at__gt=now - span)
            count = await recent.count()
            if span == DAY:
                day_count = count
            if count < limit:
                continue
            # The oldest post that must leave the window before one more fits.
            oldest = (
                await recent.order_by("created_at")
                .offset(count - limit)
                .first()
                .values_list("created_at", flat=True)
            )
            free_at = (oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)) + span  # type: ignore[union-attr]
            seconds = max(1, math.ceil((free_at - now).total_seconds()))
            waits.append(RateWait(seconds, text.format(n=_posts(limit))))
        if not waits:
            return None
        longest = max(waits, key=lambda w: w.retry_after)
        return RateWait(
            longest.retry_after,
            # Pages show the form again with the text kept; API callers must resend it.
            f"{longest.reason} at most. Nothing was posted: please wait {_wait_text(longest.retry_after)} "
            "and send it again.",
        )

    async def count(self, *, user_id: int, ip: str | None) -> RateWait | None:
        """Inside the post's transaction: check once more and count the post (pruning what no window
        needs any more), or say how long to wait (the caller refuses the post). The author's row is
        locked first (PostgreSQL: FOR NO KEY UPDATE; SQLite runs one transaction at a time), so the
        posts of one person are checked and counted one after the other, on every worker."""
        if not self.active:
            return None
        await User.filter(id=user_id).select_for_update(no_key=True).only("id")
        if (refused := await self.wait(user_id=user_id, ip=ip)) is not None:
            return refused
        now = self.clock()
        keys = [user_key(user_id)] + ([ip_key(ip)] if ip else [])
        await RateEvent.bulk_create([RateEvent(key=key, created_at=now) for key in keys])
        await RateEvent.filter(key=keys[0], created_at__lt=now - DAY).delete()
        if len(keys) > 1:
            await RateEvent.filter(key=keys[1], created_at__lt=now - MINUTE).delete()
        if random.randrange(PRUNE_ALL_ONE_IN) == 0:
            await RateEvent.filter(created_at__lt=now - DAY).delete()
        return None
