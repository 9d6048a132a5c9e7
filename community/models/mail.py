"""Outgoing mail (the queue the mail sender works through) and each person's mail preferences."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class MailState:
    """Where one mail is on its way out.

    ``sending``: claimed by a worker (a lease) but not yet offered to the server, so a worker that
    dies here leaves it for the next once the lease ends. ``handing``: being offered to the server.
    A worker that dies now may or may not have delivered it, so it becomes ``uncertain`` and an
    administrator decides (mark it sent, or send it again) rather than risk a duplicate."""

    QUEUED = "queued"
    SENDING = "sending"
    HANDING = "handing"
    SENT = "sent"
    UNCERTAIN = "uncertain"
    FAILED = "failed"
    WITHHELD = "withheld"  # nothing to send any more: seen in the app, out of sight, unsubscribed
    ALL = (QUEUED, SENDING, HANDING, SENT, UNCERTAIN, FAILED, WITHHELD)


class MailKind:
    """What a mail is. Notification mails are ``notification`` (the notification's own kind is the
    kind a person subscribes to or unsubscribes from)."""

    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"
    NOTIFICATION = "notification"
    DIGEST = "digest"


class DigestFrequency:
    OFF = "off"
    DAILY = "daily"
    WEEKLY = "weekly"
    ALL = (OFF, DAILY, WEEKLY)


class OutgoingMail(Model):
    """One mail to one address, written in the same transaction as what it is about.

    Invitations and password resets are written whole. Notification mails and digests are
    composed when they are sent (``payload`` says what about), so that what a person may see is
    decided then, not when they were queued."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=40)
    recipient_id = fields.IntField(null=True, db_index=True)
    to_address = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=300, default="")
    text_body = fields.TextField(default="")
    html_body = fields.TextField(default="")
    # Extra headers (List-Unsubscribe...), by name.
    headers: dict = fields.JSONField(default=dict)  # type: ignore[assignment]
    payload: dict = fields.JSONField(default=dict)  # type: ignore[assignment]
    message_id = fields.CharField(max_length=250, unique=True)
    # A one-time link in the body: the bodies are blanked once it is sent.
    sensitive = fields.BooleanField(default=False)
    state = fields.CharField(max_length=16, default=MailState.QUEUED)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claim_token = fields.CharField(max_length=64, null=True)
    lease_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outgoing_mail"
        indexes = [("state", "next_attempt_at")]


class MailSettings(Model):
    """What a person wants by mail (no row: the defaults).

    ``kinds`` lists the notification kinds mailed to them, ``digest`` is off, daily or weekly."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation = fields.OneToOneField(
        "community.User", related_name="mail_settings", on_delete=fields.CASCADE
    )
    user_id: int
    kinds: list = fields.JSONField(default=list)  # type: ignore[assignment]
    digest = fields.CharField(max_length=8, default=DigestFrequency.OFF)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "mail_settings"
