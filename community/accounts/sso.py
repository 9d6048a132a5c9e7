"""Single sign-on: who an identity provider's checked claims make someone here, and the
organisations' own providers.

The protocol (discovery, PKCE, state, nonce, the ID token's signature, issuer, audience and
expiry) is authlib's, in ``community.edge.oidc``; this module starts from claims that passed those
checks and decides the account: match by verified e-mail, create at first sign-in from the
configured claims, and refuse with a message a person understands otherwise. A partner
organisation's provider can only ever sign people into that organisation.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from tortoise.transactions import in_transaction

from community import policy, validation
from community.accounts.people import company_org, create_user
from community.actor import Actor
from community.errors import Forbidden, Invalid, NotFound
from community.models import ExternalIdentity, IdentityProvider, Organisation, OrgKind, Role, User
from community.settings import Settings
from community.timeutil import utcnow as now

COMPANY = "company"


class SignInRefused(Invalid):
    """The provider vouched for someone we will not sign in; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__({"sso": message}, message)


@dataclass(frozen=True)
class ProviderConfig:
    """One provider as the sign-in flow needs it: the company's (from settings) or an
    organisation's (from its ``IdentityProvider`` row)."""

    key: str  # "company" or "org-<slug>": names the callback URL and the session state
    name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid email profile"
    groups_claim: str = "groups"
    organisation_id: int | None = None  # set: an organisation's provider, confined to it
    role_groups: tuple[tuple[str, str], ...] = ()
    org_claim: str = ""
    tier_claim: str = ""
    org_admin_group: str = ""
    email_domains: tuple[str, ...] = field(default=())

    @property
    def start_path(self) -> str:
        return f"/sso/{self.key}/start"

    @property
    def callback_path(self) -> str:
        return f"/sso/{self.key}/callback"


def company_provider(settings: Settings) -> ProviderConfig | None:
    oidc = settings.oidc
    if oidc is None:
        return None
    return ProviderConfig(
        key=COMPANY,
        name=oidc.name,
        issuer=oidc.issuer,
        client_id=oidc.client_id,
        client_secret=oidc.client_secret,
        scopes=oidc.scopes,
        groups_claim=oidc.groups_claim,
        role_groups=oidc.role_groups,
        org_claim=oidc.org_claim,
        tier_claim=oidc.tier_claim,
        org_admin_group=oidc.org_admin_group,
    )


COMPANY_NOT_SET_UP = "Company sign-in is not set up on this site."
# One answer whether the organisation is missing, not a partner, or has no provider switched on:
# a visitor who is not signed in must not learn from it which organisations exist (the trial read
# "This organisation has no single sign-on set up" for an organisation that does not exist).
NO_SSO_HERE = (
    "There is no single sign-on at this address. Sign in with your password, or enter your e-mail "
    "address on the sign-in page and choose “Continue with single sign-on”."
)


async def provider_by_key(settings: Settings, key: str) -> ProviderConfig:
    """The provider a sign-in URL names; 404 when there is none (or it is switched off)."""
    if key == COMPANY:
        if (company := company_provider(settings)) is not None:
            return company
        raise NotFound(COMPANY_NOT_SET_UP)
    slug = key.removeprefix("org-") if key.startswith("org-") and validation.can_name_something(key) else None
    row = (
        await IdentityProvider.filter(organisation__slug=slug, enabled=True)
        .select_related("organisation")
        .first()
        if slug
        else None
    )
    if row is None:
        raise NotFound(NO_SSO_HERE)
    return _org_config(settings, row)


async def provider_for_email(settings: Settings, email: object) -> ProviderConfig | None:
    """The organisation provider whose e-mail domains cover this address (the sign-in page's
    "Continue with single sign-on"). By domain only: it never tells whether an account exists."""
    address = validation.clean_text(email if isinstance(email, str) else "").strip().lower()
    domain = address.rpartition("@")[2]
    if not domain:
        return None
    async for row in (
        IdentityProvider.filter(enabled=True).exclude(email_domains="").select_related("organisation")
    ):
        if domain in _domains(row.email_domains):
            return _org_config(settings, row)
    return None


def _org_config(settings: Settings, row: IdentityProvider) -> ProviderConfig:
    return ProviderConfig(
        key=f"org-{row.organisation.slug}",
        name=row.display_name,
        issuer=row.issuer,
        client_id=row.client_id,
        client_secret=decrypt_secret(settings, row.client_secret),
        scopes=row.scopes,
        groups_claim=row.groups_claim or "groups",
        organisation_id=row.organisation_id,
        org_admin_group=row.org_admin_group,
        email_domains=_domains(row.email_domains),
    )


def _domains(raw: str) -> tuple[str, ...]:
    return tuple(d.strip().lower().lstrip("@") for d in raw.split(",") if d.strip())


# --- from checked claims to an account ------------------------------------------------------


async def sign_in_from_claims(settings: Settings, provider: ProviderConfig, claims: dict[str, Any]) -> User:
    """The user these claims sign in, created at first sign-in. Raises ``SignInRefused``."""
    subject = str(claims.get("sub") or "")
    email = validation.clean_text(str(claims.get("email") or "")).strip().lower()
    if not subject or not email:
        raise SignInRefused(f"{provider.name} did not tell us your e-mail address, so we cannot sign you in.")
    # JSON true; some providers send the string "true" (anything else, or nothing, is unverified).
    verified = claims.get("email_verified")
    if verified is not True and verified != "true":
        raise SignInRefused(
            f"{provider.name} has not verified the e-mail address {email}. "
            "Verify it there, then sign in again."
        )
    if provider.email_domains and email.rpartition("@")[2] not in provider.email_domains:
        raise SignInRefused(
            f"{provider.name} may sign in addresses at {', '.join(provider.email_domains)} only."
        )
    async with in_transaction():
        link = await ExternalIdentity.filter(issuer=provider.issuer, subject=subject).first()
        user = await User.filter(id=link.user_id).first() if link else None
        user = user or await User.filter(email=email).first()
        if user is None:
            user = await _first_sign_in(settings, provider, claims, email)
        elif provider.organisation_id is not None and user.organisation_id != provider.organisation_id:
            raise SignInRefused(
                f"The account {email} belongs to another organisation: {provider.name} cannot sign it in."
            )
        if link is None:
            await ExternalIdentity.create(
                user=user, issuer=provider.issuer, subject=subject, last_sign_in_at=now()
            )
        else:
            await ExternalIdentity.filter(id=link.id).update(last_sign_in_at=now())
    await user.fetch_related("organisation")
    if user.is_suspended:
        raise Forbidden(policy.suspension_refusal(user.suspended_until))
    return user


async def _first_sign_in(
    settings: Settings, provider: ProviderConfig, claims: dict[str, Any], email: str
) -> User:
    groups = _groups(claims.get(provider.groups_claim))
    name = validation.clean_text(str(claims.get("name") or "")).strip()[: validation.NAME_MAX]
    name = name or email.split("@")[0]
    is_org_admin = bool(provider.org_admin_group) and provider.org_admin_group in groups
    if provider.organisation_id is not None:
        org = await Organisation.get(id=provider.organisation_id)
        return await create_user(
            settings,
            email=email,
            display_name=name,
            role=Role.PARTNER,
            organisation=org,
            is_org_admin=is_org_admin,
        )
    staff_role = next((role for role, group in provider.role_groups if group in groups), None)
    if staff_role is not None:
        return await create_user(
            settings,
            email=email,
            display_name=name,
            role=staff_role,
            organisation=await company_org(settings),
        )
    org_slug = str(claims.get(provider.org_claim) or "").strip().lower() if provider.org_claim else ""
    if not org_slug:
        raise SignInRefused(
            f"Your {provider.name} does not say which partner organisation you belong to, and no "
            "account here has your address. Ask your partner manager for an invitation."
        )
    org = await Organisation.filter(slug=org_slug, kind=OrgKind.PARTNER).first()
    if org is None:
        raise SignInRefused(
            f"Your {provider.name} names the organisation “{org_slug}”, which is not a partner here. "
            "Ask your partner manager to add it."
        )
    tier = str(claims.get(provider.tier_claim) or "").strip().lower() if provider.tier_claim else ""
    if tier and tier in settings.partner_tiers and not org.tier:
        org.tier = tier
        await org.save(update_fields=["tier"])
    return await create_user(
        settings,
        email=email,
        display_name=name,
        role=Role.PARTNER,
        organisation=org,
        is_org_admin=is_org_admin,
    )


def _groups(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {str(v) for v in value}
    return set()


# --- organisations' own providers -----------------------------------------------------------

SECRET_MAX = 1000
PROVIDER_FIELDS = (
    "display_name",
    "issuer",
    "client_id",
    "client_secret",
    "email_domains",
    "scopes",
    "groups_claim",
    "org_admin_group",
)


async def manageable_organisation(actor: Actor, slug: str) -> Organisation:
    """An admin manages every partner organisation's sign-in; an organisation's admin only
    their own. Anyone else sees 404 (they need not learn what is configured where)."""
    org = (
        await Organisation.filter(slug=slug, kind=OrgKind.PARTNER).first()
        if validation.can_name_something(slug)
        else None
    )
    if org is None or not policy.can_configure_sign_in(actor, org.id):
        raise NotFound("No such organisation.")
    return org


async def provider_form(org: Organisation) -> dict[str, Any]:
    row = await IdentityProvider.filter(organisation_id=org.id).first()
    values = {name: getattr(row, name) if row else "" for name in PROVIDER_FIELDS}
    values["client_secret"] = ""  # write-only: never shown again
    values["groups_claim"] = values["groups_claim"] or "groups"
    values["scopes"] = values["scopes"] or "openid email profile"
    return {
        "form": values,
        "configured": row is not None,
        "enabled": bool(row and row.enabled),
        "password_sign_in": org.password_sign_in,
    }


async def save_provider(
    settings: Settings, org: Organisation, values: dict[str, Any], *, enabled: bool, password_sign_in: bool
) -> IdentityProvider:
    """Create or update the organisation's provider. A blank secret keeps the stored one."""
    fields: dict[str, str] = {}
    row = await IdentityProvider.filter(organisation_id=org.id).first()
    name = validation.short_text(
        values.get("display_name"), fields, "display_name", "The name", required=True, max_len=80
    )
    issuer = validation.short_text(
        values.get("issuer"), fields, "issuer", "The issuer", required=True, max_len=500
    )
    if issuer and (problem := _issuer_problem(settings, issuer)):
        fields["issuer"] = problem
    client_id = validation.short_text(
        values.get("client_id"), fields, "client_id", "The client id", required=True, max_len=200
    )
    secret = values.get("client_secret") if isinstance(values.get("client_secret"), str) else ""
    if not secret and row is None:
        fields["client_secret"] = "Enter the client secret the provider gave you."
    elif len(secret) > SECRET_MAX or validation.clean_text(secret) != secret:
        fields["client_secret"] = f"A client secret is at most {SECRET_MAX:,} plain characters."
    domains_raw = validation.short_text(
        values.get("email_domains"), fields, "email_domains", "The domains", required=False, max_len=500
    )
    domains = _domains(domains_raw or "")
    if any("." not in d or " " in d or "@" in d for d in domains):
        fields["email_domains"] = "List domains like example.com, separated by commas."
    scopes = validation.short_text(
        values.get("scopes"), fields, "scopes", "The scopes", required=False, max_len=300
    )
    if scopes and not {"openid", "email"} <= set(scopes.split()):
        fields["scopes"] = "The scopes must include openid and email."
    groups_claim = validation.short_text(
        values.get("groups_claim"), fields, "groups_claim", "The claim", required=False, max_len=80
    )
    admin_group = validation.short_text(
        values.get("org_admin_group"), fields, "org_admin_group", "The group", required=False, max_len=120
    )
    if not password_sign_in and not enabled:
        fields["password_sign_in"] = "Keep password sign-in on while single sign-on is switched off."
    validation.raise_if(fields)
    data = {
        "display_name": name,
        "issuer": issuer.rstrip("/"),
        "client_id": client_id,
        "email_domains": ",".join(domains),
        "scopes": scopes or "openid email profile",
        "groups_claim": groups_claim or "groups",
        "org_admin_group": admin_group or "",
        "enabled": enabled,
    }
    if secret:
        data["client_secret"] = encrypt_secret(settings, secret)
    async with in_transaction():
        if row is None:
            row = await IdentityProvider.create(organisation=org, **data)
        else:
            await IdentityProvider.filter(id=row.id).update(**data)
        await Organisation.filter(id=org.id).update(password_sign_in=password_sign_in)
    return row


def _issuer_problem(settings: Settings, issuer: str) -> str | None:
    """What is wrong with an organisation's issuer address, if anything. Someone outside the company
    chooses it and this server fetches from it (discovery, keys): on a public (https) site only a
    public https:// address will do, never one inside the site's own network. A development site
    (plain http) may use a provider on the same machine."""
    parts = urlsplit(issuer)
    host = (parts.hostname or "").lower()
    on_this_machine = host in ("127.0.0.1", "localhost", "::1")
    if not (parts.scheme == "https" or (parts.scheme == "http" and on_this_machine and not settings.https)):
        return "The issuer must be an https:// address."
    if not host or parts.username or parts.password or parts.query or parts.fragment:
        return "The issuer must be an https:// address, without a user name, query or fragment."
    if settings.https and _inside_a_network(host):
        return "The issuer must be a public address (not localhost or one inside a private network)."
    return None


def _inside_a_network(host: str) -> bool:
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return "." not in host or host.endswith((".localhost", ".local", ".internal", ".lan", ".home.arpa"))


async def password_sign_in_refusal(user: User, settings: Settings) -> str | None:
    """Why this person may not sign in with a password: their organisation uses SSO only, or
    they are company staff other than an administrator while ``COMMUNITY_OIDC_PASSWORDS=admins``
    (administrators keep a password: someone must get in when the provider is down)."""
    org = await Organisation.get(id=user.organisation_id)
    company = settings.oidc
    if company is not None and company.passwords == "admins" and user.role in Role.STAFF:
        if user.role == Role.ADMIN:
            return None
        return (
            f"{org.name} staff sign in through single sign-on. "
            "Use “Continue with single sign-on” with your work address."
        )
    if org.password_sign_in:
        return None
    return (
        f"{org.name} signs in through single sign-on. "
        "Use “Continue with single sign-on” with your work address."
    )


# --- client secrets at rest --------------------------------------------------------------------


def _fernet(settings: Settings) -> Fernet:
    digest = hashlib.sha256(b"community.sso.client-secret:" + settings.secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(settings: Settings, secret: str) -> str:
    return _fernet(settings).encrypt(secret.encode()).decode()


def decrypt_secret(settings: Settings, stored: str) -> str:
    try:
        return _fernet(settings).decrypt(stored.encode()).decode()
    except InvalidToken:
        # The site's secret key changed since the secret was saved: the organisation's admin
        # must enter it again; sign-in through it fails with the provider's "invalid client".
        return ""
