"""Experts over JSON: asking an expert by handle, setting one's expertise, passing a question on
(every answer also checked against the OpenAPI document)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from community.models import Notification, QuestionRouting
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
