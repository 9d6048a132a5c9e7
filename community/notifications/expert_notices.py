"""What experts and moderators hear about routed questions (called inside the routing, pass-on and
scheduled-job transactions of ``community.experts``): a question routed or passed on to an expert,
a reminder half-way to the first-answer target, an escalation past a target."""

from __future__ import annotations

from datetime import UTC, datetime

from community.models import NotificationKind as Kind
from community.models import RoutingReason
from community.notifications.delivery import Created, clip, notify


def _when(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%b %H:%M} UTC"


async def routed(
    thread_id: int,
    title: str,
    asker_id: int,
    asker_name: str,
    expert_id: int,
    reason: str,
    standing_in_for: str | None = None,
) -> Created:
    quoted = f"“{clip(title)}”"
    if reason == RoutingReason.ASKED:
        text = f"{asker_name} asked you: {quoted}"
    elif reason == RoutingReason.STAND_IN:
        text = f"Standing in for {standing_in_for or 'a colleague'}: a question from {asker_name}, {quoted}"
    elif reason == RoutingReason.COVER:
        text = f"For {standing_in_for or 'a colleague'}, who is away: a question from {asker_name}, {quoted}"
    else:
        text = f"A question for you from {asker_name}: {quoted}"
    return await notify(
        kind=Kind.ROUTED, recipient_ids=[expert_id], text=text, url=f"/t/{thread_id}",
        actor_id=asker_id, thread_id=thread_id,
    )  # fmt: skip


async def passed_on(
    thread_id: int,
    title: str,
    by_id: int,
    by_name: str,
    to_id: int,
    note: str,
    standing_in_for: str | None = None,
) -> Created:
    why = f" ({clip(note, 120)})" if note else ""
    whom = f" for {standing_in_for}, who is away" if standing_in_for else ""
    return await notify(
        kind=Kind.ROUTED, recipient_ids=[to_id],
        text=f"{by_name} passed you a question{whom}: “{clip(title)}”{why}",
        url=f"/t/{thread_id}", actor_id=by_id, thread_id=thread_id,
    )  # fmt: skip


async def reminder(thread_id: int, title: str, expert_ids: list[int], due: datetime) -> Created:
    return await notify(
        kind=Kind.RESPONSE_REMINDER, recipient_ids=expert_ids,
        text=f"Still waiting for a first answer (target {_when(due)}): “{clip(title)}”",
        url=f"/t/{thread_id}", thread_id=thread_id,
    )  # fmt: skip


async def escalated(
    thread_id: int, title: str, moderator_ids: list[int], due: datetime, solution: bool
) -> Created:
    what = "accepted answer" if solution else "first answer"
    return await notify(
        kind=Kind.RESPONSE_ESCALATED, recipient_ids=moderator_ids,
        text=f"Overdue: no {what} by its target ({_when(due)}): “{clip(title)}”",
        url=f"/t/{thread_id}", thread_id=thread_id,
    )  # fmt: skip
