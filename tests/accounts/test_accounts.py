"""Accounts: sign-in throttling, invitations, password change and reset, API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from community.accounts import invitations, passwords, people, tokens
from community.actor import load_actor
from community.errors import Forbidden, Invalid, NotFound, RateLimited
from community.models import Invitation, Organisation, OrgKind, Role, SignInWindow, User
from tests.conftest import PASSWORD


async def test_sign_in_with_the_right_password(world) -> None:
    user = await passwords.authenticate(world.settings, "PAT@gold.example ", PASSWORD, "10.0.0.1")
    assert user.id == world.partner.id


async def test_wrong_password_and_unknown_email_give_the_same_message(world) -> None:
    with pytest.raises(Invalid) as wrong:
        await passwords.authenticate(world.settings, world.partner.email, "nope", "10.0.0.1")
    with pytest.raises(Invalid) as unknown:
        await passwords.authenticate(world.settings, "nobody@example.com", "nope", "10.0.0.1")
    assert wrong.value.fields == unknown.value.fields


async def test_account_is_throttled_after_repeated_failures_even_with_the_right_password(world) -> None:
    for _ in range(world.settings.login_max_failures):
        with pytest.raises(Invalid):
            await passwords.authenticate(world.settings, world.partner.email, "wrong", "10.0.0.2")
    with pytest.raises(RateLimited) as exc:
        await passwords.authenticate(world.settings, world.partner.email, PASSWORD, "10.0.0.3")
    assert exc.value.retry_after > 0 and "Too many failed sign-ins" in exc.value.message


async def test_the_lockout_says_how_many_minutes_until_a_sign_in_can_be_tried_again(world) -> None:
    """The wait is the longest of the windows that are full: the account's guesses started 14
    minutes ago (free in a minute) but this address's window is full for 15 more minutes (before:
    'Please wait a minute', then refused again for 14 minutes)."""
    s = world.settings
    assert s.login_window_seconds == 900
    for _ in range(s.login_max_failures):
        with pytest.raises(Invalid):
            await passwords.authenticate(s, world.partner.email, "wrong", "10.0.0.2")
    with pytest.raises(RateLimited) as alone:
        await passwords.authenticate(s, world.partner.email, PASSWORD, "10.0.0.3")
    assert "Please wait 15 minutes and try again" in alone.value.message
    assert alone.value.retry_after > 14 * 60

    await SignInWindow.filter(key=f"account:{world.partner.email}").update(
        started_at=datetime.now(UTC) - timedelta(minutes=14)
    )
    for i in range(s.login_max_failures * 4):
        with pytest.raises(Invalid):
            await passwords.authenticate(s, f"guess{i}@example.com", "x", "10.7.7.7")
    with pytest.raises(RateLimited) as both:
        await passwords.authenticate(s, world.partner.email, PASSWORD, "10.7.7.7")
    assert "Please wait 15 minutes and try again" in both.value.message
    assert both.value.retry_after > 14 * 60
    with pytest.raises(RateLimited) as account_only:  # from another address: the account's minute
        await passwords.authenticate(s, world.partner.email, PASSWORD, "10.0.0.4")
    assert "Please wait a minute and try again" in account_only.value.message


async def test_ip_is_throttled_across_accounts(world) -> None:
    limit = world.settings.login_max_failures * 4
    for i in range(limit):
        with pytest.raises(Invalid):
            await passwords.authenticate(world.settings, f"guess{i}@example.com", "x", "10.9.9.9")
    with pytest.raises(RateLimited):
        await passwords.authenticate(world.settings, world.colleague.email, PASSWORD, "10.9.9.9")
    # Another address is not affected.
    assert await passwords.authenticate(world.settings, world.colleague.email, PASSWORD, "10.1.1.1")


async def test_suspended_user_cannot_sign_in(world) -> None:
    await User.filter(id=world.colleague.id).update(suspended_until=datetime.now(UTC) + timedelta(days=2))
    with pytest.raises(Forbidden, match="suspended until"):
        await passwords.authenticate(world.settings, world.colleague.email, PASSWORD, "10.0.0.1")


async def test_invitation_is_single_use(world) -> None:
    _, token = await invitations.create_invitation(
        world.settings, world.actor(world.partner), email="new@gold.example", organisation=world.gold,
        role=Role.PARTNER,
    )  # fmt: skip
    user = await invitations.accept_invitation(
        world.settings, token, display_name="New Person", password="long enough password"
    )
    assert user.organisation_id == world.gold.id and user.role == Role.PARTNER
    with pytest.raises(Invalid) as exc:
        await invitations.accept_invitation(
            world.settings, token, display_name="Again", password="long enough password"
        )
    assert "already been used" in exc.value.fields["token"]


async def test_expired_invitation_is_refused(world) -> None:
    invitation, token = await invitations.create_invitation(
        world.settings, None, email="late@gold.example", organisation=world.gold, role=Role.PARTNER
    )
    await Invitation.filter(id=invitation.id).update(expires_at=invitation.expires_at - timedelta(days=30))
    with pytest.raises(Invalid) as exc:
        await invitations.open_invitation(token)
    assert "expired" in exc.value.fields["token"]


async def test_unknown_invitation_is_not_found(world) -> None:
    with pytest.raises(NotFound):
        await invitations.open_invitation("made-up")


@pytest.mark.parametrize(
    ("inviter", "org", "role"),
    [
        ("colleague", "gold", Role.PARTNER),  # not an org admin
        ("partner", "silver", Role.PARTNER),  # another organisation
        ("partner", "gold", Role.EXPERT),  # only as partners
        ("expert", "gold", Role.PARTNER),  # staff but not admin
    ],
)
async def test_who_may_not_invite(world, inviter: str, org: str, role: str) -> None:
    with pytest.raises(Forbidden):
        await invitations.create_invitation(
            world.settings, world.actor(getattr(world, inviter)), email="x@y.example",
            organisation=getattr(world, org), role=role,
        )  # fmt: skip


async def test_an_administrator_invites_an_organisation_admin(world) -> None:
    invitation, token = await invitations.create_invitation(
        world.settings, world.actor(world.admin), email="lead@silver.example", organisation=world.silver,
        role=Role.PARTNER, org_admin=True,
    )  # fmt: skip
    assert invitation.org_admin
    user = await invitations.accept_invitation(
        world.settings, token, display_name="New Lead", password="long enough password"
    )
    assert user.is_org_admin and user.organisation_id == world.silver.id
    # Who they invite in turn is a plain member.
    _, token = await invitations.create_invitation(
        world.settings, await load_actor(user.id), email="mate@silver.example", organisation=world.silver,
        role=Role.PARTNER,
    )  # fmt: skip
    mate = await invitations.accept_invitation(
        world.settings, token, display_name="Mate", password="long enough password"
    )
    assert not mate.is_org_admin and mate.organisation_id == world.silver.id


async def test_only_administrators_invite_an_organisation_admin_and_only_a_partner(world) -> None:
    with pytest.raises(Forbidden, match="Only administrators"):
        await invitations.create_invitation(
            world.settings, world.actor(world.partner), email="x@gold.example", organisation=world.gold,
            role=Role.PARTNER, org_admin=True,
        )  # fmt: skip
    with pytest.raises(Invalid) as exc:
        await invitations.create_invitation(
            world.settings, world.actor(world.admin), email="x@northwind.example",
            organisation=await Organisation.get(kind=OrgKind.COMPANY), role=Role.EXPERT, org_admin=True,
        )  # fmt: skip
    assert "org_admin" in exc.value.fields
    assert not await Invitation.exists()


async def test_password_change_ends_other_sessions_and_needs_the_current_password(world) -> None:
    actor = world.actor(world.partner)
    with pytest.raises(Invalid) as exc:
        await passwords.change_password(actor, "wrong", "a brand new password")
    assert "current_password" in exc.value.fields
    await passwords.change_password(actor, PASSWORD, "a brand new password")
    user = await User.get(id=world.partner.id)
    assert user.auth_version == world.partner.auth_version + 1
    assert await passwords.authenticate(world.settings, user.email, "a brand new password", "10.0.0.1")


async def test_password_reset_token_works_once(world) -> None:
    token = await passwords.create_password_reset(world.settings, world.partner.email)
    await passwords.reset_password(token, "reset password here")
    with pytest.raises(Invalid):
        await passwords.reset_password(token, "another password!")
    assert await passwords.authenticate(
        world.settings, world.partner.email, "reset password here", "10.0.0.1"
    )


async def test_api_token_identifies_its_user_and_stores_only_a_hash(world) -> None:
    token = await tokens.create_api_token(world.expert, "ci")
    actor = await tokens.actor_for_token(token)
    assert actor is not None and actor.id == world.expert.id and actor.is_staff
    assert await tokens.actor_for_token(token + "x") is None
    from community.models import ApiToken

    assert not await ApiToken.filter(token_hash=token).exists()


async def test_staff_belong_to_the_company_and_partners_to_a_partner_org(world) -> None:
    with pytest.raises(Invalid) as exc:
        await people.create_user(
            world.settings, email="p@x.example", display_name="P", role=Role.PARTNER, organisation=None
        )
    assert "organisation" in exc.value.fields
    expert = await people.create_user(
        world.settings, email="e2@x.example", display_name="E", role=Role.EXPERT, organisation=None
    )
    assert expert.organisation_id == world.company.id
