"""Posting rate limits per person (a minute, a day) and per IP address (a minute).

Counted in ``RateEvent`` rows so every worker and host shares them. A post is counted inside its
own transaction (a refused or failed post counts nothing); old rows are pruned as new ones come.
The answer says how long to wait, to the second, so clients can honour ``Retry-After``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from community.models import RateEvent

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
        """None when one more post is allowed now; otherwise how long to wait and why."""
        if not self.active:
            return None
        now = self.clock()
        mine, theirs = user_key(user_id), ip_key(ip) if ip else None
        window = Q(key=mine, created_at__gte=now - (DAY if self.per_day else MINUTE))
        if theirs and self.per_ip_minute:
            window |= Q(key=theirs, created_at__gte=now - MINUTE)
        rows = await RateEvent.filter(window).order_by("created_at").values_list("key", "created_at")
        times: dict[str | None, list[datetime]] = {mine: [], theirs: []}
        for key, at in rows:
            times.setdefault(key, []).append(at if at.tzinfo else at.replace(tzinfo=UTC))
        checks = (
            (self.per_minute, MINUTE, times[mine], "You can add {n} a minute"),
            (self.per_day, DAY, times[mine], "You can add {n} a day"),
            (self.per_ip_minute, MINUTE, times[theirs], "Many posts come from your network: {n} a minute"),
        )
        waits = []
        for limit, span, stamps, text in checks:
            recent = [t for t in stamps if t > now - span]
            if limit and len(recent) >= limit:
                # The oldest post that must leave the window before one more fits.
                free_at = recent[len(recent) - limit] + span
                seconds = max(1, math.ceil((free_at - now).total_seconds()))
                waits.append(RateWait(seconds, text.format(n=_posts(limit))))
        if not waits:
            return None
        longest = max(waits, key=lambda w: w.retry_after)
        return RateWait(
            longest.retry_after,
            f"{longest.reason} at most. Please wait {_wait_text(longest.retry_after)} and post again: "
            "nothing you wrote is lost.",
        )

    async def count(self, *, user_id: int, ip: str | None) -> None:
        """Count a post (inside its transaction) and prune what no window needs any more."""
        if not self.active:
            return
        now = self.clock()
        keys = [user_key(user_id)] + ([ip_key(ip)] if ip else [])
        await RateEvent.bulk_create([RateEvent(key=key, created_at=now) for key in keys])
        await RateEvent.filter(key=keys[0], created_at__lt=now - DAY).delete()
        if len(keys) > 1:
            await RateEvent.filter(key=keys[1], created_at__lt=now - MINUTE).delete()
        if random.randrange(PRUNE_ALL_ONE_IN) == 0:
            await RateEvent.filter(created_at__lt=now - DAY).delete()
