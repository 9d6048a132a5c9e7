"""A real SMTP server in-process (aiosmtpd on the test's own event loop), a hand-moved clock, and
a mail sender wired like the app's, sending to that server."""

from __future__ import annotations

import email
import email.policy
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.smtp import SMTP as SMTPServerProtocol
from aiosmtpd.smtp import Envelope, Session

from community.app import mail_composers
from community.mail.sender import MailSender
from community.mail.transport import SmtpTransport
from community.timeutil import utcnow


@dataclass
class Inbox:
    """What the SMTP server received; ``refuse`` makes it answer DATA with that reply instead."""

    received: list[Envelope] = field(default_factory=list)
    refuse: str | None = None

    async def handle_DATA(self, server: SMTPServerProtocol, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return self.refuse
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(e.original_content or b"", policy=email.policy.default)  # type: ignore[misc]
            for e in self.received
        ]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: Inbox


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpServer]:
    import asyncio

    inbox = Inbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTPServerProtocol(inbox), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield SmtpServer("127.0.0.1", port, inbox)
    finally:
        server.close()
        await server.wait_closed()


class Clock:
    """The real time, moved ahead by hand (mails are queued at the real time)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    @property
    def now(self) -> datetime:
        return utcnow() + self.offset

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.offset += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def smtp_sender(settings, smtp: SmtpServer, clock: Clock, **kw) -> MailSender:  # type: ignore[no-untyped-def]
    transport = SmtpTransport(smtp.host, smtp.port, security="none", timeout=5)
    return MailSender(settings, transport, mail_composers(settings), clock=clock, **kw)


@pytest.fixture
def sender(db, smtp: SmtpServer, clock: Clock) -> MailSender:  # type: ignore[no-untyped-def]
    return smtp_sender(db, smtp, clock)


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML parts."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "a mail needs both a plain-text and an HTML part"
    return text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")
