"""The dashboard's figures against a fixture worked out by hand (tests/health/fixture.py).

Questions asked in the period: Q1 (gold, general), Q2 and Q3 (silver, general), Q4 (registered,
general, never answered), Q5 (gold, gold programme). The discussion, the question after the period
and the deleted question do not count.

First answers (hours, anyone but the asker): Q1 2 (peer), Q2 10 (expert), Q3 4 (peer; the asker's
own reply at 1 h does not count), Q5 20 (expert): sorted 2, 4, 10, 20, median (4 + 10) / 2 = 7,
90th percentile at rank 0.9 * 3 = 2.7: 10 + 0.7 * 10 = 17.
First by a peer: 2, 4: median 3, p90 2 + 0.9 * 2 = 3.8. First by an expert: 5, 10, 20: median 10,
p90 at rank 1.8: 10 + 0.8 * 10 = 18.
Accepted: Q1 5 (expert), Q2 10 (expert), Q3 4 (peer): median 5, p90 at 1.8: 5 + 0.8 * 5 = 9;
by experts 5, 10: median 7.5, p90 9.5; by a peer: 4.
Ratings: askers 3, 2, 5 (satisfied 1 of 3: 33.3 %, mean 3.33); experts 5, 4 (100 %, mean 4.5);
gap 66.7 points.
"""

from __future__ import annotations

from datetime import date

import pytest

from community.actor import Actor
from community.errors import Forbidden, Invalid
from community.health.dashboard import build_dashboard
from community.health.threads import threads_behind
from tests.conftest import World
from tests.health.fixture import END, PARAMS, Fixture, build

TIERS = ("registered", "silver", "gold")
TODAY = date(2026, 2, 1)


@pytest.fixture
async def fixture(world: World, app) -> Fixture:  # type: ignore[no-untyped-def]
    return await build(world, app.state.moderation)


def summary(board) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {row["figure"]: row["value"] for row in board.table("summary").rows}


def by(table, key: str = "name") -> dict[object, dict[str, object]]:  # type: ignore[no-untyped-def]
    return {row[key]: row for row in table.rows}


async def test_summary_and_timings(world: World, fixture: Fixture) -> None:
    board = await build_dashboard(world.actor(world.admin), PARAMS, TIERS, TODAY)
    s = summary(board)
    assert (s["Questions asked"], s["Questions answered"], s["Questions solved"]) == (5, 4, 3)
    assert (s["Share answered"], s["Share solved"]) == (80.0, 60.0)
    assert (s["Median time to first answer"], s["90th percentile time to first answer"]) == (7.0, 17.0)
    assert s["Median time to accepted answer"] == 5.0
    assert s["Support rating by askers (satisfied)"] == pytest.approx(100 / 3)
    assert s["Support rating by experts (satisfied)"] == 100.0
    assert s["Gap (experts minus askers)"] == pytest.approx(200 / 3)
    assert (s["Active partner organisations"], s["Active partner members"]) == (3, 4)
    assert (s["Articles published"], s["Article views"], s["Articles rated helpful"]) == (1, 5, 50.0)
    assert (s["Flags raised"], s["Flags decided"], s["Median time to a flag decision"]) == (2, 1, 3.0)
    t = by(board.table("timings"), "what")
    expected = {
        "First answer (anyone but the asker)": (4, 7.0, 17.0),
        "First answer by a peer (partner)": (2, 3.0, 3.8),
        "First answer by an expert (staff)": (3, 10.0, 18.0),
        "Accepted answer": (3, 5.0, 9.0),
        "Accepted answer by a peer": (1, 4.0, 4.0),
        "Accepted answer by an expert": (2, 7.5, 9.5),
    }
    for what, (count, median, p90) in expected.items():
        assert (t[what]["count"], t[what]["median"], t[what]["p90"]) == (count, median, pytest.approx(p90)), (
            what
        )
    assert s["Questions overdue now"] == 2


async def test_breakdowns_weeks_and_contributors(world: World, fixture: Fixture) -> None:
    board = await build_dashboard(world.actor(world.admin), PARAMS, TIERS, TODAY)
    orgs = by(board.table("organisations"))
    gold, silver, registered = orgs["Gold Reseller GmbH"], orgs["Silver Systems Ltd"], orgs["Registered IT"]
    assert (gold["asked"], gold["share_answered"], gold["share_solved"], gold["first_answer_median"]) == (
        2,
        100.0,
        50.0,
        11.0,
    )
    assert (gold["asker_satisfied"], gold["expert_satisfied"], gold["gap"]) == (0.0, 100.0, 100.0)
    assert (silver["asked"], silver["share_solved"], silver["first_answer_median"]) == (2, 100.0, 7.0)
    assert (silver["asker_satisfied"], silver["expert_satisfied"], silver["gap"]) == (50.0, 100.0, 50.0)
    assert (registered["asked"], registered["share_answered"], registered["first_answer_median"]) == (
        1,
        0.0,
        None,
    )
    assert registered["gap"] is None
    tiers = by(board.table("tiers"))
    assert tiers["gold"]["asked"] == 2 and tiers["registered"]["asked"] == 1
    cats = by(board.table("categories"))
    assert (cats["General questions"]["asked"], cats["General questions"]["share_answered"]) == (4, 75.0)
    assert cats["Gold programme"]["asked"] == 1
    weeks = board.table("weeks").rows
    assert [w["week"] for w in weeks] == [date(2026, 1, 5), date(2026, 1, 12)]
    assert (weeks[0]["asked"], weeks[0]["share_solved"], weeks[0]["first_answer_median"]) == (3, 100.0, 4.0)
    assert weeks[0]["asker_satisfied"] == pytest.approx(100 / 3) and weeks[0]["expert_satisfied"] == 100.0
    assert (weeks[1]["asked"], weeks[1]["share_answered"], weeks[1]["first_answer_median"]) == (2, 50.0, 20.0)
    people = [(r["name"], r["answers"], r["accepted"]) for r in board.table("contributors").rows]
    assert people == [("Erin Expert", 3, 2), ("Pat Partner", 1, 1), ("Cole League", 1, 0)]


async def test_filters(world: World, fixture: Fixture) -> None:
    admin = world.actor(world.admin)
    gold_only = await build_dashboard(admin, {**PARAMS, "tier": "gold"}, TIERS, TODAY)
    assert summary(gold_only)["Questions asked"] == 2
    in_category = await build_dashboard(admin, {**PARAMS, "category": "gold-programme"}, TIERS, TODAY)
    assert summary(in_category)["Questions asked"] == 1
    silver = await build_dashboard(admin, {**PARAMS, "organisation": world.silver.slug}, TIERS, TODAY)
    assert summary(silver)["Questions asked"] == 2 and "Articles published" not in summary(silver)
    one_week = await build_dashboard(admin, {"from": "2026-01-12", "to": END.isoformat()}, TIERS, TODAY)
    assert summary(one_week)["Questions asked"] == 2


async def test_an_organisation_admin_sees_their_own_row_only(world: World, fixture: Fixture) -> None:
    board = await build_dashboard(world.actor(world.partner), PARAMS, TIERS, TODAY)
    assert not board.staff_view
    assert [r["name"] for r in board.table("organisations").rows] == ["Gold Reseller GmbH"]
    assert summary(board)["Questions asked"] == 2 and "Flags raised" not in summary(board)
    # asking for another organisation is refused like an unknown one
    with pytest.raises(Invalid):
        await build_dashboard(
            world.actor(world.partner), {**PARAMS, "organisation": world.silver.slug}, TIERS, TODAY
        )
    with pytest.raises(Forbidden):
        await build_dashboard(world.actor(world.colleague), PARAMS, TIERS, TODAY)


async def ids_behind(who: Actor, figure: str, **extra: str) -> list[int]:
    behind = await threads_behind(who, {**PARAMS, "figure": figure, **extra}, TIERS, TODAY)
    assert behind.listing.total == len(behind.listing.items)
    return sorted(t["id"] for t in behind.listing.items)


async def test_threads_behind_the_figures(world: World, fixture: Fixture) -> None:
    """Q1 answered by a peer (Cole) and an expert (Erin, accepted), Q2 by Erin (accepted), Q3 by
    a peer (Pat, accepted), Q5 by Erin; flags on answers in Q1 and Q3; partners posted in Q1-Q5 and
    the discussion (the deleted question and the one after the period do not count)."""
    admin = world.actor(world.admin)
    f = fixture
    expected = {
        "asked": [f.q1, f.q2, f.q3, f.q4, f.q5], "unanswered": [f.q4], "solved": [f.q1, f.q2, f.q3],
        "unsolved": [f.q4, f.q5], "rated": [f.q1, f.q2, f.q3], "overdue": [f.q4, f.q5],
        "answered": [f.q1, f.q2, f.q3, f.q5], "answered_by_peer": [f.q1, f.q3],
        "answered_by_expert": [f.q1, f.q2, f.q5], "solved_by_peer": [f.q3], "solved_by_expert": [f.q1, f.q2],
        "active": [f.q1, f.q2, f.q3, f.q4, f.q5, f.discussion], "flagged": [f.q1, f.q3],
    }  # fmt: skip
    for figure, threads in expected.items():
        assert await ids_behind(admin, figure) == sorted(t.id for t in threads), figure
    # Top contributors: Erin answered Q1, Q2 and Q5 in the period, two of them accepted; Pat Q3.
    erin, pat = world.expert.handle, world.partner.handle
    assert await ids_behind(admin, "answers_by", member=erin) == sorted([f.q1.id, f.q2.id, f.q5.id])
    assert await ids_behind(admin, "accepted_by", member=erin) == sorted([f.q1.id, f.q2.id])
    assert await ids_behind(admin, "answers_by", member=pat) == [f.q3.id]
    assert await ids_behind(admin, "asked", tier="silver") == sorted([f.q2.id, f.q3.id])
    # An organisation's admin: their own organisation's questions, and no staff-only list.
    gold_admin = world.actor(world.partner)
    assert await ids_behind(gold_admin, "asked") == sorted([f.q1.id, f.q5.id])
    assert await ids_behind(gold_admin, "answers_by", member=erin) == sorted([f.q1.id, f.q5.id])
    for figure in ("routed", "routed_answered", "flagged"):
        with pytest.raises(Invalid) as exc:
            await threads_behind(gold_admin, {**PARAMS, "figure": figure, "member": erin}, TIERS, TODAY)
        assert "figure" in exc.value.fields
    for member in ("", "nobody-here", "x" * 500):
        with pytest.raises(Invalid) as exc:
            await threads_behind(admin, {**PARAMS, "figure": "answers_by", "member": member}, TIERS, TODAY)
        assert "member" in exc.value.fields


async def test_every_figure_links_to_the_threads_behind_it(world: World, fixture: Fixture) -> None:
    """Every number of the question tables and the per-expert and contributor tables is a link to
    a list of threads (articles link to the knowledge base); text and names are not counted."""
    board = await build_dashboard(world.actor(world.admin), PARAMS, TIERS, TODAY)
    for table in board.tables.values():
        for row in table.rows:
            links = row.get("_links", {})
            for column in table.columns:
                if column.kind in ("text", "date") or (table.key == "summary" and column.key != "value"):
                    continue
                link = links.get(column.key)
                assert link is not None, (table.key, column.key, row.get("figure") or row.get("name"))
                assert link.startswith("/health/threads?") or link == "/kb", (table.key, column.key, link)


async def test_routed_questions_per_expert_and_their_response_times(world: World, fixture: Fixture) -> None:
    """Routed by hand: Q1 to Erin 1 h after asking (she answered at 5 h: 4 h), Q2 at asking (10 h),
    Q4 (never answered); Q5 to the moderator, who never answered it. Erin: 3 routed, 2 answered,
    median 7 h, p90 4 + 0.9 * 6 = 9.4 h."""
    from datetime import timedelta

    from community.models import QuestionRouting

    await QuestionRouting.all().delete()
    for thread, who, after in (
        (fixture.q1, world.expert, 1), (fixture.q2, world.expert, 0), (fixture.q4, world.expert, 0),
        (fixture.q5, world.moderator, 0),
    ):  # fmt: skip
        await QuestionRouting.create(
            thread_id=thread.id,
            expert_id=who.id,
            reason="match",
            routed_at=thread.created_at + timedelta(hours=after),
        )
    board = await build_dashboard(world.actor(world.admin), PARAMS, TIERS, TODAY)
    rows = by(board.table("experts"), "expert")
    erin = rows[world.expert.display_name]
    assert (erin["routed"], erin["answered"], erin["median"], erin["p90"]) == (3, 2, 7.0, 9.4)
    mod = rows[world.moderator.display_name]
    assert (mod["routed"], mod["answered"], mod["median"]) == (1, 0, None)
    assert await ids_behind(world.actor(world.admin), "routed", member=world.expert.handle) == sorted(
        [fixture.q1.id, fixture.q2.id, fixture.q4.id]
    )
    assert await ids_behind(
        world.actor(world.admin), "routed_answered", member=world.expert.handle
    ) == sorted([fixture.q1.id, fixture.q2.id])
    assert await ids_behind(world.actor(world.admin), "routed_answered", member=world.moderator.handle) == []
    # An organisation's admin sees their own organisation's figures, not the company's experts.
    assert "experts" not in (await build_dashboard(world.actor(world.partner), PARAMS, TIERS, TODAY)).tables


async def test_a_share_links_to_what_it_counts_and_the_rated_list_shows_the_scores(
    world: World, fixture: Fixture
) -> None:
    """The trial: "Share answered 71.4%" linked to the unanswered questions (and share solved to
    the unsolved ones); the askers' rating list named the rated threads without their scores."""
    board = await build_dashboard(world.actor(world.admin), PARAMS, TIERS, TODAY)
    links = {r["figure"]: r["_links"]["value"] for r in board.table("summary").rows}
    assert "figure=answered" in links["Share answered"] and "figure=solved" in links["Share solved"]
    assert "figure=unanswered" in links["Questions without an answer"]
    assert "figure=unsolved" in links["Questions not solved"]
    assert (summary(board)["Questions without an answer"], summary(board)["Questions not solved"]) == (1, 2)
    f = fixture
    rated = await threads_behind(world.actor(world.admin), {**PARAMS, "figure": "rated"}, TIERS, TODAY)
    assert rated.scores == {
        f.q1.id: {"asker": [3], "expert": [5]},
        f.q2.id: {"asker": [2], "expert": [4]},
        f.q3.id: {"asker": [5], "expert": []},
    }
    # An organisation's admin reads no one's score (staff read ratings), only which were rated.
    theirs = await threads_behind(world.actor(world.partner), {**PARAMS, "figure": "rated"}, TIERS, TODAY)
    assert theirs.scores == {} and theirs.listing.total > 0


async def test_each_count_equals_the_length_of_the_list_it_links_to(world: World, fixture: Fixture) -> None:
    """Following a count's link lists exactly that many threads: the summary's question counts, the
    timings' counts, every breakdown and week's questions asked, each expert's routed and answered."""
    from urllib.parse import parse_qsl, urlsplit

    from community.models import QuestionRouting

    await QuestionRouting.filter(thread_id=fixture.q2.id).delete()  # Q1, Q4 and Q5 stay routed
    admin = world.actor(world.admin)
    board = await build_dashboard(admin, PARAMS, TIERS, TODAY)
    counts = [(r["value"], r["_links"]["value"]) for r in board.table("summary").rows
              if r["unit"] == "count" and r["figure"].startswith("Questions")]  # fmt: skip
    counts += [(r["count"], r["_links"]["count"]) for r in board.table("timings").rows]
    for key in ("categories", "tiers", "organisations", "weeks"):
        counts += [(r["asked"], r["_links"]["asked"]) for r in board.table(key).rows]
    counts += [(r[c], r["_links"][c]) for r in board.table("experts").rows for c in ("routed", "answered")]
    assert len(counts) > 20
    for value, link in counts:
        params = dict(parse_qsl(urlsplit(link).query))
        behind = await threads_behind(admin, params, TIERS, TODAY, per_page=100)
        assert behind.listing.total == value, (link, value, behind.listing.total)
