"""The signed-in person a request acts for: a small, immutable snapshot of the user row.

Services and the policy take an ``Actor`` rather than an ORM ``User`` so that a request needs one
cheap query to know who is asking, and so that permission checks never trigger lazy loading.
"""

from __future__ import annotations

from dataclasses import dataclass

from community.db import fetch_rows
from community.models import Role, User


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
        )


_ACTOR_SQL = (
    'SELECT u.id, u.role, u.organisation_id, o.tier AS org_tier, o.kind AS org_kind, u.is_org_admin, '
    "u.display_name, u.handle, u.status, u.auth_version "
    'FROM "user" u JOIN organisation o ON o.id = u.organisation_id WHERE u.id = ?'
)


async def load_actor(user_id: int) -> Actor | None:
    """One raw query on every signed-in request: no ORM objects on this hot path."""
    rows = await fetch_rows(_ACTOR_SQL, user_id)
    if not rows:
        return None
    row = rows[0]
    row["is_org_admin"] = bool(row["is_org_admin"])
    return Actor(**row)
