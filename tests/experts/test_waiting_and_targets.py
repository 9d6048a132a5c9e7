"""The staff "Waiting" view with several questions (least time left first, overdue ones ahead,
answered, solved and closed ones gone), and response targets set by an admin through their page:
the deadlines and the number of experts of questions asked from then on."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from community.experts import waiting
from community.forum import posts, thread_actions, threads
from community.models import Category, QuestionRouting, ResponseClock, ResponseTarget, ScheduledJob, Thread
from tests.conftest import login
from tests.experts.conftest import Experts


async def test_waiting_lists_the_least_time_left_first(client: httpx.AsyncClient, experts: Experts) -> None:
    w = experts.world
    gold_programme = (await Category.get(slug="gold-programme")).id
    await ResponseTarget.create(category_id=gold_programme, first_answer_hours=4, solution_hours=48)
    now = datetime.now(UTC).replace(microsecond=0)
    pat, erin, mo = w.actor(w.partner), w.actor(w.expert), w.actor(w.moderator)

    async def ask(title: str, hours_ago: float, category: str = "general") -> Thread:
        return await threads.create_thread(
            pat, category=category, kind="question", title=title, body="The details.",
            created_at=now - timedelta(hours=hours_ago),
        )  # fmt: skip

    late = await ask("Asked thirty hours ago, no answer", 30)  # due 6 h ago
    soon = await ask("Asked an hour ago in the gold programme", 1, "gold-programme")  # 3 h left
    later = await ask("Asked two hours ago, no answer yet", 2)  # 22 h left
    unsolved = await ask("Answered but never solved in the gold programme", 50, "gold-programme")
    await posts.reply(
        erin, unsolved.id, body="Try this.", created_at=now - timedelta(hours=49)
    )  # solution 2 h late
    answered = await ask("Asked three hours ago and answered", 3)
    await posts.reply(erin, answered.id, body="Here you are.", created_at=now - timedelta(hours=1))
    closed = await ask("Asked forty hours ago, then closed", 40)
    await thread_actions.set_status(mo, closed.id, status="closed")

    rows = await waiting.waiting(mo, now)
    assert [(r.thread_id, r.target, r.overdue) for r in rows] == [
        (late.id, "first_answer", True),
        (unsolved.id, "solution", True),
        (soon.id, "first_answer", False),
        (later.id, "first_answer", False),
    ]
    assert [r.seconds_left // 3600 for r in rows] == [-6, -2, 3, 22]

    await login(client, w.moderator)
    page = (await client.get("/waiting")).text
    shown = re.findall(r'<td><a href="/t/(\d+)">', page)
    assert shown == [str(t.id) for t in (late, unsolved, soon, later)]
    assert page.count('<span class="badge overdue">Overdue</span>') == 2
    client.cookies.clear()
    await login(client, w.partner)
    assert (await client.get("/waiting")).status_code == 403


async def test_an_admin_sets_a_categorys_targets_for_questions_asked_from_then_on(
    client: httpx.AsyncClient, experts: Experts
) -> None:
    w = experts.world
    pat = w.actor(w.partner)
    before = await threads.create_thread(
        pat, category="general", kind="question", title="VPN drops before the change",
        body="Details.", tags="networking",
    )  # fmt: skip
    assert await QuestionRouting.filter(thread_id=before.id).count() == 2  # Nina and Ned (of 3 at most)

    csrf = await login(client, w.admin)
    form = {"csrf_token": csrf, "first_answer_hours": "6", "solution_hours": "48", "route_count": "1"}
    # Refused with the field named and the input kept: a solution sooner than the first answer, too
    # many experts, a number that is not one.
    for field, value in (("solution_hours", "4"), ("route_count", "11"), ("first_answer_hours", "²")):
        response = await client.post("/admin/response-targets/general", data={**form, field: value})
        assert response.status_code == 422 and f'id="{field}-error"' in response.text, (field, value)
    assert not await ResponseTarget.exists()
    response = await client.post("/admin/response-targets/general", data=form)
    assert response.status_code == 303
    listing = (await client.get("/admin/response-targets")).text
    assert re.search(r"General questions</td>\s*<td>6 h</td>\s*<td>48 h</td>\s*<td>1 expert</td>", listing)

    after = await threads.create_thread(
        pat, category="general", kind="question", title="VPN drops after the change",
        body="Details.", tags="networking",
    )  # fmt: skip
    assert await QuestionRouting.filter(thread_id=after.id).values_list("expert_id", flat=True) == [
        experts.net.id
    ]
    clock = await ResponseClock.get(thread_id=after.id)
    assert (clock.first_answer_due - clock.asked_at, clock.solution_due - clock.asked_at) == (  # type: ignore[operator]
        timedelta(hours=6),
        timedelta(hours=48),
    )
    remind = await ScheduledJob.get(key=f"experts.remind:thread:{after.id}")
    assert remind.due_at - clock.asked_at == timedelta(hours=3)
    # The question asked before keeps the deadline it was asked with.
    old = await ResponseClock.get(thread_id=before.id)
    assert (old.first_answer_due - old.asked_at, old.solution_due) == (timedelta(hours=24), None)
    # Only an admin sets targets.
    client.cookies.clear()
    csrf = await login(client, w.moderator)
    response = await client.post("/admin/response-targets/general", data={**form, "csrf_token": csrf})
    assert response.status_code == 403


async def test_waiting_reads_days_counts_and_filters_what_is_routed_to_me(
    client: httpx.AsyncClient, experts: Experts
) -> None:
    """The trial: "Overdue by 216 h 5 min", no total, no "routed to me" for an expert."""
    w = experts.world
    pat = w.actor(w.partner)
    now = datetime.now(UTC).replace(microsecond=0)
    old = await threads.create_thread(
        pat, category="general", kind="question", title="An invoice question from ten days ago",
        body="The details.", tags="billing", created_at=now - timedelta(days=10, minutes=5),
    )  # fmt: skip
    new = await threads.create_thread(
        pat, category="general", kind="question", title="A VPN question from this morning",
        body="The details.", tags="vpn", created_at=now - timedelta(hours=2),
    )  # fmt: skip
    assert waiting.duration_text(216 * 3600 + 300) == "9 days"
    assert waiting.duration_text(36 * 3600 + 300) == "36 h 5 min"
    assert waiting.duration_text(45 * 60) == "45 min"
    await login(client, experts.billing)
    page = (await client.get("/waiting")).text
    assert "2 questions waiting, 1 overdue." in page
    assert '<span class="badge overdue">Overdue</span> by 9 days' in page
    assert "Routed to me (1)" in page
    mine = (await client.get("/waiting?routed=me")).text
    assert re.findall(r'<td><a href="/t/(\d+)">', mine) == [str(old.id)]
    assert "1 question waiting routed to you, 1 overdue." in mine
    assert f'href="/t/{new.id}"' not in mine
