from tests.conftest import login


async def test_sign_in_and_see_home(client, world):
    response = await client.get("/")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    await login(client, world.partner)
    response = await client.get("/")
    assert response.status_code == 200
    assert "Pat Partner" in response.text


async def test_healthz(client):
    response = await client.get("/healthz")
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["live"] == {
        "connections": 0, "last_id": 0, "bus": "ok", "overflows": 0,
        "pending": 0, "oldest_age_seconds": 0.0, "record_failures_here": 0,
    }  # fmt: skip
    assert body["search"]["backlog"] == 0 and body["search"]["oldest_age_seconds"] == 0.0
