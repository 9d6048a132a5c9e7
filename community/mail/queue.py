"""The outgoing mail queue: rows written in the use case's transaction, claimed by one worker.

A worker claims due rows by writing its own claim token and a lease on them in one conditional
UPDATE (on PostgreSQL after ``FOR UPDATE SKIP LOCKED``, so workers pass each other by), and every
later step changes a row only while it still carries that token. The steps:

    queued --claim--> sending --start_handing--> handing --mark_sent--> sent
                        |                          |
                        | lease ends (crash)       | lease ends (crash): uncertain, an admin decides
                        v                          v
                     claimable again            uncertain --resolve--> sent | queued

A mail is only ever offered to the server from ``handing``, and a ``handing`` row whose worker
vanished is never offered again by itself: that is what keeps a crash between "the server took it"
and "we wrote it down" from sending it twice.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from community import policy
from community.actor import Actor
from community.errors import Forbidden, Invalid, NotFound
from community.models import MailKind, MailState, Notification, OutgoingMail
from community.settings import Settings
from community.timeutil import utcnow

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
ERROR_MAX = 2_000
SUBJECT_MAX = 300
REDACTED = "(Removed once sent: this mail carried a one-time link.)"
UNCERTAIN_TEXT = (
    "The worker stopped while handing this mail to the mail server: it may or may not have arrived. "
    "Mark it sent, or send it again."
)


def retry_delay(attempts: int) -> timedelta:
    """1 min, 2 min, 4 min... capped at one hour."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3_600))


def message_id(settings: Settings) -> str:
    host = urlsplit(settings.base_url).hostname or "localhost"
    return f"<{uuid.uuid4().hex}@{host}>"


def one_line(text: str, limit: int = SUBJECT_MAX) -> str:
    """A header value: no line breaks (they would start a header of their own), clipped."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


async def enqueue(
    settings: Settings,
    *,
    kind: str,
    to: str,
    subject: str = "",
    text: str = "",
    html: str = "",
    recipient_id: int | None = None,
    headers: dict[str, str] | None = None,
    payload: dict[str, Any] | None = None,
    sensitive: bool = False,
    due: datetime | None = None,
) -> OutgoingMail:
    """Queue one mail. Call it inside the transaction of what the mail is about. A mail with a
    ``kind`` the sender has a composer for may leave the texts empty: they are written at send time."""
    return await OutgoingMail.create(
        kind=kind,
        to_address=to,
        subject=one_line(subject),
        text_body=text,
        html_body=html,
        recipient_id=recipient_id,
        headers=headers or {},
        payload=payload or {},
        message_id=message_id(settings),
        sensitive=sensitive,
        next_attempt_at=due or utcnow(),
    )


def _due(now: datetime) -> Q:
    return Q(state=MailState.QUEUED, next_attempt_at__lte=now) | Q(
        state=MailState.SENDING, lease_until__lt=now
    )


CLAIM_TRIES = 5


async def claim(*, now: datetime, batch: int, lease: timedelta = LEASE) -> tuple[str, list[OutgoingMail]]:
    """Claim up to ``batch`` due mails for this worker: (its claim token, the mails).

    Empty only when no due mail was free to take: rows another worker holds are passed by (on
    PostgreSQL ``FOR UPDATE SKIP LOCKED``, which must be on a model query: Tortoise drops it from
    ``values_list``), and rows taken by another worker between our select and our update (SQLite,
    which has no row locks) are replaced by trying again."""
    token = secrets.token_hex(16)
    for _ in range(CLAIM_TRIES):
        async with in_transaction():
            free = (
                await OutgoingMail.filter(_due(now))
                .order_by("next_attempt_at", "id")
                .limit(batch)
                .select_for_update(skip_locked=True)
                .only("id")
            )
            if not free:
                break
            # The condition again: where rows cannot be locked it is what makes a second claimant miss.
            taken = await OutgoingMail.filter(_due(now), id__in=[m.id for m in free]).update(
                state=MailState.SENDING,
                claim_token=token,
                lease_until=now + lease,
                attempts=F("attempts") + 1,
            )
        if taken:
            break
    return token, await OutgoingMail.filter(claim_token=token).order_by("id")


async def _move(mail_id: int, token: str, *, state_now: str | None = None, **values: Any) -> bool:
    """Change a mail only while it still carries this worker's claim (and is in ``state_now``)."""
    query = OutgoingMail.filter(id=mail_id, claim_token=token)
    if state_now is not None:
        query = query.filter(state=state_now)
    return bool(await query.update(**values))


async def save_composed(
    mail: OutgoingMail, token: str, *, subject: str, text: str, html: str, headers: dict[str, str]
) -> bool:
    mail.subject, mail.text_body, mail.html_body, mail.headers = one_line(subject), text, html, headers
    return await _move(
        mail.id, token, state_now=MailState.SENDING, subject=mail.subject, text_body=text, html_body=html,
        headers=headers,
    )  # fmt: skip


async def start_handing(mail_id: int, token: str, now: datetime, lease: timedelta = LEASE) -> bool:
    """The last step before the server sees the mail: from here on a crash means "uncertain"."""
    return await _move(
        mail_id, token, state_now=MailState.SENDING, state=MailState.HANDING, lease_until=now + lease
    )


async def mark_sent(mail: OutgoingMail, token: str, now: datetime) -> bool:
    values: dict[str, Any] = {
        "state": MailState.SENT,
        "sent_at": now,
        "claim_token": None,
        "lease_until": None,
    }
    if mail.sensitive:
        values.update(text_body=REDACTED, html_body=REDACTED)
    return await _move(mail.id, token, state_now=MailState.HANDING, **values)


async def withhold(mail_id: int, token: str, reason: str) -> bool:
    return await _move(
        mail_id, token, state=MailState.WITHHELD, last_error=reason[:ERROR_MAX], claim_token=None,
        lease_until=None,
    )  # fmt: skip


async def mark_uncertain(mail_id: int, token: str, error: str) -> bool:
    return await _move(
        mail_id, token, state=MailState.UNCERTAIN, last_error=f"{UNCERTAIN_TEXT} ({error})"[:ERROR_MAX],
        claim_token=None, lease_until=None,
    )  # fmt: skip


async def retry_later(
    mail: OutgoingMail, token: str, now: datetime, error: str, *, permanent: bool = False,
    max_attempts: int = MAX_ATTEMPTS,
) -> bool:  # fmt: skip
    """Back to the queue with a growing delay, or failed for good (refused outright, or too often)."""
    values: dict[str, Any] = {"last_error": error[:ERROR_MAX], "claim_token": None, "lease_until": None}
    if permanent or mail.attempts >= max_attempts:
        values["state"] = MailState.FAILED
    else:
        values.update(state=MailState.QUEUED, next_attempt_at=now + retry_delay(mail.attempts))
    return await _move(mail.id, token, **values)


async def give_up_on_abandoned(now: datetime) -> int:
    """Mails whose worker vanished while handing them over: uncertain, never resent by themselves."""
    return await OutgoingMail.filter(state=MailState.HANDING, lease_until__lt=now).update(
        state=MailState.UNCERTAIN, last_error=UNCERTAIN_TEXT, claim_token=None, lease_until=None
    )


# --- the administrators' view (/admin/outbox) -------------------------------------------------------

RESOLUTIONS = ("sent", "resend")
LIST_MAX = 100


def _require_admin(actor: Actor) -> None:
    if not policy.can_manage_site(actor):
        raise Forbidden("Only administrators can do this.")


async def list_mails(
    actor: Actor, *, state: str | None = None, limit: int = LIST_MAX
) -> list[dict[str, Any]]:
    _require_admin(actor)
    query = OutgoingMail.all()
    if state:
        query = query.filter(state=state)
    rows = await query.order_by("-id").limit(limit).values(
        "id", "kind", "to_address", "subject", "state", "attempts", "next_attempt_at", "last_error",
        "created_at", "sent_at", "payload",
    )  # fmt: skip
    await _say_what_is_to_be_written(rows)
    return rows


UNWRITTEN = {
    MailKind.NOTIFICATION: "Notification",
    MailKind.DIGEST: "Digest",
    MailKind.PASSWORD_RESET: "Password reset link",
    MailKind.INVITATION: "Invitation",
}


async def _say_what_is_to_be_written(rows: list[dict[str, Any]]) -> None:
    """A mail composed when it is sent has no subject yet: ``about`` says what it will be (for a
    notification, the notification's text, which becomes its subject), and ``due`` when it goes for
    a mail still waiting (the trial: "(written when it is sent)" with no time)."""
    note_ids = [
        row["payload"].get("notification_id")
        for row in rows
        if row["kind"] == MailKind.NOTIFICATION and not row["subject"] and isinstance(row["payload"], dict)
    ]
    texts = dict(
        await Notification.filter(id__in=[i for i in note_ids if type(i) is int]).values_list("id", "text")
    )
    for row in rows:
        payload = row.pop("payload") or {}
        row["due"] = row["next_attempt_at"] if row["state"] == MailState.QUEUED else None
        row["about"] = ""
        if not row["subject"]:
            what = UNWRITTEN.get(row["kind"], row["kind"])
            if row["kind"] == MailKind.NOTIFICATION and payload.get("notification_id") in texts:
                what = f"{what}: {texts[payload['notification_id']]}"
            elif row["kind"] == MailKind.DIGEST and payload.get("frequency"):
                what = f"{str(payload['frequency']).capitalize()} digest"
            row["about"] = what


async def state_counts(actor: Actor) -> dict[str, int]:
    _require_admin(actor)
    counts = {state: 0 for state in MailState.ALL}
    for state in MailState.ALL:
        counts[state] = await OutgoingMail.filter(state=state).count()
    return counts


async def resolve(actor: Actor, mail_id: int, decision: object) -> OutgoingMail:
    """An administrator settles an uncertain mail (it arrived: "sent"; it did not: "resend"), or
    sends a failed one again."""
    _require_admin(actor)
    mail = await OutgoingMail.get_or_none(id=mail_id)
    if mail is None:
        raise NotFound("No such mail.")
    if decision not in RESOLUTIONS:
        raise Invalid({"decision": "Choose whether the mail was sent or should be sent again."})
    allowed = (MailState.UNCERTAIN,) if decision == "sent" else (MailState.UNCERTAIN, MailState.FAILED)
    now = utcnow()
    values: dict[str, Any] = (
        {"state": MailState.SENT, "sent_at": now}
        if decision == "sent"
        else {"state": MailState.QUEUED, "next_attempt_at": now, "attempts": 0}
    )
    if not await OutgoingMail.filter(id=mail_id, state__in=allowed).update(**values):
        raise Invalid({"decision": f"This mail is {mail.state}: there is nothing to decide."})
    return await OutgoingMail.get(id=mail_id)


async def backlog() -> dict[str, Any]:
    """For /healthz: how many wait, and since when the oldest."""
    waiting = OutgoingMail.filter(
        state__in=(MailState.QUEUED, MailState.SENDING), next_attempt_at__lte=utcnow()
    )
    oldest = await waiting.order_by("next_attempt_at").first().values_list("next_attempt_at", flat=True)
    return {
        "waiting": await waiting.count(),
        "oldest": oldest,
        "uncertain": await OutgoingMail.filter(state=MailState.UNCERTAIN).count(),
    }
