"""What a new user's trial of the product found (2026-12-06), outside the dashboard's layout (that
is tests/browser/test_health_dashboard.py): each fix with the test that failed before it."""

from __future__ import annotations

import re

import httpx

from tests.conftest import World, login

NAV_RE = re.compile(r'<nav class="main-nav" aria-label="Main">(.*?)</nav>', re.S)
TABS_RE = re.compile(r'<nav class="tabs" aria-label="Administration">(.*?)</nav>', re.S)
HREF_RE = re.compile(r'href="([^"]+)"')


async def _main_nav(client: httpx.AsyncClient) -> str:
    match = NAV_RE.search((await client.get("/")).text)
    assert match
    return match.group(1)


async def test_the_dashboard_is_in_the_navigation_of_those_who_may_see_it(
    client: httpx.AsyncClient, world: World
) -> None:
    # Before: nothing linked to /health.
    for user, sees in [
        (world.admin, True),
        (world.moderator, True),
        (world.expert, True),
        (world.partner, True),  # a partner organisation's admin: their own organisation's figures
        (world.colleague, False),
        (world.silver_partner, False),
    ]:
        client.cookies.clear()
        await login(client, user)
        assert ('href="/health"' in await _main_nav(client)) is sees, user.email
        assert (await client.get("/health")).status_code == (200 if sees else 403)


async def test_the_admin_landing_page_lists_every_admin_area(client: httpx.AsyncClient, world: World) -> None:
    # Before: it listed 4 of the sub-menu's 7 (no Watched words, Outbox, Response targets).
    await login(client, world.admin)
    page = (await client.get("/admin")).text
    tabs = TABS_RE.search((await client.get("/admin/categories")).text)
    assert tabs
    areas = HREF_RE.findall(tabs.group(1))
    assert len(areas) == 7
    listed = HREF_RE.findall(page.split("<main", 1)[1])
    assert [a for a in listed if a in areas] == areas
    for area in areas:
        assert (await client.get(area)).status_code == 200, area
