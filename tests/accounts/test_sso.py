"""Single sign-on against a real OpenID provider (oidc-provider on Node.js, started by the tests).

Everything between our start URL and our callback is the provider's own: discovery, its login and
consent pages, the code exchange with PKCE, its signed ID tokens. The failures are real ones too:
a tampered state, a code used twice, an ID token that has expired (a provider whose clock runs two
hours behind), an unverified address, an organisation that does not exist.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from community.accounts import sso
from community.app import create_app
from community.errors import Invalid
from community.models import ExternalIdentity, IdentityProvider, Organisation, User
from community.settings import OidcSettings, Settings
from tests.accounts.oidc.flow import sign_in, through_provider
from tests.accounts.oidc.server import NoNode, Provider
from tests.conftest import CSRF_RE, PASSWORD, World, csrf_of, login

APP = "http://testserver"
CALLBACK = f"{APP}/sso/company/callback"
GOLD_CALLBACK = f"{APP}/sso/org-gold-reseller-gmbh/callback"
SECRET = "client-secret-of-the-community"

COMPANY_ACCOUNTS = {
    "nia": {
        "email": "nia@northwind.example",
        "email_verified": True,
        "name": "Nia New",
        "groups": ["experts"],
    },
    "pat": {"email": "pat@gold.example", "email_verified": True, "name": "Pat (IdP)"},
    "neo": {
        "email": "neo@gold.example",
        "email_verified": True,
        "name": "Neo Partner",
        "partner_org": "registered-it",
        "tier": "gold",
        "groups": ["partner-admins"],
    },
    "unverified": {"email": "una@northwind.example", "email_verified": False, "groups": ["experts"]},
    # Some providers send the flag as a string.
    "said-true": {"email": "sue@northwind.example", "email_verified": "true", "groups": ["experts"]},
    "said-false": {"email": "sid@northwind.example", "email_verified": "false", "groups": ["experts"]},
    "silent": {"email": "sil@northwind.example", "groups": ["experts"]},
    "stranger": {"email": "x@elsewhere.example", "email_verified": True, "partner_org": "no-such-partner"},
    "nobody": {"email": "y@elsewhere.example", "email_verified": True},
}
GOLD_ACCOUNTS = {
    "gil": {
        "email": "gil@gold.example",
        "email_verified": True,
        "name": "Gil Gold",
        "groups": ["acme-admins"],
    },
    "sam": {"email": "sam@silver.example", "email_verified": True, "name": "Sam at Silver"},
    "outsider": {"email": "out@silver.example", "email_verified": True, "name": "Out Sider"},
}


def _client(client_id: str, callback: str) -> dict[str, object]:
    return {
        "client_id": client_id,
        "client_secret": SECRET,
        "redirect_uris": [callback],
        "post_logout_redirect_uris": [f"{APP}/login"],
    }


def _running(provider: Provider) -> Iterator[Provider]:
    try:
        provider.start()
    except NoNode as exc:
        pytest.skip(str(exc))
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture(scope="module")
def company_idp() -> Iterator[Provider]:
    yield from _running(Provider(COMPANY_ACCOUNTS, [_client("community", CALLBACK)]))


@pytest.fixture(scope="module")
def gold_idp() -> Iterator[Provider]:
    yield from _running(Provider(GOLD_ACCOUNTS, [_client("gold-community", GOLD_CALLBACK)]))


@pytest.fixture(scope="module")
def late_idp() -> Iterator[Provider]:
    """A provider whose clock is two hours behind: its ID tokens expired before they arrive."""
    yield from _running(
        Provider(COMPANY_ACCOUNTS, [_client("community", CALLBACK)], clock_skew_seconds=-7200)
    )


def _oidc(issuer: str) -> OidcSettings:
    return OidcSettings(
        issuer=issuer,
        client_id="community",
        client_secret=SECRET,
        name="Northwind account",
        scopes="openid email profile groups",
        role_groups=(("moderator", "moderators"), ("expert", "experts")),
        org_claim="partner_org",
        tier_claim="tier",
        org_admin_group="partner-admins",
    )


async def _app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=APP) as client:
        yield client


@pytest.fixture
async def sso_client(world: World, company_idp: Provider) -> AsyncIterator[httpx.AsyncClient]:
    settings = dataclasses.replace(world.settings, base_url=APP, oidc=_oidc(company_idp.issuer))
    async for client in _app_client(settings):
        yield client


async def _signed_in_as(client: httpx.AsyncClient) -> str:
    page = await client.get("/account/profile")
    assert page.status_code == 200, page.status_code
    match = re.search(r'name="display_name"[^>]*value="([^"]*)"', page.text) or re.search(
        r'value="([^"]*)"[^>]*name="display_name"', page.text
    )
    assert match, "no profile form"
    return match.group(1)


async def test_sign_in_page_offers_the_company_provider(sso_client: httpx.AsyncClient) -> None:
    page = await sso_client.get("/login?next=/kb")
    assert "Sign in with your Northwind account" in page.text
    assert 'href="/sso/company/start?next=/kb"' in page.text or "/sso/company/start?next=%2Fkb" in page.text


async def test_first_sign_in_creates_a_staff_account_from_the_groups_claim(
    sso_client: httpx.AsyncClient,
) -> None:
    started = await sso_client.get("/sso/company/start?next=/kb")
    location = started.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]  # PKCE
    assert query["nonce"][0] and query["state"][0]
    back = await sso_client.get(await through_provider(location, "nia"))
    assert back.status_code == 303 and back.headers["location"] == "/kb"
    user = await User.get(email="nia@northwind.example").prefetch_related("organisation")
    assert (user.role, user.display_name, user.organisation.kind) == ("expert", "Nia New", "company")
    assert user.password_hash is None
    assert await _signed_in_as(sso_client) == "Nia New"

    # Signing in again finds the same account through the linked identity: nothing new is made.
    await sso_client.post("/logout", data={"csrf_token": await csrf_of(sso_client, "/")})
    again = await sign_in(sso_client, "/sso/company/start", "nia")
    assert again.status_code == 303
    assert await User.filter(email="nia@northwind.example").count() == 1
    assert await ExternalIdentity.filter(user_id=user.id).count() == 1


async def test_a_provider_that_sends_email_verified_as_a_string_is_understood(
    sso_client: httpx.AsyncClient,
) -> None:
    back = await sign_in(sso_client, "/sso/company/start", "said-true")
    assert back.status_code == 303
    assert await User.filter(email="sue@northwind.example", role="expert").exists()


async def test_an_existing_account_is_matched_by_verified_email(
    sso_client: httpx.AsyncClient, world: World
) -> None:
    users_before = await User.all().count()
    back = await sign_in(sso_client, "/sso/company/start", "pat")
    assert back.status_code == 303
    assert await _signed_in_as(sso_client) == "Pat Partner"  # our account, not the provider's name
    assert await User.all().count() == users_before
    assert await ExternalIdentity.filter(user_id=world.partner.id).exists()


async def test_partner_claims_choose_the_organisation_tier_and_admin_right(
    sso_client: httpx.AsyncClient, world: World
) -> None:
    await Organisation.filter(id=world.registered.id).update(tier=None)
    back = await sign_in(sso_client, "/sso/company/start", "neo")
    assert back.status_code == 303
    neo = await User.get(email="neo@gold.example")
    assert (neo.role, neo.organisation_id, neo.is_org_admin) == ("partner", world.registered.id, True)
    assert (await Organisation.get(id=world.registered.id)).tier == "gold"


@pytest.mark.parametrize(
    ("login_name", "message"),
    [
        ("unverified", "has not verified the e-mail address una@northwind.example"),
        ("said-false", "has not verified the e-mail address sid@northwind.example"),
        ("silent", "has not verified the e-mail address sil@northwind.example"),
        ("stranger", "names the organisation “no-such-partner”, which is not a partner here"),
        ("nobody", "does not say which partner organisation you belong to"),
    ],
)
async def test_claims_we_cannot_accept_give_a_clear_message_and_no_account(
    sso_client: httpx.AsyncClient, login_name: str, message: str
) -> None:
    users_before = await User.all().count()
    back = await sign_in(sso_client, "/sso/company/start", login_name)
    assert back.status_code == 400
    assert message in back.text
    assert await User.all().count() == users_before
    assert not await ExternalIdentity.all().exists()
    assert (await sso_client.get("/account/profile")).status_code == 303  # not signed in


async def test_a_tampered_state_is_refused(sso_client: httpx.AsyncClient) -> None:
    started = await sso_client.get("/sso/company/start")
    callback = await through_provider(started.headers["location"], "nia")
    tampered = re.sub(r"state=[^&]+", "state=forged-by-someone", callback)
    back = await sso_client.get(tampered)
    assert back.status_code == 400
    assert "does not belong to this browser session" in back.text
    assert not await User.filter(email="nia@northwind.example").exists()


async def test_a_replayed_code_is_refused(sso_client: httpx.AsyncClient) -> None:
    started = await sso_client.get("/sso/company/start")
    callback = await through_provider(started.headers["location"], "nia")
    session_before = dict(sso_client.cookies)
    assert (await sso_client.get(callback)).status_code == 303
    # The same browser state again (as if the cookie were copied): the provider refuses the code.
    await sso_client.post("/logout", data={"csrf_token": await csrf_of(sso_client, "/")})
    sso_client.cookies.clear()
    sso_client.cookies.update(session_before)
    replay = await sso_client.get(callback)
    assert replay.status_code == 400
    assert "no longer accepts this sign-in" in replay.text
    assert (await sso_client.get("/account/profile")).status_code == 303


async def test_an_expired_id_token_is_refused(world: World, late_idp: Provider) -> None:
    settings = dataclasses.replace(world.settings, base_url=APP, oidc=_oidc(late_idp.issuer))
    async for client in _app_client(settings):
        back = await sign_in(client, "/sso/company/start", "nia")
        assert back.status_code == 400
        assert "has expired" in back.text
        assert not await User.filter(email="nia@northwind.example").exists()


@pytest.fixture(scope="module", params=["audience", "issuer", "signature"])
def lying_idp(request: pytest.FixtureRequest) -> Iterator[Provider]:
    """A provider whose ID tokens are made for another client, claim another issuer, or are signed
    with a key it never published."""
    yield from _running(
        Provider(COMPANY_ACCOUNTS, [_client("community", CALLBACK)], tamper_id_token=request.param)
    )


async def test_an_id_token_for_another_client_issuer_or_key_is_refused(
    world: World, lying_idp: Provider
) -> None:
    settings = dataclasses.replace(world.settings, base_url=APP, oidc=_oidc(lying_idp.issuer))
    expected = {
        "audience": "is not for this site",
        "issuer": "is not for this site",
        "signature": "has a signature that does not match the provider's keys",
    }[lying_idp.tamper_id_token]
    async for client in _app_client(settings):
        back = await sign_in(client, "/sso/company/start", "nia")
        assert back.status_code == 400
        assert f"The sign-in token from Northwind account {expected}" in html.unescape(back.text)
        assert not await User.filter(email="nia@northwind.example").exists()
        assert (await client.get("/account/profile")).status_code == 303


async def test_an_id_token_with_another_sign_ins_nonce_is_refused(sso_client: httpx.AsyncClient) -> None:
    """The provider puts the nonce it was given into the ID token: a nonce changed on the way
    (a token minted for another sign-in) no longer matches the one this browser session holds."""
    started = await sso_client.get("/sso/company/start")
    location = re.sub(r"nonce=[^&]+", "nonce=another-sign-ins-nonce", started.headers["location"])
    back = await sso_client.get(await through_provider(location, "nia"))
    assert back.status_code == 400
    assert "The sign-in token from Northwind account is not for this site" in back.text
    assert not await User.filter(email="nia@northwind.example").exists()


async def test_a_provider_whose_discovery_names_another_issuer_is_not_used(
    world: World, company_idp: Provider
) -> None:
    """OpenID Discovery: the issuer in the metadata must be the one configured (here the same
    server under another name), or its tokens would be checked against the wrong issuer."""
    renamed = company_idp.issuer.replace("127.0.0.1", "localhost")
    settings = dataclasses.replace(world.settings, base_url=APP, oidc=_oidc(renamed))
    async for client in _app_client(settings):
        response = await client.get("/sso/company/start")
        assert response.status_code == 400
        assert "Sign-in with your Northwind account is not set up correctly on this site" in response.text


async def test_sign_out_offers_the_providers_sign_out(
    sso_client: httpx.AsyncClient, company_idp: Provider
) -> None:
    await sign_in(sso_client, "/sso/company/start", "nia")
    page = await sso_client.post("/logout", data={"csrf_token": await csrf_of(sso_client, "/")})
    assert page.status_code == 200 and "You are signed out" in page.text
    link = re.search(r'href="([^"]+)"[^>]*>Also sign out', page.text)
    assert link and link.group(1).startswith(f"{company_idp.issuer}/session/end?")
    assert "id_token_hint=" in link.group(1)
    assert (await sso_client.get("/account/profile")).status_code == 303  # signed out here already
    async with httpx.AsyncClient() as browser:  # the provider knows the token and asks to confirm
        at_provider = await browser.get(link.group(1).replace("&amp;", "&"))
    assert at_provider.status_code == 200, at_provider.text[:300]


async def test_password_sign_out_without_sso_goes_to_the_sign_in_page(
    sso_client: httpx.AsyncClient, world: World
) -> None:
    token = await login(sso_client, world.partner)
    out = await sso_client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/login"


# --- an organisation's own provider ---------------------------------------------------------------


async def _configure_gold(
    client: httpx.AsyncClient, world: World, issuer: str, **overrides: str
) -> httpx.Response:
    token = await login(client, world.partner)  # Pat is Gold's organisation admin
    data = {
        "csrf_token": token,
        "display_name": "Gold account",
        "issuer": issuer,
        "client_id": "gold-community",
        "client_secret": SECRET,
        "email_domains": "gold.example",
        "scopes": "openid email profile groups",
        "groups_claim": "groups",
        "org_admin_group": "acme-admins",
        "enabled": "on",
        "password_sign_in": "on",
        **overrides,
    }
    response = await client.post("/orgs/gold-reseller-gmbh/sign-in", data=data)
    await client.post("/logout", data={"csrf_token": await csrf_of(client, "/")})
    return response


async def test_an_organisation_admin_connects_their_provider_and_people_land_there(
    sso_client: httpx.AsyncClient, world: World, gold_idp: Provider
) -> None:
    saved = await _configure_gold(sso_client, world, gold_idp.issuer)
    assert saved.status_code == 303
    row = await IdentityProvider.get(organisation_id=world.gold.id)
    assert SECRET not in row.client_secret  # encrypted at rest

    # "Continue with single sign-on" finds it from the work address's domain.
    token = await csrf_of(sso_client, "/login")
    found = await sso_client.post("/sso/discover", data={"csrf_token": token, "email": "gil@gold.example"})
    assert found.status_code == 303 and found.headers["location"].startswith(
        "/sso/org-gold-reseller-gmbh/start"
    )
    unknown = await sso_client.post("/sso/discover", data={"csrf_token": token, "email": "a@nowhere.example"})
    assert (
        unknown.status_code == 400
        and "No single sign-on is set up for addresses at nowhere.example" in unknown.text
    )

    back = await sign_in(sso_client, "/sso/org-gold-reseller-gmbh/start", "gil")
    assert back.status_code == 303
    gil = await User.get(email="gil@gold.example")
    assert (gil.organisation_id, gil.role, gil.is_org_admin) == (world.gold.id, "partner", True)


async def test_an_organisations_provider_cannot_sign_in_anyone_else(
    sso_client: httpx.AsyncClient, world: World, gold_idp: Provider
) -> None:
    await _configure_gold(sso_client, world, gold_idp.issuer, email_domains="")
    # Sam exists at Silver: Gold's provider vouching for the address must not sign Sam in.
    taken = await sign_in(sso_client, "/sso/org-gold-reseller-gmbh/start", "sam")
    assert taken.status_code == 400 and "belongs to another organisation" in taken.text
    assert not await ExternalIdentity.all().exists()
    # With its domains set, it cannot even create accounts for addresses elsewhere.
    await _configure_gold(sso_client, world, gold_idp.issuer, client_secret="")  # blank keeps the secret
    outside = await sign_in(sso_client, "/sso/org-gold-reseller-gmbh/start", "outsider")
    assert outside.status_code == 400 and "may sign in addresses at gold.example only" in outside.text
    assert not await User.filter(email="out@silver.example").exists()


async def test_password_sign_in_can_be_switched_off_for_one_organisation(
    sso_client: httpx.AsyncClient, world: World, gold_idp: Provider
) -> None:
    await _configure_gold(sso_client, world, gold_idp.issuer, password_sign_in="")
    assert not (await Organisation.get(id=world.gold.id)).password_sign_in
    token = await csrf_of(sso_client, "/login")
    refused = await sso_client.post(
        "/login",
        data={"csrf_token": token, "email": world.colleague.email, "password": PASSWORD, "next": "/"},
    )
    assert refused.status_code == 403 and "signs in through single sign-on" in refused.text
    # A wrong password still says only that the password is wrong (nothing learnt without it).
    wrong = await sso_client.post(
        "/login", data={"csrf_token": token, "email": world.colleague.email, "password": "nope", "next": "/"}
    )
    assert wrong.status_code == 400 and "signs in through single sign-on" not in wrong.text
    # Other organisations are unaffected.
    await login(sso_client, world.silver_partner)


async def test_sign_in_settings_form_explains_mistakes(sso_client: httpx.AsyncClient, world: World) -> None:
    saved = await _configure_gold(
        sso_client, world, "ftp://idp.gold.example", client_secret="", email_domains="not a domain"
    )
    assert saved.status_code == 422
    assert "The issuer must be an https:// address." in saved.text
    assert "Enter the client secret the provider gave you." in saved.text
    assert "List domains like example.com" in saved.text
    assert not await IdentityProvider.all().exists()


@pytest.mark.parametrize(
    ("issuer", "message"),
    [
        ("http://idp.gold.example", "must be an https:// address"),
        ("http://127.0.0.1:8080", "must be an https:// address"),
        ("https://localhost:8443", "must be a public address"),
        ("https://127.0.0.1", "must be a public address"),
        ("https://10.1.2.3/realms/gold", "must be a public address"),
        ("https://[fd00::1]", "must be a public address"),
        ("https://169.254.169.254", "must be a public address"),
        ("https://intranet", "must be a public address"),
        ("https://user:pw@idp.gold.example", "without a user name"),
    ],
)
async def test_on_a_public_site_an_organisations_provider_must_be_a_public_https_address(
    world: World, issuer: str, message: str
) -> None:
    """A partner's admin chooses the address and the server fetches from it: not one inside the
    site's own network (a development site on plain http may use a provider on the same machine)."""
    public = dataclasses.replace(world.settings, base_url="https://partners.example.com")
    values = {"display_name": "Gold account", "issuer": issuer, "client_id": "c", "client_secret": "s"}
    with pytest.raises(Invalid) as refused:
        await sso.save_provider(public, world.gold, values, enabled=True, password_sign_in=True)
    assert message in refused.value.fields["issuer"]
    assert not await IdentityProvider.all().exists()
    await sso.save_provider(
        public, world.gold, {**values, "issuer": "https://login.gold.example/realms/partners"},
        enabled=True, password_sign_in=True,
    )  # fmt: skip
    development = dataclasses.replace(world.settings, base_url="http://127.0.0.1:8000")
    await sso.save_provider(
        development,
        world.gold,
        {**values, "issuer": "http://127.0.0.1:8080"},
        enabled=True,
        password_sign_in=True,
    )


async def test_only_admins_and_that_organisations_admin_see_its_sign_in_settings(
    client: httpx.AsyncClient, world: World
) -> None:
    for user, status in (
        (world.partner, 200),
        (world.colleague, 404),
        (world.silver_partner, 404),
        (world.expert, 404),
        (world.admin, 200),
    ):
        client.cookies.clear()
        await login(client, user)
        assert (await client.get("/orgs/gold-reseller-gmbh/sign-in")).status_code == status, user.email


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@" + "x" * 5000 + ".example", "\x00@gold.example"])
async def test_continue_with_sso_refuses_odd_addresses_clearly(client: httpx.AsyncClient, email: str) -> None:
    token = await csrf_of(client, "/login")
    response = await client.post("/sso/discover", data={"csrf_token": token, "email": email, "next": "/"})
    assert response.status_code == 400 and "No single sign-on is set up" in response.text


async def test_single_sign_on_not_set_up_answers_alike_at_every_address(
    client: httpx.AsyncClient, world: World
) -> None:
    """The trial: /sso/company/login was the generic 404 while start and callback explained; an
    organisation that does not exist read "This organisation has no single sign-on set up"."""
    for path in ("/sso/company/start", "/sso/company/callback?code=c&state=s", "/sso/company/login"):
        response = await client.get(path)
        assert response.status_code == 404 and sso.COMPANY_NOT_SET_UP in response.text, path
    # An organisation without a provider, one that does not exist, and any other name: one answer
    # (a visitor learns nothing about which organisations exist).
    answers = set()
    for path in (
        "/sso/org-gold-reseller-gmbh/start", "/sso/org-no-such-organisation/start",
        "/sso/org-no-such-organisation/callback", "/sso/org-gold-reseller-gmbh/login", "/sso/nothing/start",
    ):  # fmt: skip
        response = await client.get(path)
        assert response.status_code == 404 and "no single sign-on at this address" in response.text, path
        answers.add(CSRF_RE.sub("", response.text))
    assert len(answers) == 1
    assert "has no single sign-on set up" not in answers.pop()

    # A provider that is set up: its other addresses are a plain 404.
    values = {
        "display_name": "Gold",
        "issuer": "http://127.0.0.1:8080",
        "client_id": "c",
        "client_secret": "s",
    }
    await sso.save_provider(world.settings, world.gold, values, enabled=True, password_sign_in=True)
    login = await client.get("/sso/org-gold-reseller-gmbh/login")
    assert login.status_code == 404 and "No such page" in login.text


async def test_the_provider_not_answering_is_a_503_with_retry_after(world: World) -> None:
    settings = dataclasses.replace(world.settings, base_url=APP, oidc=_oidc("http://127.0.0.1:9"))
    async for client in _app_client(settings):
        response = await client.get("/sso/company/start")
        assert response.status_code == 503 and response.headers["retry-after"]
        assert "did not answer" in response.text


def test_the_secret_does_not_survive_a_change_of_site_key(world: World) -> None:
    stored = sso.encrypt_secret(world.settings, "s3cret")
    assert sso.decrypt_secret(world.settings, stored) == "s3cret"
    other = dataclasses.replace(world.settings, secret_key="another-key-entirely-for-this-test")
    assert sso.decrypt_secret(other, stored) == ""
