"""Sanctions on members: warn (a message), silence (can read, not post), suspend (cannot sign in).

The ``Sanction`` rows are the history; the user's ``silenced_until`` / ``suspended_until`` columns
hold the one in force, so that every request learns it from the actor query it makes anyway. A
sanction ends on time by itself (every check compares with the clock); a moderator can lift it
earlier. Each decision is audited, told to the member as a notification, and published as
``AccessChanged`` so live connections of a suspended member are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from community import policy, validation
from community.actor import Actor, as_aware
from community.errors import Conflict, Forbidden, NotFound
from community.events import AccessChanged, publish
from community.models import ReviewItem, Sanction, SanctionKind, User
from community.notifications import moderation_notices
from community.notifications.delivery import announce
from community.timeutil import utcnow
from moderation.audit import audit

DAYS_MAX = 3650
_COLUMN = {SanctionKind.SILENCE: "silenced_until", SanctionKind.SUSPEND: "suspended_until"}
_VERB = {SanctionKind.WARN: "warned", SanctionKind.SILENCE: "silenced", SanctionKind.SUSPEND: "suspended"}
_SANCTION_VALUES = (
    "id", "user_id", "kind", "reason", "starts_at", "ends_at", "lifted_at", "lifted_by_id", "created_at",
)  # fmt: skip


def _require_moderator(actor: Actor) -> None:
    if not policy.can_moderate(actor):
        raise Forbidden("Only moderators can warn, silence or suspend members.")


def _in_force(now: datetime) -> Q:
    return Q(lifted_at__isnull=True) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))


def _days(value: object, fields: dict[str, str]) -> int | None:
    """None, "" or "indefinite": until lifted; otherwise whole days from 1 to DAYS_MAX."""
    if value is None or value in ("", "indefinite"):
        return None
    if (days := validation.positive_int(value, DAYS_MAX)) is None:
        fields["days"] = f"Give the length in whole days (1 to {DAYS_MAX}), or none for indefinitely."
    return days


async def find_member(handle: object) -> User:
    user = None
    if isinstance(handle, str) and validation.can_name_something(handle, 40):
        user = await User.filter(handle=handle).first()
    if user is None:
        raise NotFound("No such member.")
    return user


async def _review_item_id(value: object, user: User | None, fields: dict[str, str]) -> int | None:
    """A sanction decided from a review item names it (the audit entry links the two)."""
    if value in (None, ""):
        return None
    if (item_id := validation.positive_int(value)) is None:
        fields["review_item_id"] = "Not a review item."
        return None
    item = await ReviewItem.filter(id=item_id).values("user_id")
    if not item or user is None or item[0]["user_id"] != user.id:
        fields["review_item_id"] = "This review item is not about this member."
        return None
    return item_id


async def _lock_member(user_id: int) -> None:
    """First in a sanction's transaction: decisions about one member run one after the other (on
    PostgreSQL two silences at once would each find none in force, and both stay in force)."""
    await User.filter(id=user_id).select_for_update(no_key=True).only("id")


async def _standing(user_id: int) -> dict[str, str | None]:
    """The user's sanction columns as the audit log keeps them (before and after)."""
    row = (await User.filter(id=user_id).values(*_COLUMN.values()))[0]
    return {col: (value.isoformat() if (value := as_aware(row[col])) else None) for col in _COLUMN.values()}


async def impose_sanction(
    actor: Actor,
    *,
    user: object,
    kind: object,
    reason: object,
    days: object = None,
    review_item: object = None,
) -> Sanction:
    """Warn, silence or suspend a member (by handle), for some days or until lifted. A new silence
    or suspension replaces the one in force (to shorten or extend it)."""
    _require_moderator(actor)
    target = await find_member(user)
    fields: dict[str, str] = {}
    kind_value = validation.choice(kind, SanctionKind.ALL, fields, "kind")
    reason_text = validation.reason(reason, fields, required=True)
    length = _days(days, fields) if kind_value != SanctionKind.WARN else None
    item_id = await _review_item_id(review_item, target, fields)
    validation.raise_if(fields)
    if not policy.can_sanction(actor, target.id, target.role):
        raise Forbidden("You cannot sanction this member (yourself, or a moderator unless you are an admin).")
    now = utcnow()
    column = _COLUMN.get(kind_value)
    ends = now + timedelta(days=length) if length else None
    async with in_transaction():
        await _lock_member(target.id)
        before = await _standing(target.id)
        if column is not None:
            await Sanction.filter(_in_force(now), user_id=target.id, kind=kind_value).update(
                lifted_at=now, lifted_by_id=actor.id
            )
            await User.filter(id=target.id).update(**{column: ends or policy.INDEFINITE})
        sanction = await Sanction.create(
            user_id=target.id, kind=kind_value, reason=reason_text, starts_at=now,
            # A warning is a message, over once sent.
            ends_at=now if kind_value == SanctionKind.WARN else ends, created_by_id=actor.id,
        )  # fmt: skip
        after = await _standing(target.id)
        await audit(
            actor.id, f"user.{kind_value}", "user", target.id, reason=reason_text, before=before,
            after={**after, "sanction_id": sanction.id, "review_item_id": item_id},
        )  # fmt: skip
        created = await moderation_notices.sanction_imposed(
            actor.id, target, kind_value, ends or policy.INDEFINITE, reason_text
        )
    await announce(created)
    if column is not None:
        await publish(AccessChanged(user_id=target.id))
    return sanction


async def lift_sanction(actor: Actor, sanction_id: int, *, reason: object = "") -> Sanction:
    """End a silence or suspension early."""
    _require_moderator(actor)
    sanction = await Sanction.filter(id=sanction_id).first()
    if sanction is None:
        raise NotFound("No such sanction.")
    fields: dict[str, str] = {}
    reason_text = validation.reason(reason, fields)
    validation.raise_if(fields)
    target = await User.get(id=sanction.user_id)
    if not policy.can_sanction(actor, target.id, target.role):
        raise Forbidden("You cannot lift this member's sanctions.")
    now = utcnow()
    column = _COLUMN.get(sanction.kind)
    async with in_transaction():
        await _lock_member(target.id)
        # Conditional: of two moderators lifting at once, one does it and the other is told.
        lifted = (
            await Sanction.filter(_in_force(now), id=sanction.id).update(lifted_at=now, lifted_by_id=actor.id)
            if column is not None
            else 0
        )
        if not lifted:
            raise Conflict("This sanction is not in force (it ended, was lifted, or is a warning).")
        before = await _standing(target.id)
        remaining = (
            await Sanction.filter(_in_force(now), user_id=target.id, kind=sanction.kind)
            .order_by("-created_at")
            .first()
        )
        until = (remaining.ends_at or policy.INDEFINITE) if remaining else None
        await User.filter(id=target.id).update(**{column: until})
        after = await _standing(target.id)
        await audit(
            actor.id, f"user.{sanction.kind}_lifted", "user", target.id, reason=reason_text,
            before=before, after={**after, "sanction_id": sanction.id},
        )  # fmt: skip
        created = await moderation_notices.sanction_lifted(actor.id, target, sanction.kind, reason_text)
    await announce(created)
    await publish(AccessChanged(user_id=target.id))
    await sanction.refresh_from_db()
    return sanction


def _annotate(rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    for row in rows:
        ends = as_aware(row["ends_at"])
        row["in_force"] = (
            row["kind"] != SanctionKind.WARN and row["lifted_at"] is None and (ends is None or ends > now)
        )
        row["until"] = (
            "" if row["kind"] == SanctionKind.WARN else policy.sanction_end(ends or policy.INDEFINITE)
        )
    return rows


_ROW_NAMES = {
    "user_handle": "user__handle",
    "user_name": "user__display_name",
    "created_by_name": "created_by__display_name",
    "created_by_handle": "created_by__handle",
}


async def sanction_row(sanction_id: int) -> dict[str, Any]:
    """One sanction as the lists show it (after creating or lifting it)."""
    rows = await Sanction.filter(id=sanction_id).values(*_SANCTION_VALUES, **_ROW_NAMES)
    return _annotate(rows, utcnow())[0]


async def list_sanctions(actor: Actor, *, user: object = None, in_force: bool = True) -> list[dict[str, Any]]:
    """Sanctions newest first: those in force (silences and suspensions), or one member's
    whole history with ``in_force=False``."""
    _require_moderator(actor)
    now = utcnow()
    query = Sanction.all()
    if user not in (None, ""):
        query = query.filter(user_id=(await find_member(user)).id)
    if in_force:
        query = query.filter(_in_force(now), kind__in=list(_COLUMN))
    rows = await query.order_by("-created_at", "-id").limit(500).values(*_SANCTION_VALUES, **_ROW_NAMES)
    return _annotate(rows, now)


@dataclass
class MemberStanding:
    """A member as moderators see them: sanctions (all), and what may be done about them."""

    member: User
    sanctions: list[dict[str, Any]]
    can_sanction: bool


async def member_standing(actor: Actor, handle: str) -> MemberStanding:
    _require_moderator(actor)
    member = await find_member(handle)
    await member.fetch_related("organisation")
    rows = await list_sanctions(actor, user=handle, in_force=False)
    return MemberStanding(member, rows, policy.can_sanction(actor, member.id, member.role))


async def own_sanctions(actor: Actor, member_id: int) -> list[dict[str, Any]]:
    """What a member's own profile shows them: sanctions in force and warnings of the last 90
    days (with the moderators' reasons). Others see nothing of it."""
    if actor.id != member_id:
        return []
    now = utcnow()
    rows = (
        await Sanction.filter(_in_force(now) | Q(kind=SanctionKind.WARN, created_at__gt=now - timedelta(90)))
        .filter(user_id=member_id)
        .order_by("-created_at")
        .limit(20)
        .values(*_SANCTION_VALUES)
    )
    return [r for r in _annotate(rows, now) if r["in_force"] or r["kind"] == SanctionKind.WARN]


def verb(kind: str) -> str:
    return _VERB.get(kind, kind)
