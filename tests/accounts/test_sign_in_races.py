"""The sign-in throttle under concurrent guesses, and what a used reset link ends (issue 13: 200
concurrent wrong passwords got 103 checked against a limit of 5, the right one sent last in a burst
of 40 signed in, an older reset link worked after a newer one was used, tokens survived a reset).

Run these on PostgreSQL too (COMMUNITY_TEST_DATABASE_URL): there the guesses really overlap, each
on its own connection."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from community.accounts import passwords, throttle, tokens
from community.errors import Invalid, RateLimited
from community.models import ApiToken, PasswordReset, SignInWindow, User
from tests.conftest import PASSWORD, csrf_of, login


class CountingHasher(PasswordHasher):
    """Counts the passwords actually checked (what a guesser gets out of the server)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.checked = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.checked += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher():  # type: ignore[no-untyped-def]
    counting = CountingHasher()
    passwords.use_password_hasher(counting)
    yield counting
    passwords.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


async def _outcomes(settings, email: str, guesses: list[str], ip: str = "10.6.6.6") -> list[object]:  # type: ignore[no-untyped-def]
    return await asyncio.gather(
        *(passwords.authenticate(settings, email, guess, ip) for guess in guesses), return_exceptions=True
    )


async def test_200_concurrent_wrong_passwords_check_at_most_the_limit(world, hasher) -> None:
    limit = world.settings.login_max_failures
    outcomes = await _outcomes(world.settings, world.partner.email, [f"wrong {i}" for i in range(200)])
    wrong = [o for o in outcomes if isinstance(o, Invalid)]
    limited = [o for o in outcomes if isinstance(o, RateLimited)]
    assert hasher.checked <= limit, f"{hasher.checked} passwords checked, limit {limit}"
    assert len(wrong) == hasher.checked and len(limited) == 200 - len(wrong)
    assert all(0 < o.retry_after <= world.settings.login_window_seconds for o in limited)
    window = await SignInWindow.get(key=throttle.account_key(world.partner.email))
    assert window.failures == len(wrong)


async def test_the_right_password_last_in_a_burst_of_guesses_is_refused(world, hasher) -> None:
    guesses = [f"wrong {i}" for i in range(39)] + [PASSWORD]
    outcomes = await _outcomes(world.settings, world.partner.email, guesses)
    assert hasher.checked <= world.settings.login_max_failures
    assert isinstance(outcomes[-1], RateLimited), outcomes[-1]
    assert not any(isinstance(o, User) for o in outcomes)


async def test_concurrent_right_and_wrong_guesses_never_check_more_than_the_limit_of_wrong_ones(
    world, hasher
) -> None:
    """Right guesses mixed in: each one that is checked signs in; no more wrong passwords are
    checked than the limit, plus what a successful sign-in forgives (it starts the window afresh)."""
    limit = world.settings.login_max_failures
    guesses = [PASSWORD if i % 10 == 0 else f"wrong {i}" for i in range(60)]
    outcomes = await _outcomes(world.settings, world.partner.email, guesses)
    signed_in = [o for o in outcomes if isinstance(o, User)]
    wrong = [o for o in outcomes if isinstance(o, Invalid)]
    assert hasher.checked == len(signed_in) + len(wrong)
    assert len(wrong) <= limit * (len(signed_in) + 1)
    assert all(isinstance(o, User | Invalid | RateLimited) for o in outcomes), outcomes


async def test_the_address_window_is_also_taken_before_checking(world, hasher) -> None:
    per_ip = world.settings.login_max_failures * 4
    outcomes = await asyncio.gather(
        *(
            passwords.authenticate(world.settings, f"guess{i}@example.com", "x", "10.7.7.7")
            for i in range(100)
        ),
        return_exceptions=True,
    )
    assert hasher.checked <= per_ip
    assert sum(isinstance(o, Invalid) for o in outcomes) == hasher.checked


async def test_a_refused_address_gives_back_the_account_place(world) -> None:
    """An attempt refused for its address does not count against the account it named."""
    per_ip = world.settings.login_max_failures * 4
    for i in range(per_ip):
        with pytest.raises(Invalid):
            await passwords.authenticate(world.settings, f"guess{i}@example.com", "x", "10.8.8.8")
    for _ in range(10):
        with pytest.raises(RateLimited):
            await passwords.authenticate(world.settings, world.colleague.email, "x", "10.8.8.8")
    assert await passwords.authenticate(world.settings, world.colleague.email, PASSWORD, "10.1.1.1")


async def test_an_old_window_starts_again(world) -> None:
    for _ in range(world.settings.login_max_failures):
        with pytest.raises(Invalid):
            await passwords.authenticate(world.settings, world.partner.email, "wrong", "10.0.0.2")
    with pytest.raises(RateLimited):
        await passwords.authenticate(world.settings, world.partner.email, PASSWORD, "10.0.0.2")
    await SignInWindow.all().update(
        started_at=throttle.now() - timedelta(seconds=world.settings.login_window_seconds + 1)
    )
    assert await passwords.authenticate(world.settings, world.partner.email, PASSWORD, "10.0.0.2")


async def test_a_sign_in_clears_the_account_window(world) -> None:
    for _ in range(world.settings.login_max_failures - 1):
        with pytest.raises(Invalid):
            await passwords.authenticate(world.settings, world.partner.email, "wrong", "10.0.0.2")
    assert await passwords.authenticate(world.settings, world.partner.email, PASSWORD, "10.0.0.2")
    for _ in range(world.settings.login_max_failures - 1):
        with pytest.raises(Invalid):
            await passwords.authenticate(world.settings, world.partner.email, "wrong", "10.0.0.2")
    assert await passwords.authenticate(world.settings, world.partner.email, PASSWORD, "10.0.0.2")


# --- reset links ----------------------------------------------------------------------------


async def test_a_used_reset_link_voids_every_other_one(world) -> None:
    older = await passwords.create_password_reset(world.settings, world.partner.email)
    old = await passwords.create_password_reset(world.settings, world.partner.email)
    newer = await passwords.create_password_reset(world.settings, world.partner.email)
    others = await passwords.create_password_reset(world.settings, world.colleague.email)
    await passwords.reset_password(newer, "the newest password")
    for token in (older, old):
        with pytest.raises(Invalid):
            await passwords.open_password_reset(token)
        with pytest.raises(Invalid):
            await passwords.reset_password(token, "an attacker's password")
    assert await passwords.authenticate(
        world.settings, world.partner.email, "the newest password", "10.0.0.1"
    )
    # Another person's link is theirs.
    assert await passwords.open_password_reset(others)
    assert await PasswordReset.filter(user_id=world.partner.id, used_at__isnull=True).count() == 0


async def test_a_reset_revokes_api_tokens_unless_asked_to_keep_them(world) -> None:
    token = await tokens.create_api_token(world.partner, "ci")
    kept = await tokens.create_api_token(world.colleague, "ci")
    await passwords.reset_password(
        await passwords.create_password_reset(world.settings, world.partner.email), "a new password 1"
    )
    assert await tokens.actor_for_token(token) is None
    assert await tokens.actor_for_token(kept) is not None  # someone else's
    token = await tokens.create_api_token(world.partner, "ci 2")
    await passwords.reset_password(
        await passwords.create_password_reset(world.settings, world.partner.email),
        "a new password 2",
        revoke_tokens=False,
    )
    assert await tokens.actor_for_token(token) is not None


async def test_a_reset_clears_the_throttle_and_a_short_password_keeps_the_link(world) -> None:
    link = await passwords.create_password_reset(world.settings, world.partner.email)
    with pytest.raises(Invalid) as exc:
        await passwords.reset_password(link, "short")
    assert "password" in exc.value.fields
    for _ in range(world.settings.login_max_failures):
        with pytest.raises(Invalid):
            await passwords.authenticate(world.settings, world.partner.email, "wrong", "10.0.0.2")
    await passwords.reset_password(link, "long enough now")
    assert await passwords.authenticate(world.settings, world.partner.email, "long enough now", "10.0.0.2")


async def _reset_through_the_page(client, link: str, **fields: str):  # type: ignore[no-untyped-def]
    csrf = await csrf_of(client, f"/password-reset/{link}")
    return await client.post(f"/password-reset/{link}", data={"csrf_token": csrf, **fields})


async def test_reset_page_ends_other_sessions_and_revokes_tokens_by_default(world, app) -> None:
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as other_device,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser,
    ):
        await login(other_device, world.partner)
        assert (await other_device.get("/account/profile")).status_code == 200
        token = await tokens.create_api_token(world.partner, "ci")
        link = await passwords.create_password_reset(world.settings, world.partner.email)
        page = await browser.get(f"/password-reset/{link}")
        assert 'name="revoke_tokens" value="1" checked' in page.text
        response = await _reset_through_the_page(
            browser, link, password="a fresh password", tokens_asked="1", revoke_tokens="1"
        )
        assert response.status_code == 303
        assert (await browser.get("/account/profile")).status_code == 200
        assert (await other_device.get("/account/profile")).status_code == 303  # signed out
        assert await tokens.actor_for_token(token) is None


async def test_reset_page_keeps_tokens_when_the_box_is_unticked(world, client) -> None:
    token = await tokens.create_api_token(world.partner, "ci")
    link = await passwords.create_password_reset(world.settings, world.partner.email)
    response = await _reset_through_the_page(client, link, password="a fresh password", tokens_asked="1")
    assert response.status_code == 303
    assert await tokens.actor_for_token(token) is not None
    assert not await ApiToken.filter(user_id=world.partner.id, revoked_at__isnull=False).exists()


async def test_a_per_hour_limit_lets_no_more_through_under_concurrent_requests(db) -> None:
    """``throttle.within`` (invitation mails to one address): of 20 at once with a limit of 3, no
    more than 3 pass (a burst may be refused whole: safe, not fair), and the refused ones leave
    nothing behind; one after another, exactly 3 pass."""
    from community.models import RateEvent

    hour, key = timedelta(hours=1), "invite:x@example.com"
    passed = await asyncio.gather(*(throttle.within(key, hour, 3) for _ in range(20)))
    assert sum(passed) <= 3
    assert await RateEvent.filter(key=key).count() == sum(passed)
    one_by_one = [await throttle.within(key, hour, 3) for _ in range(5)]
    assert sum(passed) + sum(one_by_one) == 3 and one_by_one[-1] is False
    assert await throttle.within("invite:y@example.com", hour, 3)
