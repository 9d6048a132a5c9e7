"""Routing new questions to experts: best match first, the least recently routed among equals,
stand-ins for experts who are away, "Ask this expert", and passing a question on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from community.errors import Invalid
from community.experts import profiles, routing
from community.experts.profiles import Expert
from community.forum import posts, threads
from community.models import (
    ExpertProfile,
    Notification,
    Post,
    PostState,
    QuestionRouting,
    ResponseClock,
    ResponseTarget,
    ReviewItem,
    RoutingReason,
    ScheduledJob,
)
from moderation import decisions, flags
from moderation.rules.gate import ModerationRules
from moderation.rules.newcomers import NewcomerRules
from tests.experts.conftest import Experts

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def expert(uid: int, tags: list[str], cats: list[int] | None = None, **kw) -> Expert:  # type: ignore[no-untyped-def]
    return Expert(uid, f"e{uid}", f"Expert {uid}", "expert", tags, cats or [], **kw)


def chosen(choices: list[routing.Choice]) -> list[tuple[int, str]]:
    return [(c.expert.id, c.reason) for c in choices]


def test_best_match_first_then_least_recently_routed() -> None:
    pool = {
        1: expert(1, ["vpn"], last_routed_at=NOW - timedelta(hours=1)),
        2: expert(2, ["vpn", "networking"], last_routed_at=NOW),
        3: expert(3, ["vpn"], last_routed_at=NOW - timedelta(days=2)),
        4: expert(4, [], [7]),
        5: expert(5, ["billing"]),
    }
    got = routing.choose_experts(
        pool, tags=["vpn", "networking"], category_id=9, count=3, now=NOW, asker_id=99
    )
    assert chosen(got) == [(2, "match"), (3, "match"), (1, "match")]
    # The category counts as much as a tag; among equals, never routed comes first.
    got = routing.choose_experts(pool, tags=["vpn"], category_id=7, count=4, now=NOW, asker_id=99)
    assert [c.expert.id for c in got] == [4, 3, 1, 2]


def test_an_away_expert_is_replaced_by_the_stand_in_or_skipped_for_the_next_match() -> None:
    away = NOW + timedelta(days=3)
    pool = {
        1: expert(1, ["vpn"], away_until=away, stand_in_id=5),
        2: expert(2, ["vpn"], away_until=away),  # no stand-in: skipped
        3: expert(3, ["vpn"], last_routed_at=NOW),
        5: expert(5, ["billing"]),
    }
    got = routing.choose_experts(pool, tags=["vpn"], category_id=9, count=2, now=NOW, asker_id=99)
    # Expert 3 takes the place of 2 (away, nobody standing in), and says so.
    assert chosen(got) == [(5, "stand_in"), (3, "cover")]
    assert got[0].standing_in_for is not None and got[0].standing_in_for.id == 1
    assert got[1].standing_in_for is not None and got[1].standing_in_for.id == 2
    assert got[1].note == "Expert 2 is away until 8 December 2026, with no stand-in: the next match took it."
    # Back from leave (the date has come): routed as usual.
    got = routing.choose_experts(pool, tags=["vpn"], category_id=9, count=1, now=away, asker_id=99)
    assert chosen(got) == [(1, "match")]


def test_asked_expert_first_nobody_matching_falls_back_and_the_asker_is_never_routed() -> None:
    pool = {1: expert(1, ["vpn"]), 2: expert(2, ["billing"], last_routed_at=NOW), 3: expert(3, [])}
    got = routing.choose_experts(
        pool, tags=["vpn"], category_id=9, count=2, now=NOW, asker_id=99, asked=pool[2]
    )
    assert chosen(got) == [(2, "asked"), (1, "match")]
    got = routing.choose_experts(pool, tags=["printers"], category_id=9, count=2, now=NOW, asker_id=1)
    assert chosen(got) == [(3, "fallback"), (2, "fallback")]


async def test_a_new_question_is_routed_the_experts_told_and_its_clock_started(experts: Experts) -> None:
    w = experts.world
    await ResponseTarget.create(
        category_id=w.general.id, first_answer_hours=8, solution_hours=48, route_count=2
    )
    thread = await threads.create_thread(
        w.actor(w.partner), category="general", kind="question", title="VPN drops every hour on the X200",
        body="Details.", tags="networking",
    )  # fmt: skip
    routed = await QuestionRouting.filter(thread_id=thread.id).values_list("expert_id", "reason")
    # Nina matches the tag and the category, Ned the tag only.
    assert routed == [(experts.net.id, "match"), (experts.net2.id, "match")]
    notes = await Notification.filter(kind="routed").values_list("user_id", flat=True)
    assert sorted(notes) == sorted([experts.net.id, experts.net2.id])
    clock = await ResponseClock.get(thread_id=thread.id)
    assert clock.first_answer_due - clock.asked_at == timedelta(hours=8)
    assert clock.solution_due is not None and clock.solution_due - clock.asked_at == timedelta(hours=48)
    keys = sorted(
        await ScheduledJob.filter(key__contains=f"thread:{thread.id}").values_list("key", flat=True)
    )
    assert keys == [f"experts.{k}:thread:{thread.id}" for k in ("escalate", "remind", "solution")]
    remind = await ScheduledJob.get(key=f"experts.remind:thread:{thread.id}")
    assert remind.due_at - clock.asked_at == timedelta(hours=4)
    # Both were routed just now: the next networking question goes to them again only after Ned...
    profile = await ExpertProfile.get(user_id=experts.net.id)
    assert profile.last_routed_at is not None


async def test_ask_this_expert_routes_to_them_first_and_refuses_a_non_expert(experts: Experts) -> None:
    w = experts.world
    pat = w.actor(w.partner)
    thread = await threads.create_thread(
        pat, category="general", kind="question", title="Which VPN licence for 40 users?",
        body="Any details help.", tags="vpn", expert=experts.billing.handle,
    )  # fmt: skip
    routed = await QuestionRouting.filter(thread_id=thread.id).values_list("expert_id", "reason")
    # Then the best matches: only Nina knows VPNs (experts without a match are not added).
    assert routed == [(experts.billing.id, RoutingReason.ASKED), (experts.net.id, RoutingReason.MATCH)]
    for bad in (w.partner.handle, "nobody-at-all", "x" * 5000, "\x00"):
        with pytest.raises(Invalid) as exc:
            await threads.create_thread(
                pat, category="general", kind="question", title="Which VPN licence for 40 users?",
                body="Any details help.", expert=bad,
            )  # fmt: skip
        assert "expert" in exc.value.fields


async def test_away_expert_asked_by_name_hands_it_to_the_stand_in(experts: Experts) -> None:
    w = experts.world
    nina = w.actor(await experts.net.__class__.get(id=experts.net.id).select_related("organisation"))
    back = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    await profiles.update_expertise(
        nina, nina.handle, tags="networking, vpn", categories=["general"], away_until=back,
        stand_in=experts.billing.handle,
    )  # fmt: skip
    thread = await threads.create_thread(
        w.actor(w.partner), category="general", kind="question", title="Site-to-site VPN between offices",
        body="Any details help.", tags="vpn", expert=nina.handle,
    )  # fmt: skip
    rows = await QuestionRouting.filter(thread_id=thread.id).values(
        "expert_id", "reason", "standing_in_for_id"
    )
    assert rows[0] == {"expert_id": experts.billing.id, "reason": "stand_in", "standing_in_for_id": nina.id}
    assert nina.id not in [r["expert_id"] for r in rows]


async def test_the_expert_asked_for_a_held_question_is_asked_when_it_is_published(experts: Experts) -> None:
    """ "Ask this expert" and a hold for review: after approval the question goes to the expert the
    asker chose, as it would have without the hold (before: routed as if nobody had been asked)."""
    w = experts.world
    holds_new_members = ModerationRules(newcomers=NewcomerRules(held_posts=1))
    thread = await threads.create_thread(
        w.actor(w.colleague), category="general", kind="question", title="Which VPN licence for 40 users?",
        body="Any details help.", tags="vpn", expert=experts.billing.handle, gate=holds_new_members,
    )  # fmt: skip
    assert not await QuestionRouting.filter(thread_id=thread.id).exists()
    item = await ReviewItem.get(thread_id=thread.id)
    await decisions.decide_item(w.actor(w.moderator), item.id, decision="keep")
    routed = (
        await QuestionRouting.filter(thread_id=thread.id).order_by("id").values_list("expert_id", "reason")
    )
    assert routed == [(experts.billing.id, RoutingReason.ASKED), (experts.net.id, RoutingReason.MATCH)]
    told = await Notification.filter(kind="routed").values_list("user_id", flat=True)
    assert experts.billing.id in told


async def test_passing_on_tells_the_colleague_and_sanitises_the_note(experts: Experts) -> None:
    w = experts.world
    thread = await threads.create_thread(
        w.actor(w.partner), category="general", kind="question", title="VPN drops every hour on the X200",
        body="Details.", tags="networking",
    )  # fmt: skip
    nina = w.actor(await experts.net.__class__.get(id=experts.net.id).select_related("organisation"))
    passed = await routing.pass_on(
        nina, thread.id, to=experts.billing.handle,
        note='It is a licence question. <script>alert("x")</script> **Bill** knows.',
    )  # fmt: skip
    assert passed.to.id == experts.billing.id and passed.message == "Passed on to Bill Billing."
    mine = await QuestionRouting.get(thread_id=thread.id, expert_id=nina.id)
    assert mine.passed_on_at is not None
    theirs = await QuestionRouting.get(thread_id=thread.id, expert_id=experts.billing.id)
    assert theirs.reason == "passed" and theirs.passed_by_id == nina.id
    assert "<script" not in theirs.note_html and "<strong>Bill</strong>" in theirs.note_html
    note = await Notification.get(user_id=experts.billing.id, kind="routed")
    assert "passed you a question" in note.text
    # Passing it to someone already on it, or to a partner, is refused with the field named.
    for to in (experts.net2.handle, w.partner.handle, ""):
        with pytest.raises(Invalid) as exc:
            await routing.pass_on(nina, thread.id, to=to, note="")
        assert "to" in exc.value.fields


async def test_a_partner_sees_the_category_median_and_staff_see_who(experts: Experts) -> None:
    w = experts.world
    pat = w.actor(w.partner)
    erin = w.actor(w.expert)
    asked = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    for hours in (1, 3, 8):
        old = await threads.create_thread(
            pat, category="general", kind="question", title=f"An older question answered in {hours} hours",
            body="Any details help.", created_at=asked,
        )  # fmt: skip
        await posts.reply(erin, old.id, body="An answer.", created_at=asked + timedelta(hours=hours))
    thread = await threads.create_thread(
        pat, category="general", kind="question", title="VPN drops every hour on the X200",
        body="Any details help.", tags="networking",
    )  # fmt: skip
    view = await routing.routing_view(pat, thread)
    assert view is not None and view.routed and view.usual_hours == 3.0
    assert view.experts == [] and not view.staff
    staff_view = await routing.routing_view(w.actor(w.moderator), thread)
    assert staff_view is not None and staff_view.staff
    assert {r["handle"] for r in staff_view.experts} == {experts.net.handle, experts.net2.handle}


async def test_a_question_recorded_past_its_target_is_routed_without_telling_anyone(experts: Experts) -> None:
    """An import or the demo's history: the routing is kept, the experts are not woken for it."""
    w = experts.world
    old = await threads.create_thread(
        w.actor(w.partner), category="general", kind="question", title="An old VPN question from last month",
        body="Any details help.", tags="networking", created_at=datetime.now(UTC) - timedelta(days=30),
    )  # fmt: skip
    assert await QuestionRouting.filter(thread_id=old.id).count() == 2
    assert await Notification.filter(kind="routed").count() == 0
    assert (await ExpertProfile.get(user_id=experts.net.id)).last_routed_at is not None


async def test_a_held_question_is_routed_when_a_moderator_publishes_it(experts: Experts) -> None:
    w = experts.world
    holds_new_members = ModerationRules(newcomers=NewcomerRules(held_posts=1))
    thread = await threads.create_thread(
        w.actor(w.colleague), category="general", kind="question", title="VPN drops after the upgrade",
        body="Since Tuesday.", tags="vpn", gate=holds_new_members,
    )  # fmt: skip
    # Held: the experts hear of nothing they may not see, and no clock runs.
    assert not await QuestionRouting.filter(thread_id=thread.id).exists()
    assert not await Notification.filter(kind="routed").exists()
    item = await ReviewItem.get(thread_id=thread.id)
    before = datetime.now(UTC)
    await decisions.decide_item(w.actor(w.moderator), item.id, decision="keep")
    routed = await QuestionRouting.filter(thread_id=thread.id).values_list("expert_id", flat=True)
    assert experts.net.id in routed
    assert experts.net.id in await Notification.filter(kind="routed").values_list("user_id", flat=True)
    # Its clock starts when experts could first see it, not when it was asked.
    assert (await ResponseClock.get(thread_id=thread.id)).asked_at >= before
    # Hidden by a moderator's flag and restored later: routed once only.
    opening = await Post.get(thread_id=thread.id, is_opening=True)
    await flags.flag_post(holds_new_members, w.actor(w.moderator), opening.id, reason="spam")
    assert (await Post.get(id=opening.id)).state == PostState.HIDDEN
    flagged = await ReviewItem.get(thread_id=thread.id, state="pending")
    await decisions.decide_item(w.actor(w.moderator), flagged.id, decision="restore")
    assert await QuestionRouting.filter(thread_id=thread.id).count() == len(routed)


def test_stand_ins_pointing_at_each_other_never_loop_and_staff_read_why() -> None:
    """The trial: Priya away with stand-in Tomás, who is away with stand-in Priya. A question asked
    of Priya went as "no expertise matched" to a pricing expert; now the chain ends with nobody,
    and whoever takes it carries the reason."""
    away = NOW + timedelta(days=3)
    pool = {
        1: expert(1, ["vpn"], away_until=away, stand_in_id=2),
        2: expert(2, ["switching"], away_until=away, stand_in_id=1),
        3: expert(3, ["pricing"]),
    }
    got = routing.choose_experts(
        pool, tags=["vpn"], category_id=9, count=1, now=NOW, asker_id=99, asked=pool[1]
    )
    assert chosen(got) == [(3, "cover")]
    assert got[0].standing_in_for is not None and got[0].standing_in_for.id == 1
    assert got[0].note == (
        "Expert 1, asked for by name, is away until 8 December 2026; their stand-in Expert 2 is away too: "
        "the next available expert took it."
    )
    # A longer chain: 1 -> 2 (away) -> 4 (around) takes it, standing in for 1.
    pool[2] = expert(2, ["switching"], away_until=away, stand_in_id=4)
    pool[4] = expert(4, [], listed=False)  # a moderator without expertise may stand in
    got = routing.choose_experts(pool, tags=["vpn"], category_id=9, count=2, now=NOW, asker_id=99)
    assert chosen(got) == [(4, "stand_in")]  # a match was placed: no fallback
    assert got[0].standing_in_for is not None and got[0].standing_in_for.id == 1
    assert "their stand-in Expert 2 is away too" in got[0].note


async def test_an_away_stand_in_is_refused_when_setting_availability(experts: Experts) -> None:
    w = experts.world
    nina = w.actor(await experts.net.__class__.get(id=experts.net.id).select_related("organisation"))
    ned = w.actor(await experts.net2.__class__.get(id=experts.net2.id).select_related("organisation"))
    back = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    await profiles.update_expertise(
        nina, nina.handle, tags="vpn", categories=[], away_until=back, stand_in=ned.handle
    )
    with pytest.raises(Invalid) as exc:
        await profiles.update_expertise(
            ned, ned.handle, tags="networking", categories=[], away_until=back, stand_in=nina.handle
        )
    assert exc.value.fields["stand_in"].startswith("Nina Network is away too (until ")
    # Around themselves, anyone may be named (the stand-in matters only while away).
    await profiles.update_expertise(
        ned, ned.handle, tags="networking", categories=[], away_until="", stand_in=nina.handle
    )


async def test_passing_on_to_an_away_colleague_hands_it_to_their_stand_in_or_is_refused(
    experts: Experts,
) -> None:
    """The trial passed an overdue question to Tomás, away until 12 December: accepted silently."""
    w = experts.world
    thread = await threads.create_thread(
        w.actor(w.partner), category="general", kind="question", title="VPN drops every hour on the X200",
        body="Details.", tags="networking",
    )  # fmt: skip
    nina = w.actor(await experts.net.__class__.get(id=experts.net.id).select_related("organisation"))
    bill = w.actor(await experts.billing.__class__.get(id=experts.billing.id).select_related("organisation"))
    back = (datetime.now(UTC) + timedelta(days=5)).date()
    await profiles.update_expertise(
        bill,
        bill.handle,
        tags="billing",
        categories=[],
        away_until=back.isoformat(),
        stand_in=w.expert.handle,
    )
    passed = await routing.pass_on(nina, thread.id, to=bill.handle, note="Licence question.")
    assert passed.to.id == w.expert.id and passed.away is not None and passed.away.id == bill.id
    day = f"{back.day} {back:%B %Y}"
    assert passed.message == f"Bill Billing is away until {day}: passed on to their stand-in, Erin Expert."
    row = await QuestionRouting.get(thread_id=thread.id, expert_id=w.expert.id)
    assert (row.reason, row.passed_by_id, row.standing_in_for_id) == ("passed", nina.id, bill.id)
    assert not await QuestionRouting.exists(thread_id=thread.id, expert_id=bill.id)
    note = await Notification.get(user_id=w.expert.id, kind="routed")
    assert note.text.startswith("Nina Network passed you a question for Bill Billing, who is away:")
    # Nobody standing in: refused, saying so; the question stays where it is.
    await profiles.update_expertise(
        bill, bill.handle, tags="billing", categories=[], away_until=back.isoformat(), stand_in=""
    )
    erin = w.actor(w.expert)
    with pytest.raises(Invalid) as exc:
        await routing.pass_on(erin, thread.id, to=bill.handle, note="")
    assert exc.value.fields["to"] == (
        f"Bill Billing is away until {day}, with no stand-in: nobody can take it for them. "
        "Choose someone else."
    )
    # The form marks who is away and who would take it.
    choices = {
        c["handle"]: c for c in await routing.pass_choices(erin, await routing.routing_view(erin, thread))
    }
    assert choices[bill.handle]["away_until"] == day and choices[bill.handle]["cover"] == ""
    await profiles.update_expertise(
        bill, bill.handle, tags="billing", categories=[], away_until=back.isoformat(), stand_in=erin.handle
    )
    choices = {
        c["handle"]: c for c in await routing.pass_choices(erin, await routing.routing_view(erin, thread))
    }
    assert choices[bill.handle]["cover_is_you"]  # the form says "you stand in for them"
    assert choices[experts.billing.handle] is choices[bill.handle] and w.moderator.handle in choices
