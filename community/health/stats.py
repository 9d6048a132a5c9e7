"""Medians, 90th percentiles and shares, defined once (docs/dashboard.md)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by linear interpolation between the closest ranks (the
    "inclusive" method of ``statistics.quantiles``, numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Timing:
    """Durations in seconds: how many, their median and their 90th percentile."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, seconds: Iterable[float]) -> Timing:
        values = list(seconds)
        return cls(len(values), quantile(values, 0.5), quantile(values, 0.9))


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent; None when there is nothing to divide."""
    return None if whole == 0 else 100.0 * part / whole


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def moment(value: object) -> datetime | None:
    """A time from a raw row: SQLite gives ISO text, PostgreSQL a datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a time: {value!r}")
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def seconds_between(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds()
