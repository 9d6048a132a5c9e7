"""Invitations: a single-use link that lets someone join an organisation and choose a password.

The link is mailed (queued in the same transaction as the invitation) and shown once to whoever
invited, to copy; only its hash is stored, so sending it again means a new link (the old one stops
working). Administrators manage every invitation, an organisation's admin those into their own.
"""

from __future__ import annotations

import secrets
from datetime import UTC, timedelta

from tortoise.transactions import in_transaction

from community import policy, validation
from community.accounts import throttle
from community.accounts.people import create_user
from community.accounts.tokens import hash_token
from community.actor import Actor
from community.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from community.mail import queue as mail_queue
from community.mail.compose import render_mail
from community.models import (
    Invitation,
    MailKind,
    Organisation,
    OrgKind,
    Role,
    User,
)
from community.settings import Settings
from community.timeutil import utcnow as now


async def create_invitation(
    settings: Settings,
    actor: Actor | None,
    *,
    email: str,
    organisation: Organisation,
    role: str,
    org_admin: bool = False,
) -> tuple[Invitation, str]:
    """Returns the invitation and its one-time token (only its hash is stored).

    ``actor`` None means the operator at the command line. ``org_admin``: the account made from it
    is the organisation's admin (invites colleagues, manages its sign-in); administrators only."""
    fields: dict[str, str] = {}
    email = validation.email(email, fields)
    role = validation.choice(role, Role.ALL, fields, "role")
    validation.raise_if(fields)
    if actor is not None and not policy.can_invite(actor, organisation.id, role):
        raise Forbidden("You can invite colleagues into your own organisation only, as partners.")
    if role in Role.STAFF and organisation.kind != OrgKind.COMPANY:
        raise Invalid({"role": "Staff roles belong to the company itself."})
    if role == Role.PARTNER and organisation.kind == OrgKind.COMPANY:
        raise Invalid({"organisation": "Partners are invited into a partner organisation."})
    if org_admin and actor is not None and not policy.can_manage_site(actor):
        raise Forbidden("Only administrators can invite an organisation admin.")
    if org_admin and role != Role.PARTNER:
        raise Invalid({"org_admin": "Only a partner can be a partner organisation's admin."})
    if (refusal := await _has_account(actor, email, organisation)) is not None:
        raise Invalid({"email": refusal})
    await _limit_mails_to(actor, email)
    token = secrets.token_urlsafe(32)
    async with in_transaction():
        invitation = await Invitation.create(
            email=email,
            organisation=organisation,
            role=role,
            org_admin=org_admin,
            token_hash=hash_token(token),
            invited_by_id=actor.id if actor else None,
            expires_at=now() + timedelta(hours=settings.invitation_hours),
        )
        await _mail_invitation(settings, invitation, organisation, token, actor)
    return invitation, token


NOT_INVITABLE = (
    "This address cannot be invited from here. If this person should join {org}, ask a community "
    "administrator to invite them."
)


async def _has_account(actor: Actor | None, email: str, organisation: Organisation) -> str | None:
    """Why this address cannot be invited because an account has it, in words the actor may read, or
    None. Only administrators may learn that an account exists in another organisation: an
    organisation's admin hears that it is a colleague (whom they can see anyway) or a refusal that
    does not say why (the trial: an org admin learnt that a competitor's employee had an account)."""
    found = await User.filter(email=email).first().values("display_name", "organisation_id")
    if found is None:
        return None
    if actor is None or policy.can_manage_site(actor):
        return "An account with this e-mail address already exists."
    if found["organisation_id"] == organisation.id:
        return f"{found['display_name']} already has an account in {organisation.name}."
    return NOT_INVITABLE.format(org=organisation.name)


INVITATIONS_PER_ADDRESS_HOUR = 3


async def _limit_mails_to(actor: Actor | None, email: str) -> None:
    """At most a few invitation mails an hour to one address, however many people invite it or
    press "Send again" (an inbox must not be flooded from here); the operator at the command line
    is not limited."""
    if actor is None:
        return
    if not await throttle.within(f"invite:{email}"[:80], timedelta(hours=1), INVITATIONS_PER_ADDRESS_HOUR):
        raise RateLimited(
            f"{email} has been sent {INVITATIONS_PER_ADDRESS_HOUR} invitations in the last hour. "
            "Please wait an hour before sending another.",
            retry_after=3600,
        )


async def _mail_invitation(
    settings: Settings, invitation: Invitation, organisation: Organisation, token: str, actor: Actor | None
) -> None:
    composed = render_mail(
        settings,
        "invitation",
        {
            "url": invitation_url(settings, token),
            "organisation": organisation.name,
            "inviter": actor.display_name if actor else None,
            "role": invitation.role,
            "org_admin": invitation.org_admin,
            "hours": settings.invitation_hours,
        },
    )
    await mail_queue.enqueue(
        settings, kind=MailKind.INVITATION, to=invitation.email, subject=composed.subject,
        text=composed.text, html=composed.html, sensitive=True, payload={"invitation_id": invitation.id},
    )  # fmt: skip


async def _manageable(actor: Actor, invitation_id: int, organisation_id: int | None) -> Invitation:
    """An invitation the actor may resend or revoke (one into ``organisation_id`` when given: an
    organisation's page). 403 for someone who may not invite there at all, 404 for an invitation
    they may not manage, or that does not exist."""
    if organisation_id is not None and not policy.can_invite(actor, organisation_id, Role.PARTNER):
        raise Forbidden("Only the organisation's admins manage its invitations.")
    if organisation_id is None and not policy.can_manage_site(actor):
        raise Forbidden("Only administrators can do this.")
    invitation = await Invitation.filter(id=invitation_id).select_related("organisation").first()
    if (
        invitation is None
        or (organisation_id is not None and invitation.organisation_id != organisation_id)
        or not policy.can_invite(actor, invitation.organisation_id, invitation.role)
    ):
        raise NotFound("No such invitation.")
    return invitation


async def resend_invitation(
    settings: Settings, actor: Actor, invitation_id: int, *, organisation_id: int | None = None
) -> tuple[Invitation, str]:
    """A new link, mailed again and valid for the full time again; the old link stops working."""
    async with in_transaction():
        invitation = await _manageable(actor, invitation_id, organisation_id)
        if invitation.used_at is not None:
            raise Conflict("This invitation has been used: the account exists.")
        if (refusal := await _has_account(actor, invitation.email, invitation.organisation)) is not None:
            raise Conflict(refusal)
        await _limit_mails_to(actor, invitation.email)
        token = secrets.token_urlsafe(32)
        invitation.token_hash = hash_token(token)
        invitation.expires_at = now() + timedelta(hours=settings.invitation_hours)
        invitation.revoked_at = None
        await invitation.save(update_fields=["token_hash", "expires_at", "revoked_at"])
        await _mail_invitation(settings, invitation, invitation.organisation, token, actor)
    return invitation, token


async def revocable_invitation(
    actor: Actor, invitation_id: int, *, organisation_id: int | None = None
) -> Invitation:
    """The invitation a "Revoke?" confirmation names: the same checks as revoking it."""
    invitation = await _manageable(actor, invitation_id, organisation_id)
    if invitation.used_at is not None:
        raise Conflict("This invitation has been used: the account exists.")
    return invitation


async def revoke_invitation(
    actor: Actor, invitation_id: int, *, organisation_id: int | None = None
) -> Invitation:
    """The link stops working at once (a mail already delivered carries a dead link)."""
    invitation = await revocable_invitation(actor, invitation_id, organisation_id=organisation_id)
    if invitation.revoked_at is None:
        invitation.revoked_at = now()
        await Invitation.filter(id=invitation.id, used_at__isnull=True).update(
            revoked_at=invitation.revoked_at
        )
    return invitation


def revoked_notice(invitation: Invitation) -> str:
    return f"Invitation for {invitation.email} revoked. Its link no longer works; you can invite them again."


def invitation_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/invitations/{token}"


async def open_invitation(token: str) -> Invitation:
    invitation = (
        await Invitation.filter(token_hash=hash_token(token or "")).select_related("organisation").first()
    )
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound("This invitation link is not valid. Ask for a new one.")
    if invitation.used_at is not None:
        raise Invalid({"token": "This invitation has already been used. Please sign in."})
    if invitation.expires_at < now():
        raise Invalid({"token": "This invitation has expired. Ask for a new one."})
    return invitation


async def accept_invitation(settings: Settings, token: str, *, display_name: str, password: str) -> User:
    async with in_transaction():
        invitation = await open_invitation(token)
        # Single use even under a double submit: only one request flips used_at.
        claimed = await Invitation.filter(id=invitation.id, used_at__isnull=True).update(used_at=now())
        if not claimed:
            raise Invalid({"token": "This invitation has already been used. Please sign in."})
        return await create_user(
            settings,
            email=invitation.email,
            display_name=display_name,
            role=invitation.role,
            organisation=invitation.organisation,
            password=password,
            is_org_admin=invitation.org_admin,
        )


async def list_invitations(
    actor: Actor, limit: int = 50, *, organisation_id: int | None = None
) -> list[dict[str, object]]:
    """Recent invitations for the admin page (every organisation) or an organisation's page (its
    own admin), with a status word (the token itself is never stored, so links cannot be shown
    again: resending makes a new one)."""
    if organisation_id is None and not policy.can_manage_site(actor):
        raise Forbidden("Only administrators can do this.")
    if organisation_id is not None and not policy.can_invite(actor, organisation_id, Role.PARTNER):
        raise Forbidden("Only the organisation's admins can see its invitations.")
    query = (
        Invitation.all() if organisation_id is None else Invitation.filter(organisation_id=organisation_id)
    )
    rows = await query.order_by("-created_at", "-id").limit(limit).values(
        "id", "email", "role", "org_admin", "created_at", "expires_at", "used_at", "revoked_at",
        organisation_name="organisation__name", organisation_slug="organisation__slug",
        invited_by_name="invited_by__display_name",
    )  # fmt: skip
    current = now()
    for row in rows:
        expires = row["expires_at"]
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        row["status"] = (
            "used" if row["used_at"] else "revoked" if row["revoked_at"] else
            "expired" if expires < current else "pending"
        )  # fmt: skip
    return rows
