"""What each person wants by mail: which kinds of notification, and a digest (off, daily, weekly).

No ``mail_settings`` row means the defaults: the notices a person would not want to miss while
away from the site (answers to their questions, mentions, an accepted answer, questions routed to
them as an expert, moderators' messages, announcements). Everything is checked in one query per
batch of recipients, so mailing costs the notifying transaction almost nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from community import policy, validation
from community.actor import Actor
from community.db import fetch_rows
from community.models import DigestFrequency, MailSettings, NotificationKind, User

DIGEST = "digest"  # the unsubscribe kind of the digest
DEFAULT_KINDS: tuple[str, ...] = (
    NotificationKind.ANSWER,
    NotificationKind.MENTION,
    NotificationKind.ACCEPTED,
    # Questions routed to experts.
    NotificationKind.ROUTED,
    # Moderators' messages.
    NotificationKind.SANCTION,
    NotificationKind.POST_HIDDEN,
    NotificationKind.POST_EDITED,
    NotificationKind.ANNOUNCEMENT,
)


@dataclass(frozen=True)
class MailPreferences:
    kinds: tuple[str, ...]
    digest: str

    def wants(self, kind: str) -> bool:
        return self.digest != DigestFrequency.OFF if kind == DIGEST else kind in self.kinds


DEFAULTS = MailPreferences(DEFAULT_KINDS, DigestFrequency.OFF)


def mailable_kinds(actor: Actor) -> list[str]:
    """The kinds offered on the form, in order (the staff-only ones to staff)."""
    return [k for k in NotificationKind.ALL if actor.is_staff or k not in policy.STAFF_NOTICES]


def _kinds(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = json.loads(value)
    return tuple(k for k in value if isinstance(k, str)) if isinstance(value, list) else ()


async def mail_preferences(user_id: int) -> MailPreferences:
    row = await MailSettings.filter(user_id=user_id).values("kinds", "digest")
    if not row:
        return DEFAULTS
    return MailPreferences(_kinds(row[0]["kinds"]), row[0]["digest"])


async def who_wants(kind: str, user_ids: Iterable[int]) -> list[int]:
    """Those of ``user_ids`` who want mail about ``kind`` (one query)."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    rows = await fetch_rows(f"SELECT user_id, kinds FROM mail_settings WHERE user_id IN ({marks})", *ids)
    chosen = {r["user_id"]: _kinds(r["kinds"]) for r in rows}
    return [uid for uid in ids if kind in chosen.get(uid, DEFAULT_KINDS)]


async def set_mail_preferences(actor: Actor, *, kinds: object, digest: object) -> MailPreferences:
    fields: dict[str, str] = {}
    offered = mailable_kinds(actor)
    chosen: list[str] = []
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        fields["kinds"] = "Give a list of notification kinds."
    elif unknown := [k for k in kinds if k not in offered]:
        fields["kinds"] = f"Not a kind of mail you can choose: {', '.join(unknown)[:100]}."
    else:
        chosen = [k for k in offered if k in kinds]
    digest_value = validation.choice(digest, DigestFrequency.ALL, fields, "digest")
    validation.raise_if(fields)
    await _save(actor.id, chosen, digest_value)
    return MailPreferences(tuple(chosen), digest_value)


async def _save(user_id: int, kinds: list[str], digest: str) -> None:
    if not await MailSettings.filter(user_id=user_id).update(kinds=kinds, digest=digest):
        await MailSettings.create(user_id=user_id, kinds=kinds, digest=digest)


async def unsubscribe_user(user_id: int, kind: str) -> MailPreferences | None:
    """Stop one kind of mail (the digest included); other choices stay as they were. None when
    the person no longer exists."""
    if not await User.exists(id=user_id):
        return None
    current = await mail_preferences(user_id)
    if kind == DIGEST:
        updated = MailPreferences(current.kinds, DigestFrequency.OFF)
    else:
        updated = MailPreferences(tuple(k for k in current.kinds if k != kind), current.digest)
    await _save(user_id, list(updated.kinds), updated.digest)
    return updated
