"""Asking: a new question or discussion, with its opening post, tags and the moderation rules it
passes.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from community import policy, validation
from community.actor import Actor
from community.events import ThreadCreated, publish, record
from community.experts import profiles as expert_profiles
from community.experts import routing
from community.models import (
    Category,
    Post,
    PostRevision,
    PostState,
    Tag,
    Thread,
    ThreadKind,
    ThreadTag,
    User,
)
from community.notifications import forum_notices
from community.notifications.delivery import Created, announce
from community.policy import require_can_post
from community.ports import ModerationGate
from community.post_text import render_post_body
from community.search.outbox import THREAD, index_later
from community.timeutil import utcnow
from community.transactions import WithinTransaction
from moderation import screening


async def set_thread_tags(thread: Thread, names: list[str]) -> None:
    await ThreadTag.filter(thread_id=thread.id).delete()
    for name in names:
        tag, _ = await Tag.get_or_create(name=name)
        await ThreadTag.create(thread_id=thread.id, tag_id=tag.id)


async def create_thread(
    actor: Actor,
    *,
    category: object,
    kind: object,
    title: object,
    body: object,
    tags: object = None,
    private: object = False,
    created_at: datetime | None = None,
    gate: ModerationGate | None = None,
    ip: str | None = None,
    within: WithinTransaction | None = None,
    expert: object = None,
) -> Thread:
    """``gate``: the moderation rules new posts pass (views hand in the app's; imports and the
    demo pass none); ``ip``: the address the request came from (rate limits). ``private``: a
    partner's private question, seen only by their organisation and staff. ``within``: the
    caller's last step inside the transaction, given the new thread's id. ``expert``: the handle
    of the expert the asker chose ("Ask this expert"), routed to first."""
    require_can_post(actor)
    fields: dict[str, str] = {}
    cat = None
    if not isinstance(category, str) or not category:
        fields["category"] = "Choose a category."
    else:
        # Only a well-formed slug reaches the database (PostgreSQL rejects NUL characters).
        cat = await Category.filter(slug=category).first() if validation.SLUG_RE.match(category) else None
        if cat is None or not policy.can_see_category(actor, cat):
            fields["category"] = "Choose one of the categories listed."
    # Missing (None, or "" from a form) means a question; any other non-text value is an error.
    kind_value = validation.choice(
        ThreadKind.QUESTION if kind in (None, "") else kind, ThreadKind.ALL, fields, "kind"
    )
    title_text = validation.title(title, fields)
    body_text = validation.body(body, fields)
    tag_names = validation.tags(tags, fields)
    is_private = validation.boolean(private, fields, "private")
    if is_private and not policy.can_ask_privately(actor):
        fields["private"] = "Only partners ask privately: staff questions are seen by staff anyway."
    asked = None
    if expert not in (None, ""):
        asked = await expert_profiles.find_expert(expert)
        if asked is None:
            fields["expert"] = "Choose an expert from the experts directory."
        elif kind_value != ThreadKind.QUESTION:
            fields["expert"] = "Ask an expert a question (a discussion is not routed)."
    validation.raise_if(fields)
    assert cat is not None
    screened = await screening.screen(
        gate, cat.id, {"title": title_text, "body": body_text}, author=actor, ip=ip
    )
    title_text, body_text = screened.texts["title"], screened.texts["body"]
    html, mentioned = await render_post_body(body_text)
    when = created_at or utcnow()
    async with in_transaction():
        thread = await Thread.create(
            category=cat,
            kind=kind_value,
            title=title_text,
            author_id=actor.id,
            tag_names=tag_names,
            private_org_id=actor.organisation_id if is_private else None,
            created_at=when,
            last_activity_at=when,
            asked_expert_id=asked.id if asked is not None else None,
        )
        post = await Post.create(
            thread=thread, author_id=actor.id, is_opening=True, body_source=body_text,
            body_html=html, created_at=when, state=screened.state,
        )  # fmt: skip
        notes: Created = []
        await screening.record_screening(screened, post, thread.id, cat.id, notes)
        await PostRevision.create(
            post=post, number=1, editor_id=actor.id, title=title_text, tag_names=tag_names,
            body_source=body_text, body_html=html,
        )  # fmt: skip
        await set_thread_tags(thread, tag_names)
        await User.filter(id=actor.id).update(post_count=F("post_count") + 1)
        await index_later((THREAD, thread.id))
        notes += await forum_notices.on_new_thread(actor, thread, post, mentioned)
        # A question held for review is not routed: experts hear of nothing they may not see. It
        # is when published, to the expert asked first (``thread.asked_expert_id``).
        if thread.is_question and post.state == PostState.VISIBLE:
            notes += await routing.route_new_question(actor, thread, asked=asked)
        created = ThreadCreated(thread.id, post.id, cat.id, actor.id, tuple(mentioned))
        await record(created)
        if within is not None:
            await within(thread.id)
    await publish(created)
    await announce(notes)
    return thread
