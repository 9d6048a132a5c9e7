"""Notifications, digests and announcements by mail against a real SMTP server: content, headers
and links, the seen-in-app suppression, one-click unsubscribe, preferences, and what a recipient
may see decided at send time (a category's audience changes between the notification and the
mail)."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from community.accounts import directory
from community.app import job_handlers
from community.forum import posts, threads
from community.jobs import JobRunner
from community.kb import articles
from community.mail.preferences import DEFAULT_KINDS, mail_preferences
from community.mail.sender import MailSender
from community.models import (
    DigestFrequency,
    MailKind,
    MailSettings,
    MailState,
    Notification,
    NotificationKind,
    OutgoingMail,
    Post,
    PostState,
    ScheduledJob,
)
from community.notifications import announcements, centre, mailing, watching
from community.policy import STAFF_NOTICES
from tests.conftest import World, login
from tests.mail.conftest import Clock, SmtpServer, parts

LINK = re.compile(r"https?://[^\s\"<>]+")


async def run_jobs(settings, clock: Clock) -> int:  # type: ignore[no-untyped-def]
    return await JobRunner(job_handlers(settings), clock=clock).run_due()


async def asked_and_answered(
    world: World, category: str = "general", body: str = "Use the deal form."
) -> tuple:
    question = await threads.create_thread(
        world.actor(world.partner), category=category, kind="question",
        title="How do I register a deal for a tender?", body="Which form do we use?", tags="deals",
    )  # fmt: skip
    answer = await posts.reply(world.actor(world.expert), question.id, body=body)
    return question, answer


def anonymous(app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_an_unread_notification_is_mailed_after_the_delay_with_links_and_unsubscribe(
    db, app, client, world: World, smtp: SmtpServer, sender: MailSender, clock: Clock
) -> None:
    question, answer = await asked_and_answered(world, body="Use the **deal registration** form, tab 3.")
    # The answer's mail to the asker, and the question routed to Erin, the expert (docs/experts.md).
    assert await run_jobs(db, clock) == 2
    mail = await OutgoingMail.get(kind=MailKind.NOTIFICATION, to_address=world.partner.email)
    assert mail.subject == ""  # written when it is sent
    assert await sender.run_once() == 0  # still within the delay
    clock.advance(minutes=db.mail_notify_delay_minutes + 1)
    assert await sender.run_once() == 2

    [message] = smtp.inbox.to(world.partner.email)
    note = await Notification.get(user_id=world.partner.id, kind=NotificationKind.ANSWER)
    assert (
        message["Subject"]
        == note.text
        == "Erin Expert answered your question “How do I register a deal for a tender?”"
    )
    text, html = parts(message)
    post_link = f"{db.base_url}/posts/{answer.id}"
    assert "Use the **deal registration** form, tab 3." in text and "deal registration" in html
    assert post_link in LINK.findall(text) and f'href="{post_link}"' in html
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(f"{db.base_url}/mail/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text and unsubscribe in html

    # The expert's mail: the question routed to them, linking to it (on by default for experts).
    [routed] = smtp.inbox.to(world.expert.email)
    routed_text, routed_html = parts(routed)
    assert question.title in routed["Subject"] and routed["List-Unsubscribe"]
    assert f"{db.base_url}/t/{question.id}" in LINK.findall(routed_text)
    assert f'href="{db.base_url}/t/{question.id}"' in routed_html

    # The link leads to the exact post.
    await login(client, world.partner)
    landed = await client.get(post_link.removeprefix(db.base_url))
    assert landed.status_code == 303 and landed.headers["location"].endswith(f"/t/{question.id}#p{answer.id}")

    # RFC 8058 one-click: a mail program's POST, no session, no CSRF token.
    async with anonymous(app) as mail_program:
        done = await mail_program.post(
            unsubscribe.removeprefix(db.base_url), content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
    assert done.status_code == 200 and "no longer get mails about" in done.text
    prefs = await mail_preferences(world.partner.id)
    assert NotificationKind.ANSWER not in prefs.kinds and NotificationKind.MENTION in prefs.kinds

    # The next answer is in the app only.
    await centre.mark_all_read(world.actor(world.partner))
    await posts.reply(world.actor(world.moderator), question.id, body="Or ask your distributor.")
    assert await run_jobs(db, clock) == 0
    clock.advance(minutes=db.mail_notify_delay_minutes + 1)
    assert await sender.run_once() == 0
    assert len(smtp.inbox.to(world.partner.email)) == 1


async def test_a_notification_seen_in_the_app_within_the_delay_is_not_mailed(
    db, world: World, smtp: SmtpServer, sender: MailSender, clock: Clock
) -> None:
    await asked_and_answered(world)
    await run_jobs(db, clock)
    note = await Notification.get(user_id=world.partner.id)
    clock.advance(minutes=2)
    await centre.open_notification(world.actor(world.partner), note.id, per_page=20)  # seen in the app
    clock.advance(minutes=db.mail_notify_delay_minutes)
    assert await sender.run_once() == 1  # only Erin's: the question routed to her
    row = await OutgoingMail.get(kind=MailKind.NOTIFICATION, to_address=world.partner.email)
    assert row.state == MailState.WITHHELD and "Seen in the app" in row.last_error
    assert smtp.inbox.to(world.partner.email) == []


async def test_no_mail_names_a_thread_moved_out_of_the_recipients_sight_before_it_is_sent(
    db, world: World, smtp: SmtpServer, sender: MailSender, clock: Clock
) -> None:
    """Mentioned in a public thread, a silver and a gold partner are each notified; before the mails
    go out the category becomes gold-only: the gold partner's mail goes, the silver partner's not."""
    thread = await threads.create_thread(
        world.actor(world.expert), category="general", kind="discussion", title="Rebate rules for Q3",
        body=f"@{world.silver_partner.handle} and @{world.colleague.handle}, please read this.",
    )  # fmt: skip
    assert await Notification.filter(kind=NotificationKind.MENTION).count() == 2
    await run_jobs(db, clock)
    general = await directory.get_category_any("general")
    await directory.update_category(
        db, world.actor(world.admin), general, name=general.name, description="", visibility="tiers:gold",
        position="0",
    )  # fmt: skip
    clock.advance(minutes=db.mail_notify_delay_minutes + 1)
    assert await sender.run_once() == 1

    assert [m["To"] for m in smtp.inbox.messages] == [world.colleague.email]
    withheld = await OutgoingMail.get(to_address=world.silver_partner.email)
    assert withheld.state == MailState.WITHHELD and "no longer visible" in withheld.last_error
    assert "Rebate rules" not in withheld.subject + withheld.text_body + withheld.html_body
    assert thread.id


async def test_no_mail_names_an_answer_deleted_or_hidden_before_it_is_sent(
    db, world: World, smtp: SmtpServer, sender: MailSender, clock: Clock
) -> None:
    """The question stays in sight, but the answer the mail is about does not: deleted by its
    author, or hidden by a moderator, before the mail goes. No mail about it (before: the mail went,
    naming the answer and linking to a post its reader gets a 404 for)."""
    question, deleted = await asked_and_answered(world, body="Try the old form first.")
    hidden = await posts.reply(world.actor(world.moderator), question.id, body="Ask your distributor.")
    await run_jobs(db, clock)
    await posts.delete_post(world.actor(world.expert), deleted.id)
    await Post.filter(id=hidden.id).update(state=PostState.HIDDEN)
    clock.advance(minutes=db.mail_notify_delay_minutes + 1)
    await sender.run_once()

    assert smtp.inbox.to(world.partner.email) == []
    withheld = await OutgoingMail.filter(to_address=world.partner.email).values_list("state", "last_error")
    assert withheld and all(
        state == MailState.WITHHELD and "no longer visible" in why for state, why in withheld
    ), withheld


async def test_preferences_choose_the_kinds_and_the_digest(db, client, world: World) -> None:
    csrf = await login(client, world.colleague)
    page = await client.get("/account/mail")
    assert page.status_code == 200
    for kind in DEFAULT_KINDS:
        if kind not in STAFF_NOTICES:  # routed questions: experts only
            assert f'value="{kind}" checked' in page.text
    assert 'value="review_item"' not in page.text  # staff-only notices are not offered to partners
    saved = await client.post(
        "/account/mail", data={"kinds": ["watched_thread", "mention"], "digest": "weekly", "csrf_token": csrf}
    )
    assert saved.status_code == 303
    prefs = await mail_preferences(world.colleague.id)
    assert prefs.kinds == ("mention", "watched_thread") and prefs.digest == DigestFrequency.WEEKLY
    refused = await client.post(
        "/account/mail", data={"kinds": "review_item", "digest": "hourly", "csrf_token": csrf}
    )
    assert refused.status_code == 422 and "hourly" not in refused.text and "review_item" in refused.text
    assert (await mail_preferences(world.colleague.id)).digest == DigestFrequency.WEEKLY


async def test_an_expert_gets_routed_questions_by_mail_unless_they_choose_otherwise(
    db, client, world: World
) -> None:
    await login(client, world.expert)
    page = await client.get("/account/mail")
    assert page.status_code == 200
    for kind in DEFAULT_KINDS:
        assert f'value="{kind}" checked' in page.text
    assert 'value="response_reminder"' in page.text and 'value="response_reminder" checked' not in page.text


async def test_unsubscribe_pages_need_no_sign_in_and_change_nothing_on_get(db, app, world: World) -> None:
    from community.mail.unsubscribe import unsubscribe_token

    token = unsubscribe_token(db, world.colleague.id, "digest")
    await MailSettings.create(user_id=world.colleague.id, kinds=list(DEFAULT_KINDS), digest="daily")
    async with anonymous(app) as browser:
        page = await browser.get(f"/mail/unsubscribe/{token}")
        assert page.status_code == 200 and "digest" in page.text
        assert (await mail_preferences(world.colleague.id)).digest == "daily"
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        assert (await browser.post(f"/mail/unsubscribe/{forged}", data={})).status_code == 404
        done = await browser.post(f"/mail/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200
    assert (await mail_preferences(world.colleague.id)).digest == "off"


async def test_a_digest_lists_what_is_new_in_watched_categories_and_tags_that_the_reader_may_see(
    db, world: World, smtp: SmtpServer, sender: MailSender, clock: Clock
) -> None:
    pat = world.actor(world.partner)
    await watching.set_watch(pat, "category", "general", "watching")
    await watching.set_watch(pat, "tag", "firmware", "watching")
    await MailSettings.create(user_id=world.partner.id, kinds=[], digest="daily")
    await MailSettings.create(user_id=world.silver_partner.id, kinds=[], digest="daily")  # watches nothing
    since = clock.now - timedelta(minutes=1)
    colleague, expert = world.actor(world.colleague), world.actor(world.expert)

    async def ask(who, category: str, title: str, tags: str):  # type: ignore[no-untyped-def]
        return await threads.create_thread(
            who, category=category, kind="question", title=title, body="Details?", tags=tags
        )

    seen = [
        await ask(colleague, "general", "VLAN trunk on the S10", "switching"),
        await ask(colleague, "gold-programme", "Gold firmware early access", "firmware"),
    ]
    staff = await ask(expert, "staff-room", "Firmware 5 internal bug list", "firmware")
    unwatched = await ask(colleague, "gold-programme", "Gold rebate table", "rebates")
    answer = await posts.reply(expert, seen[0].id, body="Use trunk mode on port 1.")
    article = await articles.promote_answer(expert, answer.id, title="Trunking VLANs on the S10")
    staff_answer = await posts.reply(expert, staff.id, body="Bug 17: boot loop.")
    staff_article = await articles.promote_answer(
        expert, staff_answer.id, title="Known boot loop in firmware 5"
    )

    clock.advance(minutes=5)
    await mailing.queue_digests(db, {"frequency": "daily", "since": since.isoformat(),
                                     "until": clock.now.isoformat()})  # fmt: skip
    assert await sender.run_once() == 2
    [message] = smtp.inbox.to(world.partner.email)
    text, html = parts(message)
    assert message["Subject"] == "Your daily digest: 2 new questions and 1 new article"
    # Watching nothing, the silver partner hears of the public article only.
    [silver] = smtp.inbox.to(world.silver_partner.email)
    assert silver["Subject"] == "Your daily digest: 1 new article"
    for thread in seen:
        assert thread.title in text and f"{db.base_url}/t/{thread.id}" in text and f"/t/{thread.id}" in html
    assert article.title in text and f"{db.base_url}/kb/{article.id}" in html
    for hidden in (
        staff.title,
        unwatched.title,
        staff_article.title,
        f"/t/{staff.id}",
        f"/kb/{staff_article.id}",
    ):
        assert hidden not in text and hidden not in html
    assert message["List-Unsubscribe"].startswith(f"<{db.base_url}/mail/unsubscribe/")
    # A period with nothing new sends nothing.
    await mailing.queue_digests(db, {"frequency": "daily", "since": clock.now.isoformat(),
                                     "until": (clock.now + timedelta(days=1)).isoformat()})  # fmt: skip
    assert await sender.run_once() == 0
    quiet = await OutgoingMail.filter(kind=MailKind.DIGEST, state=MailState.WITHHELD).values_list(
        "last_error", flat=True
    )
    assert len(quiet) == 2 and all("Nothing new" in reason for reason in quiet)


async def test_digest_runs_are_scheduled_and_reschedule_themselves(db, clock: Clock) -> None:
    await mailing.schedule_digests(clock.now)
    await mailing.schedule_digests(clock.now)  # a second start changes nothing
    jobs = await ScheduledJob.filter(kind=mailing.DIGEST_JOB).order_by("due_at")
    assert [j.payload["frequency"] for j in jobs] in (["daily", "weekly"], ["weekly", "daily"])
    weekly = next(j for j in jobs if j.payload["frequency"] == "weekly")
    assert weekly.due_at.weekday() == 0 and weekly.due_at.hour == mailing.DIGEST_HOUR
    clock.advance(days=8)
    assert await run_jobs(db, clock) == 2
    assert await ScheduledJob.filter(kind=mailing.DIGEST_JOB, done_at=None).count() == 2


async def test_an_announcement_is_mailed_to_its_audience_only(
    db, world: World, smtp: SmtpServer, sender: MailSender, clock: Clock
) -> None:
    await announcements.send_announcement(
        world.actor(world.admin), db.partner_tiers, title="Gold partner summit in May",
        body="Join us in **Berlin**.", audience="gold",
    )  # fmt: skip
    await run_jobs(db, clock)
    clock.advance(minutes=db.mail_notify_delay_minutes + 1)
    await sender.run_once()
    assert sorted(m["To"] for m in smtp.inbox.messages) == sorted(
        [world.partner.email, world.colleague.email]
    )
    text, _ = parts(smtp.inbox.messages[0])
    assert "Announcement: Gold partner summit in May" in text and f"{db.base_url}/announcements/" in text


UNSUBSCRIBE_RAW = re.compile(rb"^List-Unsubscribe: (.*(?:\r\n[ \t].*)*)\r\n", re.MULTILINE)


def raw_unsubscribe(raw: bytes) -> bytes:
    """The List-Unsubscribe header as it is on the wire (folding kept)."""
    found = UNSUBSCRIBE_RAW.search(raw)
    assert found, raw[:600]
    return found.group(1)


async def test_list_unsubscribe_is_a_plain_url_on_the_wire_for_every_mail_kind(
    db, world: World, smtp: SmtpServer, clock: Clock, tmp_path
) -> None:
    """The trial found every notification and digest mail's header written as RFC 2047 encoded
    words (``=?utf-8?q?=3Chttp=3A//...``) because the URL is long: RFC 2369/8058 want ``<URL>``, and
    mail programs show no "Unsubscribe" button otherwise. Checked in the bytes the SMTP server
    received and in the .eml files the file mailbox writes, with a site address of a real length."""
    from dataclasses import replace

    from community.mail.compose import build_message
    from community.mail.transport import FileTransport
    from tests.mail.conftest import smtp_sender

    settings = replace(db, base_url="https://partner-community.manufacturer-example.com")
    await MailSettings.create(user_id=world.colleague.id, kinds=list(DEFAULT_KINDS), digest="daily")
    await watching.set_watch(world.actor(world.colleague), "category", "general", "watching")
    since = clock.now - timedelta(minutes=1)
    await asked_and_answered(world)
    assert await run_jobs(settings, clock) >= 1
    await mailing.queue_digests(settings, {"frequency": "daily", "since": since.isoformat(),
                                           "until": clock.now.isoformat()})  # fmt: skip
    clock.advance(minutes=db.mail_notify_delay_minutes + 1)
    await smtp_sender(settings, smtp, clock).run_once()
    rows = await OutgoingMail.filter(state=MailState.SENT).order_by("id")
    assert {r.kind for r in rows} == {MailKind.NOTIFICATION, MailKind.DIGEST}

    files = FileTransport(tmp_path / "outbox")
    for row in rows:
        await files.send(build_message(settings, row), settings.mail_from, [row.to_address])
    on_the_wire = [e.original_content or b"" for e in smtp.inbox.received]
    in_files = [f.read_bytes() for f in sorted((tmp_path / "outbox").glob("*.eml"))]
    assert len(on_the_wire) == len(in_files) == len(rows)
    for raw in on_the_wire + in_files:
        header = raw_unsubscribe(raw)
        assert b"=?" not in header, header
        url = b"".join(header.split()).decode("ascii")
        assert re.fullmatch(
            r"<https://partner-community\.manufacturer-example\.com/mail/unsubscribe/[\w.-]+>", url
        )
        assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw
        assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
