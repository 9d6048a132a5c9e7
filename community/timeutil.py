"""The current time, in UTC: one definition for every module (use cases, policy, realtime)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
