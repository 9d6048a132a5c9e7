"""Announcements: administrators tell everyone, or the partners of one tier, something; each
recipient gets a notification that links to the announcement's page."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from community import policy, validation
from community.actor import Actor
from community.errors import Forbidden, NotFound
from community.markdown import render_markdown
from community.models import Announcement, AnnouncementAudience, NotificationKind, OrgKind, Role, User
from community.notifications.delivery import announce, clip, notify
from community.transactions import WithinTransaction

LIST_MAX = 100


def audiences(partner_tiers: list[str] | tuple[str, ...]) -> list[str]:
    return [AnnouncementAudience.ALL, *partner_tiers]


async def send_announcement(
    actor: Actor,
    partner_tiers: list[str] | tuple[str, ...],
    *,
    title: object,
    body: object,
    audience: object,
    within: WithinTransaction | None = None,
) -> Announcement:
    """Administrators only. ``audience``: "all", or a partner tier (its partners hear about it;
    staff may read every announcement but are told only about those sent to all). ``within``: the
    caller's last step inside the transaction, given the announcement's id."""
    if not policy.can_send_announcements(actor):
        raise Forbidden("Only administrators can send announcements.")
    fields: dict[str, str] = {}
    title_text = validation.title(title, fields)
    body_text = validation.body(body, fields)
    audience_value = validation.choice(
        AnnouncementAudience.ALL if audience in (None, "") else audience, audiences(partner_tiers), fields,
        "audience",
    )  # fmt: skip
    validation.raise_if(fields)
    recipients = User.all()
    if audience_value != AnnouncementAudience.ALL:
        recipients = recipients.filter(
            role=Role.PARTNER, organisation__kind=OrgKind.PARTNER, organisation__tier=audience_value
        )
    recipient_ids = await recipients.values_list("id", flat=True)
    async with in_transaction():
        item = await Announcement.create(
            title=title_text, body_source=body_text, body_html=render_markdown(body_text),
            audience=audience_value, author_id=actor.id,
        )  # fmt: skip
        notes = await notify(
            kind=NotificationKind.ANNOUNCEMENT,
            recipient_ids=recipient_ids,
            text=f"Announcement: {clip(title_text, 140)}",
            url=f"/announcements/{item.id}",
            actor_id=actor.id,
        )
        item.recipient_count = len(notes)
        await item.save(update_fields=["recipient_count"])
        if within is not None:
            await within(item.id)
    await announce(notes)
    return item


async def get_announcement(actor: Actor, announcement_id: int) -> dict[str, Any]:
    rows = await Announcement.filter(id=announcement_id).values(
        "id", "title", "body_html", "audience", "created_at", "recipient_count",
        author_name="author__display_name", author_handle="author__handle",
    )  # fmt: skip
    if not rows or not policy.can_see_announcement(actor, rows[0]["audience"]):
        raise NotFound("No such announcement.")
    return rows[0]


async def list_announcements(actor: Actor) -> list[dict[str, Any]]:
    """What was sent, newest first (administrators: the admin page)."""
    if not policy.can_send_announcements(actor):
        raise Forbidden("Only administrators can send announcements.")
    return (
        await Announcement.all()
        .order_by("-id")
        .limit(LIST_MAX)
        .values(
            "id", "title", "audience", "created_at", "recipient_count", author_name="author__display_name"
        )
    )
