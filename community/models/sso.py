"""Single sign-on: identity providers of partner organisations, and who signed in through which."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IdentityProvider(Model):
    """A partner organisation's own OpenID provider. People signing in through it land in that
    organisation, and only there. The company's provider is configured by settings instead."""

    id = fields.IntField(primary_key=True)
    organisation: fields.OneToOneRelation = fields.OneToOneField(
        "community.Organisation", related_name="identity_provider", on_delete=fields.CASCADE
    )
    organisation_id: int
    display_name = fields.CharField(max_length=80)
    issuer = fields.CharField(max_length=500)
    client_id = fields.CharField(max_length=200)
    # Encrypted with a key derived from the site's secret key (community/sso/secrets.py).
    client_secret = fields.TextField()
    # Comma-separated e-mail domains this provider may sign in (empty: any).
    email_domains = fields.CharField(max_length=500, default="")
    scopes = fields.CharField(max_length=300, default="openid email profile")
    groups_claim = fields.CharField(max_length=80, default="groups")
    # Members of this group (in the groups claim) become the organisation's admins at first sign-in.
    org_admin_group = fields.CharField(max_length=120, default="")
    enabled = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "identity_provider"


class ExternalIdentity(Model):
    """An account at an identity provider (issuer + subject) linked to one of our users."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "community.User", related_name="external_identities", on_delete=fields.CASCADE
    )
    user_id: int
    issuer = fields.CharField(max_length=500)
    subject = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_sign_in_at = fields.DatetimeField(null=True)

    class Meta:
        table = "external_identity"
        unique_together = (("issuer", "subject"),)
