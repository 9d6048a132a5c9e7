"""Drive a sign-in the way a browser does: our start URL, the provider's own login and consent
pages (oidc-provider's development interactions), back to our callback."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import httpx

ACTION_RE = re.compile(r'<form[^>]*action="([^"]+)"')


async def through_provider(location: str, login: str, app_origin: str = "http://testserver") -> str:
    """Follow the provider's pages from its authorization URL, signing in as ``login``; returns
    the path + query of the redirect back to the app (the callback with code and state)."""
    async with httpx.AsyncClient(timeout=10) as browser:
        url = location
        for _ in range(12):
            if url.startswith(app_origin):
                parts = urlsplit(url)
                return f"{parts.path}?{parts.query}"
            response = await browser.get(url)
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
                continue
            match = ACTION_RE.search(response.text)
            assert match, f"no form on the provider's page {url}: {response.text[:300]}"
            fields = (
                {"prompt": "login", "login": login, "password": "any"}
                if 'name="login"' in response.text
                else {"prompt": "consent"}
            )
            response = await browser.post(urljoin(url, match.group(1)), data=fields)
            assert response.is_redirect, response.text[:300]
            url = urljoin(url, response.headers["location"])
    raise AssertionError("the provider never sent the browser back")


async def sign_in(client: httpx.AsyncClient, start_path: str, login: str) -> httpx.Response:
    """The whole round trip; returns our callback's response."""
    started = await client.get(start_path)
    assert started.status_code == 302, started.text
    callback = await through_provider(started.headers["location"], login)
    return await client.get(callback)
