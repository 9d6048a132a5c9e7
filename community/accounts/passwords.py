"""Passwords: hashing (argon2, off the event loop), sign-in with throttling, changing one, and
resetting a forgotten one with a single-use link.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from community import policy, validation
from community.accounts import throttle
from community.accounts.tokens import hash_token
from community.actor import Actor
from community.errors import Forbidden, Invalid, NotFound, RateLimited
from community.mail import queue as mail_queue
from community.mail.compose import Composed, Withheld, render_mail
from community.models import (
    ApiToken,
    MailKind,
    OutgoingMail,
    PasswordReset,
    Sanction,
    SanctionKind,
    SignInWindow,
    User,
)
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


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def _verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return await asyncio.to_thread(lambda: _hasher.verify(password_hash or _dummy_hash(), password))
    except (VerificationError, InvalidHashError):
        return False


async def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one hashed (False for an account without a password)."""
    return password_hash is not None and await _verify_password(password_hash, password)


def read_password(value: object, fields: dict[str, str], name: str = "password") -> str:
    if not isinstance(value, str) or len(value) < PASSWORD_MIN:
        fields[name] = f"The password needs at least {PASSWORD_MIN} characters."
        return ""
    if len(value) > 1024:
        fields[name] = "The password can have at most 1024 characters."
    return value


async def authenticate(settings: Settings, email: str, password: str, ip: str) -> User:
    """Check a password. Throttled per account and per IP; the message never says which part
    was wrong, and an unknown e-mail takes as long as a wrong password."""
    # Cleaned like a stored address (no control characters: PostgreSQL refuses NUL in a query).
    email = validation.clean_text(email if isinstance(email, str) else "").strip().lower()[:254]
    account = throttle.Limit(throttle.account_key(email), settings.login_max_failures)
    address = throttle.Limit(throttle.ip_key(ip), settings.login_max_failures * 4)
    # A place is taken before the password is checked (one conditional update each), so that
    # concurrent guesses cannot all pass a count read before any of them failed.
    await throttle.take_places([account, address], settings.login_window_seconds)
    user = await User.filter(email=email).select_related("organisation").first()
    ok = await _verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None:
        await throttle.failed(settings.login_window_seconds)
        raise Invalid({"password": "Wrong e-mail address or password."}, "Sign-in failed.")
    await throttle.succeeded(account, address)
    if user.is_suspended:
        latest = (
            await Sanction.filter(user_id=user.id, kind=SanctionKind.SUSPEND, lifted_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        why = f" The moderators' reason: {latest.reason}" if latest else ""
        raise Forbidden(policy.suspension_refusal(user.suspended_until) + why)
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = await hash_password(password)
        await user.save(update_fields=["password_hash"])
    return user


async def change_password(actor: Actor, current: str, new: str) -> User:
    """Every other session of this user stops working (auth version bump); the caller gets the
    updated user so it can keep the current session signed in."""
    user = await User.get(id=actor.id)
    fields: dict[str, str] = {}
    read_password(new, fields, "new_password")
    if not await _verify_password(user.password_hash, current or ""):
        fields["current_password"] = "This is not your current password."
    validation.raise_if(fields)
    user.password_hash = await hash_password(new)
    user.auth_version += 1
    await user.save(update_fields=["password_hash", "auth_version"])
    return user


async def set_password(user: User, password: str) -> None:
    fields: dict[str, str] = {}
    read_password(password, fields)
    validation.raise_if(fields)
    user.password_hash = await hash_password(password)
    user.auth_version += 1
    await user.save(update_fields=["password_hash", "auth_version"])


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
    """The link the reset mail carries (and the CLI prints)."""
    return f"{settings.base_url}/password-reset/{token}"


RESET_MAILS_PER_ADDRESS_HOUR = 3
HOUR = timedelta(hours=1)


async def request_password_reset(settings: Settings, email: object, ip: str) -> None:
    """ "Forgot password": queue a reset mail to this address. The caller answers the same whether
    or not an account has it, and so does this: the request does the same work either way (one
    rate event, one queued mail), and whether an account has the address is decided when the mail
    is composed (``compose_password_reset``). Before, the work done for a known address made its
    answer measurably slower (median 8.5 against 4.8 ms). Too many requests from one network are
    refused (429)."""
    fields: dict[str, str] = {}
    address = validation.email(email, fields)
    validation.raise_if(fields)
    if await throttle.count_event(f"reset:ip:{ip}"[:80], HOUR) > settings.mail_resets_per_hour:
        raise RateLimited(
            "Too many password reset requests from your network. Please wait an hour and try again.",
            retry_after=3600,
        )
    await mail_queue.enqueue(settings, kind=MailKind.PASSWORD_RESET, to=address, sensitive=True)


async def compose_password_reset(settings: Settings, mail: OutgoingMail) -> Composed | Withheld:
    """At send time: the reset link for the account with this address, if one has it, and at most
    a few an hour per account (more are not sent). The link's hours count from here."""
    user = await User.filter(email=mail.to_address).first()
    if user is None:
        return Withheld("No account has this address: nothing was sent (the person asking was not told).")
    if await throttle.count_event(f"reset:user:{user.id}", HOUR) > RESET_MAILS_PER_ADDRESS_HOUR:
        return Withheld(f"At most {RESET_MAILS_PER_ADDRESS_HOUR} reset mails an hour go to one account.")
    token = secrets.token_urlsafe(32)
    await PasswordReset.create(
        user=user, token_hash=hash_token(token), expires_at=now() + timedelta(hours=settings.reset_hours)
    )
    context = {
        "url": password_reset_url(settings, token),
        "name": user.display_name,
        "hours": settings.reset_hours,
    }
    return render_mail(settings, "password_reset", context)


async def open_password_reset(token: str) -> PasswordReset:
    """Check a reset link before showing its form, so a dead link says so at once."""
    reset = await PasswordReset.filter(token_hash=hash_token(token or "")).first()
    if reset is None or reset.used_at is not None or reset.expires_at < now():
        raise Invalid({"token": "This reset link is not valid or has expired. Ask for a new one."})
    return reset


async def reset_password(token: str, password: str, *, revoke_tokens: bool = True) -> User:
    """Set a new password from a reset link. Whoever reset it may have lost control of the account,
    so the reset ends every session (auth version bump), voids every other reset link of the user
    (an older link found in a mailbox must not work after a newer one was used) and, unless the
    person chose to keep them, revokes the user's API tokens, all in one transaction."""
    fields: dict[str, str] = {}
    read_password(password, fields)
    validation.raise_if(fields)
    password_hash = await hash_password(password)  # off the loop and outside the transaction
    async with in_transaction():
        reset = await PasswordReset.filter(token_hash=hash_token(token or "")).select_related("user").first()
        if reset is None or reset.used_at is not None or reset.expires_at < now():
            raise Invalid({"token": "This reset link is not valid or has expired. Ask for a new one."})
        # Single use even under a double submit: only one request flips used_at.
        if not await PasswordReset.filter(id=reset.id, used_at__isnull=True).update(used_at=now()):
            raise Invalid({"token": "This reset link has already been used. Please sign in."})
        await PasswordReset.filter(user_id=reset.user_id, used_at__isnull=True).update(used_at=now())
        await User.filter(id=reset.user_id).update(
            password_hash=password_hash, auth_version=F("auth_version") + 1
        )
        if revoke_tokens:
            await ApiToken.filter(user_id=reset.user_id, revoked_at__isnull=True).update(revoked_at=now())
        await SignInWindow.filter(key=throttle.account_key(reset.user.email)).delete()
    return await User.get(id=reset.user_id).select_related("organisation")
