"""Password sign-in for the company's own staff can be limited to administrators once company
single sign-on is set up (``COMMUNITY_OIDC_PASSWORDS=admins``): experts and moderators then use the
provider, while administrators keep a password for when the provider is down. Partners follow
their organisation's own switch."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from community.app import create_app
from community.settings import OidcSettings, Settings, SettingsError
from tests.conftest import PASSWORD, World, csrf_of, login

COMPANY_SSO = OidcSettings(issuer="https://id.northwind.example", client_id="community", client_secret="s")


@pytest.fixture
async def admins_only(db: Settings) -> AsyncIterator[httpx.AsyncClient]:
    settings = dataclasses.replace(db, oidc=dataclasses.replace(COMPANY_SSO, passwords="admins"))
    app = create_app(settings, manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def test_only_administrators_of_the_company_keep_a_password(
    admins_only: httpx.AsyncClient, world: World
) -> None:
    for staff in (world.expert, world.moderator):
        token = await csrf_of(admins_only, "/login")
        refused = await admins_only.post(
            "/login", data={"csrf_token": token, "email": staff.email, "password": PASSWORD, "next": "/"}
        )
        assert refused.status_code == 403, staff.email
        assert "staff sign in through single sign-on" in refused.text
        # Only with the right password does anyone learn that (a wrong one is just wrong).
        wrong = await admins_only.post(
            "/login", data={"csrf_token": token, "email": staff.email, "password": "nope", "next": "/"}
        )
        assert wrong.status_code == 400 and "single sign-on" not in wrong.text
    await login(admins_only, world.admin)  # the way in when the provider is down
    admins_only.cookies.clear()
    await login(admins_only, world.partner)  # partners: their organisation's own switch


async def test_by_default_everyone_keeps_a_password(db: Settings, world: World) -> None:
    app = create_app(dataclasses.replace(db, oidc=COMPANY_SSO), manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        await login(client, world.expert)


def test_a_wrong_value_is_refused_naming_the_setting(tmp_path: Path) -> None:
    env = {"COMMUNITY_DATA_DIR": str(tmp_path), "COMMUNITY_OIDC_ISSUER": "https://id.example.com",
           "COMMUNITY_OIDC_CLIENT_ID": "c", "COMMUNITY_OIDC_CLIENT_SECRET": "s"}  # fmt: skip
    assert Settings.from_env({**env, "COMMUNITY_OIDC_PASSWORDS": "Admins"}).oidc.passwords == "admins"  # type: ignore[union-attr]
    with pytest.raises(SettingsError, match="COMMUNITY_OIDC_PASSWORDS"):
        Settings.from_env({**env, "COMMUNITY_OIDC_PASSWORDS": "nobody"})
