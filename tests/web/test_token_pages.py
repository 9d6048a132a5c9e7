"""Personal API tokens made, used and revoked from the settings pages."""

from __future__ import annotations

import re

import httpx

from community.accounts import tokens
from community.models import ApiToken
from tests.web.helpers import login_as, post_form

TOKEN_RE = re.compile(r'<code class="token">(pc_[\w-]+)</code>')


async def test_a_member_makes_a_token_uses_it_and_revokes_it(app, client, world):
    await login_as(client, world.partner)
    made = await post_form(client, "/account/tokens", {"name": "CRM sync"}, page="/account/tokens")
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    token = TOKEN_RE.search(made.text).group(1)  # type: ignore[union-attr]
    assert "shown only this once" in made.text

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as api:
        me = await api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["handle"] == world.partner.handle

        listed = await client.get("/account/tokens")
        assert "CRM sync" in listed.text and token not in listed.text  # never shown again
        assert "never" not in listed.text.split("CRM sync", 1)[1].split("</tr>", 1)[0]  # last used: now

        token_id = (await ApiToken.get(user_id=world.partner.id)).id
        revoked = await post_form(client, f"/account/tokens/{token_id}/revoke", {}, page="/account/tokens")
        assert revoked.status_code == 303, revoked.text[-600:]
        page = await client.get("/account/tokens")
        assert "no longer works" in page.text and "You have no tokens." in page.text
        refused = await api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401


async def test_a_token_needs_a_name_and_nobody_revokes_someone_elses(client, world):
    await login_as(client, world.partner)
    unnamed = await post_form(client, "/account/tokens", {"name": "  "}, page="/account/tokens")
    assert unnamed.status_code == 422 and 'id="name-error"' in unnamed.text
    assert not await ApiToken.filter(user_id=world.partner.id).exists()

    colleague = await tokens.create_own_api_token(world.actor(world.colleague), "Colleague's script")
    theirs = await ApiToken.get(user_id=world.colleague.id)
    attempt = await post_form(client, f"/account/tokens/{theirs.id}/revoke", {}, page="/account/tokens")
    assert attempt.status_code == 404
    assert await tokens.actor_for_token(colleague) is not None
    assert "Colleague's script" not in (await client.get("/account/tokens")).text


async def test_at_most_twenty_tokens_in_use(client, world):
    for i in range(tokens.MAX_ACTIVE_TOKENS):
        await tokens.create_own_api_token(world.actor(world.partner), f"script {i}")
    await login_as(client, world.partner)
    one_more = await post_form(client, "/account/tokens", {"name": "one more"}, page="/account/tokens")
    assert one_more.status_code == 422 and "revoke one you no longer need" in one_more.text
    assert 'value="one more"' in one_more.text
