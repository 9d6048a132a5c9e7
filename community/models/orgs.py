"""Organisations: the company itself and its partner companies."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class OrgKind:
    COMPANY = "company"
    PARTNER = "partner"
    IMPORTED = "imported"


class Organisation(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=120, unique=True)
    slug = fields.CharField(max_length=120, unique=True)
    kind = fields.CharField(max_length=16, default=OrgKind.PARTNER)
    tier = fields.CharField(max_length=32, null=True)
    description = fields.TextField(default="")
    # False: members sign in only through the organisation's identity provider (community/sso).
    password_sign_in = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organisation"
        ordering = ["name"]

    @property
    def is_company(self) -> bool:
        return self.kind == OrgKind.COMPANY

    def __str__(self) -> str:
        return self.name
