"""Waiting for something to happen: poll the condition until it holds, within a generous bound.

A fixed sleep is either too short on a busy machine (the test fails for nothing) or longer than
needed everywhere else; a test waits on the condition it cares about instead. How fast it happens
is a benchmark's question (tests/benchmarks/), not a test's.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

# Generous: the suite shares a 2-core machine with other work. A condition that holds returns at
# once, so the bound only costs time when the test is failing anyway.
WAIT_SECONDS = 10.0


async def eventually(
    check: Callable[[], T | Awaitable[T]],
    *,
    within: float = WAIT_SECONDS,
    interval: float = 0.02,
    what: str = "",
) -> T:
    """The first truthy value of ``check()`` (a plain or an async function), polled every
    ``interval`` seconds; fails the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {within:g} s: {what or getattr(check, '__name__', check)}")
        await asyncio.sleep(interval)


def eventually_sync(
    check: Callable[[], T], *, within: float = WAIT_SECONDS, interval: float = 0.02, what: str = ""
) -> T:
    """``eventually`` for code without an event loop (a CLI test, a thread)."""
    deadline = time.monotonic() + within
    while not (value := check()):
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {within:g} s: {what or getattr(check, '__name__', check)}")
        time.sleep(interval)
    return value
