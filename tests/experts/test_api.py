"""Experts over JSON: asking an expert by handle, setting one's expertise, passing a question on
(every answer also checked against the OpenAPI document)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from community.models import Notification, QuestionRouting, ResponseClock
from tests.api.conftest import bearer, client  # noqa: F401 (the document-checked client)
from tests.experts.conftest import Experts

QUESTION = {"category": "general", "title": "Rebate claim rejected for a missing invoice", "body": "Why?"}


async def test_asking_an_expert_by_handle_routes_to_them_first(client, experts: Experts):  # noqa: F811
    w = experts.world
    asked = await client.post(
        "/api/v1/threads",
        json={**QUESTION, "expert": experts.billing.handle},
        headers=await bearer(w.partner),
    )
    assert asked.status_code == 201, asked.text
    first = await QuestionRouting.filter(thread_id=asked.json()["id"]).order_by("id").first()
    assert first is not None and (first.expert_id, first.reason) == (experts.billing.id, "asked")
    nobody = await client.post(
        "/api/v1/threads", json={**QUESTION, "expert": w.partner.handle}, headers=await bearer(w.partner)
    )
    assert nobody.status_code == 422
    assert nobody.json()["error"]["fields"] == {"expert": "Choose an expert from the experts directory."}


async def test_an_expert_sets_their_expertise_and_availability(client, experts: Experts):  # noqa: F811
    back = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    body = {"tags": ["rebates", "billing"], "categories": ["general"], "away_until": back,
            "stand_in": experts.net.handle}  # fmt: skip
    saved = await client.put(
        f"/api/v1/experts/{experts.billing.handle}/expertise",
        json=body,
        headers=await bearer(experts.billing),
    )
    assert saved.status_code == 200, saved.text
    shown = saved.json()
    assert shown["tags"] == ["rebates", "billing"] and [c["slug"] for c in shown["categories"]] == ["general"]
    assert shown["available"] is False and shown["stand_in"]["handle"] == experts.net.handle
    # Back around: null empties the date and the stand-in.
    around = await client.put(
        f"/api/v1/experts/{experts.billing.handle}/expertise",
        json={"tags": ["billing"], "away_until": None, "stand_in": None},
        headers=await bearer(experts.billing),
    )
    assert around.json()["available"] is True and around.json()["stand_in"] is None
    bad = await client.put(
        f"/api/v1/experts/{experts.billing.handle}/expertise",
        json={"categories": ["no-such-category"], "away_until": "tomorrow"},
        headers=await bearer(experts.billing),
    )
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"categories", "away_until"}
    colleague = await client.put(
        f"/api/v1/experts/{experts.billing.handle}/expertise", json=body, headers=await bearer(experts.net)
    )
    assert colleague.status_code == 403


async def test_passing_a_question_on_tells_the_colleague(client, experts: Experts):  # noqa: F811
    w = experts.world
    asked = await client.post(
        "/api/v1/threads",
        json={**QUESTION, "expert": experts.billing.handle},
        headers=await bearer(w.partner),
    )
    thread_id = asked.json()["id"]
    passed = await client.post(
        f"/api/v1/threads/{thread_id}/pass",
        json={"to": w.moderator.handle, "note": "Mo handled the **last** one."},
        headers=await bearer(experts.billing),
    )
    assert passed.status_code == 200, passed.text
    on_it = [e for e in passed.json()["experts"] if e["passed_on_at"] is None]
    handles = [e["expert"]["handle"] for e in on_it]
    assert w.moderator.handle in handles and experts.billing.handle not in handles
    note = next(e for e in on_it if e["expert"]["handle"] == w.moderator.handle)["note_html"]
    assert "<strong>last</strong>" in note
    assert await Notification.filter(user_id=w.moderator.id, kind="routed", thread_id=thread_id).exists()
    refused = await client.post(
        f"/api/v1/threads/{thread_id}/pass", json={"to": experts.net.handle}, headers=await bearer(w.partner)
    )
    assert refused.status_code == 403


async def test_the_waiting_view_and_response_targets_over_json(client, experts: Experts):  # noqa: F811
    w = experts.world
    admin, mo, pat = await bearer(w.admin), await bearer(w.moderator), await bearer(w.partner)
    listed = (await client.get("/api/v1/response-targets", headers=admin)).json()
    general = next(t for t in listed["items"] if t["category"]["slug"] == "general")
    assert (general["first_answer_hours"], general["solution_hours"], general["route_count"]) == (24, None, 3)
    bad = await client.put(
        "/api/v1/response-targets/general", headers=admin,
        json={"first_answer_hours": 6, "solution_hours": 4, "route_count": 1},
    )  # fmt: skip
    assert bad.status_code == 422 and "solution_hours" in bad.json()["error"]["fields"]
    saved = await client.put(
        "/api/v1/response-targets/general", headers=admin, json={"first_answer_hours": 6, "route_count": 1}
    )
    assert saved.status_code == 200
    assert (saved.json()["first_answer_hours"], saved.json()["route_count"]) == (6, 1)
    forbidden = await client.put("/api/v1/response-targets/general", headers=mo, json={"route_count": 2})
    assert forbidden.status_code == 403
    # Two questions: the one asked earlier has less time left and comes first.
    earlier = datetime.now(UTC) - timedelta(hours=5)
    made = []
    for title in ("VPN drops after the firmware update", "VPN licence count is wrong"):
        body = {**QUESTION, "title": title, "tags": ["networking"]}
        made.append((await client.post("/api/v1/threads", headers=pat, json=body)).json()["id"])
    await ResponseClock.filter(thread_id=made[1]).update(
        asked_at=earlier, first_answer_due=earlier + timedelta(hours=6)
    )
    waiting = (await client.get("/api/v1/waiting", headers=mo)).json()
    assert [q["thread_id"] for q in waiting["items"]] == [made[1], made[0]]
    first = waiting["items"][0]
    assert first["target"] == "first_answer" and 0 < first["seconds_left"] <= 3600 and not first["overdue"]
    assert first["experts"] == [experts.net.display_name]  # one expert: the new route count
    mine = (await client.get("/api/v1/waiting?routed=me", headers=await bearer(experts.net))).json()
    assert [q["thread_id"] for q in mine["items"]] == [made[1], made[0]] and mine["total"] == 2
    assert (await client.get("/api/v1/waiting?routed=me", headers=mo)).json()["total"] == 0
    assert (await client.get("/api/v1/waiting?routed=you", headers=mo)).status_code == 422
    assert (await client.get("/api/v1/waiting", headers=pat)).status_code == 403
