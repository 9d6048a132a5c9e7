"""Profiles and organisation pages, and organisation admins inviting colleagues."""

from __future__ import annotations

import re

from tests.web.helpers import login_as as login
from tests.web.helpers import post_form


async def test_profile_shows_the_member(client, world):
    await login(client, world.silver_partner)
    page = await client.get(f"/u/{world.expert.handle}")
    assert page.status_code == 200
    assert "Erin Expert" in page.text and ">Expert</span>" in page.text and "Answers accepted" in page.text
    assert (await client.get("/u/nobody-here")).status_code == 404


async def test_profile_settings(client, world):
    await login(client, world.expert)
    page = await client.get("/account/profile")
    assert 'name="expertise_tags"' in page.text
    data = {
        "display_name": "Erin E. Expert",
        "bio": "Pricing & licensing",
        "expertise_tags": "pricing, licensing",
    }
    response = await post_form(client, "/account/profile", data, page="/account/profile")
    assert response.status_code == 303
    profile = await client.get(f"/u/{world.expert.handle}")
    assert "Erin E. Expert" in profile.text and "Pricing &amp; licensing" in profile.text
    assert 'href="/tags/licensing"' in profile.text

    bad = await post_form(
        client, "/account/profile", {"display_name": "", "bio": "kept"}, page="/account/profile"
    )
    assert bad.status_code == 422 and 'id="display_name-error"' in bad.text and "kept</textarea>" in bad.text

    await login(client, world.partner)
    assert 'name="expertise_tags"' not in (await client.get("/account/profile")).text


async def test_org_page_visibility(client, world):
    await login(client, world.colleague)
    page = await client.get(f"/orgs/{world.gold.slug}")
    assert page.status_code == 200 and "Pat Partner" in page.text and "Cole League" in page.text
    assert "Invite a colleague" not in page.text  # not an organisation admin
    assert (await client.get(f"/orgs/{world.silver.slug}")).status_code in (403, 404)
    assert "Sam Silver" not in (await client.get(f"/orgs/{world.silver.slug}")).text
    assert (await client.get("/orgs/no-such-org")).status_code == 404
    own = await client.get("/account/organisation")
    assert own.status_code == 303 and own.headers["location"] == f"/orgs/{world.gold.slug}"

    await login(client, world.expert)
    assert "Sam Silver" in (await client.get(f"/orgs/{world.silver.slug}")).text


async def test_org_admin_invites_a_colleague(client, world):
    await login(client, world.partner)
    page = await client.get(f"/orgs/{world.gold.slug}")
    assert "Invite a colleague" in page.text
    bad = await post_form(
        client,
        f"/orgs/{world.gold.slug}/invitations",
        {"email": "not-an-email"},
        page=f"/orgs/{world.gold.slug}",
    )
    assert bad.status_code == 422 and 'id="email-error"' in bad.text and 'value="not-an-email"' in bad.text
    response = await post_form(
        client,
        f"/orgs/{world.gold.slug}/invitations",
        {"email": "new@gold.example"},
        page=f"/orgs/{world.gold.slug}",
    )
    assert response.status_code == 200
    link = re.search(r'value="(http://[^"]+/invitations/[^"]+)"', response.text)
    assert link and "new@gold.example" in response.text

    # Not into another organisation, and not as a non-admin.
    other = await post_form(client, f"/orgs/{world.silver.slug}/invitations", {"email": "x@silver.example"})
    assert other.status_code in (403, 404)
    await login(client, world.colleague)
    refused = await post_form(client, f"/orgs/{world.gold.slug}/invitations", {"email": "y@gold.example"})
    assert refused.status_code == 403
