"""Personal API tokens: created once (only a hash is kept), listed, revoked, and turned back into
the person they act for.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from community import validation
from community.actor import Actor
from community.errors import Invalid, NotFound
from community.models import (
    ApiToken,
    User,
)
from community.timeutil import utcnow as now


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
    label = validation.short_text(
        name, fields, "name", "The name", required=True, max_len=validation.NAME_MAX
    )
    validation.raise_if(fields)
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
