"""Who may see and do what. The only place where permissions are decided.

Visibility comes in two forms of one rule: a predicate on a category (``can_see_category``) and a
query filter built from it (``visible_category_ids``), so lists never load what they must not show.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from community.actor import Actor
from community.errors import Forbidden
from community.models import (
    AnnouncementAudience,
    ArticleState,
    Category,
    NotificationKind,
    PostState,
    Role,
    ThreadKind,
    ThreadStatus,
    Visibility,
)


class _PostLike(Protocol):
    author_id: int
    state: str


class _ThreadLike(Protocol):
    author_id: int
    kind: str
    status: str
    locked: bool


def can_see_category_rule(actor: Actor, visibility: str, tiers: list[str] | None) -> bool:
    if actor.is_staff or visibility == Visibility.ALL:
        return True
    if visibility == Visibility.TIERS:
        return actor.org_tier is not None and actor.org_tier in (tiers or [])
    return False


def can_see_category(actor: Actor, category: Category) -> bool:
    return can_see_category_rule(actor, category.visibility, category.tiers)


async def visible_category_ids(actor: Actor) -> list[int]:
    rows = await Category.all().values("id", "visibility", "tiers")
    return [r["id"] for r in rows if can_see_category_rule(actor, r["visibility"], r["tiers"])]


def can_see_post_body(actor: Actor, post: _PostLike) -> bool:
    """Deleted posts show as a placeholder; hidden or pending ones to moderators and the author."""
    if post.state == PostState.VISIBLE:
        return True
    if post.state in (PostState.HIDDEN, PostState.PENDING):
        return actor.is_moderator or post.author_id == actor.id
    return False


# A question in one of these states takes its whole thread (title included) out of sight.
THREAD_HIDING_STATES = frozenset({PostState.HIDDEN, PostState.PENDING})


def can_see_private(actor: Actor, private_org_id: int | None) -> bool:
    """A private question (``private_org_id`` set) is seen by that partner organisation and by
    company staff only; every other thread by anyone allowed into its category."""
    return private_org_id is None or actor.is_staff or actor.organisation_id == private_org_id


def private_audience(actor: Actor) -> tuple[frozenset[int], bool]:
    """The private questions a person may find, as the search index filters them: those of these
    organisations, or (True) every one of them. The same rule as ``can_see_private``."""
    return frozenset({actor.organisation_id}), actor.is_staff


def can_ask_privately(actor: Actor) -> bool:
    """Partners ask privately (their organisation and staff see it); staff have no one to hide from."""
    return actor.role == Role.PARTNER


def can_see_place(actor: Actor, category: Category, private_org_id: int | None) -> bool:
    """Whether a thread in ``category`` (private to ``private_org_id``, if set) may be seen by
    ``actor``, leaving aside moderation of its opening post (``can_see_thread``)."""
    return can_see_category(actor, category) and can_see_private(actor, private_org_id)


def can_see_thread(actor: Actor, author_id: int, opening_state: str, *, private_org_id: int | None) -> bool:
    """Category visibility aside: a private question is seen by its organisation and staff only,
    and a thread whose question is held or hidden by moderation by its author and moderators."""
    if not can_see_private(actor, private_org_id):
        return False
    return opening_state not in THREAD_HIDING_STATES or actor.is_moderator or author_id == actor.id


def can_reply(actor: Actor, thread: _ThreadLike) -> bool:
    """Closed: no new answers; locked: nothing new at all. Moderators may still post in both."""
    open_to_actor = (thread.status == ThreadStatus.OPEN and not thread.locked) or actor.is_moderator
    return open_to_actor and can_post(actor)


def is_frozen_for(actor: Actor, locked: bool) -> bool:
    """A locked thread: nobody but moderators may post, edit, delete, vote or accept in it."""
    return locked and not actor.is_moderator


def can_edit_post(actor: Actor, post: _PostLike, *, locked: bool = False) -> bool:
    """Author or staff; never a text the actor may not read (an expert and a hidden post)."""
    return (
        post.state != PostState.DELETED
        and (post.author_id == actor.id or actor.is_staff)
        and can_see_post_body(actor, post)
        and not is_frozen_for(actor, locked)
    )


def can_delete_post(actor: Actor, post: _PostLike, *, locked: bool = False) -> bool:
    return (
        post.state != PostState.DELETED
        and (post.author_id == actor.id or actor.is_moderator)
        and not is_frozen_for(actor, locked)
    )


def can_vote(actor: Actor, post: _PostLike, *, locked: bool = False) -> bool:
    return post.author_id != actor.id and post.state == PostState.VISIBLE and not is_frozen_for(actor, locked)


def can_accept(actor: Actor, thread: _ThreadLike) -> bool:
    return (
        thread.kind == ThreadKind.QUESTION
        and (thread.author_id == actor.id or actor.is_staff)
        and not is_frozen_for(actor, thread.locked)
    )


def can_accept_post(actor: Actor, thread: _ThreadLike, answer_author_id: int | None) -> bool:
    """``can_accept``, except that staff accept on the asker's behalf but never their own answer
    (it would count as their accepted answer in the experts' and the dashboard's figures)."""
    return can_accept(actor, thread) and (thread.author_id == actor.id or answer_author_id != actor.id)


def can_flag(actor: Actor, post: _PostLike) -> bool:
    """Anyone signed in who may post may flag what they can see, except their own posts and
    deleted ones."""
    return post.author_id != actor.id and post.state != PostState.DELETED and can_post(actor)


def offers_flag(actor: Actor, post: _PostLike) -> bool:
    """Whether the thread page offers "Flag": only on published posts (a hidden or held one
    already waits for a moderator, who sees its flags)."""
    return post.state == PostState.VISIBLE and can_flag(actor, post)


def can_flag_thread(actor: Actor, thread: _ThreadLike) -> bool:
    """A thread as a whole (its title, its topic): anyone signed in who sees it and may post, but
    its author."""
    return thread.author_id != actor.id and can_post(actor)


def can_change_thread_status(actor: Actor, thread: _ThreadLike, status: str) -> bool:
    """Moderators close and reopen any thread; an author may close their own (not reopen it)."""
    return actor.is_moderator or (thread.author_id == actor.id and status == ThreadStatus.CLOSED)


def can_moderate_threads(actor: Actor) -> bool:
    """Lock, pin, move, merge, mark as duplicate: moderators only (never the author as such)."""
    return actor.is_moderator


def can_moderate(actor: Actor) -> bool:
    """The review queue, decisions on posts and the audit log."""
    return actor.is_moderator


def can_manage_site(actor: Actor) -> bool:
    """Categories, organisations and invitations into any organisation."""
    return actor.role == Role.ADMIN


def can_invite(actor: Actor, organisation_id: int, role: str) -> bool:
    """Admins invite anyone; a partner organisation admin invites partners into their own org."""
    if actor.role == Role.ADMIN:
        return True
    return (
        actor.is_org_admin
        and actor.role == Role.PARTNER
        and actor.organisation_id == organisation_id
        and role == Role.PARTNER
    )


def can_configure_sign_in(actor: Actor, organisation_id: int) -> bool:
    """A partner organisation's single sign-on: admins, and that organisation's own admin."""
    if actor.role == Role.ADMIN:
        return True
    return actor.is_org_admin and actor.role == Role.PARTNER and actor.organisation_id == organisation_id


def can_see_org_members(actor: Actor, organisation_id: int) -> bool:
    return actor.is_staff or actor.organisation_id == organisation_id


def may_suggest_anyone(actor: Actor) -> bool:
    """Who is offered when typing @ in the editor. Staff: every active member. A partner: the
    members of their own organisation, the company's people (experts, moderators, admins) and
    anyone with a published post they may read: never another organisation's member list
    (``can_see_org_members``). ``accounts.suggestions`` applies the rule in its query."""
    return actor.is_staff


# --- sanctions ---------------------------------------------------------------------------------------

# An indefinite silence or suspension is stored as ending in year 9999 (one column, one comparison).
INDEFINITE = datetime(9999, 12, 31, tzinfo=UTC)


def sanction_end(until: datetime | None) -> str:
    """'until 3 December 2026, 10:00 UTC', or 'until a moderator lifts it' when indefinite."""
    if until is None or until >= INDEFINITE - timedelta(days=1):
        return "until a moderator lifts it"
    until = until.astimezone(UTC)
    return f"until {until.day} {until:%B %Y, %H:%M} UTC"


def posting_refusal(actor: Actor) -> str | None:
    """Why the actor may not post, or None. Silenced members read, vote and accept answers, but
    cannot ask, answer, reply, edit, flag or change their public profile text."""
    if actor.is_silenced:
        return (
            f"A moderator has silenced your account {sanction_end(actor.silenced_until)}: you can read "
            "and vote, but not post, edit or flag."
        )
    return None


def can_post(actor: Actor) -> bool:
    return posting_refusal(actor) is None


def require_can_post(actor: Actor) -> None:
    """Every use case that publishes text calls this first: a silenced member is told why and
    until when, before any input is looked at."""
    if (reason := posting_refusal(actor)) is not None:
        raise Forbidden(reason)


def suspension_refusal(until: datetime | None) -> str:
    return f"This account is suspended {sanction_end(until)}. Contact a moderator if you think this is wrong."


def can_sanction(actor: Actor, target_id: int, target_role: str) -> bool:
    """Moderators warn, silence and suspend partners and experts; only admins do it to moderators
    and admins; nobody to themselves."""
    if not actor.is_moderator or target_id == actor.id:
        return False
    return actor.is_admin or target_role not in (Role.MODERATOR, Role.ADMIN)


# --- knowledge base ---------------------------------------------------------------------------------


def can_curate(actor: Actor) -> bool:
    """Promote answers to articles, edit them, restore versions, publish and archive: staff."""
    return actor.is_staff


def can_see_article(actor: Actor, state: str, visibility: str, tiers: list[str] | None) -> bool:
    """An article inherits its category's visibility; drafts and archived articles are staff-only."""
    if not can_see_category_rule(actor, visibility, tiers):
        return False
    return state == ArticleState.PUBLISHED or actor.is_staff


def can_see_products(actor: Actor) -> bool:
    """The product list (names and versions): every signed-in member (``actor``), page and API
    alike. Partners sell these products and filter articles by them; nothing in it is confidential."""
    return True


def can_manage_products(actor: Actor) -> bool:
    """The products and versions articles apply to."""
    return actor.is_staff


def audience_within(inner: Category, outer: Category) -> bool:
    """Whether everyone who may see ``inner`` may also see ``outer`` (same or narrower audience):
    an answer from ``outer`` may be published into ``inner`` without widening who reads it."""
    if outer.visibility == Visibility.ALL:
        return True
    if inner.visibility == Visibility.STAFF:
        return True
    if outer.visibility == Visibility.STAFF:
        return False
    # outer is tier-restricted: inner must be too, to a subset of its tiers
    return inner.visibility == Visibility.TIERS and set(inner.tiers or []) <= set(outer.tiers or [])


def can_widen_audience(actor: Actor) -> bool:
    """Publishing a restricted thread's answer to a wider audience is an expert's explicit call."""
    return actor.is_staff


def thread_audience_within(
    inner: Category, inner_private_org_id: int | None, outer: Category, outer_private_org_id: int | None
) -> bool:
    """``audience_within`` for threads, which may also be private to one organisation: a private
    thread's posts stay private to the same organisation (an article is never private, so an
    answer from a private question always widens its audience)."""
    if outer_private_org_id is not None and inner_private_org_id != outer_private_org_id:
        return False
    return audience_within(inner, outer)


def may_publish_into(
    actor: Actor,
    source: Category,
    target: Category,
    *,
    confirm_wider: bool,
    source_private_org_id: int | None = None,
    target_private_org_id: int | None = None,
) -> bool:
    """Whether posts written in ``source`` may become readable in ``target`` (a merge): the same or
    a narrower audience, or a wider one that staff confirmed on purpose."""
    within = thread_audience_within(target, target_private_org_id, source, source_private_org_id)
    return within or (confirm_wider and can_widen_audience(actor))


# --- notifications ---------------------------------------------------------------------------------

# Notices about one's own post, flag or account: they reach someone who may see the category even
# when the thread itself is out of their sight (a hidden question is exactly what they hear about).
MODERATION_NOTICES = frozenset(
    {
        NotificationKind.FLAG_OUTCOME,
        NotificationKind.POST_HIDDEN,
        NotificationKind.POST_RESTORED,
        NotificationKind.POST_APPROVED,
        NotificationKind.POST_EDITED,
        NotificationKind.THREAD_MODERATED,
        NotificationKind.REVIEW_ITEM,
        NotificationKind.SANCTION,
    }
)
# What a person may switch off: never what a moderator tells them about their own account.
MUTABLE_NOTICES = tuple(k for k in NotificationKind.ALL if k != NotificationKind.SANCTION)
# Shown on the preferences page to staff only (nobody else ever receives them).
STAFF_NOTICES = frozenset(
    {
        NotificationKind.REVIEW_ITEM,
        NotificationKind.ARTICLE_REVIEW,
        NotificationKind.ROUTED,
        NotificationKind.RESPONSE_REMINDER,
        NotificationKind.RESPONSE_ESCALATED,
    }
)


def may_hear_about_thread(
    actor: Actor,
    kind: str,
    *,
    visibility: str,
    tiers: list[str] | None,
    author_id: int,
    opening_state: str | None,
    is_deleted: bool,
    private_org_id: int | None,
) -> bool:
    """Whether a notification of ``kind`` about a thread may reach (or still be shown to) ``actor``:
    nobody hears about a thread they may not see, except its author that it was moved out of
    their reach (the notice names no category and links nowhere)."""
    if kind == NotificationKind.THREAD_MODERATED and actor.id == author_id:
        return True
    if not can_see_category_rule(actor, visibility, tiers) or not can_see_private(actor, private_org_id):
        return False
    if kind in MODERATION_NOTICES:
        return True
    return (
        not is_deleted
        and opening_state is not None
        and can_see_thread(actor, author_id, opening_state, private_org_id=private_org_id)
    )


def can_send_announcements(actor: Actor) -> bool:
    return actor.role == Role.ADMIN


def can_see_announcement(actor: Actor, audience: str) -> bool:
    """Everyone, or the partners of the tier it was sent to; staff see every announcement."""
    return audience == AnnouncementAudience.ALL or actor.is_staff or actor.org_tier == audience


# --- experts, routing and response targets ----------------------------------------------------------


def can_edit_expertise(actor: Actor, user_id: int, user_role: str) -> bool:
    """An expert's expertise and availability: the expert themselves, or an admin (for any staff
    member: only staff are routed questions)."""
    if user_role not in Role.STAFF:
        return False
    return actor.id == user_id or actor.is_admin


def can_route_questions(actor: Actor) -> bool:
    """Passing a question on to a colleague, and seeing whom it was routed to: staff."""
    return actor.is_staff


def can_see_response_times(actor: Actor) -> bool:
    """Deadlines, overdue marks and the Waiting view: staff."""
    return actor.is_staff


def can_set_response_targets(actor: Actor) -> bool:
    return actor.role == Role.ADMIN


# --- support ratings and the channel-health dashboard ----------------------------------------------


def can_rate_as_asker(actor: Actor, thread: _ThreadLike) -> bool:
    """The asker rates the support they got once they accepted an answer or closed the question."""
    accepted = getattr(thread, "accepted_post_id", None) is not None
    return (
        thread.kind == ThreadKind.QUESTION
        and thread.author_id == actor.id
        and (accepted or thread.status == ThreadStatus.CLOSED)
    )


def can_rate_as_expert(actor: Actor, *, answered: bool) -> bool:
    """Staff who answered a question rate how well they think they helped."""
    return actor.is_staff and answered


def can_read_support_ratings(actor: Actor) -> bool:
    """Every rating with its comment: staff. Anyone else reads their own."""
    return actor.is_staff


def can_see_dashboard(actor: Actor) -> bool:
    """The channel-health dashboard: staff, and a partner organisation's admin (their own row)."""
    return actor.is_staff or (actor.is_org_admin and actor.role == Role.PARTNER)


def dashboard_organisation(actor: Actor) -> int | None:
    """The one organisation whose figures the actor sees on the dashboard; None: every one (staff)."""
    return None if actor.is_staff else actor.organisation_id
