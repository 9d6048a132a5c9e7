"""Notifications and digests by mail: the scheduled jobs that queue them, and the composers that
write them when they are sent (``app.py`` wires both in).

What a mail names is decided when it is sent, from what the recipient may see then: a question
moved out of their reach between the notification and the mail, or a post hidden meanwhile, is
left out (a notification mail about it is withheld altogether). A notification read in the app
before its mail is due is not mailed at all.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from community import jobs, policy
from community.actor import Actor, as_aware, load_actors
from community.jobs import AfterCommit, Handler
from community.mail import queue as mail_queue
from community.mail.compose import Composed, Withheld, render_mail
from community.mail.notices import NOTIFICATION_JOB
from community.mail.preferences import DIGEST, mail_preferences, who_wants
from community.mail.sender import Composer
from community.mail.unsubscribe import unsubscribe_headers, unsubscribe_url
from community.models import (
    Announcement,
    Article,
    ArticleState,
    DigestFrequency,
    MailKind,
    MailSettings,
    Notification,
    OutgoingMail,
    Post,
    PostState,
    ScheduledJob,
    Thread,
    User,
    Watch,
    WatchLevel,
    WatchTarget,
)
from community.notifications.centre import KIND_LABELS
from community.settings import Settings
from community.timeutil import utcnow

DIGEST_JOB = "mail.digests"
DIGEST_HOUR = 6  # UTC; weekly digests go out on Mondays
PERIODS = {DigestFrequency.DAILY: timedelta(days=1), DigestFrequency.WEEKLY: timedelta(days=7)}
DIGEST_THREADS_MAX = 30
DIGEST_ARTICLES_MAX = 15
EXCERPT_MAX = 600
_ANNOUNCEMENT_URL = re.compile(r"^/announcements/(\d+)$")


def job_handlers(settings: Settings) -> dict[str, Handler]:
    async def notification_job(job: ScheduledJob) -> AfterCommit | None:
        await queue_notification_mail(settings, job.payload.get("notification_id"))
        return None

    async def digest_job(job: ScheduledJob) -> AfterCommit | None:
        await queue_digests(settings, job.payload)
        return None

    return {NOTIFICATION_JOB: notification_job, DIGEST_JOB: digest_job}


def composers(settings: Settings) -> dict[str, Composer]:
    async def notification(mail: OutgoingMail) -> Composed | Withheld:
        return await compose_notification(settings, mail)

    async def digest(mail: OutgoingMail) -> Composed | Withheld:
        return await compose_digest(settings, mail)

    return {MailKind.NOTIFICATION: notification, MailKind.DIGEST: digest}


# --- notification mails ----------------------------------------------------------------------------


async def queue_notification_mail(settings: Settings, notification_id: object) -> OutgoingMail | None:
    """The job's work (inside its transaction): queue the mail, due when the person has had
    ``mail_notify_delay_minutes`` to see the notification in the app."""
    if type(notification_id) is not int:
        return None
    rows = await Notification.filter(id=notification_id).values("user_id", "kind", "read_at", "created_at")
    if not rows or rows[0]["read_at"] is not None:
        return None
    note = rows[0]
    if not await who_wants(note["kind"], [note["user_id"]]):
        return None
    email = await User.filter(id=note["user_id"]).values_list("email", flat=True)
    if not email:
        return None
    created = as_aware(note["created_at"]) or utcnow()
    return await mail_queue.enqueue(
        settings, kind=MailKind.NOTIFICATION, to=email[0], recipient_id=note["user_id"],
        payload={"notification_id": notification_id, "kind": note["kind"]},
        due=created + timedelta(minutes=settings.mail_notify_delay_minutes),
    )  # fmt: skip


async def _thread_facts(thread_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not thread_ids:
        return {}
    facts = {
        t["id"]: t
        for t in await Thread.filter(id__in=thread_ids).values(
            "id", "title", "author_id", "is_deleted", "category_id", "tag_names", "created_at",
            "private_org_id",
            visibility="category__visibility", tiers="category__tiers", category_name="category__name",
        )
    }  # fmt: skip
    openings = await Post.filter(thread_id__in=thread_ids, is_opening=True).values_list("thread_id", "state")
    for thread_id, state in openings:
        if thread_id in facts:
            facts[thread_id]["opening_state"] = state
    return facts


async def _may_see_notification(actor: Actor, note: Notification) -> bool:
    if note.thread_id is not None:
        thread = (await _thread_facts([note.thread_id])).get(note.thread_id)
        if thread is None or not policy.may_hear_about_thread(
            actor, note.kind, visibility=thread["visibility"], tiers=thread["tiers"],
            author_id=thread["author_id"], opening_state=thread.get("opening_state"),
            is_deleted=thread["is_deleted"], private_org_id=thread["private_org_id"],
        ):  # fmt: skip
            return False
    if note.article_id is not None:
        rows = await Article.filter(id=note.article_id).values(
            "state", visibility="category__visibility", tiers="category__tiers"
        )
        if not rows or not policy.can_see_article(
            actor, rows[0]["state"], rows[0]["visibility"], rows[0]["tiers"]
        ):
            return False
    if match := _ANNOUNCEMENT_URL.match(note.url or ""):
        audience = await Announcement.filter(id=int(match.group(1))).values_list("audience", flat=True)
        if not audience or not policy.can_see_announcement(actor, audience[0]):
            return False
    return True


async def compose_notification(settings: Settings, mail: OutgoingMail) -> Composed | Withheld:
    note = await Notification.get_or_none(id=mail.payload.get("notification_id") or 0)
    if note is None:
        return Withheld("The notification no longer exists.")
    if note.read_at is not None:
        return Withheld("Seen in the app before the mail was due.")
    if not (await mail_preferences(note.user_id)).wants(note.kind):
        return Withheld("The recipient no longer wants mail of this kind.")
    actor = (await load_actors([note.user_id])).get(note.user_id)
    if actor is None or actor.is_suspended:
        return Withheld("The recipient's account is gone or suspended.")
    if not await _may_see_notification(actor, note):
        return Withheld("What it is about is no longer visible to the recipient.")
    excerpt = ""
    title = None
    if note.thread_id is not None:
        title = await Thread.filter(id=note.thread_id).values_list("title", flat=True)
        title = title[0] if title else None
    if note.post_id is not None:
        post = await Post.get_or_none(id=note.post_id)
        # A moderator's notice about one's own post goes whatever became of it; any other names a
        # post that must still be there for its reader.
        if note.kind not in policy.MODERATION_NOTICES and (
            post is None or not policy.can_see_post_body(actor, post)
        ):
            return Withheld("The post it is about is no longer visible to the recipient.")
        if post is not None and post.state == PostState.VISIBLE and policy.can_see_post_body(actor, post):
            excerpt = _clip(post.body_source, EXCERPT_MAX)
    link = f"{settings.base_url}/posts/{note.post_id}" if note.post_id else f"{settings.base_url}{note.url}"
    context = {
        "text": note.text,
        "count": note.count,
        "thread_title": title,
        "excerpt": excerpt,
        "link": link,
        "kind_label": KIND_LABELS.get(note.kind, note.kind),
        "unsubscribe_url": unsubscribe_url(settings, note.user_id, note.kind),
        "why": f"You get this mail because you chose mails about: {KIND_LABELS.get(note.kind, note.kind)}.",
    }
    return render_mail(
        settings, "notification", context, unsubscribe_headers(settings, note.user_id, note.kind)
    )


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- digests ---------------------------------------------------------------------------------------


def next_digest_time(frequency: str, after: datetime) -> datetime:
    """The first digest moment after ``after``: 06:00 UTC each day, or each Monday."""
    moment = after.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if moment <= after:
        moment += timedelta(days=1)
    if frequency == DigestFrequency.WEEKLY:
        moment += timedelta(days=(7 - moment.weekday()) % 7)
    return moment


def digest_key(frequency: str, until: datetime) -> str:
    return f"mail:digests:{frequency}:{until:%Y-%m-%d}"


async def schedule_digests(now: datetime | None = None) -> None:
    """At start-up: make sure the next daily and weekly digest runs are scheduled (idempotent)."""
    now = now or utcnow()
    for frequency, period in PERIODS.items():
        until = next_digest_time(frequency, now)
        await _schedule_digest(frequency, until - period, until)


async def _schedule_digest(frequency: str, since: datetime, until: datetime) -> None:
    payload = {"frequency": frequency, "since": since.isoformat(), "until": until.isoformat()}
    await jobs.schedule(DIGEST_JOB, digest_key(frequency, until), until, payload)


async def queue_digests(settings: Settings, payload: dict[str, Any]) -> int:
    """The digest run's work (inside its transaction): one digest mail per person who chose this
    frequency, composed when sent; then the next run is scheduled."""
    frequency = payload.get("frequency")
    if frequency not in PERIODS:
        return 0
    since, until = datetime.fromisoformat(payload["since"]), datetime.fromisoformat(payload["until"])
    people = await MailSettings.filter(digest=frequency).values("user_id", email="user__email")
    for person in people:
        await mail_queue.enqueue(
            settings, kind=MailKind.DIGEST, to=person["email"], recipient_id=person["user_id"],
            payload={"frequency": frequency, "since": since.isoformat(), "until": until.isoformat()},
        )  # fmt: skip
    await _schedule_digest(frequency, until, until + PERIODS[frequency])
    return len(people)


async def digest_contents(actor: Actor, since: datetime, until: datetime) -> dict[str, list[dict[str, Any]]]:
    """New questions and discussions in the categories and tags ``actor`` watches (not in those
    they muted), and new knowledge-base articles: only what they may see now."""
    watches = await Watch.filter(
        user_id=actor.id, target_type__in=[WatchTarget.CATEGORY, WatchTarget.TAG]
    ).values("target_type", "target_key", "level")
    watched_cats = {w["target_key"] for w in watches if w["target_type"] == WatchTarget.CATEGORY
                    and w["level"] == WatchLevel.WATCHING}  # fmt: skip
    watched_tags = {w["target_key"] for w in watches if w["target_type"] == WatchTarget.TAG
                    and w["level"] == WatchLevel.WATCHING}  # fmt: skip
    muted_cats = {w["target_key"] for w in watches if w["target_type"] == WatchTarget.CATEGORY
                  and w["level"] == WatchLevel.MUTED}  # fmt: skip
    threads: list[dict[str, Any]] = []
    if watched_cats or watched_tags:
        ids = await (
            Thread.filter(created_at__gte=since, created_at__lt=until, is_deleted=False)
            .order_by("-created_at")
            .limit(500)
            .values_list("id", flat=True)
        )
        facts = await _thread_facts(list(ids))
        for thread_id in ids:
            t = facts[thread_id]
            category = str(t["category_id"])
            tags = set(t["tag_names"] or [])
            if category in muted_cats or not (category in watched_cats or tags & watched_tags):
                continue
            if t["author_id"] == actor.id or not policy.can_see_category_rule(
                actor, t["visibility"], t["tiers"]
            ):
                continue
            if not policy.can_see_private(actor, t["private_org_id"]):
                continue
            if t.get("opening_state") != PostState.VISIBLE:
                continue
            threads.append(t)
            if len(threads) >= DIGEST_THREADS_MAX:
                break
    articles = [
        a
        for a in await Article.filter(
            state=ArticleState.PUBLISHED, published_at__gte=since, published_at__lt=until
        )
        .order_by("-published_at")
        .limit(200)
        .values("id", "title", "summary", "state", visibility="category__visibility", tiers="category__tiers")
        if policy.can_see_article(actor, a["state"], a["visibility"], a["tiers"])
    ][:DIGEST_ARTICLES_MAX]
    return {"threads": threads, "articles": articles}


async def compose_digest(settings: Settings, mail: OutgoingMail) -> Composed | Withheld:
    if mail.recipient_id is None:
        return Withheld("A digest needs a recipient.")
    if not (await mail_preferences(mail.recipient_id)).wants(DIGEST):
        return Withheld("The recipient no longer wants a digest.")
    actor = (await load_actors([mail.recipient_id])).get(mail.recipient_id)
    if actor is None or actor.is_suspended:
        return Withheld("The recipient's account is gone or suspended.")
    since = datetime.fromisoformat(mail.payload["since"])
    until = datetime.fromisoformat(mail.payload["until"])
    contents = await digest_contents(actor, since, until)
    if not contents["threads"] and not contents["articles"]:
        return Withheld("Nothing new for this person in the period.")
    frequency = mail.payload.get("frequency", DigestFrequency.DAILY)
    context = {
        **contents,
        "frequency": frequency,
        "since": since,
        "until": until,
        "name": actor.display_name,
        "unsubscribe_url": unsubscribe_url(settings, actor.id, DIGEST),
        "why": f"You get this {frequency} digest because you chose it in your mail settings.",
    }
    return render_mail(settings, "digest", context, unsubscribe_headers(settings, actor.id, DIGEST))
