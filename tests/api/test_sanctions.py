"""Sanctions through the API (each response checked against the OpenAPI document)."""

from __future__ import annotations

from community.models import AuditEntry
from tests.api.conftest import bearer
from tests.api.test_threads import QUESTION
from tests.conftest import World


async def test_silence_list_and_lift_through_the_api(client, world: World) -> None:
    mod = {**await bearer(world.moderator)}
    member = await bearer(world.colleague)
    created = await client.post(
        "/api/v1/moderation/sanctions",
        json={"user": world.colleague.handle, "kind": "silence", "reason": "Cooling off", "days": 7},
        headers=mod,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (
        body["kind"] == "silence"
        and body["in_force"]
        and body["ends_at"]
        and body["created_by"] == "mo-moderator"
    )

    refused = await client.post("/api/v1/threads", json=QUESTION, headers=member)
    assert refused.status_code == 403
    assert "silenced your account until" in refused.json()["error"]["message"]
    assert (await client.get("/api/v1/threads", headers=member)).status_code == 200

    listed = (await client.get("/api/v1/moderation/sanctions", headers=mod)).json()
    assert [s["id"] for s in listed["items"]] == [body["id"]]

    lifted = await client.post(f"/api/v1/moderation/sanctions/{body['id']}/lift", json={}, headers=mod)
    assert lifted.status_code == 200 and not lifted.json()["in_force"] and lifted.json()["lifted_at"]
    assert (await client.post("/api/v1/threads", json=QUESTION, headers=member)).status_code == 201
    again = await client.post(f"/api/v1/moderation/sanctions/{body['id']}/lift", json={}, headers=mod)
    assert again.status_code == 409
    history = (
        await client.get(f"/api/v1/moderation/sanctions?user={world.colleague.handle}", headers=mod)
    ).json()
    assert (
        history["total"] == 1
        and (await client.get("/api/v1/moderation/sanctions", headers=mod)).json()["total"] == 0
    )
    assert await AuditEntry.filter(action__startswith="user.silence").count() == 2


async def test_suspension_stops_api_tokens_until_lifted(client, world: World) -> None:
    mod = await bearer(world.moderator)
    member = await bearer(world.partner)
    created = await client.post(
        "/api/v1/moderation/sanctions",
        json={"user": world.partner.handle, "kind": "suspend", "reason": "Abuse", "days": None},
        headers=mod,
    )
    assert created.status_code == 201 and created.json()["ends_at"] is None
    response = await client.get("/api/v1/threads", headers=member)
    assert response.status_code == 403
    assert "suspended until a moderator lifts it" in response.json()["error"]["message"]
    await client.post(f"/api/v1/moderation/sanctions/{created.json()['id']}/lift", json={}, headers=mod)
    assert (await client.get("/api/v1/threads", headers=member)).status_code == 200


async def test_bad_sanction_input_is_422_naming_fields(client, world: World) -> None:
    mod = await bearer(world.moderator)
    response = await client.post(
        "/api/v1/moderation/sanctions",
        json={"user": world.partner.handle, "kind": "ban", "reason": "", "days": 0, "review_item_id": "x"},
        headers=mod,
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"kind", "reason", "days", "review_item_id"}
    unknown = await client.post(
        "/api/v1/moderation/sanctions",
        json={"user": "nobody-here", "kind": "warn", "reason": "x"},
        headers=mod,
    )
    assert unknown.status_code == 404
