"""The signed-in person a request acts for: a small, immutable snapshot of the user row.

Services and the policy take an ``Actor`` rather than an ORM ``User`` so that a request needs one
cheap query to know who is asking, and so that permission checks never trigger lazy loading.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from community.db import fetch_rows
from community.models import Role, User, WatchTarget


@dataclass(frozen=True, slots=True)
class Actor:
    id: int
    role: str
    organisation_id: int
    org_tier: str | None
    org_kind: str
    is_org_admin: bool
    display_name: str
    handle: str
    status: str
    auth_version: int
    # Copied from the active sanctions (``moderation.sanctions``); None: not sanctioned.
    # Compared with the clock on every use, so a sanction ends on time without anyone acting.
    silenced_until: datetime | None = None
    suspended_until: datetime | None = None

    @property
    def is_silenced(self) -> bool:
        return _in_future(self.silenced_until)

    @property
    def is_suspended(self) -> bool:
        return _in_future(self.suspended_until)

    @property
    def is_staff(self) -> bool:
        return self.role in Role.STAFF

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @classmethod
    def from_user(cls, user: User) -> Actor:
        """``user.organisation`` must be fetched (select_related) beforehand."""
        org = user.organisation
        return cls(
            id=user.id,
            role=user.role,
            organisation_id=user.organisation_id,
            org_tier=org.tier,
            org_kind=org.kind,
            is_org_admin=user.is_org_admin,
            display_name=user.display_name,
            handle=user.handle,
            status=user.status,
            auth_version=user.auth_version,
            silenced_until=as_aware(user.silenced_until),
            suspended_until=as_aware(user.suspended_until),
        )


def as_aware(value: datetime | str | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite's raw rows give ISO text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _in_future(value: datetime | None) -> bool:
    return value is not None and value > datetime.now(UTC)


_ACTOR_SQL = (
    "SELECT u.id, u.role, u.organisation_id, o.tier AS org_tier, o.kind AS org_kind, u.is_org_admin, "
    "u.display_name, u.handle, u.status, u.auth_version, u.silenced_until, u.suspended_until "
    'FROM "user" u JOIN organisation o ON o.id = u.organisation_id WHERE u.id = ?'
)


_ACTOR_FIELDS = frozenset(Actor.__dataclass_fields__)


def _actor_from_row(row: dict) -> Actor:
    values = {k: v for k, v in row.items() if k in _ACTOR_FIELDS}
    values["is_org_admin"] = bool(values["is_org_admin"])
    values["silenced_until"] = as_aware(values.get("silenced_until"))
    values["suspended_until"] = as_aware(values.get("suspended_until"))
    return Actor(**values)


async def load_actor(user_id: int) -> Actor | None:
    """One raw query on every signed-in request: no ORM objects on this hot path."""
    rows = await fetch_rows(_ACTOR_SQL, user_id)
    return _actor_from_row(rows[0]) if rows else None


async def load_actors(user_ids: Iterable[int]) -> dict[int, Actor]:
    """Several actors in one query (live connections reload theirs when access changes)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    sql = _ACTOR_SQL.replace("WHERE u.id = ?", f"WHERE u.id IN ({', '.join('?' * len(ids))})")
    return {row["id"]: _actor_from_row(row) for row in await fetch_rows(sql, *ids)}


# The bell's count: unread notifications, counted up to one past what the bell shows ("99+"), so a
# long-neglected inbox costs no more to count than a busy one.
UNREAD_CAP = 99
UNREAD_SQL = (
    "(SELECT COUNT(*) FROM (SELECT 1 FROM notification n WHERE n.user_id = u.id AND n.read_at IS NULL "
    f"LIMIT {UNREAD_CAP + 1}) unread)"
)


@dataclass(frozen=True, slots=True)
class ThreadStamp:
    """What the thread page needs to know before it may serve a cached copy; with it, what the
    viewer's copy shows of their own: their watch on the thread and their unread count."""

    version: int
    is_deleted: bool
    visibility: str
    tiers: list[str]
    private_org_id: int | None = None
    watch: str | None = None
    unread: int = 0


_ACTOR_AND_THREAD_SQL = _ACTOR_SQL.replace(
    " FROM ",
    ", t.version AS t_version, t.is_deleted AS t_is_deleted, t.private_org_id AS t_private_org_id, "
    "c.visibility AS c_visibility, "
    f"c.tiers AS c_tiers, {UNREAD_SQL} AS v_unread, (SELECT w.level FROM watch w "
    f"WHERE w.user_id = u.id AND w.target_type = '{WatchTarget.THREAD}' "
    "AND w.target_key = CAST(t.id AS VARCHAR(60))) AS v_watch FROM ",
    1,
).replace(
    " WHERE u.id = ?",
    " LEFT JOIN thread t ON t.id = ? LEFT JOIN category c ON c.id = t.category_id WHERE u.id = ?",
)


def thread_stamp_from_row(row: dict, prefix: str = "") -> ThreadStamp | None:
    if row.get(f"{prefix}version") is None:
        return None
    tiers = row[f"{prefix}tiers"]
    return ThreadStamp(
        version=int(row[f"{prefix}version"]),
        is_deleted=bool(row[f"{prefix}is_deleted"]),
        visibility=row[f"{prefix}visibility"],
        tiers=json.loads(tiers) if isinstance(tiers, str) else (tiers or []),
        private_org_id=row.get(f"{prefix}private_org_id"),
    )


async def load_actor_and_thread(user_id: int, thread_id: int) -> tuple[Actor | None, ThreadStamp | None]:
    """The actor and a thread's stamp in one round trip (the thread page's hot path)."""
    rows = await fetch_rows(_ACTOR_AND_THREAD_SQL, thread_id, user_id)
    if not rows:
        return None, None
    row = rows[0]
    stamp = thread_stamp_from_row(
        {k.split("_", 1)[1]: v for k, v in row.items() if k.startswith(("t_", "c_"))}
    )
    if stamp is not None:
        stamp = replace(stamp, watch=row["v_watch"], unread=int(row["v_unread"]))
    return _actor_from_row(row), stamp
