"""The sign-in throttle: a place is taken before a password is checked, in one statement.

Reading a failure count, checking the password (tens of milliseconds in a thread) and then writing
the failure lets every concurrent guess read the same low count: 200 concurrent wrong passwords got
103 checked against a limit of 5. Here an attempt first takes a place in its window with a single
conditional update (``failures < limit`` -> ``failures + 1``), which the database applies to one
row at a time, so at most ``limit`` attempts per window are ever checked, however many arrive at
once. A failed attempt keeps its place; a successful one gives it back (and, for the account,
clears the window: whoever knows the password need not guess).

``count_event`` is the other kind of limit here: so many requests of one kind an hour (password
reset mails, invitation mails to one address).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import F

from community.errors import RateLimited
from community.models import RateEvent, SignInWindow
from community.timeutil import utcnow as now

# Old windows of addresses that were never tried again are deleted now and then, by whichever
# failed attempt draws it (one cheap indexed delete), so the table does not grow with every guess.
PRUNE_CHANCE = 0.01


@dataclass(frozen=True)
class Limit:
    key: str
    max_failures: int


def account_key(email: str) -> str:
    return f"account:{email}"[:300]


def ip_key(ip: str) -> str:
    return f"ip:{ip}"[:300]


async def take_places(limits: list[Limit], window_seconds: int) -> None:
    """Take one place in every window, or none: RateLimited when any of them is full."""
    taken: list[Limit] = []
    for limit in limits:
        if not await _take(limit, window_seconds):
            for earlier in taken:
                await _give_back(earlier.key)
            left = await _wait(limit, limits, window_seconds)
            raise RateLimited(
                f"Too many failed sign-ins. Please wait {_minutes(left)} and try again, "
                "or ask an administrator for a password reset link.",
                retry_after=left,
            )
        taken.append(limit)


async def succeeded(account: Limit, ip: Limit) -> None:
    """The password was right: the account's window starts afresh, the address gets its place back."""
    await SignInWindow.filter(key=account.key).update(failures=0)
    await _give_back(ip.key)


async def failed(window_seconds: int) -> None:
    """The place taken stays taken (that is the failure, counted)."""
    if random.random() < PRUNE_CHANCE:
        await SignInWindow.filter(started_at__lt=_window_start(window_seconds)).delete()


async def _take(limit: Limit, window_seconds: int) -> bool:
    since = _window_start(window_seconds)
    # The common case, one statement: the window exists, is current and has room.
    if await _claim(limit, since):
        return True
    # No window yet, or an old one: make sure a row exists, restart it if it is old (a conditional
    # update too: of two concurrent restarts the second finds the row already current), then claim.
    await SignInWindow.bulk_create(
        [SignInWindow(key=limit.key, failures=0, started_at=now())], ignore_conflicts=True
    )
    await SignInWindow.filter(key=limit.key, started_at__lt=since).update(failures=0, started_at=now())
    return await _claim(limit, since)


async def _claim(limit: Limit, since: datetime) -> bool:
    claimed = await SignInWindow.filter(
        key=limit.key, started_at__gte=since, failures__lt=limit.max_failures
    ).update(failures=F("failures") + 1)
    return claimed == 1


async def _give_back(key: str) -> None:
    await SignInWindow.filter(key=key, failures__gt=0).update(failures=F("failures") - 1)


async def _wait(refused: Limit, limits: list[Limit], window_seconds: int) -> int:
    """Seconds until an attempt can pass: until the refusing window ends, or a later-ending one of
    the others that is full too (the account's window may end in a minute while this address's
    is full for fifteen: 'wait a minute' would only be refused again)."""
    since = _window_start(window_seconds)
    most = {limit.key: limit.max_failures for limit in limits}
    rows = await SignInWindow.filter(key__in=list(most), started_at__gte=since).values(
        "key", "failures", "started_at"
    )
    lefts = [
        _seconds_left(row["started_at"], window_seconds)
        for row in rows
        if row["key"] == refused.key or row["failures"] >= most[row["key"]]
    ]
    return max(lefts, default=window_seconds)


def _seconds_left(started_at: datetime, window_seconds: int) -> int:
    left = (started_at + timedelta(seconds=window_seconds) - now()).total_seconds()
    return max(1, min(window_seconds, int(left) + 1))


def _window_start(window_seconds: int) -> datetime:
    return now() - timedelta(seconds=window_seconds)


def _minutes(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


async def count_event(key: str, since: timedelta) -> int:
    """Count this request, then how many there were in the window (this one included).

    Written first, counted after: of N requests at once, the k-th to be written sees at least k,
    so no more than the limit get through, whatever the interleaving (no check-then-act race)."""
    current = now()
    await RateEvent.create(key=key, created_at=current)
    await RateEvent.filter(key=key, created_at__lt=current - since).delete()
    return await RateEvent.filter(key=key, created_at__gt=current - since).count()


async def within(key: str, since: timedelta, limit: int) -> bool:
    """Whether this request is within ``limit`` in the window, recorded as ``count_event`` does;
    a refused one is taken back, so a refusal saves nothing and trying again does not prolong the
    wait. Still at most ``limit`` pass: a request that passed is never taken back, and each request
    counts every one written before it."""
    current = now()
    event = await RateEvent.create(key=key, created_at=current)
    await RateEvent.filter(key=key, created_at__lt=current - since).delete()
    if await RateEvent.filter(key=key, created_at__gt=current - since).count() <= limit:
        return True
    await RateEvent.filter(id=event.id).delete()
    return False
