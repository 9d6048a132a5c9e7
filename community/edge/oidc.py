"""The OpenID Connect protocol, done by authlib: discovery, the authorization code flow with PKCE,
state and nonce kept in the signed session, the code exchange and every ID-token check (signature
against the provider's keys, issuer, audience, nonce, expiry). What comes out is a dict of claims
that passed them; ``community.accounts.sso`` decides what they make of someone.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx2
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from joserfc.errors import JoseError
from starlette.requests import Request
from starlette.responses import RedirectResponse

from community.accounts.sso import ProviderConfig, SignInRefused

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10.0
# Clock difference tolerated on the ID token's times: small, so an expired token is refused.
LEEWAY_SECONDS = 30


class ProviderUnavailable(Exception):
    """The provider did not answer (or answered nonsense): try again later."""


class Clients:
    """One authlib client per provider configuration, kept so discovery and keys are fetched once
    (a changed configuration, e.g. a new secret, gets a new client)."""

    def __init__(self) -> None:
        self._oauth = OAuth()
        self._clients: dict[ProviderConfig, StarletteOAuth2App] = {}

    def client(self, provider: ProviderConfig) -> StarletteOAuth2App:
        found = self._clients.get(provider)
        if found is None:
            for old in [p for p in self._clients if p.key == provider.key]:
                del self._clients[old]
            found = self._oauth.register(
                name=provider.key,
                overwrite=True,
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
                client_kwargs={
                    "scope": provider.scopes,
                    "code_challenge_method": "S256",
                    "timeout": TIMEOUT_SECONDS,
                },
            )
            self._clients[provider] = found
        return found


async def _metadata(client: StarletteOAuth2App, provider: ProviderConfig) -> dict[str, Any]:
    """The provider's discovery document (fetched once per client), refused when it names another
    issuer than the one configured (OpenID Connect Discovery 4.3): the ID token's issuer is checked
    against it."""
    try:
        metadata = dict(await client.load_server_metadata())
    except (httpx2.HTTPError, ValueError, KeyError) as exc:
        log.warning("OpenID provider %s: discovery failed: %s", provider.issuer, exc)
        raise ProviderUnavailable() from exc
    named = str(metadata.get("issuer") or "")
    if named.rstrip("/") != provider.issuer.rstrip("/"):
        log.warning("OpenID provider %s: its discovery document names the issuer %r", provider.issuer, named)
        raise SignInRefused(
            f"Sign-in with your {provider.name} is not set up correctly on this site. Tell an administrator."
        )
    return metadata


async def start(
    clients: Clients, request: Request, provider: ProviderConfig, redirect_uri: str
) -> RedirectResponse:
    client = clients.client(provider)
    await _metadata(client, provider)
    try:
        return await client.authorize_redirect(request, redirect_uri)
    except (httpx2.HTTPError, ValueError, KeyError) as exc:
        log.warning("OpenID provider %s: discovery failed: %s", provider.issuer, exc)
        raise ProviderUnavailable() from exc


async def finish(clients: Clients, request: Request, provider: ProviderConfig) -> tuple[dict[str, Any], str]:
    """The checked claims and the raw ID token (kept for the provider's sign-out)."""
    client = clients.client(provider)
    metadata = await _metadata(client, provider)
    # authlib checks the issuer (against the discovery document) but not that the audience names
    # this client (only ``azp`` when present): both are required here.
    claims_options = {
        "iss": {"essential": True, "value": metadata["issuer"]},
        "aud": {"essential": True, "value": provider.client_id},
    }
    try:
        token = await client.authorize_access_token(
            request, leeway=LEEWAY_SECONDS, claims_options=claims_options
        )
    except OAuthError as exc:
        raise SignInRefused(_oauth_message(provider, exc)) from exc
    except JoseError as exc:
        log.info("OpenID provider %s: ID token refused: %r", provider.issuer, exc)
        raise SignInRefused(_token_message(provider, exc)) from exc
    except httpx2.HTTPError as exc:
        log.warning("OpenID provider %s: no answer at code exchange: %s", provider.issuer, exc)
        raise ProviderUnavailable() from exc
    claims = dict(token.get("userinfo") or {})
    if not claims:
        raise SignInRefused(f"{provider.name} did not send an ID token, so we cannot sign you in.")
    try:
        extra = await client.userinfo(token=token)
    except (httpx2.HTTPError, OAuthError, ValueError, KeyError) as exc:
        log.info("OpenID provider %s: userinfo not used: %s", provider.issuer, exc)
    else:
        if extra.get("sub") == claims.get("sub"):  # OIDC Core 5.3.2: only the same subject counts
            claims.update({k: v for k, v in extra.items() if k not in claims})
    return claims, str(token.get("id_token") or "")


async def end_session_url(
    clients: Clients, provider: ProviderConfig, id_token: str, post_logout_redirect_uri: str
) -> str | None:
    """The provider's RP-initiated sign-out address, or None when it has none."""
    try:
        metadata = await clients.client(provider).load_server_metadata()
    except (httpx2.HTTPError, ValueError) as exc:
        log.info("OpenID provider %s: no metadata for sign-out: %s", provider.issuer, exc)
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    query = httpx2.QueryParams(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": post_logout_redirect_uri,
            "client_id": provider.client_id,
        }
    )
    return f"{endpoint}?{query}"


def _oauth_message(provider: ProviderConfig, exc: OAuthError) -> str:
    if exc.error == "mismatching_state":
        return (
            "This sign-in link does not belong to this browser session (it was used already, or "
            "started elsewhere). Start again from the sign-in page."
        )
    if exc.error == "invalid_grant":
        return (
            f"{provider.name} no longer accepts this sign-in (the code was used or has expired). Start again."
        )
    if exc.error == "access_denied":
        return f"Sign-in was cancelled at {provider.name}."
    why = exc.error or "unknown error"
    return f"{provider.name} refused the sign-in ({why}). Start again or ask an administrator."


def _token_message(provider: ProviderConfig, exc: JoseError) -> str:
    what = {
        "expired_token": "has expired",
        "invalid_claim": "is not for this site",
        "missing_claim": "lacks a required claim",
        "bad_signature": "has a signature that does not match the provider's keys",
    }.get(getattr(exc, "error", ""), "did not pass our checks")
    return (
        f"The sign-in token from {provider.name} {what}. "
        "Start again; if it keeps happening, tell an administrator."
    )
