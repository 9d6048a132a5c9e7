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

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from community import policy, validation
from community.actor import Actor, as_aware, load_actor
from community.errors import Conflict, Forbidden
from community.experts import targets as response_targets
from community.experts.figures import category_median_first_answer
from community.experts.profiles import Expert, load_experts
from community.markdown import render_markdown
from community.models import ExpertProfile, QuestionRouting, Role, RoutingReason, Thread, User
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
    """Who a new question goes to, best first (a pure function of its inputs)."""
    chosen: list[Choice] = []
    taken = {asker_id}

    def place(expert: Expert, reason: str) -> bool:
        if expert.id in taken:
            return False
        if expert.is_available(now):
            chosen.append(Choice(expert, reason))
            taken.add(expert.id)
            return True
        sub = experts.get(expert.stand_in_id) if expert.stand_in_id else None
        if sub is not None and sub.id not in taken and sub.is_available(now):
            chosen.append(Choice(sub, RoutingReason.STAND_IN, expert))
            taken.update({sub.id, expert.id})
            return True
        return False

    if asked is not None:
        place(asked, RoutingReason.ASKED)
    ranked = sorted(
        experts.values(),
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
    experts = await load_experts(now)
    choices = choose_experts(
        experts, tags=list(thread.tag_names or []), category_id=thread.category_id,
        count=targets.route_count, now=now, asker_id=asker.id, asked=asked,
    )  # fmt: skip
    created: Created = []
    for choice in choices:
        await QuestionRouting.create(
            thread_id=thread.id, expert_id=choice.expert.id, reason=choice.reason, routed_at=asked_at,
            standing_in_for_id=choice.standing_in_for.id if choice.standing_in_for else None,
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


async def pass_on(actor: Actor, thread_id: int, *, to: object, note: object) -> User:
    """An expert (any staff member) hands a question to a colleague, with a note (Markdown,
    sanitised when saved). The colleague is told; the one passing it is no longer on it."""
    if not policy.can_route_questions(actor):
        raise Forbidden("Only staff pass questions on.")
    thread = await load_visible_thread(actor, thread_id)
    if not thread.is_question:
        raise Conflict("Only questions are routed to experts.")
    fields: dict[str, str] = {}
    note_text = validation.short_text(note, fields, "note", "The note", required=False, max_len=NOTE_MAX)
    colleague = None
    if isinstance(to, str) and validation.can_name_something(to):
        colleague = await User.filter(handle=to, role__in=list(Role.STAFF)).exclude(id=actor.id).first()
    if colleague is None:
        fields["to"] = "Choose a colleague from the list."
    elif await QuestionRouting.exists(thread_id=thread.id, expert_id=colleague.id, passed_on_at=None):
        fields["to"] = f"{colleague.display_name} is already on this question."
    validation.raise_if(fields)
    assert colleague is not None
    now = utcnow()
    note_html = render_markdown(note_text) if note_text else ""
    async with in_transaction():
        await QuestionRouting.filter(thread_id=thread.id, expert_id=actor.id, passed_on_at=None).update(
            passed_on_at=now
        )
        values = {
            "reason": RoutingReason.PASSED, "passed_by_id": actor.id, "note_html": note_html,
            "routed_at": now, "passed_on_at": None, "standing_in_for_id": None,
        }  # fmt: skip
        updated = await QuestionRouting.filter(thread_id=thread.id, expert_id=colleague.id).update(**values)
        if not updated:
            await QuestionRouting.create(thread_id=thread.id, expert_id=colleague.id, **values)
        await _mark_routed([colleague.id], now)
        await Thread.filter(id=thread.id).update(version=F("version") + 1)
        created = await expert_notices.passed_on(
            thread.id, thread.title, actor.id, actor.display_name, colleague.id, note_text
        )
    await announce(created)
    return colleague


# --- what the question page says --------------------------------------------------------------------


@dataclass
class RoutingView:
    """``routed``: some expert is on it; ``usual_hours``: the category's median time to a first
    answer. Staff also see who (``experts``), the deadlines and whether it is overdue."""

    routed: bool
    answered: bool
    usual_hours: float | None
    staff: bool = False
    experts: list[dict[str, Any]] = field(default_factory=list)
    first_answer_due: datetime | None = None
    solution_due: datetime | None = None
    overdue: str | None = None
    colleagues: list[dict[str, Any]] = field(default_factory=list)  # whom the viewer may pass it to


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
    view = RoutingView(
        routed=any(r["passed_on_at"] is None for r in rows),
        answered=answered,
        usual_hours=None if answered else await category_median_first_answer(thread.category_id),
    )
    if not policy.can_route_questions(actor):
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
    active = {r["expert_id"] for r in rows if r["passed_on_at"] is None}
    view.staff = True
    view.experts = rows
    if clock is not None:
        view.first_answer_due = as_aware(clock["first_answer_due"])
        view.solution_due = as_aware(clock["solution_due"])
        if clock["status"] == "open":
            view.overdue = response_targets.overdue_kind(clock, utcnow())
    view.colleagues = [
        c
        for c in await User.filter(role__in=list(Role.STAFF))
        .exclude(id=actor.id)
        .order_by("display_name")
        .values("id", "handle", "display_name")
        if c["id"] not in active
    ]
    return view
