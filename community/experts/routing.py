"""Routing: a new question goes to the best-matching available experts, an expert passes a
question on to a colleague with a note, and what the question page says about who is on it.

Best match: the most of the question's tags among the expert's tags, plus one for its category
among the expert's categories; equally good matches go to whoever was routed a question least
recently. An expert away is replaced by their stand-in when the stand-in is around, and
otherwise skipped for the next match. Nobody's expertise matching at all, the question goes to
the least recently routed experts, so that no question waits unseen. "Ask this expert" puts the
chosen expert (or their stand-in) first; the category's routing count includes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from markupsafe import escape
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from community import policy, validation
from community.actor import Actor, as_aware, load_actor
from community.errors import Conflict, Forbidden
from community.experts import targets as response_targets
from community.experts.figures import category_median_first_answer
from community.experts.profiles import Expert, find_cover, load_experts, load_staff
from community.markdown import render_markdown
from community.models import ExpertProfile, QuestionRouting, RoutingReason, Thread, User
from community.notifications import expert_notices
from community.notifications.delivery import Created, announce
from community.timeutil import utcnow
from community.visibility import load_visible_thread

NEVER = datetime(1970, 1, 1, tzinfo=UTC)
NOTE_MAX = 500


@dataclass(frozen=True)
class Choice:
    expert: Expert
    reason: str
    standing_in_for: Expert | None = None
    note: str = ""  # why, when someone away was replaced (staff read it on the question)


def match_score(expert: Expert, tags: Sequence[str], category_id: int) -> int:
    return len(set(tags) & set(expert.tags)) + (1 if category_id in expert.category_ids else 0)


def choose_experts(
    experts: dict[int, Expert],
    *,
    tags: Sequence[str],
    category_id: int,
    count: int,
    now: datetime,
    asker_id: int,
    asked: Expert | None = None,
) -> list[Choice]:
    """Who a new question goes to, best first (a pure function of its inputs). ``experts``: every
    staff member who can take questions (``load_staff``); only those in the directory are matched,
    anyone may stand in. An expert away is replaced by the first available person along their
    chain of stand-ins; when there is nobody, the next one placed takes their place (reason
    ``cover``, saying why), so staff never read "no expertise matched" when it did match."""
    chosen: list[Choice] = []
    taken = {asker_id}
    uncovered: list[tuple[Expert, str]] = []  # away, nobody standing in: (whom, why)

    def add(expert: Expert, reason: str) -> None:
        if uncovered and reason in (RoutingReason.MATCH, RoutingReason.FALLBACK):
            away, why = uncovered.pop(0)
            then = "the next match" if reason == RoutingReason.MATCH else "the next available expert"
            chosen.append(Choice(expert, RoutingReason.COVER, away, f"{why[:-1]}: {then} took it."))
        else:
            chosen.append(Choice(expert, reason))
        taken.add(expert.id)

    def place(expert: Expert, reason: str) -> bool:
        if expert.id in taken:
            return False
        if expert.is_available(now):
            add(expert, reason)
            return True
        taken.add(expert.id)  # away: never chosen again below, whatever happens here
        cover = find_cover(experts, expert, now)
        asked_for = reason == RoutingReason.ASKED
        if cover.by is not None and cover.by.id not in taken:
            note = cover.explain(asked=asked_for) if len(cover.away) > 1 or asked_for else ""
            chosen.append(Choice(cover.by, RoutingReason.STAND_IN, expert, note))
            taken.add(cover.by.id)
            return True
        if cover.by is None or cover.by.id == asker_id:
            uncovered.append((expert, cover.explain(asked=asked_for)))
        return False

    if asked is not None:
        place(asked, RoutingReason.ASKED)
    ranked = sorted(
        (e for e in experts.values() if e.listed),
        key=lambda e: (-match_score(e, tags, category_id), e.last_routed_at or NEVER, e.id),
    )
    matched = 0
    for expert in ranked:
        if len(chosen) >= count or match_score(expert, tags, category_id) == 0:
            break
        matched += place(expert, RoutingReason.MATCH)
    if matched == 0:
        for expert in ranked:
            if len(chosen) >= count:
                break
            place(expert, RoutingReason.FALLBACK)
    return chosen


async def _mark_routed(user_ids: list[int], now: datetime) -> None:
    """``last_routed_at`` only moves forward (a question from the past leaves it as it is)."""
    have = set(await ExpertProfile.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    if have:
        await (
            ExpertProfile.filter(user_id__in=list(have))
            .filter(Q(last_routed_at__isnull=True) | Q(last_routed_at__lt=now))
            .update(last_routed_at=now)
        )
    for uid in user_ids:
        if uid not in have:
            await ExpertProfile.create(user_id=uid, last_routed_at=now)


async def route_new_question(
    asker: Actor, thread: Thread, *, asked: Expert | None = None, asked_at: datetime | None = None
) -> Created:
    """Inside the asking transaction (``forum.threads.create_thread``): route the question, tell
    the experts, and start its response clock (from ``asked_at``, by default when it was asked)."""
    now = utcnow()
    asked_at = asked_at or as_aware(thread.created_at) or now
    targets = await response_targets.targets_for(thread.category_id)
    # A question recorded after its first-answer target had passed (an import, the demo's history)
    # is routed but nobody is told now: its escalation tells the moderators.
    tell = now - asked_at < timedelta(hours=targets.first_answer_hours)
    experts = await load_staff(now)
    choices = choose_experts(
        experts, tags=list(thread.tag_names or []), category_id=thread.category_id,
        count=targets.route_count, now=now, asker_id=asker.id, asked=asked,
    )  # fmt: skip
    created: Created = []
    for choice in choices:
        await QuestionRouting.create(
            thread_id=thread.id, expert_id=choice.expert.id, reason=choice.reason, routed_at=asked_at,
            standing_in_for_id=choice.standing_in_for.id if choice.standing_in_for else None,
            note_html=str(escape(choice.note)),
        )  # fmt: skip
        if not tell:
            continue
        created += await expert_notices.routed(
            thread.id, thread.title, asker.id, asker.display_name, choice.expert.id, choice.reason,
            choice.standing_in_for.display_name if choice.standing_in_for else None,
        )  # fmt: skip
    await _mark_routed([c.expert.id for c in choices], min(asked_at, now))
    await response_targets.start_clock(thread.id, asked_at, targets)
    return created


async def route_published_question(thread: Thread) -> Created:
    """Inside a moderator's decision: a question held for review reaches the experts when it is
    published, never before (they hear of nothing they may not see). Its response clock starts
    then, since nobody could answer it earlier. Once only: a question routed already is left be.
    The expert the asker chose ("Ask this expert") is asked first, as without the hold."""
    if not thread.is_question or await QuestionRouting.filter(thread_id=thread.id).exists():
        return []
    asker = await load_actor(thread.author_id)
    if asker is None:
        return []
    asked = (await load_experts()).get(thread.asked_expert_id) if thread.asked_expert_id else None
    return await route_new_question(asker, thread, asked=asked, asked_at=utcnow())


@dataclass(frozen=True)
class Passed:
    """Whom a question went to: ``to``, standing in for ``away`` when the colleague chosen is away."""

    to: Expert
    away: Expert | None = None

    @property
    def message(self) -> str:
        if self.away is None:
            return f"Passed on to {self.to.display_name}."
        return (
            f"{self.away.display_name} is away until {self.away.back_on}: passed on to their stand-in, "
            f"{self.to.display_name}."
        )


async def pass_on(actor: Actor, thread_id: int, *, to: object, note: object) -> Passed:
    """An expert (any staff member) hands a question to a colleague, with a note (Markdown,
    sanitised when saved). The colleague is told; the one passing it is no longer on it. A
    colleague who is away is replaced by their stand-in (along the chain of stand-ins), and
    refused with the reason when nobody stands in: an overdue question must not sit with
    someone who is away."""
    if not policy.can_route_questions(actor):
        raise Forbidden("Only staff pass questions on.")
    thread = await load_visible_thread(actor, thread_id)
    if not thread.is_question:
        raise Conflict("Only questions are routed to experts.")
    fields: dict[str, str] = {}
    note_text = validation.short_text(note, fields, "note", "The note", required=False, max_len=NOTE_MAX)
    now = utcnow()
    staff = await load_staff(now)
    chosen = None
    if isinstance(to, str) and validation.can_name_something(to):
        chosen = next((p for p in staff.values() if p.handle == to and p.id != actor.id), None)
    colleague, away = chosen, None
    if chosen is None:
        fields["to"] = "Choose a colleague from the list."
    elif not chosen.is_available(now):
        cover = find_cover(staff, chosen, now)
        colleague, away = cover.by, chosen
        if cover.by is None:
            fields["to"] = f"{cover.explain()[:-1]}: nobody can take it for them. Choose someone else."
        elif cover.by.id == actor.id:
            fields["to"] = f"{chosen.display_name} is away until {chosen.back_on} and you stand in for them."
    if "to" not in fields and colleague is not None:
        on_it = await QuestionRouting.exists(thread_id=thread.id, expert_id=colleague.id, passed_on_at=None)
        if on_it and away is not None:
            fields["to"] = (
                f"{away.display_name} is away; their stand-in {colleague.display_name} is already on this "
                "question."
            )
        elif on_it:
            fields["to"] = f"{colleague.display_name} is already on this question."
    validation.raise_if(fields)
    assert colleague is not None
    note_html = render_markdown(note_text) if note_text else ""
    async with in_transaction():
        await QuestionRouting.filter(thread_id=thread.id, expert_id=actor.id, passed_on_at=None).update(
            passed_on_at=now
        )
        values = {
            "reason": RoutingReason.PASSED, "passed_by_id": actor.id, "note_html": note_html,
            "routed_at": now, "passed_on_at": None, "standing_in_for_id": away.id if away else None,
        }  # fmt: skip
        updated = await QuestionRouting.filter(thread_id=thread.id, expert_id=colleague.id).update(**values)
        if not updated:
            await QuestionRouting.create(thread_id=thread.id, expert_id=colleague.id, **values)
        await _mark_routed([colleague.id], now)
        await Thread.filter(id=thread.id).update(version=F("version") + 1)
        created = await expert_notices.passed_on(
            thread.id, thread.title, actor.id, actor.display_name, colleague.id, note_text,
            standing_in_for=away.display_name if away else None,
        )  # fmt: skip
    await announce(created)
    return Passed(colleague, away)


async def pass_choices(actor: Actor, view: RoutingView | None) -> list[dict[str, Any]]:
    """Whom the actor may pass a question to (every other staff member who can take questions and
    is not on it), each with their availability and, when away, who would take it for them."""
    now = utcnow()
    staff = await load_staff(now)
    active = {r["expert_id"] for r in (view.experts if view else []) if r["passed_on_at"] is None}
    out = []
    for person in sorted(staff.values(), key=lambda p: p.display_name.lower()):
        if person.id == actor.id or person.id in active:
            continue
        cover = None if person.is_available(now) else find_cover(staff, person, now)
        by = cover.by if cover else None
        out.append({
            "handle": person.handle, "display_name": person.display_name,
            "away_until": person.back_on if cover else "",
            "cover": by.display_name if by else "", "cover_is_you": by is not None and by.id == actor.id,
            "cover_on_it": by is not None and by.id in active,
        })  # fmt: skip
    return out


# --- what the question page says --------------------------------------------------------------------


@dataclass(frozen=True)
class AskedExpert:
    """What became of "Ask this expert", for the asker (who named them: telling them is no leak)
    and staff. ``outcome``: ``routed`` (on it), ``stand_in`` (away: ``stand_in`` took it),
    ``away`` (away with nobody standing in: another expert took it), ``passed_on`` (they handed
    it to a colleague)."""

    handle: str
    display_name: str
    outcome: str
    stand_in: dict[str, Any] | None = None


@dataclass
class RoutingView:
    """``routed``: some expert is on it; ``usual_hours``: the category's median time to a first
    answer; ``late``: no answer and the first-answer target has passed (everyone may know the
    question is taking longer). Staff also see who (``experts``), the deadlines and whether it
    is overdue; the asker who asked an expert by name sees what became of that (``asked``)."""

    routed: bool
    answered: bool
    usual_hours: float | None
    late: bool = False
    asked: AskedExpert | None = None
    staff: bool = False
    experts: list[dict[str, Any]] = field(default_factory=list)
    first_answer_due: datetime | None = None
    solution_due: datetime | None = None
    overdue: str | None = None


async def routing_view(actor: Actor, thread: Thread) -> RoutingView | None:
    """None for a discussion, or a question asked before routing existed."""
    if not thread.is_question:
        return None
    rows = await QuestionRouting.filter(thread_id=thread.id).values(
        "expert_id", "reason", "standing_in_for_id", "passed_by_id", "note_html", "routed_at", "passed_on_at",
        handle="expert__handle", display_name="expert__display_name",
    )  # fmt: skip
    clock = await response_targets.clock_of(thread.id)
    if not rows and clock is None:
        return None
    answered = bool(clock and clock["answered"])
    now = utcnow()
    view = RoutingView(
        routed=any(r["passed_on_at"] is None for r in rows),
        answered=answered,
        usual_hours=None if answered else await category_median_first_answer(thread.category_id),
        late=clock is not None
        and not answered
        and clock["status"] == "open"
        and as_aware(clock["first_answer_due"]) <= now,  # type: ignore[operator]
    )
    staff = policy.can_route_questions(actor)
    if thread.asked_expert_id is not None and (staff or actor.id == thread.author_id):
        view.asked = await _asked_outcome(thread.asked_expert_id, rows)
    if not staff:
        return view
    names = {
        u["id"]: u
        for u in await User.filter(
            id__in=[i for r in rows for i in (r["standing_in_for_id"], r["passed_by_id"]) if i]
        ).values("id", "handle", "display_name")
    }
    for row in rows:
        row["standing_in_for"] = names.get(row["standing_in_for_id"] or 0)
        row["passed_by"] = names.get(row["passed_by_id"] or 0)
    view.staff = True
    view.experts = rows
    if clock is not None:
        view.first_answer_due = as_aware(clock["first_answer_due"])
        view.solution_due = as_aware(clock["solution_due"])
        if clock["status"] == "open":
            view.overdue = response_targets.overdue_kind(clock, now)
    return view


async def _asked_outcome(asked_id: int, rows: list[dict[str, Any]]) -> AskedExpert | None:
    person = await User.filter(id=asked_id).values("handle", "display_name")
    if not person:
        return None
    handle, name = person[0]["handle"], person[0]["display_name"]
    own = next((r for r in rows if r["expert_id"] == asked_id), None)
    if own is not None:
        return AskedExpert(handle, name, "routed" if own["passed_on_at"] is None else "passed_on")
    for row in rows:
        if row["standing_in_for_id"] == asked_id and row["reason"] == RoutingReason.STAND_IN:
            stand_in = {"handle": row["handle"], "display_name": row["display_name"]}
            return AskedExpert(handle, name, "stand_in", stand_in)
    # Away with nobody standing in (or routed before the question was held and published).
    return AskedExpert(handle, name, "away")
