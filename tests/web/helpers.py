"""Helpers for page tests: posting forms the way a browser does, and reading pages back."""

from __future__ import annotations

import re

import httpx

from tests.conftest import CSRF_RE, PASSWORD, login


async def post_form(client: httpx.AsyncClient, path: str, data: dict[str, str], *, page: str | None = None):  # type: ignore[no-untyped-def]
    """POST a form with the CSRF token taken from ``page`` (default: the form's own page, or home)."""
    response = await client.get(page or "/")
    match = CSRF_RE.search(response.text)
    assert match, f"no csrf token on {page or '/'}"
    return await client.post(path, data={**data, "csrf_token": match.group(1)})


def thread_id_from(response: httpx.Response) -> int:
    assert response.status_code == 303, response.text
    match = re.match(r"^/t/(\d+)", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


async def ask(client: httpx.AsyncClient, **fields: str) -> int:
    """Ask through the form; returns the new thread's id."""
    data = {"category": "general", "kind": "question", "title": "How do I register a deal?",
            "body": "Where is the deal registration form?", "tags": "deals"} | fields  # fmt: skip
    return thread_id_from(await post_form(client, "/ask", data, page="/ask"))


async def login_as(client: httpx.AsyncClient, user, password: str = PASSWORD) -> str:  # type: ignore[no-untyped-def]
    """Sign in as someone else: drop the old session cookie first (like a fresh browser)."""
    client.cookies.clear()
    return await login(client, user, password)
