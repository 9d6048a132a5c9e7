"""Profiles, organisations, invitations and category administration through the JSON API."""

from __future__ import annotations

from community.models import Invitation
from tests.api.conftest import bearer
from tests.api.test_threads import ask


async def test_me_fields(client, world):
    me = (await client.get("/api/v1/me", headers=await bearer(world.expert))).json()
    assert me["id"] == world.expert.id and me["role"] == "expert" and me["is_org_admin"] is False
    assert me["organisation"]["kind"] == "company" and me["organisation"]["tier"] is None
    assert me["bio"] == "" and me["expertise_tags"] == []
    assert me["post_count"] == 0 and me["accepted_count"] == 0


async def test_public_profile_shows_no_private_details(client, world):
    await ask(client, await bearer(world.partner))
    response = await client.get(
        f"/api/v1/users/{world.partner.handle}", headers=await bearer(world.silver_partner)
    )
    assert response.status_code == 200
    profile = response.json()
    assert profile["display_name"] == "Pat Partner" and profile["post_count"] == 1
    assert profile["organisation"] == {
        "name": "Gold Reseller GmbH",
        "slug": world.gold.slug,
        "kind": "partner",
    }
    assert "email" not in profile and "tier" not in profile["organisation"]
    assert "pat@gold.example" not in response.text


async def test_organisation_members_for_members_and_staff(client, world):
    path = f"/api/v1/organisations/{world.gold.slug}"
    for user in (world.partner, world.colleague, world.expert, world.admin):
        response = await client.get(path, headers=await bearer(user))
        assert response.status_code == 200, user.handle
        org = response.json()
        assert org["tier"] == "gold" and org["member_count"] == 2
        assert {m["handle"] for m in org["members"]} == {world.partner.handle, world.colleague.handle}
    response = await client.get(path, headers=await bearer(world.silver_partner))
    assert response.status_code == 403


async def test_org_admin_invites_a_colleague(client, world):
    response = await client.post(
        f"/api/v1/organisations/{world.gold.slug}/invitations",
        json={"email": "new.hire@gold.example", "role": "partner"},
        headers=await bearer(world.partner),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["url"].startswith(f"{world.settings.base_url}/invitations/")
    assert body["email"] == "new.hire@gold.example" and body["organisation"] == world.gold.slug
    assert await Invitation.filter(email="new.hire@gold.example", organisation_id=world.gold.id).exists()
    # The link opens the sign-up page's invitation (single use, not stored in clear).
    token = body["url"].rsplit("/", 1)[1]
    assert not await Invitation.filter(token_hash=token).exists()


async def test_invitation_rules(client, world):
    gold = f"/api/v1/organisations/{world.gold.slug}/invitations"
    silver = f"/api/v1/organisations/{world.silver.slug}/invitations"
    cases = [
        (world.partner, gold, {"email": "boss@gold.example", "role": "admin"}, 403),
        (world.colleague, gold, {"email": "x@gold.example"}, 403),  # not an organisation admin
        (world.partner, silver, {"email": "x@silver.example"}, 403),  # not their organisation
        (world.expert, gold, {"email": "x2@gold.example"}, 403),
        (world.admin, silver, {"email": "x@silver.example", "role": "partner"}, 201),
        (world.partner, gold, {"email": "boss2@gold.example", "org_admin": True}, 403),
        (world.admin, gold, {"email": "boss3@gold.example", "org_admin": "yes"}, 422),
        (world.admin, gold, {"email": "not-an-address"}, 422),
        (world.admin, gold, {"email": world.colleague.email}, 422),
        (world.admin, "/api/v1/organisations/nowhere/invitations", {"email": "a@b.example"}, 404),
    ]
    for user, path, body, status in cases:
        response = await client.post(path, json=body, headers=await bearer(user))
        assert response.status_code == status, (user.handle, path, body, response.text)
    # Only the one allowed invitation exists (a refused one left nothing behind).
    assert await Invitation.all().order_by("id").values_list("email", flat=True) == ["x@silver.example"]


async def test_admin_invites_an_organisation_admin(client, world):
    response = await client.post(
        f"/api/v1/organisations/{world.silver.slug}/invitations",
        json={"email": "lead@silver.example", "org_admin": True},
        headers=await bearer(world.admin),
    )
    assert response.status_code == 201, response.text
    assert response.json()["org_admin"] is True and response.json()["role"] == "partner"
    assert (await Invitation.get(email="lead@silver.example")).org_admin


async def test_admin_creates_categories(client, world):
    admin = await bearer(world.admin)
    response = await client.post(
        "/api/v1/categories",
        json={"name": "Silver & gold lounge", "visibility": "tiers:silver,gold", "description": "Tier perks"},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    category = response.json()
    assert category["slug"] == "silver-gold-lounge" and category["visibility"] == "tiers:silver,gold"
    assert category["thread_count"] == 0
    silver = {
        c["slug"]
        for c in (await client.get("/api/v1/categories", headers=await bearer(world.silver_partner))).json()[
            "items"
        ]
    }
    assert "silver-gold-lounge" in silver
    registered = await bearer(world.registered_partner)
    assert "silver-gold-lounge" not in {
        c["slug"] for c in (await client.get("/api/v1/categories", headers=registered)).json()["items"]
    }

    duplicate = await client.post(
        "/api/v1/categories", json={"name": "Another", "slug": "silver-gold-lounge"}, headers=admin
    )
    assert duplicate.status_code == 422 and "slug" in duplicate.json()["error"]["fields"]
    bad = await client.post(
        "/api/v1/categories", json={"name": "Odd", "visibility": "tiers:platinum"}, headers=admin
    )
    assert bad.status_code == 422 and "visibility" in bad.json()["error"]["fields"]


async def test_only_admins_create_categories(client, world):
    for user in (world.partner, world.expert, world.moderator):
        response = await client.post("/api/v1/categories", json={"name": "Mine"}, headers=await bearer(user))
        assert response.status_code == 403, user.handle
    listed = (await client.get("/api/v1/categories", headers=await bearer(world.admin))).json()["items"]
    assert "Mine" not in [c["name"] for c in listed]
