"""Invitations, password reset and password change through the pages."""

from __future__ import annotations

import httpx

from community import timeutil
from community.accounts import invitations, passwords
from community.models import Invitation
from tests.conftest import PASSWORD, csrf_of
from tests.web.helpers import login_as as login
from tests.web.helpers import post_form


async def _invite(world, email: str = "new@gold.example") -> str:  # type: ignore[no-untyped-def]
    _, token = await invitations.create_invitation(
        world.settings, world.actor(world.partner), email=email, organisation=world.gold, role="partner"
    )
    return f"/invitations/{token}"


async def test_accept_invitation_then_link_is_spent(client, world):
    path = await _invite(world)
    page = await client.get(path)
    assert page.status_code == 200 and "Gold Reseller GmbH" in page.text and "new@gold.example" in page.text

    bad = await post_form(client, path, {"display_name": "Nia New", "password": "short"}, page=path)
    assert bad.status_code == 422 and 'id="password-error"' in bad.text and 'value="Nia New"' in bad.text

    response = await post_form(
        client, path, {"display_name": "Nia New", "password": "a long new password"}, page=path
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    home = await client.get("/")
    assert home.status_code == 200 and "Nia New" in home.text and "Welcome, Nia New!" in home.text

    client.cookies.clear()
    again = await client.get(path)
    assert again.status_code == 410 and "already been used" in again.text
    replay = await post_form(
        client, path, {"display_name": "Mallory", "password": "another password"}, page="/login"
    )
    assert replay.status_code == 410
    assert (await client.get("/invitations/not-a-real-token")).status_code == 404


async def test_expired_invitation(client, world):
    path = await _invite(world)
    await Invitation.all().update(expires_at=timeutil.utcnow().replace(year=2000))
    page = await client.get(path)
    assert page.status_code == 410 and "expired" in page.text


async def test_password_change_signs_out_other_sessions(app, client, world):
    await login(client, world.partner)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as other:
        await login(other, world.partner)
        assert (await other.get("/")).status_code == 200

        wrong = await post_form(
            client,
            "/account/password",
            {"current_password": "nope", "new_password": "x"},
            page="/account/password",
        )
        assert wrong.status_code == 422
        assert 'id="current_password-error"' in wrong.text and 'id="new_password-error"' in wrong.text

        response = await post_form(
            client, "/account/password",
            {"current_password": PASSWORD, "new_password": "a brand new password"}, page="/account/password",
        )  # fmt: skip
        assert response.status_code == 303
        page = await client.get(response.headers["location"])
        assert page.status_code == 200 and "Your password is changed." in page.text  # this session carries on

        stale = await other.get("/")
        assert stale.status_code == 303 and stale.headers["location"].startswith("/login")

    client.cookies.clear()
    token = await csrf_of(client, "/login")
    old = await client.post(
        "/login", data={"email": world.partner.email, "password": PASSWORD, "csrf_token": token}
    )
    assert old.status_code == 400
    await login(client, world.partner, "a brand new password")


async def test_password_reset_page(client, world):
    token = await passwords.create_password_reset(world.settings, world.colleague.email)
    path = f"/password-reset/{token}"
    assert (await client.get(path)).status_code == 200
    bad = await post_form(client, path, {"password": "short"}, page=path)
    assert bad.status_code == 422 and 'id="password-error"' in bad.text
    response = await post_form(client, path, {"password": "my new reset password"}, page=path)
    assert response.status_code == 303
    assert "Cole League" in (await client.get("/")).text
    client.cookies.clear()
    assert (await client.get(path)).status_code == 410
    await login(client, world.colleague, "my new reset password")


async def test_login_errors(client, world):
    token = await csrf_of(client, "/login")
    response = await client.post(
        "/login", data={"email": world.partner.email, "password": "wrong password", "csrf_token": token}
    )
    assert response.status_code == 400 and "Wrong e-mail address or password." in response.text
    assert f'value="{world.partner.email}"' in response.text
    missing_csrf = await client.post("/login", data={"email": world.partner.email, "password": PASSWORD})
    assert missing_csrf.status_code == 403
