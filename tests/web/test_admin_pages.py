"""Admin pages: administrators only; categories, organisations and invitations through forms."""

from __future__ import annotations

import re

from tests.web.helpers import login_as as login
from tests.web.helpers import post_form

ADMIN_PAGES = ("/admin", "/admin/categories", "/admin/categories/general", "/admin/organisations",
               "/admin/invitations")  # fmt: skip


async def test_admin_pages_forbidden_for_everyone_else(client, world):
    for user in (world.partner, world.expert, world.moderator):
        await login(client, user)
        assert ">Admin</a>" not in (await client.get("/")).text
        for path in ADMIN_PAGES:
            assert (await client.get(path)).status_code == 403, (user.role, path)
        for path in (
            "/admin/categories",
            "/admin/organisations",
            "/admin/invitations",
            "/admin/categories/general",
        ):
            response = await post_form(client, path, {"name": "Sneaky", "email": "a@b.example"})
            assert response.status_code == 403, (user.role, path)
    await login(client, world.admin)
    assert (await client.get("/admin/categories/no-such")).status_code == 404
    assert ">Admin</a>" in (await client.get("/")).text


async def test_admin_creates_and_edits_a_category(client, world):
    await login(client, world.admin)
    bad = await post_form(
        client, "/admin/categories", {"name": "", "description": "kept text", "visibility": "tiers"},
        page="/admin/categories",
    )  # fmt: skip
    assert bad.status_code == 422 and 'id="name-error"' in bad.text and "kept text</textarea>" in bad.text
    assert 'id="visibility-error"' in bad.text

    response = await client.post(
        "/admin/categories",
        data={"name": "Silver corner", "slug": "silver-corner", "description": "For silver partners",
              "visibility": "tiers", "tiers": ["silver", "gold"],
              "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', bad.text).group(1)},
    )  # fmt: skip
    assert response.status_code == 303
    listing = await client.get("/admin/categories")
    assert "Silver corner" in listing.text and "tiers:silver,gold" in listing.text
    assert "Category “Silver corner” created." in listing.text

    edit = await client.get("/admin/categories/silver-corner")
    assert 'value="tiers" checked' in edit.text and 'value="silver" checked' in edit.text
    response = await post_form(
        client, "/admin/categories/silver-corner",
        {"name": "Everyone corner", "description": "", "visibility": "all", "position": "9"},
        page="/admin/categories/silver-corner",
    )  # fmt: skip
    assert response.status_code == 303
    await login(client, world.registered_partner)
    assert "Everyone corner" in (await client.get("/categories")).text


async def test_admin_creates_an_organisation(client, world):
    await login(client, world.admin)
    response = await post_form(
        client,
        "/admin/organisations",
        {"name": "Bronze Builders", "tier": "silver"},
        page="/admin/organisations",
    )
    assert response.status_code == 303
    page = await client.get("/admin/organisations")
    assert "Bronze Builders" in page.text
    duplicate = await post_form(
        client,
        "/admin/organisations",
        {"name": "Bronze Builders", "tier": "silver"},
        page="/admin/organisations",
    )
    assert duplicate.status_code == 422 and 'id="name-error"' in duplicate.text
    assert 'value="Bronze Builders"' in duplicate.text


async def test_admin_invites_and_sees_the_list(client, world):
    await login(client, world.admin)
    bad = await post_form(
        client, "/admin/invitations", {"email": "new@silver.example", "organisation": "", "role": "partner"},
        page="/admin/invitations",
    )  # fmt: skip
    assert bad.status_code == 422 and 'id="organisation-error"' in bad.text
    assert 'value="new@silver.example"' in bad.text
    wrong_role = await post_form(
        client, "/admin/invitations",
        {"email": "new@silver.example", "organisation": world.silver.slug, "role": "expert"},
        page="/admin/invitations",
    )  # fmt: skip
    assert wrong_role.status_code == 422 and 'id="role-error"' in wrong_role.text
    response = await post_form(
        client, "/admin/invitations",
        {"email": "new@silver.example", "organisation": world.silver.slug, "role": "partner"},
        page="/admin/invitations",
    )  # fmt: skip
    assert response.status_code == 200
    assert re.search(r'value="http://[^"]+/invitations/[^"]+"', response.text)
    assert "new@silver.example" in response.text and "Pending" in response.text
