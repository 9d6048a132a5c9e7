"""Accounts: users, API tokens, invitations, password resets and sign-in windows."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise import fields
from tortoise.models import Model


class Role:
    PARTNER = "partner"
    EXPERT = "expert"
    MODERATOR = "moderator"
    ADMIN = "admin"
    ALL = (PARTNER, EXPERT, MODERATOR, ADMIN)
    STAFF = (EXPERT, MODERATOR, ADMIN)


class UserStatus:
    """Suspension is not a status: it is ``User.suspended_until`` (it ends on time by itself)."""

    ACTIVE = "active"


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    handle = fields.CharField(max_length=40, unique=True)
    display_name = fields.CharField(max_length=80)
    password_hash = fields.CharField(max_length=200, null=True)
    role = fields.CharField(max_length=16, default=Role.PARTNER)
    organisation: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.Organisation", related_name="members", on_delete=fields.RESTRICT
    )
    organisation_id: int
    is_org_admin = fields.BooleanField(default=False)
    status = fields.CharField(max_length=16, default=UserStatus.ACTIVE)
    bio = fields.TextField(default="")
    expertise_tags = fields.JSONField(default=list)
    post_count = fields.IntField(default=0)
    accepted_count = fields.IntField(default=0)
    # Bumped on password change: every older session cookie stops working.
    auth_version = fields.IntField(default=1)
    # Active sanctions, copied from the latest ``Sanction`` rows so that every request sees them in
    # the one actor query. None: not sanctioned. An indefinite sanction ends in year 9999.
    silenced_until = fields.DatetimeField(null=True)
    suspended_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField(null=True)
    # The uploaded picture (community/images.py: the key of its largest size); None: initials.
    avatar = fields.CharField(max_length=60, null=True)

    class Meta:
        table = "user"
        ordering = ["display_name"]

    @property
    def is_staff(self) -> bool:
        return self.role in Role.STAFF

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > datetime.now(UTC)

    @property
    def is_silenced(self) -> bool:
        return self.silenced_until is not None and self.silenced_until > datetime.now(UTC)

    def __str__(self) -> str:
        return self.display_name


class ApiToken(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "community.User", related_name="tokens", on_delete=fields.CASCADE
    )
    user_id: int
    name = fields.CharField(max_length=80, default="")
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


class Invitation(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254)
    organisation: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.Organisation", related_name="invitations", on_delete=fields.CASCADE
    )
    organisation_id: int
    role = fields.CharField(max_length=16, default=Role.PARTNER)
    # The account made from it is its organisation's admin (only administrators invite one).
    org_admin = fields.BooleanField(default=False)
    token_hash = fields.CharField(max_length=64, unique=True)
    invited_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "community.User", related_name="sent_invitations", null=True, on_delete=fields.SET_NULL
    )
    invited_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invitation"
        ordering = ["-created_at"]


class PasswordReset(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "community.User", related_name="password_resets", on_delete=fields.CASCADE
    )
    user_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "password_reset"


class SignInWindow(Model):
    """Sign-in attempts counted for one account or one address within the current window.

    ``key`` reads like ``account:pat@gold.example`` or ``ip:10.0.0.1``. An attempt takes a place
    with one conditional update (failures below the limit, add one) before the password is checked,
    so concurrent guesses cannot all read the same low count (community/accounts/throttle.py)."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=300, unique=True)
    failures = fields.IntField(default=0)
    started_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "sign_in_window"
