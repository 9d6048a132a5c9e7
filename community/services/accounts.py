"""Accounts: users, sign-in with throttling, invitations, passwords, API tokens, profiles."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import UTC, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from community import policy
from community.actor import Actor
from community.errors import Forbidden, Invalid, NotFound, RateLimited
from community.events import AccessChanged, publish
from community.models import (
    ApiToken,
    Category,
    Invitation,
    LoginFailure,
    Organisation,
    OrgKind,
    PasswordReset,
    Post,
    PostState,
    Role,
    Sanction,
    SanctionKind,
    Thread,
    User,
)
from community.services import validation as v
from community.settings import Settings
from community.timeutil import utcnow as now

PASSWORD_MIN = 10
_hasher = PasswordHasher()
_dummy_hashes: dict[int, str] = {}


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Swap the hashing parameters (tests use cheap ones; production keeps argon2's defaults)."""
    global _hasher
    _hasher = hasher


def _dummy_hash() -> str:
    """A real hash of a random password: verifying against it when the e-mail is unknown keeps
    a failed sign-in as slow whether or not the account exists."""
    key = id(_hasher)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hashes[key]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def _verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return await asyncio.to_thread(lambda: _hasher.verify(password_hash or _dummy_hash(), password))
    except (VerificationError, InvalidHashError):
        return False


def _password(value: object, fields: dict[str, str], name: str = "password") -> str:
    if not isinstance(value, str) or len(value) < PASSWORD_MIN:
        fields[name] = f"The password needs at least {PASSWORD_MIN} characters."
        return ""
    if len(value) > 1024:
        fields[name] = "The password can have at most 1024 characters."
    return value


async def unique_handle(display_name: str, email: str) -> str:
    base = v.slugify(display_name, 30) or v.slugify(email.split("@")[0], 30) or "member"
    handle, n = base, 1
    while await User.filter(handle=handle).exists():
        n += 1
        handle = f"{base}-{n}"
    return handle


async def company_org(settings: Settings) -> Organisation:
    org = await Organisation.filter(kind=OrgKind.COMPANY).first()
    if org is None:
        org = await Organisation.create(
            name=settings.company_name, slug=v.slugify(settings.company_name), kind=OrgKind.COMPANY
        )
    return org


async def create_user(
    settings: Settings,
    *,
    email: str,
    display_name: str,
    role: str,
    organisation: Organisation | None = None,
    password: str | None = None,
    is_org_admin: bool = False,
    bio: str = "",
    expertise_tags: list[str] | None = None,
) -> User:
    """Create an account (CLI, invitations, demo). Staff roles belong to the company itself."""
    fields: dict[str, str] = {}
    email = v.email(email, fields)
    display_name = v.short_text(
        display_name, fields, "display_name", "The name", required=True, max_len=v.NAME_MAX
    )
    role = v.choice(role, Role.ALL, fields, "role")
    if password is not None:
        _password(password, fields)
    if role in Role.STAFF:
        if organisation is not None and organisation.kind != OrgKind.COMPANY:
            fields["organisation"] = "Experts, moderators and admins belong to the company itself."
        organisation = organisation or await company_org(settings)
    elif role == Role.PARTNER and (organisation is None or organisation.kind == OrgKind.COMPANY):
        fields["organisation"] = "A partner user belongs to a partner organisation."
    if not fields and await User.filter(email=email).exists():
        fields["email"] = "An account with this e-mail address already exists."
    v.raise_if(fields)
    assert organisation is not None
    return await User.create(
        email=email,
        handle=await unique_handle(display_name, email),
        display_name=display_name,
        role=role,
        organisation=organisation,
        is_org_admin=is_org_admin,
        password_hash=await hash_password(password) if password else None,
        bio=bio,
        expertise_tags=expertise_tags or [],
    )


async def authenticate(settings: Settings, email: str, password: str, ip: str) -> User:
    """Check a password. Throttled per account and per IP; the message never says which part
    was wrong, and an unknown e-mail takes as long as a wrong password."""
    # Cleaned like a stored address (no control characters: PostgreSQL refuses NUL in a query).
    email = v.clean_text(email if isinstance(email, str) else "").strip().lower()[:254]
    since = now() - timedelta(seconds=settings.login_window_seconds)
    per_account = await LoginFailure.filter(email=email, created_at__gte=since).count()
    per_ip = await LoginFailure.filter(ip=ip, created_at__gte=since).count()
    if per_account >= settings.login_max_failures or per_ip >= settings.login_max_failures * 4:
        minutes = max(1, settings.login_window_seconds // 60)
        raise RateLimited(
            f"Too many failed sign-ins. Please wait {minutes} minutes and try again, "
            "or ask an administrator for a password reset link.",
            retry_after=settings.login_window_seconds,
        )
    user = await User.filter(email=email).select_related("organisation").first()
    ok = await _verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None:
        await LoginFailure.create(email=email, ip=ip)
        raise Invalid({"password": "Wrong e-mail address or password."}, "Sign-in failed.")
    if user.is_suspended:
        latest = (
            await Sanction.filter(user_id=user.id, kind=SanctionKind.SUSPEND, lifted_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        why = f" The moderators' reason: {latest.reason}" if latest else ""
        raise Forbidden(policy.suspension_refusal(user.suspended_until) + why)
    await LoginFailure.filter(email=email).delete()
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = await hash_password(password)
        await user.save(update_fields=["password_hash"])
    return user


async def change_password(actor: Actor, current: str, new: str) -> User:
    """Every other session of this user stops working (auth version bump); the caller gets the
    updated user so it can keep the current session signed in."""
    user = await User.get(id=actor.id)
    fields: dict[str, str] = {}
    _password(new, fields, "new_password")
    if not await _verify_password(user.password_hash, current or ""):
        fields["current_password"] = "This is not your current password."
    v.raise_if(fields)
    user.password_hash = await hash_password(new)
    user.auth_version += 1
    await user.save(update_fields=["password_hash", "auth_version"])
    return user


async def set_password(user: User, password: str) -> None:
    fields: dict[str, str] = {}
    _password(password, fields)
    v.raise_if(fields)
    user.password_hash = await hash_password(password)
    user.auth_version += 1
    await user.save(update_fields=["password_hash", "auth_version"])


# --- invitations --------------------------------------------------------------------------


async def create_invitation(
    settings: Settings, actor: Actor | None, *, email: str, organisation: Organisation, role: str
) -> tuple[Invitation, str]:
    """Returns the invitation and its one-time token (only its hash is stored).

    ``actor`` None means the operator at the command line."""
    fields: dict[str, str] = {}
    email = v.email(email, fields)
    role = v.choice(role, Role.ALL, fields, "role")
    v.raise_if(fields)
    if actor is not None and not policy.can_invite(actor, organisation.id, role):
        raise Forbidden("You can invite colleagues into your own organisation only, as partners.")
    if role in Role.STAFF and organisation.kind != OrgKind.COMPANY:
        raise Invalid({"role": "Staff roles belong to the company itself."})
    if role == Role.PARTNER and organisation.kind == OrgKind.COMPANY:
        raise Invalid({"organisation": "Partners are invited into a partner organisation."})
    if await User.filter(email=email).exists():
        raise Invalid({"email": "An account with this e-mail address already exists."})
    token = secrets.token_urlsafe(32)
    invitation = await Invitation.create(
        email=email,
        organisation=organisation,
        role=role,
        token_hash=hash_token(token),
        invited_by_id=actor.id if actor else None,
        expires_at=now() + timedelta(hours=settings.invitation_hours),
    )
    return invitation, token


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
        )


async def list_invitations(actor: Actor, limit: int = 50) -> list[dict[str, object]]:
    """Recent invitations for the admin page, with a status word (the token itself is never
    stored, so links cannot be shown again)."""
    if not policy.can_manage_site(actor):
        raise Forbidden("Only administrators can do this.")
    rows = await Invitation.all().order_by("-created_at", "-id").limit(limit).values(
        "id", "email", "role", "created_at", "expires_at", "used_at", "revoked_at",
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


# --- password reset -----------------------------------------------------------------------


async def create_password_reset(settings: Settings, email: str) -> str:
    user = await User.filter(email=(email or "").strip().lower()).first()
    if user is None:
        raise NotFound("No account has this e-mail address.")
    token = secrets.token_urlsafe(32)
    await PasswordReset.create(
        user=user, token_hash=hash_token(token), expires_at=now() + timedelta(hours=settings.reset_hours)
    )
    return token


def password_reset_url(settings: Settings, token: str) -> str:
    """The link the CLI prints today (and an e-mail will carry later)."""
    return f"{settings.base_url}/password-reset/{token}"


async def get_user_by_email(email: str) -> User:
    """For the operator's command line, which names people by e-mail address."""
    user = await User.filter(email=(email or "").strip().lower()).select_related("organisation").first()
    if user is None:
        raise NotFound(f"No account has the e-mail address {email!r}.")
    return user


async def open_password_reset(token: str) -> PasswordReset:
    """Check a reset link before showing its form, so a dead link says so at once."""
    reset = await PasswordReset.filter(token_hash=hash_token(token or "")).first()
    if reset is None or reset.used_at is not None or reset.expires_at < now():
        raise Invalid({"token": "This reset link is not valid or has expired. Ask for a new one."})
    return reset


async def reset_password(token: str, password: str) -> User:
    async with in_transaction():
        reset = await PasswordReset.filter(token_hash=hash_token(token or "")).select_related("user").first()
        if reset is None or reset.used_at is not None or reset.expires_at < now():
            raise Invalid({"token": "This reset link is not valid or has expired. Ask for a new one."})
        # Single use even under a double submit: only one request flips used_at.
        if not await PasswordReset.filter(id=reset.id, used_at__isnull=True).update(used_at=now()):
            raise Invalid({"token": "This reset link has already been used. Please sign in."})
        await set_password(reset.user, password)
        await LoginFailure.filter(email=reset.user.email).delete()
        return reset.user


# --- API tokens ---------------------------------------------------------------------------


async def create_api_token(user: User, name: str = "") -> str:
    token = "pc_" + secrets.token_urlsafe(32)
    await ApiToken.create(user=user, name=name[:80], token_hash=hash_token(token))
    return token


# More than anyone needs for their scripts, few enough that a forgotten one stands out.
MAX_ACTIVE_TOKENS = 20
TOKEN_USE_RESOLUTION = timedelta(minutes=5)


async def own_api_tokens(actor: Actor) -> list[ApiToken]:
    """The actor's tokens still in use, newest first (the tokens themselves are never shown again)."""
    return await ApiToken.filter(user_id=actor.id, revoked_at__isnull=True).order_by("-created_at", "-id")


async def create_own_api_token(actor: Actor, name: object) -> str:
    """A personal token for the actor's own scripts, labelled so they can tell it apart later."""
    fields: dict[str, str] = {}
    label = v.short_text(name, fields, "name", "The name", required=True, max_len=80)
    v.raise_if(fields)
    if await ApiToken.filter(user_id=actor.id, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise Invalid({"name": f"You have {MAX_ACTIVE_TOKENS} tokens in use: revoke one you no longer need."})
    user = await User.get(id=actor.id)
    return await create_api_token(user, label)


async def revoke_own_api_token(actor: Actor, token_id: int) -> ApiToken:
    """Stops the token working at once. Someone else's token is not found (404), never revoked."""
    token = await ApiToken.filter(id=token_id, user_id=actor.id, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound("No such token (it may have been revoked already).")
    await ApiToken.filter(id=token.id, revoked_at__isnull=True).update(revoked_at=now())
    return token


async def actor_for_token(token: str) -> Actor | None:
    row = (
        await ApiToken.filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .select_related("user__organisation")
        .first()
    )
    if row is None:
        return None
    # "Last used" on the tokens page, written at most every few minutes (not on every call).
    if row.last_used_at is None or now() - row.last_used_at > TOKEN_USE_RESOLUTION:
        await ApiToken.filter(id=row.id).update(last_used_at=now())
    return Actor.from_user(row.user)


# --- profiles -----------------------------------------------------------------------------


async def update_profile(actor: Actor, *, display_name: object, bio: object, expertise_tags: object) -> User:
    if (refusal := policy.posting_refusal(actor)) is not None:  # the bio and name are public text
        raise Forbidden(refusal)
    fields: dict[str, str] = {}
    name = v.short_text(display_name, fields, "display_name", "The name", required=True, max_len=v.NAME_MAX)
    bio_text = v._text(fields, "bio", bio, "The bio").strip()
    if len(bio_text) > v.BIO_MAX:
        fields["bio"] = f"The bio can have at most {v.BIO_MAX:,} characters."
    tags = v.tags(expertise_tags, fields, "expertise_tags") if actor.is_staff else []
    v.raise_if(fields)
    user = await User.get(id=actor.id)
    user.display_name, user.bio, user.expertise_tags = name, bio_text, tags
    await user.save(update_fields=["display_name", "bio", "expertise_tags"])
    return user


async def get_profile(actor: Actor, handle: str) -> User:
    """The member, with ``post_count`` and ``accepted_count`` as the viewer may see them.

    The stored counters include posts in every category; shown as they are to someone who may
    not see all categories, they would betray that restricted threads exist."""
    user = None
    if v.can_name_something(handle):
        user = await User.filter(handle=handle).select_related("organisation").first()
    if user is None:
        raise NotFound("No such member.")
    visible = await policy.visible_category_ids(actor)
    if len(visible) < await Category.all().count():
        user.post_count = await Post.filter(
            author_id=user.id,
            state=PostState.VISIBLE,
            thread__category_id__in=visible,
            thread__is_deleted=False,
        ).count()
        user.accepted_count = await Thread.filter(
            category_id__in=visible,
            is_deleted=False,
            accepted_post_id__in=Subquery(Post.filter(author_id=user.id).values("id")),
        ).count()
    return user


async def set_role(
    actor: Actor | None, user: User, *, role: str | None = None, is_org_admin: bool | None = None
) -> User:
    if actor is not None and not policy.can_manage_site(actor):
        raise Forbidden()
    if role is not None:
        user.role = role
    if is_org_admin is not None:
        user.is_org_admin = is_org_admin
    await user.save()
    await publish(AccessChanged(user_id=user.id))
    return user
