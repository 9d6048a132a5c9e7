"""The editor's live preview: POST /preview renders like a saved post (same sanitiser), needs a
signed-in person and the CSRF token, refuses oversized text and answers 429 to a runaway script."""

from __future__ import annotations

import httpx
import pytest

from community.validation import BODY_MAX
from community.web import editor_views
from tests.conftest import World, login


async def test_preview_renders_and_sanitises_like_a_post(client: httpx.AsyncClient, world: World) -> None:
    token = await login(client, world.partner)
    body = "**bold** <script>alert(1)</script> [x](javascript:alert(1)) @erin@northwind.example hi @" + (
        world.expert.handle
    )
    response = await client.post("/preview", data={"body": body}, headers={"X-CSRF-Token": token})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    html = response.json()["html"]
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and 'href="javascript' not in html
    assert f'href="/u/{world.expert.handle}" class="mention"' in html


async def test_preview_needs_csrf_and_a_signed_in_person(client: httpx.AsyncClient, world: World) -> None:
    assert (await client.post("/preview", data={"body": "hi"})).status_code in (401, 403)
    await login(client, world.partner)
    assert (await client.post("/preview", data={"body": "hi"})).status_code == 403  # no token


async def test_preview_refuses_text_longer_than_a_post(client: httpx.AsyncClient, world: World) -> None:
    token = await login(client, world.partner)
    response = await client.post(
        "/preview", data={"body": "x" * (BODY_MAX + 1)}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 422


async def test_preview_answers_429_to_a_runaway_script(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(editor_views, "PREVIEWS", editor_views.Window(3, 60, "previews"))
    token = await login(client, world.partner)
    codes = [
        (await client.post("/preview", data={"body": "hi"}, headers={"X-CSRF-Token": token})).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_window_forgets_requests_older_than_its_span() -> None:
    window = editor_views.Window(2, 10, "things")
    window.hit("a", now=0)
    window.hit("a", now=1)
    with pytest.raises(Exception) as refused:
        window.hit("a", now=2)
    assert getattr(refused.value, "retry_after", 0) == 8
    window.hit("a", now=10.5)
    window.hit("b", now=2)


async def test_preview_takes_odd_input_without_failing(client: httpx.AsyncClient, world: World) -> None:
    token = await login(client, world.partner)
    headers = {"X-CSRF-Token": token}
    empty = await client.post("/preview", data={"body": ""}, headers=headers)
    assert empty.status_code == 200 and empty.json()["html"] == ""
    odd = await client.post(
        "/preview", data={"body": "a\x00b\x07c <img src=x onerror=alert(1)>"}, headers=headers
    )
    assert odd.status_code == 200 and "<img" not in odd.json()["html"]
    bad_utf8 = await client.post(
        "/preview",
        content=b"body=%ff%fe",
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert bad_utf8.status_code == 400
    wrong_type = await client.post("/preview", json={"body": "hi"}, headers=headers)
    assert wrong_type.status_code == 415
    huge = await client.post(
        "/preview",
        content=b"body=" + b"x" * 1_100_000,
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert huge.status_code == 413


async def test_preview_names_who_mentioned_cannot_see_where_the_text_goes(
    client: httpx.AsyncClient, world: World
) -> None:
    """Trial: mentions in a private question reached nobody outside the organisation, rightly, but
    the author was never told. The preview names them while the text can still change."""
    from tests.api.conftest import bearer
    from tests.api.test_threads import ask

    token = await login(client, world.partner)
    mentions = f"Ask @{world.colleague.handle}, @{world.silver_partner.handle} and @{world.expert.handle}."

    async def unseen(**where: str) -> list[str]:
        response = await client.post(
            "/preview", data={"body": mentions, **where}, headers={"X-CSRF-Token": token}
        )
        assert response.status_code == 200, response.text
        return response.json()["unseen"]

    assert await unseen(category="general") == []
    assert await unseen(category="general", private="1") == [world.silver_partner.display_name]
    assert await unseen(category=world.gold_only.slug) == [world.silver_partner.display_name]
    assert await unseen() == []  # nowhere chosen yet
    private = await ask(client, await bearer(world.partner), private=True)
    assert await unseen(thread=str(private["id"])) == [world.silver_partner.display_name]
    public = await ask(client, await bearer(world.partner))
    assert await unseen(thread=str(public["id"])) == []
    # A thread the writer may not see is not found, as everywhere: the preview tells nothing of it.
    client.cookies.clear()
    other = await login(client, world.silver_partner)
    response = await client.post(
        "/preview", data={"body": mentions, "thread": str(private["id"])}, headers={"X-CSRF-Token": other}
    )
    assert response.status_code == 404
